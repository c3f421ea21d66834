"""Value and membership checks of the inventory, table-driven through
pipeline.load and plan.check_peers (what the fleet action's validate stage runs)."""

from __future__ import annotations

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils import pipeline, plan, topology
from ansible_collections.fleetnet.wireguard.plugins.plugin_utils import role_spec

KEY = "4TBu1wBKSvH/Bl14hyxSTq1AEx3mOTxiR5e7Vpd13ng="
NETWORK = {"wireguard_network": ["10.10.0.0/24", "fd00:10::/64"]}


def fleet(**vps2):
    base = {"vps1": dict(NETWORK, wireguard_address="10.10.0.1", wireguard_endpoint="198.51.100.1"),
            "vps2": dict(NETWORK, wireguard_address="10.10.0.2", wireguard_endpoint="198.51.100.2")}
    base["vps2"].update(vps2)
    return base


def load(hostvars):
    return pipeline.load(hostvars, role_spec.options())


@pytest.mark.parametrize("vps2,variable,message", [
    ({"wireguard_address": "10.10.0.0"}, "wireguard_address", "is the network address"),
    ({"wireguard_address": "10.10.0.255"}, "wireguard_address", "is the broadcast address"),
    ({"wireguard_address": "10.10.0.2/16"}, "wireguard_address", "is wider than wg0's network 10.10.0.0/24"),
    ({"wireguard_address": ["10.10.0.2", "fd00:10::2/56"]}, "wireguard_address", "is wider than wg0's network fd00:10::/64"),
    ({"wireguard_endpoint": "udp://198.51.100.2"}, "wireguard_endpoint", "URL scheme"),
    ({"wireguard_endpoint": "198.51.100.2/32"}, "wireguard_endpoint", "path or a prefix length"),
    ({"wireguard_endpoint": "2001:db8::2:51820"}, "wireguard_endpoint", "without brackets"),
    ({"wireguard_endpoint": "10.10.0.1"}, "wireguard_endpoint", "vps1's tunnel address"),
    ({"wireguard_endpoint": "[fd00:10::99]:51820"}, "wireguard_endpoint", "inside the tunnel"),
    ({"wireguard_endpoint": "198.51.100.2:51821"}, "wireguard_endpoint", "peers would dial port 51821 but vps2 listens on 51820"),
    ({"wireguard_endpoint": "198.51.100.1"}, "wireguard_endpoint", "is also vps1's endpoint"),
    ({"wireguard_public_key": KEY + "\n"}, "wireguard_public_key", "not a WireGuard public key"),
    ({"wireguard_public_key": " " + KEY}, "wireguard_public_key", "not a WireGuard public key"),
    ({"wireguard_unmanaged": True}, "wireguard_hub", "has no hub"),
    ({"wireguard_hub": "vps2", "wireguard_via_hub": ["192.168.9.0/24"]}, "wireguard_hub", "names itself as its hub"),
    ({"wireguard_address": None}, "wireguard_address", "has no tunnel address"),
])
def test_refused(vps2, variable, message):
    dummy, problems = load(fleet(**vps2))
    assert [(p["host"], p["variable"]) for p in problems.errors] == [("vps2", variable)], problems.errors
    assert message in problems.errors[0]["message"], problems.errors[0]


@pytest.mark.parametrize("vps2", [
    {"wireguard_endpoint": "198.51.100.2:51821", "wireguard_port": 51821},
    {"wireguard_endpoint": "198.51.100.2:4500", "wireguard_port_forwarded": True},
    {"wireguard_endpoint": "[2001:db8::2]:51820"},
    {"wireguard_endpoint": "vpn2.example.org"},
    {"wireguard_address": "10.10.0.2/24"},
    {"wireguard_hub": "vps2"},  # the hub naming itself (a group-wide hub)
    {"wireguard_public_key": KEY},
])
def test_accepted(vps2):
    dummy, problems = load(fleet(**vps2))
    assert problems.errors == []


def test_two_hosts_behind_one_nat_address_are_a_warning_only():
    dummy, problems = load(fleet(wireguard_endpoint="198.51.100.1:51821", wireguard_port=51821))
    assert problems.errors == []
    assert [(p["host"], p["variable"]) for p in problems.warnings] == [("vps2", "wireguard_endpoint")]
    assert "shares the endpoint host 198.51.100.1 with vps1" in problems.warnings[0]["message"]


@pytest.mark.parametrize("hook,commands", [
    ("iptables -A FORWARD -i %i -j ACCEPT; echo a,b,c", ["iptables -A FORWARD -i %i -j ACCEPT; echo a,b,c"]),
    (["echo a,b", "echo c"], ["echo a,b", "echo c"]),
])
def test_hooks_keep_commas_inside_a_command(hook, commands):
    for name in ("pre_up", "post_up", "pre_down", "post_down"):
        interfaces, problems = load(fleet(**{"wireguard_" + name: hook}))
        assert problems.errors == []
        assert interfaces["wg0"]["vps2"]["options"][name] == commands


@pytest.mark.parametrize("network,management,controller,refused", [
    ("10.10.0.0/24", "10.10.0.200", None, "holds 10.10.0.200, the address Ansible reaches vps2 at"),
    ("10.10.0.0/24", "192.0.2.9", "10.10.0.77", "holds 10.10.0.77, the controller's own address toward vps2"),
    ("10.10.0.0/24", "192.0.2.9", "192.0.2.1", None),
])
def test_lockout_by_an_on_link_prefix(network, management, controller, refused):
    hostvars = fleet(wireguard_management_address=management)
    for hv in hostvars.values():
        hv["wireguard_network"] = [network]
    interfaces, problems = load(hostvars)
    interfaces["wg0"]["vps2"]["controller_address"] = controller
    plan.check_peers(topology.build(interfaces), problems)
    errors = [p for p in problems.errors if p["host"] == "vps2"]
    if refused is None:
        assert errors == []
    else:
        assert len(errors) == 1 and refused in errors[0]["message"] and "cut the controller off" in errors[0]["message"]


def test_the_controller_address_toward_a_loopback_host_is_loopback():
    from ansible_collections.fleetnet.wireguard.plugins.plugin_utils import controller_route
    assert controller_route.source_address("127.0.0.5") == "127.0.0.1"
    interfaces = {"wg0": {"a": {"management_address": "127.0.0.5"}, "b": {"management_address": None}}}
    pipeline.annotate_controller_addresses(interfaces, controller_route.source_address)
    assert [m["controller_address"] for m in interfaces["wg0"].values()] == ["127.0.0.1", None]
