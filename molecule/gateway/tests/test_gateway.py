"""Forwarding + MASQUERADE: a spoke's default routes go through its hub,
which sends them out as its own address. With ufw on the hub too. Then the
flag goes off and the NAT goes with it. Tests run in this order: every test
takes the `host` fixture so that pytest keeps the file's order."""

import os
import re

import testinfra

from wgcheck import ping, project_file, run_playbook

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
testinfra_hosts = ["gw-spoke"]
OUTSIDE = {4: "172.30.41.100", 6: "fd00:41::100"}
HUB_UPLINK = {4: "172.30.41.11", 6: "fd00:41::11"}


def node(name):
    return testinfra.get_host(name, ansible_inventory=INVENTORY, connection="ansible")


def source_seen_outside(host, family, timeout=3):
    """Ask the outside host who we are; None if it cannot be reached."""
    code = ("import socket,sys; s=socket.create_connection((sys.argv[1], 8080), timeout=%d); "
            "print(s.recv(100).decode().strip())" % timeout)
    result = host.run("python3 -c '%s' %s" % (code, OUTSIDE[family]))
    return result.stdout.strip() if result.rc == 0 else None


def test_spoke_egress_leaves_as_the_hub_ipv4_and_ipv6(host):
    assert ping(host, "10.40.0.1")
    assert source_seen_outside(host, 4) == HUB_UPLINK[4]
    assert source_seen_outside(host, 6) == HUB_UPLINK[6]


def test_spoke_still_reaches_the_hub_endpoint_directly(host):
    # the tunnel's own packets do not go into the tunnel (wg-quick's fwmark rule)
    assert host.run("ip rule show | grep -q 'not from all fwmark'").rc == 0
    assert host.run("ping -c 1 -W 2 172.30.40.11").rc == 0


def test_management_path_stays_out_of_the_tunnel(host):
    """With the opt-in, traffic from the management address keeps the main
    table (replies to the controller leave by the uplink, not wg0); any
    other source takes the tunnel's default route."""
    assert "from 172.30.40.12 lookup main" in host.check_output("ip -4 rule show")
    assert "dev wg0" not in host.check_output("ip -4 route get 198.51.100.7 from 172.30.40.12")
    assert "dev wg0" in host.check_output("ip -4 route get 198.51.100.7")


def test_without_the_opt_in_the_default_route_is_refused(host):
    rc, output = run_playbook(project_file("playbooks", "site.yml"), "-e", '{"wireguard_keep_management_path": false}')
    assert rc != 0
    assert "host gw-spoke: wireguard_via_hub: 0.0.0.0/0 (through gw-hub) captures 172.30.40.12" in output
    assert not re.search(r"changed=[1-9]", output)


def test_nat_rules_are_kept_by_a_unit_and_not_duplicated(host):
    hub = node("gw-hub")
    assert hub.service("fleetnet-wireguard-nat").is_enabled
    rc, output = run_playbook(project_file("playbooks", "site.yml"))
    assert rc == 0 and not re.search(r"changed=[1-9]", output), output[-2000:]
    assert hub.check_output("iptables -t nat -S POSTROUTING").count("MASQUERADE") == 1
    assert hub.check_output("ip6tables -t nat -S POSTROUTING").count("MASQUERADE") == 1


def test_with_ufw_denying_incoming_and_routed_the_role_opens_what_it_needs(host):
    hub = node("gw-hub")
    hub.run_expect([0], "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ufw >/dev/null")
    hub.run_expect([0], "ufw default deny incoming && ufw default deny routed && ufw --force enable")
    rc, output = run_playbook(project_file("playbooks", "site.yml"))
    assert rc == 0, output[-3000:]
    added = hub.check_output("ufw show added")
    assert "allow 51820/udp" in added
    assert re.search(r"route allow in on wg0 out on \S+", added)
    assert ping(host, "10.40.0.1")
    assert source_seen_outside(host, 4) == HUB_UPLINK[4]
    assert source_seen_outside(host, 6) == HUB_UPLINK[6]


def test_turning_the_gateway_flag_off_removes_the_nat(host):
    hub = node("gw-hub")
    rc, output = run_playbook(project_file("playbooks", "site.yml"), "-e", '{"wireguard_gateway": false}')
    assert rc == 0, output[-3000:]
    assert "MASQUERADE" not in hub.check_output("iptables -t nat -S POSTROUTING")
    assert "MASQUERADE" not in hub.check_output("ip6tables -t nat -S POSTROUTING")
    assert not hub.file("/etc/systemd/system/fleetnet-wireguard-nat.service").exists
    assert ping(host, "10.40.0.1")  # the tunnel itself is untouched
    assert source_seen_outside(host, 4) is None
