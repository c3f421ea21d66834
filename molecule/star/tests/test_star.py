"""A star: spokes reach each other through the hub, which forwards."""

import os
import re

import testinfra.utils.ansible_runner

from wgcheck import ping, wg_dump

RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
testinfra_hosts = ["star-s1"]
HUB, S1, S2 = "10.20.0.1", "10.20.0.11", "10.20.0.12"


def test_spoke_has_only_the_hub_with_the_network_and_keepalive(host):
    peers = wg_dump(host)
    assert len(peers) == 1
    peer = list(peers.values())[0]
    assert peer["allowed_ips"] == ["10.20.0.0/24"]
    assert peer["endpoint"] == "172.30.20.11:51820"
    assert "PersistentKeepalive = 25" in host.file("/etc/wireguard/wg0.conf").content_string


def test_spoke_to_spoke_goes_through_the_hub(host):
    hub = testinfra.get_host("star-hub", ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"], connection="ansible")
    s2 = testinfra.get_host("star-s2", ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"], connection="ansible")
    assert ping(s2, HUB)  # s2 speaks first: it is behind "NAT" (no endpoint)
    assert ping(host, S2)

    def hub_rx_from_s1():
        spoke_key = host.check_output("wg show wg0 public-key")
        return wg_dump(hub)[spoke_key]["rx"]

    before = hub_rx_from_s1()
    out = host.check_output("ping -c 10 -i 0.2 -W 2 %s" % S2)
    assert " 0% packet loss" in out
    # one forwarding hop: the reply's TTL is one less than a direct neighbour's
    assert set(re.findall(r"ttl=(\d+)", out)) == {"63"}
    # the hub received those pings from s1: at least their 56 data bytes each
    assert hub_rx_from_s1() - before >= 10 * 56


def test_hub_forwards_and_persists_it(host):
    """prepare.yml turned forwarding off on every host (a VPS's default; a
    container inherits the machine's), so the hub forwards because the role
    made it, and the spoke still does not."""
    hub = testinfra.get_host("star-hub", ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"], connection="ansible")
    assert host.check_output("cat /proc/sys/net/ipv4/ip_forward") == "0"
    assert host.check_output("cat /proc/sys/net/ipv6/conf/all/forwarding") == "0"
    assert hub.check_output("cat /proc/sys/net/ipv4/ip_forward") == "1"
    assert hub.check_output("cat /proc/sys/net/ipv6/conf/all/forwarding") == "1"
    assert "net.ipv4.ip_forward = 1" in hub.file("/etc/sysctl.d/90-fleetnet-wireguard.conf").content_string
    assert len(wg_dump(hub)) == 2
    # spokes do not route for anybody: left alone
    assert not host.file("/etc/sysctl.d/90-fleetnet-wireguard.conf").exists
