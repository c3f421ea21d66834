"""Kernel WireGuard on real Debian VMs, driven over SSH as a sudo user.

vm-hub and vm-peer form the mesh, vm-spoke hangs off vm-hub; vm-hub is a
gateway behind ufw. Tests run in the file's order (none takes the `host`
fixture): the reboot comes after the first checks, the re-runs last."""

import os
import re
import time

import testinfra

from wgcheck import ping, private_keys, recap, run_adhoc, run_playbook, wg_dump

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
CONVERGE = os.path.join(os.path.dirname(__file__), "..", "converge.yml")
TUNNEL = {"vm-hub": "10.50.0.1", "vm-peer": "10.50.0.2", "vm-spoke": "10.50.0.3"}


def node(name):
    return testinfra.get_host(name, ansible_inventory=INVENTORY, connection="ansible", sudo=True)


def added_packages(host):
    """Packages installed since the image was built (its list is in the image)."""
    now = set(host.check_output("dpkg-query -W -f '${Package}\\n'").split())
    then = set(host.file("/usr/share/fleetnet-vm/packages").content_string.split())
    return now - then


def reachable(src, names):
    return {name: ping(node(src), TUNNEL[name]) for name in names}


def test_install_decision_is_the_kernel_module():
    """wireguard-tools only: no wireguard-go, no DKMS, no kernel image; the
    module the running kernel ships is what carries the tunnel."""
    rc, output = run_adhoc("wireguard", "fleetnet.wireguard.platform", "", "--become")
    assert rc == 0, output[-3000:]
    assert len(re.findall(r"^\s*method: kernel$", output, re.M)) == len(TUNNEL), output[-3000:]
    for name in TUNNEL:
        host = node(name)
        added = added_packages(host)
        assert not {p for p in added if re.match(r"wireguard-(go|dkms)$|linux-(image|headers)-", p)}, (name, added)
        assert added == {"wireguard-tools"}, (name, added)
        assert host.run("grep -q '^wireguard ' /proc/modules").rc == 0, name


def test_every_tunnel_is_a_kernel_wireguard_device():
    for name in TUNNEL:
        link = node(name).check_output("ip -d link show wg0")
        assert re.search(r"\bwireguard\b", link) and " tun " not in link, (name, link)


def test_mesh_and_spoke_ping_over_the_tunnels():
    assert reachable("vm-hub", ["vm-peer", "vm-spoke"]) == {"vm-peer": True, "vm-spoke": True}
    assert reachable("vm-peer", ["vm-hub", "vm-spoke"]) == {"vm-hub": True, "vm-spoke": True}
    assert reachable("vm-spoke", ["vm-hub", "vm-peer"]) == {"vm-hub": True, "vm-peer": True}
    assert len(wg_dump(node("vm-spoke"))) == 1  # its hub only


def test_ufw_is_active_with_the_hubs_rules():
    hub = node("vm-hub")
    assert "Status: active" in hub.check_output("ufw status")
    added = hub.check_output("ufw show added")
    assert "allow 51820/udp" in added, added
    assert re.search(r"route allow in on wg0 out on wg0", added), added


def test_gateway_masquerade_is_on_nftables():
    """The gateway's MASQUERADE lives in the kernel's nftables, the netfilter
    backend of Debian 11, 12 and 13 alike (iptables there is iptables-nft)."""
    hub = node("vm-hub")
    assert "nf_tables" in hub.check_output("iptables -V")
    ruleset = hub.check_output("nft list ruleset")
    assert re.search(r"10\.50\.0\.0/24.*masquerade", ruleset), ruleset
    assert hub.service("fleetnet-wireguard-nat").is_enabled


def test_tunnels_come_back_after_a_real_reboot():
    """The talk's failure story 2, on a kernel that really reboots: the hub
    goes down and comes back; its interface, forwarding, NAT and ufw rules
    return from what is on its disk, with no Ansible run."""
    hub = node("vm-hub")
    boot_id = hub.check_output("cat /proc/sys/kernel/random/boot_id")
    hub.run("systemd-run --on-active=2 systemctl reboot")
    deadline = time.monotonic() + 420
    while time.monotonic() < deadline:
        time.sleep(10)
        try:
            result = node("vm-hub").run("cat /proc/sys/kernel/random/boot_id")
        except Exception:  # the SSH connection drops while it reboots
            continue
        if result.rc == 0 and result.stdout.strip() not in ("", boot_id):
            break
    else:
        raise AssertionError("vm-hub did not come back from its reboot")
    hub = node("vm-hub")
    for dummy in range(60):
        if hub.run("systemctl is-active wg-quick@wg0").rc == 0:
            break
        time.sleep(2)
    assert hub.service("wg-quick@wg0").is_running
    assert re.search(r"\bwireguard\b", hub.check_output("ip -d link show wg0"))
    assert len(wg_dump(hub)) == 2
    assert reachable("vm-hub", ["vm-peer"]) == {"vm-peer": True}
    # The spoke has no endpoint: the hub learns where it is from the spoke's
    # next handshake. The spoke's packets on its old session go unanswered,
    # and WireGuard starts a new handshake 15 s after data gets no reply
    # (KEEPALIVE_TIMEOUT + REKEY_TIMEOUT): through the hub to the peer, so
    # forwarding and the hub's firewall came back too.
    assert ping(node("vm-spoke"), TUNNEL["vm-peer"], tries=20)
    assert reachable("vm-hub", ["vm-spoke"]) == {"vm-spoke": True}
    assert "Status: active" in hub.check_output("ufw status")
    assert re.search(r"10\.50\.0\.0/24.*masquerade", hub.check_output("nft list ruleset"))


def test_check_mode_at_vvv_changes_nothing_shows_no_key():
    """A new listen port in check mode, at -vvv, over SSH as the sudo user:
    reported as a change, applied nowhere, and no private key in the output.
    (The plain re-run with changed=0 is molecule's idempotence step.)"""
    hosts = [node(name) for name in TUNNEL]
    keys = private_keys(hosts)
    assert len(keys) == len(TUNNEL)
    state = "sha256sum /etc/wireguard/wg0.conf; wg show wg0 listen-port"
    before = [host.check_output(state) for host in hosts]
    rc, output = run_playbook(CONVERGE, "--check", "--diff", "-vvv", "-e", "wireguard_port=51821")
    assert rc == 0, output[-3000:]
    assert "ESTABLISH SSH CONNECTION FOR USER: fleetnet" in output and "BECOME-SUCCESS" in output
    assert [k for k in keys if k in output] == [], "a private key appeared in the play's output"
    counts = recap(output)
    assert sorted(counts) == sorted(TUNNEL) and all(c["changed"] > 0 for c in counts.values()), counts
    assert [host.check_output(state) for host in hosts] == before
    assert reachable("vm-spoke", ["vm-hub", "vm-peer"]) == {"vm-hub": True, "vm-peer": True}
