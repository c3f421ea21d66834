"""From inventory variables to each host's peers: inventory, topology,
validation and plan together, through pipeline.run() as the fleet action runs it."""

import hashlib

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils import key_store, pipeline, wg_keys


def private_of(host, ifname="wg0"):
    return wg_keys.encode_key(hashlib.sha256(("%s/%s" % (ifname, host)).encode()).digest())


def key_of(host, ifname="wg0"):
    """A fixed key pair per (interface, host), so failures are reproducible."""
    return wg_keys.public_key(private_of(host, ifname))


def keys_for(hostvars):
    keys = {}
    for host, hv in hostvars.items():
        if hv.get("wireguard_address"):
            keys[("wg0", host)] = key_of(host)
        for extra in hv.get("wireguard_interfaces") or []:
            keys[(extra["name"], host)] = key_of(host, extra["name"])
    return keys


def fleet(hostvars, keys=None):
    """The pipeline's plan stage, every host in the run, on a store holding
    ``keys`` (default: every member's), devices' private keys included."""
    keys = keys_for(hostvars) if keys is None else keys
    store = key_store.Snapshot.of(keys, {k: private_of(k[1], k[0]) for k in keys})
    return pipeline.run(hostvars, store, play_hosts=list(hostvars))


def run(hostvars, keys=None):
    out = fleet(hostvars, keys)
    assert out["problems"].errors == [], out["problems"].errors
    return out["plan"], out["problems"]


def forwarding(hostvars, hosts, ifname="wg0"):
    """Whether each host forwards on the interface (its routing entry; devices have none)."""
    routing = fleet(hostvars)["routing"]
    return [next((r["forwarding"] for r in routing.get(h, []) if r["name"] == ifname), None) for h in hosts]


def peers(result, host, ifname="wg0"):
    """{peer name: (endpoint, allowed_ips, keepalive)} of one host."""
    return {p["name"]: (p["endpoint"], p["allowed_ips"], p["persistent_keepalive"])
            for p in result[host][ifname]["peers"]}


def with_group(group, **hosts):
    """Host vars as Ansible gives them: group vars under each host's own."""
    return {name: dict(group, **hv) for name, hv in hosts.items()}


@pytest.mark.parametrize("group, prefixlen", [
    ({}, 32),
    ({"wireguard_topology": "mesh"}, 32),
    ({"wireguard_network": "10.0.0.0/24"}, 24),
    ({"wireguard_network": ["10.0.0.0/16"], "wireguard_topology": "mesh"}, 16),
], ids=["no-network", "explicit-mesh", "network-24", "network-16-list"])
def test_three_node_mesh(group, prefixlen):
    hostvars = with_group(group,
                          a={"wireguard_address": "10.0.0.1", "wireguard_endpoint": "192.0.2.1"},
                          b={"wireguard_address": "10.0.0.2", "wireguard_endpoint": "192.0.2.2"},
                          c={"wireguard_address": "10.0.0.3", "wireguard_endpoint": "192.0.2.3"})
    result, problems = run(hostvars)
    assert problems.warnings == []
    assert peers(result, "a") == {"b": ("192.0.2.2:51820", ["10.0.0.2/32"], None),
                                  "c": ("192.0.2.3:51820", ["10.0.0.3/32"], None)}
    assert peers(result, "b") == {"a": ("192.0.2.1:51820", ["10.0.0.1/32"], None),
                                  "c": ("192.0.2.3:51820", ["10.0.0.3/32"], None)}
    assert peers(result, "c") == {"a": ("192.0.2.1:51820", ["10.0.0.1/32"], None),
                                  "b": ("192.0.2.2:51820", ["10.0.0.2/32"], None)}
    assert forwarding(hostvars, "abc") == [False, False, False]
    for n, host in enumerate("abc", 1):
        desired = result[host]["wg0"]
        assert desired["addresses"] == ["10.0.0.%d/%d" % (n, prefixlen)]
        assert desired["listen_port"] == 51820
        assert {p["public_key"] for p in desired["peers"]} == {key_of(h) for h in "abc" if h != host}


@pytest.mark.parametrize("network, spoke_routes", [
    ("10.0.0.0/24", {"s1": ["10.0.0.0/24"], "s2": ["10.0.0.0/24"]}),
    (None, {"s1": ["10.0.0.1/32", "10.0.0.3/32"], "s2": ["10.0.0.1/32", "10.0.0.2/32"]}),
], ids=["declared-network", "no-network"])
def test_star(network, spoke_routes):
    group = {"wireguard_topology": "star", "wireguard_hub": "hub", "wireguard_network": network}
    hostvars = with_group(group,
                          hub={"wireguard_address": "10.0.0.1", "wireguard_endpoint": "203.0.113.1"},
                          s1={"wireguard_address": "10.0.0.2"},
                          s2={"wireguard_address": "10.0.0.3"})
    result, problems = run(hostvars)
    assert problems.warnings == []
    for spoke in ("s1", "s2"):
        assert peers(result, spoke) == {"hub": ("203.0.113.1:51820", spoke_routes[spoke], 25)}
    assert peers(result, "hub") == {"s1": (None, ["10.0.0.2/32"], None),
                                    "s2": (None, ["10.0.0.3/32"], None)}
    assert forwarding(hostvars, ("hub", "s1", "s2")) == [True, False, False]
    # spokes take host addresses: their routes come from the hub entry
    assert result["s1"]["wg0"]["addresses"] == ["10.0.0.2/32"]


def test_multi_hub_backbone_carries_spokes():
    group = {"wireguard_network": ["10.0.0.0/24"]}
    hostvars = with_group(group,
                          vps1={"wireguard_address": "10.0.0.1", "wireguard_endpoint": "198.51.100.1"},
                          vps2={"wireguard_address": "10.0.0.2", "wireguard_endpoint": "198.51.100.2:51000",
                                "wireguard_port": 51000},
                          laptop={"wireguard_address": "10.0.0.10", "wireguard_hub": "vps1"},
                          phone={"wireguard_address": "10.0.0.20", "wireguard_hub": "vps2",
                                 "wireguard_unmanaged": True})
    result = run(hostvars)[0]
    assert peers(result, "vps1") == {"vps2": ("198.51.100.2:51000", ["10.0.0.2/32", "10.0.0.20/32"], None),
                                     "laptop": (None, ["10.0.0.10/32"], None)}
    assert peers(result, "vps2") == {"vps1": ("198.51.100.1:51820", ["10.0.0.1/32", "10.0.0.10/32"], None),
                                     "phone": (None, ["10.0.0.20/32"], None)}
    assert peers(result, "laptop") == {"vps1": ("198.51.100.1:51820", ["10.0.0.0/24"], 25)}
    assert peers(result, "phone") == {"vps2": ("198.51.100.2:51000", ["10.0.0.0/24"], 25)}
    assert result["vps2"]["wg0"]["listen_port"] == 51000
    assert result["phone"]["wg0"]["listen_port"] is None
    assert fleet(hostvars)["unmanaged"] == {"wg0": ["phone"]}
    assert forwarding(hostvars, ("vps1", "vps2", "laptop", "phone")) == [True, True, False, None]


@pytest.mark.parametrize("spoke_vars, spoke_routes", [
    ({}, ["10.0.0.0/24", "fd00::/64"]),
    ({"wireguard_via_hub": ["::/0"]}, ["10.0.0.0/24", "fd00::/64", "::/0"]),
    ({"wireguard_via_hub": "0.0.0.0/0, ::/0"}, ["10.0.0.0/24", "fd00::/64", "0.0.0.0/0", "::/0"]),
], ids=["no-via-hub", "via-hub-v6-default", "via-hub-both-defaults"])
def test_dual_stack_spoke_and_via_hub(spoke_vars, spoke_routes):
    group = {"wireguard_network": ["10.0.0.0/24", "fd00::/64"]}
    hostvars = with_group(group,
                          hub={"wireguard_address": ["10.0.0.1", "fd00::1"], "wireguard_endpoint": "hub.example.com"},
                          spoke=dict({"wireguard_address": "10.0.0.2, fd00::2", "wireguard_hub": "hub"}, **spoke_vars))
    result = run(hostvars)[0]
    assert peers(result, "spoke") == {"hub": ("hub.example.com:51820", spoke_routes, 25)}
    assert peers(result, "hub") == {"spoke": (None, ["10.0.0.2/32", "fd00::2/128"], None)}
    assert result["hub"]["wg0"]["addresses"] == ["10.0.0.1/24", "fd00::1/64"]
    assert result["spoke"]["wg0"]["addresses"] == ["10.0.0.2/32", "fd00::2/128"]


def test_dual_stack_mesh_uses_32_and_128():
    hostvars = {"a": {"wireguard_address": ["10.0.0.1", "fd00::1"], "wireguard_endpoint": "[2001:db8::1]:51820"},
                "b": {"wireguard_address": ["10.0.0.2", "fd00::2"], "wireguard_endpoint": "2001:db8::2"}}
    result = run(hostvars)[0]
    assert peers(result, "a") == {"b": ("[2001:db8::2]:51820", ["10.0.0.2/32", "fd00::2/128"], None)}
    assert peers(result, "b") == {"a": ("[2001:db8::1]:51820", ["10.0.0.1/32", "fd00::1/128"], None)}


def test_backbone_members_behind_nat():
    hostvars = {"a": {"wireguard_address": "10.0.0.1", "wireguard_endpoint": "192.0.2.1"},
                "b": {"wireguard_address": "10.0.0.2"},
                "c": {"wireguard_address": "10.0.0.3"}}
    result, problems = run(hostvars)
    assert peers(result, "a") == {"b": (None, ["10.0.0.2/32"], None), "c": (None, ["10.0.0.3/32"], None)}
    assert peers(result, "b") == {"a": ("192.0.2.1:51820", ["10.0.0.1/32"], 25)}
    assert peers(result, "c") == {"a": ("192.0.2.1:51820", ["10.0.0.1/32"], 25)}
    assert [(w["host"], w["variable"]) for w in problems.warnings] == [("b", "wireguard_endpoint")]
    assert "c" in problems.warnings[0]["message"]


@pytest.mark.parametrize("keepalive, expected", [
    (15, 15),
    ("40", 40),
    (0, None),
], ids=["int", "string", "zero-disables"])
def test_explicit_keepalive_overrides_nat_default(keepalive, expected):
    hostvars = {"a": {"wireguard_address": "10.0.0.1", "wireguard_endpoint": "192.0.2.1"},
                "b": {"wireguard_address": "10.0.0.2", "wireguard_persistent_keepalive": keepalive}}
    result = run(hostvars)[0]
    assert peers(result, "b") == {"a": ("192.0.2.1:51820", ["10.0.0.1/32"], expected)}
    assert peers(result, "a")["b"][2] is None


def test_seed_example_network():
    group = {"wireguard_network": ["10.10.0.0/24", "fd86:ea04:1111::/64"]}
    hostvars = with_group(group,
                          vps1={"wireguard_address": ["10.10.0.1", "fd86:ea04:1111::1"],
                                "wireguard_endpoint": "vps1.example.net", "wireguard_hub": "vps1"},
                          terminal2={"wireguard_address": ["10.10.0.2", "fd86:ea04:1111::2"],
                                     "wireguard_hub": "vps1", "wireguard_via_hub": ["::/0"]},
                          vps3={"wireguard_address": ["10.10.0.3", "fd86:ea04:1111::3"],
                                "wireguard_endpoint": "203.0.113.3"})
    result, problems = run(hostvars)
    assert problems.warnings == []
    assert peers(result, "vps1") == {
        "vps3": ("203.0.113.3:51820", ["10.10.0.3/32", "fd86:ea04:1111::3/128"], None),
        "terminal2": (None, ["10.10.0.2/32", "fd86:ea04:1111::2/128"], None)}
    assert peers(result, "vps3") == {
        "vps1": ("vps1.example.net:51820",
                 ["10.10.0.1/32", "fd86:ea04:1111::1/128", "10.10.0.2/32", "fd86:ea04:1111::2/128"], None)}
    assert peers(result, "terminal2") == {
        "vps1": ("vps1.example.net:51820", ["10.10.0.0/24", "fd86:ea04:1111::/64", "::/0"], 25)}
    assert result["vps1"]["wg0"]["addresses"] == ["10.10.0.1/24", "fd86:ea04:1111::1/64"]
    assert result["vps3"]["wg0"]["addresses"] == ["10.10.0.3/24", "fd86:ea04:1111::3/64"]
    assert result["terminal2"]["wg0"]["addresses"] == ["10.10.0.2/32", "fd86:ea04:1111::2/128"]
    assert forwarding(hostvars, ("vps1", "terminal2", "vps3")) == [True, False, False]


def test_extra_interface_inherits_host_endpoint_with_its_own_port():
    hostvars = {
        "a": {"wireguard_address": "10.0.0.1", "wireguard_endpoint": "192.0.2.1",
              "wireguard_interfaces": [{"name": "wg1", "address": "10.1.0.1", "port": 51821}]},
        "b": {"wireguard_address": "10.0.0.2", "wireguard_endpoint": "192.0.2.2",
              "wireguard_interfaces": [{"name": "wg1", "address": "10.1.0.2", "port": 51821}]},
    }
    result = run(hostvars)[0]
    assert sorted(result["a"]) == ["wg0", "wg1"]
    assert peers(result, "a", "wg1") == {"b": ("192.0.2.2:51821", ["10.1.0.2/32"], None)}
    assert result["a"]["wg1"]["peers"][0]["public_key"] == key_of("b", "wg1")
    assert result["a"]["wg1"]["listen_port"] == 51821


# A valid two-host mesh; each error case changes it and names (host, variable).
BASE = {"a": {"wireguard_address": "10.0.0.1", "wireguard_endpoint": "192.0.2.1"},
        "b": {"wireguard_address": "10.0.0.2", "wireguard_endpoint": "192.0.2.2"}}


def changed(a=None, b=None, group=None):
    return {host: dict(BASE[host], **(group or {}), **(extra or {})) for host, extra in (("a", a), ("b", b))}


@pytest.mark.parametrize("hostvars, keys, host, variable", [
    (changed(b={"wireguard_address": "10.0.0.1"}), None, "b", "wireguard_address"),
    (changed(b={"wireguard_address": "10.9.0.2"}, group={"wireguard_network": "10.0.0.0/24"}),
     None, "b", "wireguard_address"),
    (changed(b={"wireguard_address": "10.0.0.300"}), None, "b", "wireguard_address"),
    (changed(b={"wireguard_port": 70000}), None, "b", "wireguard_port"),
    (changed(b={"wireguard_port": "fifty"}), None, "b", "wireguard_port"),
    (changed(b={"wireguard_topology": "ring"}), None, "b", "wireguard_topology"),
    (changed(b={"wireguard_topology": "star"}), None, "b", "wireguard_hub"),
    (changed(b={"wireguard_hub": "nowhere"}), None, "b", "wireguard_hub"),
    (changed(a={"wireguard_endpoint": None}, b={"wireguard_hub": "a"}), None, "b", "wireguard_hub"),
    (changed(a={"wireguard_interfaces": [{"name": "wg1", "address": "10.1.0.1", "port": 51821},
                                         {"name": "wg2", "address": "10.2.0.1", "port": 51821}]}),
     None, "a", "wireguard_interfaces[1].port"),
    (changed(a={"wireguard_interfaces": [{"name": "wg1", "address": "10.1.0.1"}]}),
     None, "a", "wireguard_interfaces[0].port"),
    (changed(b={"wireguard_endpoint": "b.local"}), None, "b", "wireguard_endpoint"),
    (changed(b={"wireguard_endpoint": "B.LOCAL.:51820"}), None, "b", "wireguard_endpoint"),
    (BASE, {("wg0", "a"): key_of("a"), ("wg0", "b"): key_of("a")}, "b", "wireguard_public_key"),
    (BASE, {("wg0", "a"): key_of("a")}, "b", "wireguard_public_key"),
    (changed(b={"wireguard_public_key": "not-a-key"}), None, "b", "wireguard_public_key"),
], ids=["duplicate-address", "address-outside-network", "invalid-address", "port-too-big", "port-not-number",
        "unknown-topology", "star-without-hub", "hub-not-in-inventory", "hub-without-endpoint",
        "same-port-two-extra-interfaces", "extra-interface-reuses-wg0-port", "local-endpoint",
        "local-endpoint-trailing-dot", "duplicate-public-keys", "missing-public-key", "invalid-public-key"])
def test_errors_name_host_and_variable(hostvars, keys, host, variable):
    out = fleet(hostvars, keys)
    problems = out["problems"]
    assert "plan" not in out
    assert (host, variable) in [(p["host"], p["variable"]) for p in problems.errors]
    assert all(p["message"] and p["fix"] for p in problems.errors)


@pytest.mark.parametrize("spoke_port, clash", [(None, False), (51820, True)], ids=["no-port", "same-port-asked"])
def test_a_roaming_spoke_without_a_port_shares_no_port_with_another_interface(spoke_port, clash):
    """A laptop (no endpoint) is a spoke of hub a on wg0 and on wg1, with no
    port asked for: the kernel picks each one's port, so nothing clashes
    (the check used to count both as 51820); asked for 51820 on wg1 as well
    as wg0's default, the second would fail to start and is refused."""
    spoke = {"name": "wg1", "address": "10.1.0.2", "hub": "a"}
    if spoke_port is not None:
        spoke["port"] = spoke_port
    hostvars = {
        "a": {"wireguard_address": "10.0.0.1", "wireguard_endpoint": "192.0.2.1", "wireguard_hub": "a",
              "wireguard_interfaces": [{"name": "wg1", "address": "10.1.0.1", "port": 51821, "hub": "a"}]},
        "laptop": {"wireguard_address": "10.0.0.2", "wireguard_hub": "a", "wireguard_interfaces": [spoke]},
    }
    if clash:
        hostvars["laptop"]["wireguard_port"] = 51820
    out = fleet(hostvars)
    errors = [(p["host"], p["variable"]) for p in out["problems"].errors]
    if clash:
        assert errors == [("laptop", "wireguard_interfaces[0].port")], out["problems"].errors
    else:
        assert errors == [], out["problems"].errors
        assert out["plan"]["laptop"]["wg0"]["listen_port"] is None and out["plan"]["laptop"]["wg1"]["listen_port"] is None
        assert set(peers(out["plan"], "laptop", "wg1")) == {"a"}
