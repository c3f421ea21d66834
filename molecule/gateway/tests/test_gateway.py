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
    """Ask the outside host who we are: the address it saw, or why there was no answer."""
    code = ("import socket,sys; s=socket.create_connection((sys.argv[1], 8080), timeout=%d); "
            "print(s.recv(100).decode().strip())" % timeout)
    result = host.run("python3 -c '%s' %s" % (code, OUTSIDE[family]))
    return result.stdout.strip() if result.rc == 0 else "no answer: %s" % result.stderr.strip().splitlines()[-1:]


def device_of(host, address):
    """The interface that holds an address of the 172.30.40.0/24 (tunnel) network."""
    return host.check_output("ip -o -4 addr show | awk '$4 ~ /^%s\\./ {print $2}'" % address.rsplit(".", 1)[0])


def tx_packets(host, device):
    return int(host.check_output("cat /sys/class/net/%s/statistics/tx_packets" % device))


def test_spoke_egress_leaves_as_the_hub_ipv4_and_ipv6(host):
    assert ping(host, "10.40.0.1")
    assert source_seen_outside(host, 4) == HUB_UPLINK[4]
    assert source_seen_outside(host, 6) == HUB_UPLINK[6]


def test_spoke_still_reaches_the_hub_endpoint_directly(host):
    """The tunnel's own packets (marked by wg with its fwmark) and plain
    traffic to the hub's endpoint leave by the underlay, not into wg0, even
    though the default route is the tunnel's: by the route the kernel picks
    and by the packets each device sent."""
    uplink = device_of(host, "172.30.40.12")
    fwmark = host.check_output("wg show wg0 fwmark")
    assert fwmark not in ("", "off")
    for route in (host.check_output("ip -4 route get 172.30.40.11 mark %s" % fwmark),
                  host.check_output("ip -4 route get 172.30.40.11")):
        assert "dev %s" % uplink in route and "dev wg0" not in route, route
    assert "dev wg0" in host.check_output("ip -4 route get 198.51.100.7")  # the control: elsewhere goes in
    # through the tunnel: each packet into wg0 leaves the underlay encrypted, to the endpoint
    before = tx_packets(host, "wg0"), tx_packets(host, uplink)
    host.check_output("ping -c 20 -i 0.05 -W 2 10.40.0.1")
    sent = tx_packets(host, "wg0") - before[0], tx_packets(host, uplink) - before[1]
    assert sent[0] >= 20 and sent[1] >= 20, sent
    # to the endpoint itself: out by the underlay, nothing into wg0
    before = tx_packets(host, "wg0"), tx_packets(host, uplink)
    host.check_output("ping -c 20 -i 0.05 -W 2 172.30.40.11")
    sent = tx_packets(host, "wg0") - before[0], tx_packets(host, uplink) - before[1]
    assert sent[0] < 5 and sent[1] >= 20, sent


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


def masquerade_rules(hub):
    return {tool: [r for r in hub.check_output("%s -t nat -S POSTROUTING" % tool).splitlines() if "MASQUERADE" in r]
            for tool in ("iptables", "ip6tables")}


def test_nat_rules_are_kept_by_a_unit_and_not_duplicated(host):
    """Flushed by hand (as a firewall script would), the rules come back when
    the unit restarts (as at boot); a re-run of the role changes nothing and
    does not add them twice."""
    hub = node("gw-hub")
    assert hub.service("fleetnet-wireguard-nat").is_enabled
    rules = masquerade_rules(hub)
    assert [len(r) for r in rules.values()] == [1, 1], rules
    for tool, found in rules.items():
        for rule in found:
            hub.check_output("%s -t nat %s" % (tool, rule.replace("-A ", "-D ", 1)))
    assert masquerade_rules(hub) == {"iptables": [], "ip6tables": []}
    assert source_seen_outside(host, 4) != HUB_UPLINK[4]
    hub.check_output("systemctl restart fleetnet-wireguard-nat")
    assert masquerade_rules(hub) == rules
    assert source_seen_outside(host, 4) == HUB_UPLINK[4]
    assert source_seen_outside(host, 6) == HUB_UPLINK[6]
    rc, output = run_playbook(project_file("playbooks", "site.yml"))
    assert rc == 0 and not re.search(r"changed=[1-9]", output), output[-2000:]
    assert masquerade_rules(hub) == rules


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
    assert masquerade_rules(hub) == {"iptables": [], "ip6tables": []}
    assert not hub.file("/etc/systemd/system/fleetnet-wireguard-nat.service").exists
    assert ping(host, "10.40.0.1")  # the tunnel itself is untouched
    # controls: the outside host still answers (the hub asks it directly)...
    assert source_seen_outside(hub, 4) == HUB_UPLINK[4]
    assert source_seen_outside(hub, 6) == HUB_UPLINK[6]
    # ...and once it has a way back to the spoke and nothing on the hub
    # blocks routing (ufw is the test's own, from above), the spoke's packets
    # reach it with the spoke's own addresses: nothing rewrites them any more
    hub.check_output("ufw --force disable")
    outside = node("gw-inet")
    outside.check_output("ip route replace 10.40.0.0/24 via %s && ip -6 route replace fd86:ea04:40::/64 via %s"
                         % (HUB_UPLINK[4], HUB_UPLINK[6]))
    assert source_seen_outside(host, 4) == "10.40.0.2"
    assert source_seen_outside(host, 6) == "fd86:ea04:40::2"
