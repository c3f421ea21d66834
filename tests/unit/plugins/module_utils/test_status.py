"""Verdicts and diagnoses of the status playbook, from recorded host output.

The fleet is the diagnose scenario's: diag1 and diag2 on the backbone, diag3
a spoke of diag1. Host output (`wg show wg0 dump`, `ip -j`, `ss -Hulnp`,
wg-quick files) was recorded on its containers; keys are replaced by fixed
test keys so the dumps match the plan, which comes from the real planner.
"""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils import (
    endpoint, key_store, pipeline, status_facts, status_report, status_svg, status_text, status_verdict, wg_keys,
)

NOW = 1795572500


def private_key(host, ifname="wg0"):
    return wg_keys.encode_key(hashlib.sha256(("%s/%s" % (ifname, host)).encode()).digest())


KEY = {h: wg_keys.public_key(private_key(h)) for h in ("diag1", "diag2", "diag3", "diag4", "phone")}
PSK = wg_keys.encode_key(hashlib.sha256(b"psk").digest())

INVENTORY = {
    "diag1": {"wireguard_network": ["10.60.0.0/24"], "wireguard_address": "10.60.0.1", "wireguard_endpoint": "172.30.60.11"},
    "diag2": {"wireguard_network": ["10.60.0.0/24"], "wireguard_address": "10.60.0.2", "wireguard_endpoint": "172.30.60.12"},
    "diag3": {"wireguard_network": ["10.60.0.0/24"], "wireguard_address": "10.60.0.3", "wireguard_endpoint": "172.30.60.13",
              "wireguard_hub": "diag1"},
}


def fleet(inventory=None, keys=None):
    inventory = inventory or INVENTORY
    keys = keys or {("wg0", h): KEY[h] for h in inventory}
    # devices' keys are made on the controller: the store holds their private keys
    out = pipeline.run(inventory, key_store.Snapshot.of(keys, {(i, h): private_key(h, i) for i, h in keys}))
    assert out["problems"].errors == []
    return {k: out[k] for k in ("plan", "routing", "unmanaged", "sites")}


# `ip -j -d link show dev wg0` on a container (wireguard-go), trimmed
# (a tuple: it is a default argument below and must not be mutable)
LINK_TUN = ({"ifname": "wg0", "flags": ["POINTOPOINT", "MULTICAST", "NOARP", "UP", "LOWER_UP"], "mtu": 1420,
             "operstate": "UNKNOWN", "linkinfo": {"info_kind": "tun", "info_data": {"type": "tun", "pi": True}}},)
LINK_KERNEL = [{"ifname": "wg0", "flags": ["POINTOPOINT", "NOARP", "UP", "LOWER_UP"], "mtu": 1420,
                "linkinfo": {"info_kind": "wireguard"}}]
LINK_DOWN = [{"ifname": "wg0", "flags": ["POINTOPOINT", "NOARP"], "mtu": 1420, "linkinfo": {"info_kind": "wireguard"}}]


def addresses(*cidrs):
    """`ip -j address show dev wg0`."""
    return [{"ifname": "wg0", "addr_info": [
        {"family": "inet", "local": c.split("/")[0], "prefixlen": int(c.split("/")[1]), "scope": "global", "label": "wg0"}
        for c in cidrs]}]


SS_UP = """UNCONN 0      0      127.0.0.11:40682 0.0.0.0:*
UNCONN 0      0         0.0.0.0:51820 0.0.0.0:* users:(("wireguard-go",pid=640,fd=17))
UNCONN 0      0            [::]:51820    [::]:* users:(("wireguard-go",pid=640,fd=16))
"""
SS_CLASH = """UNCONN 0      0         0.0.0.0:51820 0.0.0.0:* users:(("nc",pid=912,fd=3))
"""
IPTABLES_DOCKER = """-P PREROUTING ACCEPT
-P POSTROUTING ACCEPT
-N DOCKER_POSTROUTING
-A POSTROUTING -d 127.0.0.11/32 -j DOCKER_POSTROUTING
-A DOCKER_POSTROUTING -s 127.0.0.11/32 -p udp -m udp --sport 40682 -j SNAT --to-source :53
"""
IPTABLES_MASQUERADE = IPTABLES_DOCKER + "-A POSTROUTING -o eth0 -j MASQUERADE\n"
# nft prints tabs; spelled out so the source stays free of them
NFT_MASQUERADE = ("table ip nat {\n"
                  "\tchain postrouting {\n"
                  "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
                  "\t\toifname \"eth0\" masquerade\n"
                  "\t}\n"
                  "}\n")


def dump(host, peers, port=51820):
    """`wg show wg0 dump` as the host prints it: its private key first."""
    lines = ["\t".join((private_key(host), KEY[host], str(port), "off"))]
    for peer in peers:
        lines.append("\t".join(str(f) for f in peer))
    return "\n".join(lines) + "\n"


def peer(other, handshake, rx, tx, keepalive="off", allowed=None, psk="(none)"):
    addr = {"diag1": "10.60.0.1/32", "diag2": "10.60.0.2/32", "diag3": "10.60.0.3/32", "diag4": "10.60.0.4/32",
            "phone": "10.60.0.9/32"}
    endpoint = {"diag1": "172.30.60.11:51820", "diag2": "172.30.60.12:51820", "diag3": "172.30.60.13:51820"}.get(other, "(none)")
    return (KEY[other], psk, endpoint, allowed or addr[other], handshake, rx, tx, keepalive)


def config_text(host, peers, port=51820):
    lines = ["[Interface]", "Address = %s" % {"diag1": "10.60.0.1/24", "diag2": "10.60.0.2/24", "diag3": "10.60.0.3/32"}[host],
             "ListenPort = %d" % port, "PostUp = wg set %i private-key /etc/wireguard/wg0.key"]
    for p in peers:
        lines += ["", "[Peer]", "PublicKey = %s" % p[0], "AllowedIPs = %s" % p[3]]
        if p[2] != "(none)":
            lines.append("Endpoint = %s" % p[2])
        if p[7] != "off":
            lines.append("PersistentKeepalive = %s" % p[7])
    return "\n".join(lines) + "\n"


def host(name, peers, link=LINK_TUN, now=NOW, service=("enabled", "active"), forwarding=True, nat=None,
         sockets=SS_UP, config=None, dump_text=None, port=51820):
    """The info module's result for a host with one interface wg0."""
    cidr = {"diag1": "10.60.0.1/24", "diag2": "10.60.0.2/24", "diag3": "10.60.0.3/32"}.get(name, "10.60.0.9/32")
    up = link is not None and "UP" in link[0]["flags"]
    text = dump_text if dump_text is not None else (dump(name, peers, port) if up else None)
    summary = status_facts.config_summary(config if config is not None else config_text(name, peers, port))
    iface = status_facts.interface_facts(now, link, addresses(cidr) if link else None, text, dict(summary, path="/etc/wireguard/wg0.conf"),
                                         {"unit": "wg-quick@wg0", "enabled": service[0], "active": service[1]},
                                         status_facts.parse_udp_sockets(sockets))
    return status_facts.host_facts(now, {"wg0": iface}, {"ipv4": forwarding, "ipv6": False},
                                   nat or {"iptables": IPTABLES_DOCKER, "ip6tables": "", "nft": None})


def healthy(**overrides):
    """Recorded right after the status playbook's probe on the healthy scenario."""
    hosts = {
        "diag1": host("diag1", [peer("diag2", NOW - 33, 1848, 2000), peer("diag3", NOW - 34, 1124, 1128)]),
        "diag2": host("diag2", [peer("diag1", NOW - 33, 2000, 1848, allowed="10.60.0.1/32,10.60.0.3/32")]),
        "diag3": host("diag3", [peer("diag1", NOW - 34, 1128, 1124, allowed="10.60.0.0/24")]),
    }
    hosts.update(overrides)
    return hosts


def verdicts(result):
    return {tuple(link["hosts"]): link["verdict"] for link in result["networks"]["wg0"]["links"]}


def faults(result):
    """{(kind, host, link)} of every diagnosis."""
    return {(d["kind"], d["host"], tuple(d["link"]) if d["link"] else None) for d in result["diagnoses"]}


# ------------------------------------------------------------------ verdicts

def side(host, state="ok", age=None, rx=0, tx=0, sent=None, received=None, keepalive=None):
    return {"host": host, "state": state, "handshake_age": age, "rx_bytes": rx, "tx_bytes": tx,
            "sent": sent, "received": received, "keepalive": keepalive, "endpoint": None}


@pytest.mark.parametrize("a, b, verdict, lost", [
    (side("a", age=5, rx=900, tx=800), side("b", age=6, rx=800, tx=900), "up", []),
    # keepalive 25: a rekey is due by 120 + 25 + 5 s
    (side("a", age=140, rx=9, tx=9, keepalive=25), side("b", age=141, rx=9, tx=9), "up", []),
    (side("a", age=200, rx=9, tx=9, keepalive=25), side("b", age=201, rx=9, tx=9), "stale", []),
    (side("a", age=100, rx=9, tx=9, keepalive=10), side("b", age=140, rx=9, tx=9, keepalive=10), "up", []),
    (side("a", age=136, rx=9, tx=9, keepalive=10), side("b", age=137, rx=9, tx=9, keepalive=10), "stale", []),
    # no keepalive: an old handshake, or none, on a quiet link is fine
    (side("a", age=4000, rx=9, tx=9), side("b", age=4000, rx=9, tx=9), "idle", []),
    (side("a"), side("b"), "idle", []),
    (side("a", keepalive=25), side("b"), "never", []),
    # the probe: a's packets reach b, b's never reach a (a's port is blocked)
    (side("a", age=90, rx=5000, tx=5000, sent=180, received=0), side("b", age=90, rx=5000, tx=5000, sent=180, received=180),
     "one-way", [("b", "a")]),
    (side("a", rx=148, tx=240, sent=240, received=148), side("b", tx=148, sent=148, received=0), "one-way", [("a", "b")]),
    (side("a", tx=148, sent=148, received=0), side("b", tx=148, sent=148, received=0), "never", [("a", "b"), ("b", "a")]),
    (side("a", age=400, rx=9, tx=300, sent=148, received=0), side("b", age=400, rx=9, tx=300, sent=148, received=0),
     "stale", [("a", "b"), ("b", "a")]),
    # without a probe the totals since start-up tell the same, when no session is live
    (side("a", rx=0, tx=592), side("b", rx=1184, tx=920), "one-way", [("b", "a")]),
    (side("a", age=30, rx=0, tx=592), side("b", age=30, rx=1184, tx=920), "up", []),
    (side("a", age=30), side("b", state="no-interface"), "missing", []),
    (side("a", age=30), side("b", state="no-peer"), "missing", []),
    (side("a", state="no-data"), side("b", state="no-data"), "unknown", []),
    # an unmanaged phone: its keepalive promises nothing when it is switched off
    (side("a", age=20, rx=9, tx=9), side("phone", state="unmanaged", keepalive=25), "up", []),
    (side("a", age=9000, rx=9, tx=9), side("phone", state="unmanaged", keepalive=25), "idle", []),
    (side("a", tx=148, sent=148, received=0), side("phone", state="unmanaged", keepalive=25), "never", [("a", "phone")]),
], ids=["fresh", "keepalive-25-at-140s", "keepalive-25-at-200s", "keepalive-10-at-100s", "keepalive-10-at-136s",
        "old-no-keepalive", "never-no-keepalive", "never-with-keepalive", "probe-one-way-session", "probe-one-way-handshake",
        "probe-both-lost", "probe-both-lost-old", "totals-one-way", "totals-live-session", "down", "no-peer", "no-data",
        "phone-fresh", "phone-off", "phone-no-answer"])
def test_link_verdict(a, b, verdict, lost):
    assert status_verdict.link_verdict(a, b) == (verdict, lost)


@pytest.mark.parametrize("keepalive, limit", [(None, 135), (0, 135), (10, 135), (25, 150), (60, 185)])
def test_keepalive_limit(keepalive, limit):
    assert status_verdict.keepalive_limit(keepalive) == limit


# ----------------------------------------------------------------- diagnoses

def firewall_on_diag2():
    """diag2 drops UDP 51820 in: recorded before and after the probe."""
    before = healthy(
        diag1=host("diag1", [peer("diag2", NOW - 97, 2048, 3100), peer("diag3", NOW - 98, 1204, 2400)]),
        diag2=host("diag2", [peer("diag1", NOW - 97, 2048, 2700, allowed="10.60.0.1/32,10.60.0.3/32")]),
        diag3=host("diag3", [peer("diag1", NOW - 98, 2400, 1204, allowed="10.60.0.0/24")]))
    after = healthy(
        diag1=host("diag1", [peer("diag2", NOW - 97, 2768, 4400), peer("diag3", NOW - 98, 1800, 3000)]),
        diag2=host("diag2", [peer("diag1", NOW - 97, 2048, 3788, allowed="10.60.0.1/32,10.60.0.3/32")]),
        diag3=host("diag3", [peer("diag1", NOW - 98, 3000, 1800, allowed="10.60.0.0/24")]))
    return after, before


def diag3_down():
    return healthy(diag3=host("diag3", [], link=None, service=("enabled", "inactive"), sockets=""))


def key_changed_on_diag2():
    """diag2 got a new key by hand: its peers still know the old one."""
    new = wg_keys.encode_key(hashlib.sha256(b"new").digest())
    text = "\t".join((new, wg_keys.public_key(new), "51820", "off")) + "\n" + "\t".join(
        str(f) for f in peer("diag1", 0, 0, 592, allowed="10.60.0.1/32,10.60.0.3/32")) + "\n"
    return healthy(
        diag1=host("diag1", [peer("diag2", 0, 0, 0), peer("diag3", NOW - 34, 1124, 1128)]),
        diag2=host("diag2", [peer("diag1", 0, 0, 592, allowed="10.60.0.1/32,10.60.0.3/32")], dump_text=text)), new


def nat_inventory():
    """diag2 behind NAT (no endpoint), keepalive switched off by hand."""
    inventory = dict(INVENTORY, diag2=dict(INVENTORY["diag2"], wireguard_persistent_keepalive="off"))
    del inventory["diag2"]["wireguard_endpoint"]
    return inventory


SCENARIOS = [
    # (name, infos, baseline, fleet, hosts, expected verdicts, expected faults)
    ("healthy", healthy(), None, fleet(), None,
     {("diag1", "diag2"): "up", ("diag1", "diag3"): "up"}, set()),
    ("firewall", firewall_on_diag2()[0], firewall_on_diag2()[1], fleet(), None,
     {("diag1", "diag2"): "one-way", ("diag1", "diag3"): "up"},
     {("firewall", "diag2", ("diag1", "diag2"))}),
    ("forwarding-off-on-hub", healthy(diag1=host("diag1", [peer("diag2", NOW - 33, 1848, 2000), peer("diag3", NOW - 34, 1124, 1128)],
                                                 forwarding=False)), None, fleet(), None,
     {("diag1", "diag2"): "up", ("diag1", "diag3"): "up"},
     {("forwarding_off", "diag1", None)}),
    ("forwarding-off-off-hub", healthy(diag2=host("diag2", [peer("diag1", NOW - 33, 2000, 1848, allowed="10.60.0.1/32,10.60.0.3/32")],
                                                  forwarding=False)), None, fleet(), None,
     {("diag1", "diag2"): "up", ("diag1", "diag3"): "up"}, set()),
    ("interface-down", diag3_down(), None, fleet(), None,
     {("diag1", "diag2"): "up", ("diag1", "diag3"): "missing"},
     {("interface_down", "diag3", None)}),
    ("not-enabled", healthy(diag2=host("diag2", [peer("diag1", NOW - 33, 2000, 1848, allowed="10.60.0.1/32,10.60.0.3/32")],
                                       service=("disabled", "active"))), None, fleet(), None,
     {("diag1", "diag2"): "up", ("diag1", "diag3"): "up"},
     {("service_not_enabled", "diag2", None)}),
    ("up-by-hand", healthy(diag2=host("diag2", [peer("diag1", NOW - 33, 2000, 1848, allowed="10.60.0.1/32,10.60.0.3/32")],
                                      service=("disabled", "inactive"))), None, fleet(), None,
     {("diag1", "diag2"): "up", ("diag1", "diag3"): "up"},
     {("service_not_enabled", "diag2", None), ("service_inactive", "diag2", None)}),
    ("port-clash", healthy(diag3=host("diag3", [peer("diag1", 0, 0, 0, allowed="10.60.0.0/24")], link=None,
                                      service=("enabled", "failed"), sockets=SS_CLASH)), None, fleet(), None,
     {("diag1", "diag2"): "up", ("diag1", "diag3"): "missing"},
     {("interface_down", "diag3", None), ("port_clash", "diag3", None)}),
    ("mdns-endpoint", healthy(diag2=host("diag2", [peer("diag1", NOW - 33, 2000, 1848, allowed="10.60.0.1/32,10.60.0.3/32")],
                                         config=config_text("diag2", [peer("diag1", 0, 0, 0, allowed="10.60.0.1/32,10.60.0.3/32")])
                                         .replace("172.30.60.11:51820", "diag1.local:51820"))), None, fleet(), None,
     {("diag1", "diag2"): "up", ("diag1", "diag3"): "up"},
     {("mdns_endpoint", "diag2", None)}),
    ("key-mismatch", key_changed_on_diag2()[0], None, fleet(), None,
     {("diag1", "diag2"): "one-way", ("diag1", "diag3"): "up"},
     {("key_mismatch", "diag2", None)}),
    ("config-drift", healthy(diag3=host("diag3", [peer("diag1", NOW - 34, 1128, 1124, allowed="10.60.0.0/24")],
                                        config=config_text("diag3", [peer("diag1", 0, 0, 0, allowed="10.60.0.0/16", keepalive="25")]))),
     None, fleet(), None,
     {("diag1", "diag2"): "up", ("diag1", "diag3"): "up"},
     {("config_drift", "diag3", None)}),
    ("peer-removed-by-hand", healthy(diag1=host("diag1", [peer("diag2", NOW - 33, 1848, 2000)],
                                                config=config_text("diag1", [peer("diag2", 0, 0, 0), peer("diag3", 0, 0, 0)]))),
     None, fleet(), None,
     {("diag1", "diag2"): "up", ("diag1", "diag3"): "missing"},
     {("peer_missing", "diag1", ("diag1", "diag3")), ("config_drift", "diag1", None)}),
    ("unexpected-peer", healthy(diag2=host("diag2", [peer("diag1", NOW - 33, 2000, 1848, allowed="10.60.0.1/32,10.60.0.3/32"),
                                                     peer("diag4", 0, 0, 0)])), None, fleet(), None,
     {("diag1", "diag2"): "up", ("diag1", "diag3"): "up"},
     {("unexpected_peer", "diag2", None)}),
    ("no-private-key", healthy(diag2=host("diag2", [], dump_text="(none)\t(none)\t0\toff\n")), None, fleet(), None,
     {("diag1", "diag2"): "missing", ("diag1", "diag3"): "up"},
     {("no_private_key", "diag2", None), ("peer_missing", "diag2", ("diag1", "diag2")), ("config_drift", "diag2", None)}),
    ("gateway-without-masquerade", healthy(), None, fleet(dict(INVENTORY, diag1=dict(INVENTORY["diag1"], wireguard_gateway=True))), None,
     {("diag1", "diag2"): "up", ("diag1", "diag3"): "up"},
     {("no_masquerade", "diag1", None)}),
    ("gateway-with-masquerade", healthy(diag1=host("diag1", [peer("diag2", NOW - 33, 1848, 2000), peer("diag3", NOW - 34, 1124, 1128)],
                                                   nat={"iptables": IPTABLES_MASQUERADE, "ip6tables": None, "nft": None})),
     None, fleet(dict(INVENTORY, diag1=dict(INVENTORY["diag1"], wireguard_gateway=True))), None,
     {("diag1", "diag2"): "up", ("diag1", "diag3"): "up"}, set()),
    ("gateway-nft-masquerade", healthy(diag1=host("diag1", [peer("diag2", NOW - 33, 1848, 2000), peer("diag3", NOW - 34, 1124, 1128)],
                                                  nat={"iptables": None, "ip6tables": None, "nft": NFT_MASQUERADE})),
     None, fleet(dict(INVENTORY, diag1=dict(INVENTORY["diag1"], wireguard_gateway=True))), None,
     {("diag1", "diag2"): "up", ("diag1", "diag3"): "up"}, set()),
    ("nat-without-keepalive", healthy(diag1=host("diag1", [peer("diag2", 0, 0, 0), peer("diag3", NOW - 34, 1124, 1128)]),
                                      diag2=host("diag2", [peer("diag1", 0, 0, 0, allowed="10.60.0.1/32,10.60.0.3/32")])),
     None, fleet(nat_inventory()), None,
     {("diag1", "diag2"): "idle", ("diag1", "diag3"): "up"},
     {("nat_no_keepalive", "diag2", ("diag1", "diag2"))}),
    ("unreachable", {h: i for h, i in healthy().items() if h != "diag2"}, None, fleet(), ["diag1", "diag2", "diag3"],
     {("diag1", "diag2"): "up", ("diag1", "diag3"): "up"},
     {("unreachable", "diag2", None)}),
    ("limited-run", {h: i for h, i in healthy().items() if h != "diag2"}, None, fleet(), ["diag1", "diag3"],
     {("diag1", "diag2"): "up", ("diag1", "diag3"): "up"}, set()),
    ("inventory-problem", healthy(), None, {"failed": True, "problems": [
        {"level": "error", "host": "diag2", "variable": "wireguard_endpoint", "message": "raspi.local is an mDNS name",
         "fix": "use an IP address"}]}, None,
     {}, {("inventory", "diag2", None)}),
    ("interface-not-in-inventory", healthy(), None, fleet({h: v for h, v in INVENTORY.items() if h != "diag3"}), None,
     {("diag1", "diag2"): "up"},
     {("unknown_interface", "diag3", None), ("unexpected_peer", "diag1", None)}),
]


@pytest.mark.parametrize("infos, baseline, fleet_result, hosts, want_verdicts, want_faults",
                         [s[1:] for s in SCENARIOS], ids=[s[0] for s in SCENARIOS])
def test_report(infos, baseline, fleet_result, hosts, want_verdicts, want_faults):
    result = status_report.report(infos, fleet_result, baseline, hosts)
    assert verdicts(result) == want_verdicts
    assert faults(result) == want_faults
    assert result["summary"]["errors"] + result["summary"]["warnings"] == len(result["diagnoses"])


def test_the_seeds_faults_at_once_each_on_its_own_host():
    """The molecule scenario's three faults together: each named once, where it is."""
    after, before = firewall_on_diag2()
    after["diag1"] = host("diag1", [peer("diag2", NOW - 97, 2768, 4400), peer("diag3", NOW - 98, 1800, 3000)], forwarding=False)
    after["diag3"] = host("diag3", [], link=None, service=("enabled", "inactive"), sockets="")
    result = status_report.report(after, fleet(), before, ["diag1", "diag2", "diag3"])
    assert verdicts(result) == {("diag1", "diag2"): "one-way", ("diag1", "diag3"): "missing"}
    assert faults(result) == {("firewall", "diag2", ("diag1", "diag2")), ("forwarding_off", "diag1", None),
                              ("interface_down", "diag3", None)}
    text = status_text.render_table("wg0", result["networks"]["wg0"])
    assert "diag2 receives nothing from diag1" in text and "wg0 down on diag3" in text


def test_unmanaged_phone_switched_off_is_not_a_fault():
    inventory = dict(INVENTORY, phone={"wireguard_network": ["10.60.0.0/24"], "wireguard_address": "10.60.0.9",
                                       "wireguard_hub": "diag1", "wireguard_unmanaged": True})
    infos = healthy(diag1=host("diag1", [peer("diag2", NOW - 33, 1848, 2000), peer("diag3", NOW - 34, 1124, 1128),
                                         peer("phone", NOW - 86400, 5000, 7000)]))
    result = status_report.report(infos, fleet(inventory, {("wg0", h): KEY[h] for h in inventory}), None, list(infos))
    assert verdicts(result)[("diag1", "phone")] == "idle"
    assert result["summary"]["errors"] == 0 and result["summary"]["warnings"] == 0
    assert result["networks"]["wg0"]["hosts"]["phone"]["role"] == "spoke"


def test_roles_come_from_the_routes():
    hosts = status_report.report(healthy(), fleet())["networks"]["wg0"]["hosts"]
    assert {h: (v["role"], v["hub"]) for h, v in hosts.items()} == {
        "diag1": ("hub", None), "diag2": ("backbone", None), "diag3": ("spoke", "diag1")}


# ----------------------------------------------------------- host-side facts

@pytest.mark.parametrize("link, want", [
    (LINK_TUN, {"up": True, "implementation": "userspace", "mtu": 1420}),
    (LINK_KERNEL, {"up": True, "implementation": "kernel", "mtu": 1420}),
    (LINK_DOWN, {"up": False, "implementation": "kernel", "mtu": 1420}),
    ([], {"up": False, "implementation": None, "mtu": None}),
])
def test_parse_link(link, want):
    assert status_facts.parse_link(link) == want


@pytest.mark.parametrize("sockets, port, up, want", [
    (SS_UP, 51820, True, []),
    (SS_UP, 51820, False, ["wireguard-go", "wireguard-go"]),
    (SS_CLASH, 51820, False, ["nc"]),
    (SS_CLASH, 51820, True, ["nc"]),
    # the kernel's socket has no process: another interface's when ours is down
    ("UNCONN 0 0 0.0.0.0:51820 0.0.0.0:*\n", 51820, False, [None]),
    ("UNCONN 0 0 0.0.0.0:51820 0.0.0.0:*\n", 51820, True, []),
    (SS_CLASH, 51821, False, []),
    (SS_CLASH, None, False, []),
])
def test_port_holders(sockets, port, up, want):
    assert [s["process"] for s in status_facts.port_holders(status_facts.parse_udp_sockets(sockets), port, up)] == want


@pytest.mark.parametrize("outputs, want", [
    ({"iptables": IPTABLES_DOCKER, "ip6tables": "", "nft": None}, False),
    ({"iptables": IPTABLES_MASQUERADE, "ip6tables": None, "nft": None}, True),
    ({"iptables": None, "ip6tables": None, "nft": NFT_MASQUERADE}, True),
    ({"iptables": None, "ip6tables": None, "nft": None}, None),
])
def test_has_masquerade(outputs, want):
    assert status_facts.has_masquerade(outputs) is want


@pytest.mark.parametrize("config, drift", [
    (config_text("diag3", [peer("diag1", 0, 0, 0, allowed="10.60.0.0/24")]), []),
    (config_text("diag3", [peer("diag1", 0, 0, 0, allowed="10.60.0.0/24")], port=51821), ["listen port: file 51821, live 51820"]),
    (config_text("diag3", [peer("diag1", 0, 0, 0, allowed="10.60.0.0/24")]).replace("10.60.0.3/32", "10.60.0.3/24"),
     ["address 10.60.0.3/24 is in the file but not on the interface", "address 10.60.0.3/32 is on the interface but not in the file"]),
    (config_text("diag3", [peer("diag1", 0, 0, 0, allowed="10.60.0.0/24", keepalive="25")]),
     ["peer %s...: keepalive 25 in the file, off live" % KEY["diag1"][:8]]),
    (config_text("diag3", []), ["peer %s... is live but not in the file" % KEY["diag1"][:8]]),
    (config_text("diag3", [peer("diag1", 0, 0, 0, allowed="10.60.0.0/24"), peer("diag2", 0, 0, 0)]),
     ["peer %s... is in the file but not live" % KEY["diag2"][:8]]),
])
def test_config_drift(config, drift):
    facts = host("diag3", [peer("diag1", NOW - 5, 9, 9, allowed="10.60.0.0/24")], config=config)
    assert facts["interfaces"]["wg0"]["config_drift"] == drift


def test_config_summary_keeps_no_secret():
    text = config_text("diag1", [peer("diag2", 0, 0, 0)]).replace(
        "[Interface]", "[Interface]\nPrivateKey = %s" % private_key("diag1")) + "PresharedKey = %s\n" % PSK
    summary = status_facts.config_summary(text)
    assert summary["peers"][KEY["diag2"]]["allowed_ips"] == ["10.60.0.2/32"]
    assert private_key("diag1") not in json.dumps(summary) and PSK not in json.dumps(summary)


def test_an_unparsable_line_is_not_quoted():
    """The line might hold a secret: only its number is told."""
    summary = status_facts.config_summary("[Interface]\nAddress 10.60.0.1/24\n")
    assert summary["error"] == "line 2 does not parse"


@pytest.mark.parametrize("endpoint, found", [
    ("raspi.local:51820", True), ("RasPi.Local.:51820", True), ("vpn.example.org:51820", False), ("[fd00::1]:51820", False)])
def test_mdns_endpoints(endpoint, found):
    summary = {"peers": {KEY["diag1"]: {"endpoint": endpoint}}}
    assert status_report.mdns_endpoints(summary) == ([(KEY["diag1"], endpoint)] if found else [])


def test_handshake_age_on_the_hosts_clock():
    facts = host("diag3", [peer("diag1", NOW - 42, 9, 9, allowed="10.60.0.0/24")], now=NOW)
    assert facts["interfaces"]["wg0"]["peers"][KEY["diag1"]]["handshake_age"] == 42
    assert status_facts.handshake_age(NOW, 0) is None


def test_no_private_or_preshared_key_in_anything_the_report_gives():
    infos = healthy(diag1=host("diag1", [peer("diag2", NOW - 33, 1848, 2000, psk=PSK), peer("diag3", NOW - 34, 1124, 1128)]))
    result = status_report.report(infos, fleet())
    rendered = json.dumps([infos, result]) + status_text.render_table("wg0", result["networks"]["wg0"]) + status_svg.render(
        "wg0", result["networks"]["wg0"], result["diagnoses"])
    leaked = [k for k in [private_key(h) for h in ("diag1", "diag2", "diag3")] + [PSK] if k in rendered]
    assert leaked == []
    assert infos["diag1"]["interfaces"]["wg0"]["peers"][KEY["diag2"]]["has_preshared_key"] is True


# --------------------------------------------------------------- presentation

def test_probe_targets_are_the_direct_peers_tunnel_addresses():
    plan_ = fleet()["plan"]
    assert status_report.probe_targets(plan_, "diag1") == ["10.60.0.2", "10.60.0.3"]
    assert status_report.probe_targets(plan_, "diag3") == ["10.60.0.1"]
    assert status_report.probe_targets(plan_, "nobody") == []


def test_table_lists_every_link_with_its_verdict():
    after, before = firewall_on_diag2()
    text = status_text.render_table("wg0", status_report.report(after, fleet(), before)["networks"]["wg0"])
    lines = text.splitlines()
    assert lines[0] == "wg0: 2 links: 1 up, 1 one-way"
    assert lines[2].split()[:4] == ["diag1", "-", "diag2", "one-way"]
    assert lines[3].split()[:4] == ["diag1", "-", "diag3", "up"]


# the colours docs/status.md tells readers, written out here rather than read from status_svg
GREEN, ORANGE, RED, PURPLE, GREY, LIGHT_GREY, DARK_GREY = (
    "#2e7d32", "#ef6c00", "#c62828", "#8e24aa", "#78909c", "#bdbdbd", "#37474f")


def test_svg_is_well_formed_and_colors_each_link_by_verdict():
    after, before = firewall_on_diag2()
    after["diag3"] = host("diag3", [], link=None, service=("enabled", "inactive"), sockets="")
    result = status_report.report(after, fleet(), before)
    svg = status_svg.render("wg0", result["networks"]["wg0"], result["diagnoses"], "2026-11-25T02:10:15Z")
    root = ET.fromstring(svg.split("?>", 1)[1])
    ns = {"s": "http://www.w3.org/2000/svg"}
    links = {g.get("data-verdict"): g.find("s:line", ns).get("stroke") for g in root.iterfind("s:g[@class='link']", ns)}
    assert links == {"one-way": PURPLE, "missing": RED}
    # a fault outlines its host in red; diag1 has none
    hosts = {g.get("data-host"): g.find("s:circle", ns).get("stroke") for g in root.iterfind("s:g[@class='host']", ns)}
    assert hosts == {"diag1": DARK_GREY, "diag2": RED, "diag3": RED}
    # the legend draws every verdict in the colour its links get
    legend = {}
    for line in root.iterfind("s:line", ns):
        label = [t for t in root.iterfind("s:text", ns) if float(t.get("x")) == float(line.get("x2")) + 6]
        legend[label[0].text if label else None] = line.get("stroke")
    assert legend == {"up": GREEN, "idle": GREY, "stale": ORANGE, "never": RED, "one-way": PURPLE, "missing": RED,
                      "unknown": LIGHT_GREY}


def test_svg_escapes_names():
    name = "a<b>&c \"d\""
    network = {"hosts": {name: {"role": "backbone", "addresses": []}}, "links": []}
    svg = status_svg.render("wg0", network, [], None)
    assert "a<b>" not in svg
    root = ET.fromstring(svg.split("?>", 1)[1])
    ns = {"s": "http://www.w3.org/2000/svg"}
    (node,) = root.iterfind("s:g[@class='host']", ns)
    assert node.get("data-host") == name
    assert [t.text for t in node.iterfind("s:text", ns)][0] == name


SITE_INVENTORY = {h: dict(v, wireguard_site="lab", wireguard_site_endpoint="172.31.60.%d" % (10 + i))
                  for i, (h, v) in enumerate(sorted(INVENTORY.items()), start=1) if h != "diag3"}
SITE_INVENTORY["diag3"] = INVENTORY["diag3"]


def site_peer(other, *args, **kwargs):
    """A peer heard from at its site address (172.31.60.x) instead of 172.30.60.x."""
    fields = list(peer(other, *args, **kwargs))
    fields[2] = fields[2].replace("172.30.60.", "172.31.60.")
    return tuple(fields)


@pytest.mark.parametrize("diag1_sees_diag2, want_path, want_flag", [
    (site_peer, "site", False),
    (peer, "public", True),
], ids=["site-path", "public-path-in-site"])
def test_link_path_site_or_public(diag1_sees_diag2, want_path, want_flag):
    infos = healthy(diag1=host("diag1", [diag1_sees_diag2("diag2", NOW - 33, 1848, 2000), peer("diag3", NOW - 34, 1124, 1128)]),
                    diag2=host("diag2", [site_peer("diag1", NOW - 33, 2000, 1848, allowed="10.60.0.1/32,10.60.0.3/32")]))
    result = status_report.report(infos, fleet(SITE_INVENTORY), None, list(infos))
    paths = {tuple(link["hosts"]): link["path"] for link in result["networks"]["wg0"]["links"]}
    assert paths == {("diag1", "diag2"): want_path, ("diag1", "diag3"): "public"}
    flagged = {(d["kind"], d["host"], tuple(d["link"])) for d in result["diagnoses"] if d["kind"] == "public_path_in_site"}
    assert flagged == ({("public_path_in_site", "diag1", ("diag1", "diag2"))} if want_flag else set())
    text = status_text.render_table("wg0", result["networks"]["wg0"])
    assert re.search(r"diag1 - diag2 +up +%s " % want_path, text), text


# Every form of wireguard_site_endpoint, for diag1 (n=11) and diag2 (n=12):
# (the form, what each host's resolver answers for the other's name, the live
# endpoint wg shows for the other, the link's path)
SITE_ENDPOINT_FORMS = {
    "ipv4": ("172.31.60.{n}", None, "172.31.60.{n}:51820", "site"),
    "ipv4-port": ("172.31.60.{n}:51820", None, "172.31.60.{n}:51820", "site"),
    "ipv6-brackets-port": ("[fd31::{n}]:51820", None, "[fd31::{n}]:51820", "site"),
    "ipv6-brackets-uncompressed": ("[FD31:0:0::{n}]", None, "[fd31::{n}]:51820", "site"),
    "ipv6-bare": ("fd31::{n}", None, "[fd31::{n}]:51820", "site"),
    "ipv6-heard-as-ipv4-mapped": ("172.31.60.{n}", None, "[::ffff:172.31.60.{n}]:51820", "site"),
    "name": ("{host}.lab", ["172.31.60.{n}"], "172.31.60.{n}:51820", "site"),
    "name-port": ("{host}.lab:51820", ["172.31.60.{n}"], "172.31.60.{n}:51820", "site"),
    "name-fqdn": ("{host}.lab.example.org.", ["fd31::{n}", "172.31.60.{n}"], "[fd31::{n}]:51820", "site"),
    # heard from at its public address although the name stands for its site address
    "name-public": ("{host}.lab", ["172.31.60.{n}"], "172.30.60.{n}:51820", "public"),
    "ipv6-public": ("[fd31::{n}]:51820", None, "172.30.60.{n}:51820", "public"),
    # the hosts cannot resolve the name: which path it is cannot be told
    "name-unresolved": ("{host}.lab", [], "172.31.60.{n}:51820", None),
}


def site_form(form, host_name, n):
    return form.format(host=host_name, n=n)


@pytest.mark.parametrize("form", sorted(SITE_ENDPOINT_FORMS))
def test_link_path_for_every_site_endpoint_form(form):
    """wg shows where a peer is as an address (IPv6 in brackets, compressed);
    the site endpoint as written may be a name, or an address written
    another way: compared as addresses, a name as the dialling host resolved
    it (the info module's ``resolved``, read from its wg-quick file)."""
    template, answer, live, want_path = SITE_ENDPOINT_FORMS[form]
    number = {"diag1": 11, "diag2": 12}
    inventory = dict(INVENTORY)
    for name, n in number.items():
        inventory[name] = dict(INVENTORY[name], wireguard_site="lab", wireguard_site_endpoint=site_form(template, name, n))
    planned = fleet(inventory)
    infos = healthy()
    views = {"diag1": [peer("diag2", NOW - 33, 1848, 2000), peer("diag3", NOW - 34, 1124, 1128)],
             "diag2": [peer("diag1", NOW - 33, 2000, 1848, allowed="10.60.0.1/32,10.60.0.3/32")]}
    for name, other in (("diag1", "diag2"), ("diag2", "diag1")):
        def toward_other(p, value):
            return p[:2] + (value,) + p[3:] if p[0] == KEY[other] else p
        dialled = next(p["endpoint"] for p in planned["plan"][name]["wg0"]["peers"] if p["name"] == other)
        # the file holds the endpoint as planned; the dump, the address wg dials or last heard the peer from
        facts = host(name, [toward_other(p, site_form(live, other, number[other])) for p in views[name]],
                     config=config_text(name, [toward_other(p, dialled) for p in views[name]]))
        names = status_facts.endpoint_names(facts["interfaces"])
        assert names == ([] if answer is None else [endpoint.parse(dialled)[0]])
        facts["resolved"] = {n: [site_form(a, other, number[other]) for a in answer] for n in names}
        infos[name] = facts
    result = status_report.report(infos, planned, None, list(infos))
    paths = {tuple(link["hosts"]): link["path"] for link in result["networks"]["wg0"]["links"]}
    assert paths == {("diag1", "diag2"): want_path, ("diag1", "diag3"): "public"}
    flagged = {d["host"] for d in result["diagnoses"] if d["kind"] == "public_path_in_site"}
    assert flagged == ({"diag1", "diag2"} if want_path == "public" else set())


def test_a_networkmanager_spoke_is_judged_by_its_connection_and_fixed_with_nmcli():
    """diag3 keeps wg0 as a NetworkManager connection (backend networkmanager):
    an active connection with autoconnect is healthy, with no wg-quick@wg0
    warnings; a down one is fixed with nmcli, not systemctl."""
    def nm_host(link, active):
        info = host("diag3", [peer("diag1", NOW - 34, 1128, 1124, allowed="10.60.0.0/24")] if link else [], link=link,
                    sockets=SS_UP if link else "")
        info["interfaces"]["wg0"]["service"] = {"unit": "NetworkManager connection wg0", "backend": "networkmanager",
                                                "enabled": "enabled", "active": active}
        return info

    result = status_report.report(healthy(diag3=nm_host(LINK_TUN, "active")), fleet(), None, None)
    assert faults(result) == set()
    result = status_report.report(healthy(diag3=nm_host(None, "inactive")), fleet(), None, None)
    assert faults(result) == {("interface_down", "diag3", None)}
    fix = [d["fix"] for d in result["diagnoses"] if d["kind"] == "interface_down"][0]
    assert fix.startswith("nmcli connection up wg0") and "systemctl" not in fix
