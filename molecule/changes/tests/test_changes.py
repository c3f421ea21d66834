"""Changes to a live mesh, in order, each checked on the real hosts: a node
joins, a host's AllowedIPs change, the node leaves, a peer is added and
removed ad hoc with fleetnet.wireguard.peer, a key is rotated, preshared keys
are turned on (one per pair) and rotated.

After each step the tunnels that stay still carry traffic, no interface was
restarted (same ifindex) and an immediate re-run changes nothing. While a
node joins, AllowedIPs change and the node leaves, a ping stream across an
unchanged tunnel loses nothing and is never held up.

The inventory changes are a second inventory source written here and passed
as an extra `-i` on top of molecule's: chg4 sits in group `spare` until the
source makes `spare` a child of `wireguard`.
"""

import hashlib
import os
import tempfile
import time

import testinfra

from wgcheck import (
    COUNT_MODULES, PingStream, calls, module_executions, ping, private_keys, project_file, recap, run_adhoc, run_playbook, wg_dump, write_inventory,
)

PSK_FILES = "/etc/wireguard/wg0.psk.d/*"
TUNNEL = {"chg1": "10.50.0.1", "chg2": "10.50.0.2", "chg3": "10.50.0.3", "chg4": "10.50.0.4"}
UNDERLAY = {"chg1": "172.30.50.11", "chg2": "172.30.50.12", "chg3": "172.30.50.13", "chg4": "172.30.50.14"}
SITE = project_file("playbooks", "site.yml")
OVERLAY = os.path.join(tempfile.mkdtemp(prefix="fleetnet-changes-"), "changes.yml")
JOIN = {"wireguard": {"children": {"spare": {}}}}
LAN = {"wireguard": {"hosts": {"chg2": {"wireguard_allowed_ips": ["10.51.0.0/24"]}}}}
# the inventory as the steps so far left it, and who is a member
STATE = {"overlay": {}, "members": ["chg1", "chg2", "chg3"], "ifindex": {}}
testinfra_hosts = []


def node(name):
    return testinfra.get_host("docker://" + name)


def inventory_args():
    if not STATE["overlay"]:
        return []
    overlay = {}
    for part in STATE["overlay"].values():
        for group, value in part.items():
            for kind, entries in value.items():
                overlay.setdefault(group, {}).setdefault(kind, {}).update(entries)
    return ["-i", write_inventory(OVERLAY, overlay)]


def play(playbook=SITE, *args):
    hosts = [node(h) for h in TUNNEL]
    keys = private_keys(hosts) | private_keys(hosts, PSK_FILES)  # before: a rotation replaces some
    rc, output = run_playbook(playbook, *(inventory_args() + list(args)))
    assert rc == 0, output[-3000:]
    leaked = [k for k in keys | private_keys(hosts) | private_keys(hosts, PSK_FILES) if k in output]
    assert leaked == [], "a private or preshared key appeared in the play's output"
    return output


def public_key(name):
    return node(name).check_output("wg show wg0 public-key")


def ifindex(name):
    return node(name).check_output("cat /sys/class/net/wg0/ifindex")


def assert_mesh():
    """Every member has exactly the other members as peers and reaches each."""
    members = STATE["members"]
    keys = {h: public_key(h) for h in members}
    for me in members:
        assert set(wg_dump(node(me))) == {keys[h] for h in members if h != me}, me
        unreachable = [h for h in members if h != me and not ping(node(me), TUNNEL[h])]
        assert unreachable == [], "%s cannot reach %s" % (me, unreachable)
    return keys


def assert_not_restarted():
    """A restart makes a new wg0 (new ifindex): a live change keeps it."""
    now = {h: ifindex(h) for h in STATE["members"]}
    kept = [h for h in STATE["ifindex"] if h in now]
    assert {h: now[h] for h in kept} == {h: STATE["ifindex"][h] for h in kept}
    STATE["ifindex"] = now


def assert_rerun_changes_nothing():
    """Nothing changes, and each member costs one module execution (planned from the key store)."""
    output = play(SITE, "-vvv", *COUNT_MODULES)
    counters = recap(output)
    assert set(STATE["members"]) <= set(counters), output[-2000:]
    assert {h: c["changed"] for h, c in counters.items()} == {h: 0 for h in counters}, output[-3000:]
    assert module_executions(output) == {h: 1 for h in STATE["members"]}, output[-3000:]


def change_under_ping_stream(playbook=SITE, *args):
    """Run the play while chg1 pings chg3 at 20 packets/s; chg1 <-> chg3 itself
    never changes in these steps. The stream goes on for 6 s after the play,
    past WireGuard's handshake retry time (5 s). -> (play output, stream result)"""
    stream = PingStream(node("chg1"), TUNNEL["chg3"]).start()
    try:
        output = play(playbook, *args)
        time.sleep(6)
    finally:
        result = stream.stop()
    assert result["sent"] > 20, result
    # nothing lost, and nothing held back either (a stall of seconds with 0
    # lost would be a pending handshake: the tunnel was re-keyed after all)
    assert result["lost"] == 0 and result["longest_stall_s"] < 1.5, result
    return output, result


def test_00_three_node_mesh_and_a_spare():
    assert_mesh()
    assert node("chg4").run("ip link show wg0").rc != 0
    STATE["ifindex"] = {h: ifindex(h) for h in STATE["members"]}


def test_01_a_node_joins_without_a_lost_packet():
    STATE["overlay"]["join"] = JOIN
    output = change_under_ping_stream(SITE, "-vvv", *COUNT_MODULES)[0]
    assert recap(output)["chg4"]["changed"] > 0
    # N + 2 module executions for a mesh of N = 3: the new node's prepare, then one apply on each of the N + 1;
    # the spare starts from the bare image, so its prepare step also runs apt (one more, on it alone)
    assert module_executions(output) == {"chg1": 1, "chg2": 1, "chg3": 1, "chg4": 3}, output[-3000:]
    assert calls.modules(output).get("apt") == 1, calls.modules(output)
    STATE["members"].append("chg4")
    assert_mesh()
    assert_not_restarted()
    assert_rerun_changes_nothing()


def test_02_allowed_ips_change_routes_at_once_everywhere():
    # what chg2 will route for: an address on a LAN behind it
    node("chg2").run("ip address add 10.51.0.1/32 dev lo")
    STATE["overlay"]["lan"] = LAN
    change_under_ping_stream()
    chg2 = public_key("chg2")
    for other in ("chg1", "chg3", "chg4"):
        assert "10.51.0.0/24" in wg_dump(node(other))[chg2]["allowed_ips"], other
        assert "dev wg0" in node(other).check_output("ip route show 10.51.0.0/24"), other
        assert ping(node(other), "10.51.0.1"), other
    assert_not_restarted()
    assert_rerun_changes_nothing()


def test_03_a_node_leaves_and_its_peer_goes_everywhere():
    gone = public_key("chg4")
    del STATE["overlay"]["join"]
    change_under_ping_stream()
    STATE["members"].remove("chg4")
    for me in STATE["members"]:
        assert gone not in wg_dump(node(me)), me
        assert gone not in node(me).file("/etc/wireguard/wg0.conf").content_string, me
    assert_mesh()
    # the LAN route of chg2 stays, it did not belong to chg4
    assert ping(node("chg1"), "10.51.0.1")
    assert_not_restarted()
    assert_rerun_changes_nothing()


def test_04_peer_module_ad_hoc_adds_and_removes_one_peer():
    """chg4 still runs its old wg0 (chg1 is its peer there): give chg1 its peer
    back by hand, then take it away; the role's file comes back byte for byte."""
    chg1 = node("chg1")
    key = public_key("chg4")
    conf_before = chg1.file("/etc/wireguard/wg0.conf").content_string
    args = "interface=wg0 public_key=%s allowed_ips=10.50.0.4/32 endpoint=%s:51820 name=chg4" % (key, UNDERLAY["chg4"])

    rc, out = run_adhoc("chg1", "fleetnet.wireguard.peer", args, "--check", "--diff")
    assert rc == 0 and "CHANGED" in out and "+PublicKey = %s" % key in out, out
    assert key not in wg_dump(chg1)

    rc, out = run_adhoc("chg1", "fleetnet.wireguard.peer", args)
    assert rc == 0 and "CHANGED" in out, out
    assert wg_dump(chg1)[key]["allowed_ips"] == ["10.50.0.4/32"]
    assert ping(chg1, TUNNEL["chg4"])
    assert chg1.file("/etc/wireguard/wg0.conf").mode == 0o600

    rc, out = run_adhoc("chg1", "fleetnet.wireguard.peer", args)
    assert rc == 0 and "SUCCESS" in out and "changed: false" in out, out

    # a step that fails half way (the route exists already, as a blackhole) is
    # undone: the peer's allowed IPs, already changed by wg set, and the file
    chg1.run("ip route add blackhole 10.52.0.0/24")
    rc, out = run_adhoc("chg1", "fleetnet.wireguard.peer", "public_key=%s allowed_ips=10.50.0.4/32,10.52.0.0/24" % key)
    chg1.run("ip route del blackhole 10.52.0.0/24")
    assert rc != 0 and "previous state was restored" in out, out
    assert wg_dump(chg1)[key]["allowed_ips"] == ["10.50.0.4/32"]
    assert "10.52.0.0/24" not in chg1.file("/etc/wireguard/wg0.conf").content_string

    rc, out = run_adhoc("chg1", "fleetnet.wireguard.peer", "public_key=%s state=absent" % key)
    assert rc == 0 and "CHANGED" in out, out
    assert key not in wg_dump(chg1)
    assert chg1.file("/etc/wireguard/wg0.conf").content_string == conf_before
    assert chg1.run("ping -c 1 -W 1 %s" % TUNNEL["chg4"]).rc != 0
    assert_not_restarted()
    assert_rerun_changes_nothing()


def test_05_rotate_refuses_a_host_outside_the_group():
    before = {h: public_key(h) for h in STATE["members"]}
    rc, output = run_playbook("fleetnet.wireguard.rotate", *(inventory_args() + ["-e", "rotate_hosts=chg3,nosuch"]))
    assert rc != 0 and "nosuch" in output
    assert {h: public_key(h) for h in STATE["members"]} == before


def test_06_rotate_one_key_every_peer_follows_in_the_same_run():
    before = assert_mesh()
    play("fleetnet.wireguard.rotate", "-e", "rotate_hosts=chg3")
    after = {h: public_key(h) for h in STATE["members"]}
    assert after["chg3"] != before["chg3"]
    assert {h: k for h, k in after.items() if h != "chg3"} == {h: k for h, k in before.items() if h != "chg3"}
    for me in ("chg1", "chg2"):
        peers = wg_dump(node(me))
        assert after["chg3"] in peers and before["chg3"] not in peers, me
    assert_mesh()
    assert_not_restarted()
    assert_rerun_changes_nothing()


def preshared(me):
    """{peer public key: sha256 of its live preshared key} on a member (the
    test compares keys without ever putting one in an assertion message)."""
    out = node(me).check_output("wg show wg0 preshared-keys")
    pairs = (line.split("\t") for line in out.splitlines() if line.strip())
    return {peer: hashlib.sha256(key.encode()).hexdigest() for peer, key in pairs if key != "(none)"}


def assert_pairs_share_their_own_keys():
    members = STATE["members"]
    keys = {h: public_key(h) for h in members}
    live = {h: preshared(h) for h in members}
    for a in members:
        assert set(live[a]) == {keys[b] for b in members if b != a}, "%s lacks a preshared key" % a
        for b in members:
            if a < b:
                assert live[a][keys[b]] == live[b][keys[a]], "%s and %s hold different keys" % (a, b)
    per_pair = {live[a][keys[b]] for a in members for b in members if a < b}
    assert len(per_pair) == len(members) * (len(members) - 1) // 2, "a key is shared by two pairs"
    for h in members:
        listing = node(h).check_output("stat -c '%a %U' /etc/wireguard/wg0.psk.d /etc/wireguard/wg0.psk.d/*").splitlines()
        assert listing[0] == "700 root" and set(listing[1:]) == {"600 root"}, (h, listing)
        assert "PresharedKey" not in node(h).check_output("cat /etc/wireguard/wg0.conf")
    return live


def assert_new_handshakes_use_the_files():
    """A restart makes each pair handshake again from the key files: only
    matching keys on both ends get the tunnel back."""
    for h in STATE["members"]:
        node(h).check_output("systemctl restart wg-quick@wg0")
    STATE["ifindex"] = {}
    assert_mesh()
    STATE["ifindex"] = {h: ifindex(h) for h in STATE["members"]}


def test_07_preshared_keys_one_per_pair_live_without_a_lost_packet():
    STATE["overlay"]["psk"] = {"wireguard": {"vars": {"wireguard_preshared_keys": True}}}
    STATE["ifindex"] = {h: ifindex(h) for h in STATE["members"]}
    change_under_ping_stream()
    assert_pairs_share_their_own_keys()
    assert_not_restarted()
    # the plan recorded each host's preshared keys (as fingerprints): the re-run is one call per host again
    assert_rerun_changes_nothing()
    assert_new_handshakes_use_the_files()


def test_08_rotate_preshared_keys_only_at_vvv():
    before = assert_pairs_share_their_own_keys()
    public = {h: public_key(h) for h in STATE["members"]}
    output = play("fleetnet.wireguard.rotate", "-e", "rotate_hosts=chg1", "-e", "rotate_private_keys=false", "-vvv", *COUNT_MODULES)
    # planned from the store's record of each host's preshared keys: no prepare step
    assert module_executions(output) == {h: 1 for h in STATE["members"]}, output[-3000:]
    after = assert_pairs_share_their_own_keys()
    assert {h: public_key(h) for h in STATE["members"]} == public
    assert after["chg1"] != before["chg1"] and after["chg2"][public["chg1"]] != before["chg2"][public["chg1"]]
    assert after["chg2"][public["chg3"]] == before["chg2"][public["chg3"]], "the chg2-chg3 pair was not rotated"
    assert "output has been hidden" in output  # the plan that carried the new keys
    assert_not_restarted()
    assert_rerun_changes_nothing()
    assert_new_handshakes_use_the_files()
