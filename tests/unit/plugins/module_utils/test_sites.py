"""Sites (issue 19): which endpoint each end of a pair dials, for every kind
of pair, through the whole plan (inventory, topology, validation)."""

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils import topology
from test_topology import fleet, peers, run, with_group


def endpoints(result, host):
    return {name: entry[0] for name, entry in peers(result, host).items()}


def problems_of(hostvars):
    return fleet(hostvars)["problems"]


FRA_A = {"wireguard_address": "10.0.0.1", "wireguard_endpoint": "192.0.2.1", "wireguard_site": "fra1",
         "wireguard_site_endpoint": "10.9.0.1"}
FRA_B = {"wireguard_address": "10.0.0.2", "wireguard_endpoint": "192.0.2.2", "wireguard_site": "fra1",
         "wireguard_site_endpoint": "10.9.0.2:51820"}
OUT_C = {"wireguard_address": "10.0.0.3", "wireguard_endpoint": "192.0.2.3"}


def test_same_site_dials_site_endpoint_others_public():
    result, problems = run({"a": FRA_A, "b": FRA_B, "c": OUT_C})
    assert problems.warnings == []
    assert endpoints(result, "a") == {"b": "10.9.0.2:51820", "c": "192.0.2.3:51820"}
    assert endpoints(result, "b") == {"a": "10.9.0.1:51820", "c": "192.0.2.3:51820"}
    assert endpoints(result, "c") == {"a": "192.0.2.1:51820", "b": "192.0.2.2:51820"}
    assert fleet({"a": FRA_A, "b": FRA_B, "c": OUT_C})["sites"] == {"wg0": {
        "a": {"name": "fra1", "endpoint": "10.9.0.1:51820"}, "b": {"name": "fra1", "endpoint": "10.9.0.2:51820"}}}


def test_different_sites_dial_public():
    b = dict(FRA_B, wireguard_site="ams1")
    result, dummy = run({"a": FRA_A, "b": b})
    assert endpoints(result, "a") == {"b": "192.0.2.2:51820"}
    assert endpoints(result, "b") == {"a": "192.0.2.1:51820"}


def test_same_site_without_site_endpoint_dials_public():
    b = dict(FRA_B, wireguard_site_endpoint=None)
    result, dummy = run({"a": FRA_A, "b": b})
    assert endpoints(result, "a") == {"b": "192.0.2.2:51820"}
    assert endpoints(result, "b") == {"a": "10.9.0.1:51820"}


def test_site_only_host_reachable_from_its_site_alone():
    a = dict(FRA_A, wireguard_endpoint=None)
    result, problems = run({"a": a, "b": FRA_B, "c": OUT_C})
    assert problems.warnings == []
    assert endpoints(result, "b") == {"a": "10.9.0.1:51820", "c": "192.0.2.3:51820"}
    # c cannot dial a: a dials c and keeps the path open with keepalives
    assert endpoints(result, "c") == {"a": None, "b": "192.0.2.2:51820"}
    assert peers(result, "a")["c"][2] == topology.KEEPALIVE_BEHIND_NAT
    assert peers(result, "a")["b"][2] is None


def test_site_only_host_and_peer_outside_without_endpoint_warns_on_the_site_only_host():
    a = dict(FRA_A, wireguard_endpoint=None)
    c = dict(OUT_C, wireguard_endpoint=None)
    result, problems = run({"a": a, "b": FRA_B, "c": c})
    assert "a" not in endpoints(result, "c")
    [warning] = problems.warnings
    assert (warning["host"], warning["variable"]) == ("a", "wireguard_site_endpoint")
    assert "only inside site fra1" in warning["message"] and "set wireguard_endpoint on a" in warning["fix"]


@pytest.mark.parametrize("topo", ["star", "hybrid"])
def test_hub_and_spokes_across_sites(topo):
    group = {"wireguard_network": "10.0.0.0/24", "wireguard_hub": "hub"}
    hub = dict(FRA_A, wireguard_hub=None) if topo == "hybrid" else FRA_A
    hosts = {"hub": hub,
             "near": {"wireguard_address": "10.0.0.2", "wireguard_site": "fra1", "wireguard_site_endpoint": "10.9.0.2"},
             "far": {"wireguard_address": "10.0.0.3"}}
    if topo == "hybrid":
        # a second backbone member in another site, with a spoke of its own in fra1
        group = {"wireguard_network": "10.0.0.0/24"}
        hosts["near"]["wireguard_hub"] = hosts["far"]["wireguard_hub"] = "hub"
        hosts["hub2"] = {"wireguard_address": "10.0.0.4", "wireguard_endpoint": "192.0.2.4", "wireguard_site": "ams1",
                         "wireguard_site_endpoint": "10.8.0.4"}
        hosts["near2"] = {"wireguard_address": "10.0.0.5", "wireguard_hub": "hub2", "wireguard_site": "fra1",
                          "wireguard_site_endpoint": "10.9.0.5"}
    result, problems = run(with_group(group, **hosts))
    assert endpoints(result, "near") == {"hub": "10.9.0.1:51820"}
    assert endpoints(result, "far") == {"hub": "192.0.2.1:51820"}
    assert endpoints(result, "hub")["near"] == "10.9.0.2:51820"
    assert endpoints(result, "hub")["far"] is None
    assert peers(result, "far")["hub"][2] == topology.KEEPALIVE_BEHIND_NAT
    assert peers(result, "near")["hub"][2] is None
    assert result["near"]["wg0"]["listen_port"] == 51820  # the hub dials it at its site endpoint
    assert result["far"]["wg0"]["listen_port"] is None
    if topo == "hybrid":
        assert endpoints(result, "hub")["hub2"] == "192.0.2.4:51820"
        assert endpoints(result, "hub2")["hub"] == "192.0.2.1:51820"
        # near2 is in fra1 but its hub is in ams1: the public path
        assert endpoints(result, "near2") == {"hub2": "192.0.2.4:51820"}


def test_site_only_hub_with_spoke_outside_is_an_error_on_the_hub():
    hostvars = with_group({"wireguard_network": "10.0.0.0/24", "wireguard_hub": "hub"},
                          hub=dict(FRA_A, wireguard_endpoint=None),
                          near={"wireguard_address": "10.0.0.2", "wireguard_site": "fra1"},
                          far={"wireguard_address": "10.0.0.3", "wireguard_site": "ams1"})
    problems = problems_of(hostvars)
    [error] = problems.errors
    assert (error["host"], error["variable"]) == ("hub", "wireguard_site_endpoint")
    assert "spoke far is in site ams1" in error["message"]
    assert "put far in site fra1" in error["fix"]


@pytest.mark.parametrize("hostvars, host, variable", [
    ({"a": dict(FRA_A, wireguard_site=None)}, "a", "wireguard_site_endpoint"),
    ({"a": dict(FRA_A, wireguard_site_endpoint="10.9.0.1:51821")}, "a", "wireguard_site_endpoint"),
    ({"a": dict(FRA_A, wireguard_site_endpoint="https://10.9.0.1")}, "a", "wireguard_site_endpoint"),
    ({"a": dict(FRA_A, wireguard_site_endpoint="10.0.0.2"), "b": FRA_B}, "a", "wireguard_site_endpoint"),
], ids=["no-site", "other-port", "url", "inside-tunnel"])
def test_bad_site_endpoint(hostvars, host, variable):
    problems = problems_of(hostvars)
    assert [(e["host"], e["variable"]) for e in problems.errors] == [(host, variable)]
    assert problems.errors[0]["fix"]


def test_extra_interface_inherits_site_endpoint_host_with_its_own_port():
    a = dict(FRA_A, wireguard_interfaces=[{"name": "wg1", "address": "10.1.0.1", "port": 51821}])
    b = dict(FRA_B, wireguard_interfaces=[{"name": "wg1", "address": "10.1.0.2", "port": 51821}])
    result, dummy = run({"a": a, "b": b})
    assert {p["name"]: p["endpoint"] for p in result["a"]["wg1"]["peers"]} == {"b": "10.9.0.2:51821"}


def test_moving_a_host_changes_only_the_entries_toward_it():
    before, dummy = run({"a": FRA_A, "b": FRA_B, "c": OUT_C})
    after, dummy = run({"a": FRA_A, "b": dict(FRA_B, wireguard_site="ams1"), "c": OUT_C})
    changed = {(h, p["name"]) for h in before for p in before[h]["wg0"]["peers"]
               if p not in after[h]["wg0"]["peers"]}
    assert changed == {("a", "b"), ("b", "a")}
    assert endpoints(after, "a")["b"] == "192.0.2.2:51820"


def test_mdns_site_endpoint_is_refused():
    problems = problems_of({"a": dict(FRA_A, wireguard_site_endpoint="raspi.local")})
    assert [(e["host"], e["variable"]) for e in problems.errors] == [("a", "wireguard_site_endpoint")]
