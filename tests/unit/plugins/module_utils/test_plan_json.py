"""The plan as the role registers it (plan_json.pack) and as each host's
apply task gets it back (the host_plan filter): shared peer entries, and
nothing lost or changed on the way, on a fleet where hosts see the same
member differently (sites, NAT, their own keepalive, spokes, a second
interface, a device)."""

import json

from ansible_collections.fleetnet.wireguard.plugins.filter.host_plan import host_plan
from ansible_collections.fleetnet.wireguard.plugins.module_utils import plan_json, topology
from test_topology import fleet

NET = {"wireguard_network": "10.40.0.0/24"}
HOSTS = {
    "a": dict(NET, wireguard_address="10.40.0.1", wireguard_endpoint="192.0.2.1",
              wireguard_interfaces=[{"name": "wg1", "address": "10.41.0.1", "port": 51821}]),
    "b": dict(NET, wireguard_address="10.40.0.2", wireguard_endpoint="192.0.2.2",
              wireguard_interfaces=[{"name": "wg1", "address": "10.41.0.2", "port": 51821}]),
    "c": dict(NET, wireguard_address="10.40.0.3", wireguard_endpoint="192.0.2.3"),
    # a and b's view of d and e: on site lab, d and e dial each other there
    "d": dict(NET, wireguard_address="10.40.0.4", wireguard_endpoint="192.0.2.4", wireguard_site="lab",
              wireguard_site_endpoint="172.16.0.4"),
    "e": dict(NET, wireguard_address="10.40.0.5", wireguard_endpoint="192.0.2.5", wireguard_site="lab",
              wireguard_site_endpoint="172.16.0.5"),
    "nat": dict(NET, wireguard_address="10.40.0.6"),
    "chatty": dict(NET, wireguard_address="10.40.0.7", wireguard_endpoint="192.0.2.7", wireguard_persistent_keepalive=10),
    "laptop": dict(NET, wireguard_address="10.40.0.20", wireguard_hub="a"),
    "phone": dict(NET, wireguard_address="10.40.0.21", wireguard_hub="b", wireguard_unmanaged=True),
}


def planned():
    out = fleet(HOSTS)
    assert out["problems"].errors == [], out["problems"].errors
    return out["plan"]


def test_hosts_of_one_view_share_entries_and_other_views_get_their_own():
    plan = planned()

    def entry(viewer, peer):
        return next(p for p in plan[viewer]["wg0"]["peers"] if p["name"] == peer)

    assert entry("a", "c") is entry("b", "c")  # same view: one object
    assert entry("d", "e")["endpoint"] == "172.16.0.5:51820" and entry("a", "e")["endpoint"] == "192.0.2.5:51820"
    assert entry("nat", "a")["persistent_keepalive"] == topology.KEEPALIVE_BEHIND_NAT
    assert entry("c", "a")["persistent_keepalive"] is None and entry("chatty", "a")["persistent_keepalive"] == 10
    assert entry("a", "nat")["endpoint"] is None
    assert [p["name"] for p in plan["c"]["wg0"]["peers"]] == ["a", "b", "chatty", "d", "e", "nat"]  # never itself


def test_pack_then_host_plan_gives_every_host_its_plan_whole():
    plan = planned()
    packed, table = plan_json.pack(plan)
    fleet_result = {"plan": packed, "peer_table": table}
    for host in plan:
        assert json.loads(host_plan(fleet_result, host)) == plan[host]
        assert plan_json.unpack(packed[host], table) == plan[host]
    # each distinct entry once: the mesh's backbone entries are not repeated per host
    lines = table["wg0"].split("\n")
    assert len(lines) == len(set(lines)) < sum(len(plan[h]["wg0"]["peers"]) for h in plan)
    assert sorted(table) == ["wg0", "wg1"]


def test_a_host_without_peers_and_a_host_without_a_plan():
    packed, table = plan_json.pack({"solo": {"wg0": {"name": "wg0", "addresses": ["10.0.0.1/32"], "peers": []}}})
    assert plan_json.unpack(packed["solo"], table) == {"wg0": {"name": "wg0", "addresses": ["10.0.0.1/32"], "peers": []}}
    assert host_plan({"plan": packed, "peer_table": table}, "other") == "{}"
    assert host_plan({}, "solo") == "{}"
