"""/etc/hosts lines for peer names, from a plan made by the real planner."""

import hashlib
import json

from ansible_collections.fleetnet.wireguard.plugins.module_utils import key_store, peer_names, pipeline, plan_json, wg_keys


def fleet(hosts):
    keys = {}
    for h, hv in hosts.items():
        for ifname in ["wg0"] + [i["name"] for i in hv.get("wireguard_interfaces") or []]:
            keys[(ifname, h)] = wg_keys.public_key(wg_keys.encode_key(hashlib.sha256(("%s/%s" % (ifname, h)).encode()).digest()))
    out = pipeline.run(hosts, key_store.Snapshot.of(keys), play_hosts=[h for h, hv in hosts.items() if not hv.get("wireguard_unmanaged")])
    assert out["problems"].errors == [], out["problems"].errors
    return out["plan"]


HOSTS = {
    "vps1": {"wireguard_address": ["10.9.0.1", "fd00:9::1"], "wireguard_endpoint": "203.0.113.1",
             "wireguard_interfaces": [{"name": "wg1", "address": "10.8.0.1", "port": 51821}]},
    "vps2": {"wireguard_address": ["10.9.0.2", "fd00:9::2"], "wireguard_endpoint": "203.0.113.2",
             "wireguard_interfaces": [{"name": "wg1", "address": "10.8.0.2", "port": 51821}]},
    "laptop": {"wireguard_address": ["10.9.0.20", "fd00:9::20"], "wireguard_hub": "vps1"},
    "phone": {"wireguard_address": "10.9.0.30", "wireguard_hub": "vps1", "wireguard_unmanaged": True},
}


def test_every_member_of_every_network_is_named_on_a_spoke_too():
    lines = peer_names.lines(fleet(HOSTS), "laptop")
    assert lines == ["10.9.0.1 vps1.wg0", "10.9.0.2 vps2.wg0", "10.9.0.20 laptop.wg0", "10.9.0.30 phone.wg0",
                     "fd00:9::1 vps1.wg0", "fd00:9::2 vps2.wg0", "fd00:9::20 laptop.wg0"]


def test_a_host_on_two_networks_names_both_and_a_domain_once():
    lines = peer_names.lines(fleet(HOSTS), "vps2", "vpn.example.org.")
    assert "10.8.0.1 vps1.wg1" in lines and "10.9.0.1 vps1.wg0 vps1.vpn.example.org" in lines
    assert "fd00:9::1 vps1.wg0 vps1.vpn.example.org" in lines  # an AAAA name besides the A name
    assert sum("vps1.vpn.example.org" in line.split() for line in lines) == 2


def test_the_json_plan_of_the_fleet_action_and_a_removed_host():
    planned = fleet(HOSTS)
    as_json = {h: json.dumps(v) for h, v in planned.items()}
    assert peer_names.lines(as_json, "vps1") == peer_names.lines(planned, "vps1")
    packed, dummy = plan_json.pack(planned)  # as the role registers it: the addresses are all it reads
    assert peer_names.lines(packed, "vps1") == peer_names.lines(planned, "vps1")
    without = {h: v for h, v in HOSTS.items() if h != "phone"}
    assert not any("phone" in line for line in peer_names.lines(fleet(without), "vps1"))


def test_a_name_that_is_not_a_dns_label_gets_no_line():
    hosts = dict(HOSTS, pad_1={"wireguard_address": "10.9.0.40", "wireguard_hub": "vps1"})
    assert not any("pad_1" in line for line in peer_names.lines(fleet(hosts), "vps1"))
    assert peer_names.lines(fleet(HOSTS), "nobody") == []
