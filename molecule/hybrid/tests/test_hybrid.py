"""Mesh + spokes + an unmanaged phone, dual stack, two interfaces."""

import json
import os
import re
import stat
import subprocess

import testinfra
import testinfra.utils.ansible_runner

from ansible_collections.fleetnet.wireguard.plugins.module_utils import device_config, wg_config, wg_keys
from wgcheck import ping, project_file, run_playbook, wg_dump

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
STORE = os.path.join(os.path.dirname(INVENTORY), ".wireguard")
testinfra_hosts = ["hyb-laptop"]


def node(name):
    return testinfra.get_host(name, ansible_inventory=INVENTORY, connection="ansible")


def test_laptop_reaches_server_b_through_server_a_on_both_families(host):
    out = host.check_output("ping -c 3 -W 2 10.30.0.2 || true")
    if " 0% packet loss" not in out:  # first packets wait for handshakes
        out = host.check_output("ping -c 3 -W 2 10.30.0.2")
    assert set(re.findall(r"ttl=(\d+)", out)) == {"63"}, out
    assert ping(host, "fd86:ea04:1111::2")
    peers = list(wg_dump(host).values())
    assert len(peers) == 1
    peer = peers[0]
    assert sorted(peer["allowed_ips"]) == ["10.30.0.0/24", "fd86:ea04:1111::/64"]


def test_server_a_learns_the_phone_through_hub_b():
    a, b = node("hyb-a"), node("hyb-b")
    b_key = b.check_output("wg show wg0 public-key")
    assert sorted(wg_dump(a)[b_key]["allowed_ips"]) == sorted(
        ["10.30.0.2/32", "fd86:ea04:1111::2/128", "10.30.0.30/32", "fd86:ea04:1111::30/128"])


def test_second_interface_on_its_own_port():
    a = node("hyb-a")
    assert a.check_output("wg show wg1 listen-port") == "51821"
    assert a.check_output("wg show wg0 listen-port") == "51820"
    assert ping(a, "10.31.0.2")
    assert a.service("wg-quick@wg1").is_enabled


def test_phone_config_is_app_safe_and_matches_the_hub():
    conf_path = os.path.join(STORE, "export", "wg0", "phone.conf")
    assert stat.S_IMODE(os.stat(conf_path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(conf_path)).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(os.path.join(STORE, "private", "wg0", "phone.key")).st_mode) == 0o600
    text = open(conf_path).read()
    config = wg_config.parse(text)
    assert device_config.unsafe_keys(config) == []
    b = node("hyb-b")
    phone_public = wg_keys.public_key(config.interface.get("PrivateKey"))
    assert sorted(wg_dump(b)[phone_public]["allowed_ips"]) == ["10.30.0.30/32", "fd86:ea04:1111::30/128"]
    (hub,) = config.peers
    assert hub.get("PublicKey") == b.check_output("wg show wg0 public-key")
    assert hub.get("Endpoint") == "172.30.30.12:51820"
    assert "::/0" in hub.get("AllowedIPs") and "10.30.0.0/24" in hub.get("AllowedIPs")
    assert hub.get("PersistentKeepalive") == "25"


def test_the_phone_pair_alone_has_a_preshared_key_and_both_ends_hold_it():
    """Only the phone sets wireguard_preshared_keys: its pair with hub B gets a
    key (in the export, kept 0600 under private/), no other pair does."""
    config = wg_config.parse(open(os.path.join(STORE, "export", "wg0", "phone.conf")).read())
    phone_public = wg_keys.public_key(config.interface.get("PrivateKey"))
    live = dict(line.split("\t") for line in node("hyb-b").check_output("wg show wg0 preshared-keys").splitlines())
    with_key = [peer for peer, key in live.items() if key != "(none)"]
    assert with_key == [phone_public]
    same = live[phone_public] == config.peers[0].get("PresharedKey")
    assert same, "the hub and the phone's config disagree"  # compared here, so no key reaches the report
    stored = os.path.join(STORE, "private", "wg0", "phone.psk.d")
    assert [stat.S_IMODE(os.stat(os.path.join(stored, n)).st_mode) for n in os.listdir(stored)] == [0o600]


def test_phone_qr_code_decodes_to_its_config():
    base = os.path.join(STORE, "export", "wg0", "phone")
    decoded = subprocess.run(["zbarimg", "--quiet", "--raw", base + ".png"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, check=True).stdout
    assert decoded.rstrip("\n") == open(base + ".conf").read().rstrip("\n")
    assert "\u2580" in open(base + ".qr.txt").read()  # a terminal rendering too (decoded in test_device_config.py)


def _fleet_state():
    state = {}
    for name in ("hyb-a", "hyb-b", "hyb-laptop"):
        h = node(name)
        state[name] = (h.check_output("sha256sum /etc/wireguard/*.conf"),
                       {i: sorted(wg_dump(h, i)) for i in ("wg0", "wg1") if h.run("ip link show %s" % i).rc == 0})
    return state


def test_limit_to_one_host_leaves_every_other_peer_alone():
    before = _fleet_state()
    rc, output = run_playbook(project_file("playbooks", "site.yml"), "--limit", "hyb-laptop")
    assert rc == 0, output[-3000:]
    assert re.search(r"hyb-laptop\s+: ok=\d+\s+changed=0", output), output[-2000:]
    assert _fleet_state() == before


def test_an_interface_dropped_from_the_inventory_is_removed_cleanly():
    rc, output = run_playbook(project_file("playbooks", "site.yml"), "-e", '{"wireguard_interfaces": []}')
    assert rc == 0, output[-3000:]
    for name in ("hyb-a", "hyb-b"):
        h = node(name)
        assert h.run("ip link show wg1").rc != 0
        assert not h.file("/etc/wireguard/wg1.conf").exists
        assert not h.service("wg-quick@wg1").is_enabled
        assert h.file("/etc/wireguard/wg1.key").exists  # the key stays unless asked
        assert h.run("ip link show wg0").rc == 0
    assert ping(node("hyb-a"), "10.30.0.2")


MANAGED = ("hyb-a", "hyb-b", "hyb-laptop")


def _hosts_block(h):
    text = h.file("/etc/hosts").content_string
    begin, end = "# BEGIN fleetnet.wireguard peer names\n", "# END fleetnet.wireguard peer names\n"
    assert text.count(begin) == 1 and text.count(end) == 1, text
    return text, text.split(begin)[1].split(end)[0]


def test_every_member_is_reachable_by_name_on_every_host():
    for name in MANAGED:
        h = node(name)
        text, block = _hosts_block(h)
        assert "localhost" in text.split("# BEGIN")[0]  # the rest of the file is left alone
        for member, address in (("hyb-a", "10.30.0.1"), ("hyb-b", "10.30.0.2"), ("hyb-laptop", "10.30.0.20"),
                                ("phone", "10.30.0.30")):
            assert h.check_output("getent ahostsv4 %s.wg0 | head -1" % member).split()[0] == address, (name, member)
        assert h.check_output("getent ahostsv6 hyb-b.wg0 | head -1").split()[0] == "fd86:ea04:1111::2"
    assert ping(node("hyb-laptop"), "hyb-b.wg0")


def test_names_follow_a_host_removed_from_the_inventory(tmp_path):
    """The phone leaves the inventory: on the next run its name is gone from
    every host's block, and nothing outside the block changed."""
    import yaml

    def without_phone(node_):
        # wherever molecule put the group: drop the phone from every hosts list
        if isinstance(node_, dict):
            return {k: without_phone(v) for k, v in node_.items() if k != "phone"}
        return node_

    inventory = without_phone(yaml.safe_load(open(INVENTORY)))
    assert "phone" not in yaml.safe_dump(inventory)
    smaller = tmp_path / "inventory"
    smaller.mkdir()
    (smaller / "hosts.yml").write_text(yaml.safe_dump(inventory))
    # group_vars and host_vars stay where molecule keeps them; so does the key store
    for entry in ("group_vars", "host_vars"):
        if os.path.exists(os.path.join(os.path.dirname(INVENTORY), entry)):
            os.symlink(os.path.join(os.path.dirname(INVENTORY), entry), smaller / entry)
    outside = {n: _hosts_block(node(n))[0].split("# BEGIN")[0] for n in MANAGED}
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=project_file(".collections"), ANSIBLE_FORCE_COLOR="0")
    proc = subprocess.run(["ansible-playbook", "-i", str(smaller), project_file("playbooks", "site.yml"),
                           "-e", "wireguard_controller_dir=%s" % STORE],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    for name in MANAGED:
        h = node(name)
        text, block = _hosts_block(h)
        assert "phone" not in block and "hyb-b.wg0" in block, (name, block)
        assert h.run("getent hosts phone.wg0").rc != 0
        assert text.split("# BEGIN")[0] == outside[name]


def _prom_samples(text):
    """name{labels} value lines of the Prometheus text format -> [(name, {label: value}, value)]."""
    samples = []
    for line in text.splitlines():
        if line.startswith("#"):
            assert re.match(r"^# (HELP|TYPE) [a-z_]+ .+$", line), line
            continue
        m = re.match(r'^([a-z_]+)\{((?:[a-z_]+="[^"]*",?)*)\} ([0-9]+)$', line)
        assert m, "not a sample line: %r" % line
        samples.append((m.group(1), dict(re.findall(r'([a-z_]+)="([^"]*)"', m.group(2))), int(m.group(3))))
    return samples


def test_a_stopped_spoke_is_not_up_in_the_next_status_and_metrics_are_written():
    """Seconds after the laptop stops, with its handshake still fresh, the
    status must not call its link up: the hub's probe got nothing back."""
    a = node("hyb-a")
    assert ping(node("hyb-laptop"), "10.30.0.1")  # a fresh handshake
    subprocess.run(["docker", "stop", "-t", "1", "hyb-laptop"], check=True, stdout=subprocess.DEVNULL)
    try:
        rc, output = run_playbook(project_file("playbooks", "status.yml"),
                                  "-e", "wireguard_status_metrics_dir=/var/lib/prometheus/node-exporter")
        assert "hyb-a" in output
        with open(os.path.join(STORE, "status", "wg0.json")) as handle:
            document = json.load(handle)
        [link] = [k for k in document["links"] if set(k["hosts"]) == {"hyb-a", "hyb-laptop"}]
        assert link["verdict"] in ("stale", "never", "missing"), link
        kinds = {d["kind"] for d in document["diagnoses"] if set(d.get("link") or ()) == {"hyb-a", "hyb-laptop"}}
        assert "no_answer" in kinds, document["diagnoses"]
    finally:
        subprocess.run(["docker", "start", "hyb-laptop"], check=True, stdout=subprocess.DEVNULL)
    prom = a.file("/var/lib/prometheus/node-exporter/fleetnet_wireguard.prom")
    assert prom.exists and prom.mode == 0o644
    samples = _prom_samples(prom.content_string)
    names = {s[0] for s in samples}
    assert names == {"wireguard_sent_bytes_total", "wireguard_received_bytes_total", "wireguard_latest_handshake_seconds"}
    b_key = node("hyb-b").check_output("wg show wg0 public-key")
    sent = [v for n, labels, v in samples if n == "wireguard_sent_bytes_total" and labels["public_key"] == b_key]
    assert [labels["friendly_name"] for n, labels, v in samples
            if n == "wireguard_sent_bytes_total" and labels["interface"] == "wg0" and labels["public_key"] == b_key] == ["hyb-b"]
    assert sent[0] > 0
