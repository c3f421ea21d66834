"""Kernel WireGuard on real Debian VMs, driven over SSH as a sudo user.

One VM per Debian release (FLEETNET_SUITE, such as bullseye+bookworm+trixie),
and every VM plays every part: a member of the wg0 mesh and a gateway, the
hub of its own star (vmN of wgN) with the two others as roaming spokes, a
spoke of the two other stars, behind ufw, rebooted for real. So each check
below, asked of every VM, is a check of every release. Tests run in the
file's order (none takes the `host` fixture): the reboot comes after the
first checks, the check-mode run last; molecule's idempotence step is the
re-run with changed=0."""

import os
import re
import sys
import time

import testinfra

from wgcheck import ping_each, private_keys, recap, run_adhoc, run_playbook, wg_dump

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "resources", "vm"))
from vmctl import platform_suites  # noqa: E402  (the release each VM was given, as vmctl.py deals them)

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
CONVERGE = os.path.join(os.path.dirname(__file__), "..", "converge.yml")
VMS = ["vm1", "vm2", "vm3"]
STARS = {"wg1": "vm1", "wg2": "vm2", "wg3": "vm3"}  # interface: its hub
RELEASES = platform_suites(os.environ.get("FLEETNET_SUITE") or "bookworm", [{"name": name} for name in VMS])
# the release's own kernel, each with WireGuard 1.0.0 built in as a module
KERNELS = {"bullseye": ("11", "5.10."), "bookworm": ("12", "6.1."), "trixie": ("13", "6.12.")}


def node(name):
    return testinfra.get_host(name, ansible_inventory=INVENTORY, connection="ansible", sudo=True)


def address(name, ifname):
    """vmN is 10.50.0.N on wg0 and 10.5K.0.N on wgK."""
    return "10.5%s.0.%s" % (ifname[2:], name[2:])


def peers_of(name):
    """Every tunnel address vm `name` must reach: the two other mesh members;
    on its own star both spokes; on each other star the hub, and the other
    spoke through that hub (the hub forwards, ufw routes)."""
    targets = [address(other, "wg0") for other in VMS if other != name]
    for ifname in STARS:
        targets += [address(other, ifname) for other in VMS if other != name]
    return targets


def reach_all(tries=5):
    """{vm: [tunnel addresses it could not ping]}: one command per VM."""
    return {name: [a for a, ok in ping_each(node(name), peers_of(name), tries=tries).items() if not ok] for name in VMS}


def added_packages(host):
    """Packages installed since the image was built (its list is in the image)."""
    now = set(host.check_output("dpkg-query -W -f '${Package}\\n'").split())
    then = set(host.file("/usr/share/fleetnet-vm/packages").content_string.split())
    return now - then


def test_each_vm_runs_its_release_and_kernel():
    for name in VMS:
        host = node(name)
        version, kernel = KERNELS[RELEASES[name]]
        assert host.check_output(". /etc/os-release; echo $VERSION_ID $VERSION_CODENAME") == "%s %s" % (
            version, RELEASES[name]), name
        assert host.check_output("uname -r").startswith(kernel), name


def test_install_decision_is_the_kernel_module():
    """wireguard-tools only: no wireguard-go, no DKMS, no kernel image; the
    module the running kernel ships is what carries the tunnels."""
    rc, output = run_adhoc("wireguard", "fleetnet.wireguard.platform", "", "--become")
    assert rc == 0, output[-3000:]
    assert len(re.findall(r"^\s*method: kernel$", output, re.M)) == len(VMS), output[-3000:]
    for name in VMS:
        host = node(name)
        added = added_packages(host)
        assert not {p for p in added if re.match(r"wireguard-(go|dkms)$|linux-(image|headers)-", p)}, (name, added)
        assert added == {"wireguard-tools"}, (name, added)
        assert host.run("grep -q '^wireguard ' /proc/modules").rc == 0, name


def test_every_tunnel_is_a_kernel_wireguard_device():
    for name in VMS:
        links = node(name).check_output("ip -d link show type wireguard")
        assert sorted(re.findall(r"^\d+: (wg\d):", links, re.M)) == ["wg0", "wg1", "wg2", "wg3"], (name, links)
        assert " tun " not in links, (name, links)


def test_mesh_and_stars_ping_over_the_tunnels():
    assert reach_all() == {name: [] for name in VMS}
    for ifname, hub in STARS.items():
        for name in VMS:
            # a spoke knows its hub only; the hub knows both spokes
            assert len(wg_dump(node(name), ifname)) == (2 if name == hub else 1), (name, ifname)


def test_ufw_is_active_with_each_hubs_rules():
    for name in VMS:
        host = node(name)
        assert "Status: active" in host.check_output("ufw status"), name
        added = host.check_output("ufw show added")
        hub_of = [ifname for ifname, hub in STARS.items() if hub == name][0]
        for rule in ("allow 51820/udp", "allow %d/udp" % (51820 + int(hub_of[2:])),
                     "route allow in on %s out on %s" % (hub_of, hub_of)):
            assert rule in added, (name, rule, added)
        # a spoke forwards nothing: no route rule for the stars it is a spoke of
        assert [s for s in STARS if s != hub_of and "in on %s out" % s in added] == [], (name, added)


def test_gateway_masquerade_is_on_nftables():
    """Each VM's MASQUERADE lives in the kernel's nftables: Debian 11, 12 and
    13 all make iptables the iptables-nft front end."""
    for name in VMS:
        host = node(name)
        assert "nf_tables" in host.check_output("iptables -V"), name
        ruleset = host.check_output("nft list ruleset")
        assert re.search(r"10\.50\.0\.0/24.*masquerade", ruleset), (name, ruleset)
        assert host.service("fleetnet-wireguard-nat").is_enabled, name


def boot_ids():
    ids = {}
    for name in VMS:
        try:
            result = node(name).run("cat /proc/sys/kernel/random/boot_id")
        except Exception:  # the SSH connection drops while it reboots
            continue
        if result.rc == 0 and result.stdout.strip():
            ids[name] = result.stdout.strip()
    return ids


def test_tunnels_come_back_after_every_vm_reboots():
    """The talk's failure story 2, on kernels that really reboot: all three
    VMs go down at once and come back; every interface, forwarding, NAT and
    ufw rule returns from what is on their disks, with no Ansible run."""
    before = boot_ids()
    assert sorted(before) == VMS
    # one ad hoc command reaches the three at once (one by one, each SSH
    # round trip under emulation would space the reboots a minute apart)
    rc, output = run_adhoc("wireguard", "ansible.builtin.command", "systemd-run --on-active=2 systemctl reboot",
                           "--become")
    assert rc == 0, output[-3000:]
    deadline = time.monotonic() + 480
    while time.monotonic() < deadline:
        time.sleep(10)
        now = boot_ids()
        if all(now.get(name) not in (None, before[name]) for name in VMS):
            break
    else:
        raise AssertionError("not back from the reboot: %s" % [n for n in VMS if boot_ids().get(n) in (None, before[n])])
    units = " ".join("wg-quick@%s" % ifname for ifname in ["wg0"] + list(STARS))
    for name in VMS:
        host = node(name)
        for dummy in range(60):
            if host.run("systemctl is-active %s" % units).rc == 0:
                break
            time.sleep(2)
        assert host.run("systemctl is-active %s" % units).rc == 0, (name, host.run("systemctl status %s" % units).stdout)
        assert "Status: active" in host.check_output("ufw status"), name
        assert re.search(r"10\.50\.0\.0/24.*masquerade", host.check_output("nft list ruleset")), name
    # The roaming spokes send a keepalive as their interface comes up, so each
    # hub learns where they are now; spoke to spoke goes through the hub again.
    assert reach_all(tries=20) == {name: [] for name in VMS}


def test_check_mode_at_vvv_changes_nothing_shows_no_key():
    """A new listen port in check mode, at -vvv, over SSH as the sudo user:
    reported as a change, applied nowhere, and no private key in the output.
    (The plain re-run with changed=0 is molecule's idempotence step.)"""
    hosts = [node(name) for name in VMS]
    keys = private_keys(hosts)
    assert len(keys) == 4 * len(VMS)
    state = "sha256sum /etc/wireguard/*.conf; wg show all listen-port"
    before = [host.check_output(state) for host in hosts]
    rc, output = run_playbook(CONVERGE, "--check", "--diff", "-vvv", "-e", "wireguard_port=51829")
    assert rc == 0, output[-3000:]
    assert "ESTABLISH SSH CONNECTION FOR USER: fleetnet" in output and "BECOME-SUCCESS" in output
    assert [k for k in keys if k in output] == [], "a private key appeared in the play's output"
    counts = recap(output)
    assert sorted(counts) == VMS and all(c["changed"] > 0 for c in counts.values()), counts
    assert [host.check_output(state) for host in hosts] == before
    assert reach_all() == {name: [] for name in VMS}
