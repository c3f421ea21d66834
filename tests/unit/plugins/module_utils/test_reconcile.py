"""The live reconciliation plan (module_utils/reconcile.py): a recorded
`wg show wg0 dump` plus the desired config in, the exact commands out."""

import json

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils import reconcile, wg_config
from ansible_collections.fleetnet.wireguard.plugins.module_utils.wg_dump import parse_dump

# Public keys of a three-node mesh (molecule/changes, chg1-chg3); the private
# key field is wg(8)'s man-page example key, as the real one is never kept.
ME = "ePOU/RjtO9LbHOM0NgbV1c6WCMCCaFxEd/R78uPP9zg="
CHG2 = "naWW/ku9qt1zSC9wJm7JMF+uuYyr38lagpGL5peW/1I="
CHG3 = "mi9X1gZM/BKnebRgYLsk2Hq1tMQePRsBiGSYhtvdqBM="
CHG4 = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
OTHER = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0="
DOC_PRIVATE = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
KEY_PATH = "/etc/wireguard/wg0.key"

# `wg show wg0 dump` on chg1 after a ping to each peer, keepalive 25 on chg3
DUMP = (
    DOC_PRIVATE + "\t" + ME + "\t51820\toff\n"
    + CHG2 + "\t(none)\t172.30.50.12:51820\t10.50.0.2/32\t1795572312\t220\t276\toff\n"
    + CHG3 + "\t(none)\t172.30.50.13:51820\t10.50.0.3/32\t1795572312\t220\t308\t25\n"
)
# chg2 behind NAT: it roamed to another source port; chg3 has not spoken yet
DUMP_ROAMED = (
    DOC_PRIVATE + "\t" + ME + "\t51820\toff\n"
    + CHG2 + "\t(none)\t198.51.100.9:40711\t10.50.0.2/32\t1795572312\t220\t276\toff\n"
    + CHG3 + "\t(none)\t(none)\t10.50.0.3/32\t0\t0\t0\toff\n"
)
DUMP_TWO_PREFIXES = DUMP.replace("\t10.50.0.2/32\t", "\t10.50.0.2/32,10.51.0.0/24\t")
# an interface that came up without its key (the PostUp that loads it failed)
DUMP_NO_KEY = "(none)\t(none)\t41235\toff\n"

# `ip -j address show dev wg0` and `ip -4 -j route show table all dev wg0` on chg1
IP_ADDRESS = json.dumps([{"ifindex": 2, "ifname": "wg0", "mtu": 1420, "addr_info": [
    {"family": "inet", "local": "10.50.0.1", "prefixlen": 24, "scope": "global", "label": "wg0"}]}])
IP_ROUTES_4 = json.dumps([
    {"dst": "10.50.0.0/24", "protocol": "kernel", "scope": "link", "prefsrc": "10.50.0.1", "flags": []},
    {"dst": "10.51.0.0/24", "scope": "link", "flags": []},
    {"type": "local", "dst": "10.50.0.1", "table": "local", "protocol": "kernel", "scope": "host", "prefsrc": "10.50.0.1", "flags": []},
    {"type": "broadcast", "dst": "10.50.0.255", "table": "local", "protocol": "kernel", "scope": "link", "prefsrc": "10.50.0.1", "flags": []},
])
IP_LINK = json.dumps([{"ifindex": 2, "ifname": "wg0", "mtu": 1420, "operstate": "UNKNOWN"}])

CONNECTED = {"dst": "10.50.0.0/24", "table": "main", "kernel": True}
ROUTE_51 = {"dst": "10.51.0.0/24", "table": "main", "kernel": False}
ROUTE_51_T = {"dst": "10.51.0.0/24", "table": "1234", "kernel": False}


def config(peers=(), **interface):
    """The desired wg-quick config of chg1, as interface_config builds it."""
    iface = {"Address": ["10.50.0.1/24"], "ListenPort": "51820", "PostUp": ["wg set %i private-key " + KEY_PATH]}
    iface.update(interface)
    sections = []
    for key, allowed, endpoint, keepalive in peers:
        sections.append(wg_config.Section(wg_config.PEER, {"PublicKey": key, "Endpoint": endpoint,
                                                           "AllowedIPs": allowed, "PersistentKeepalive": keepalive}))
    return wg_config.WgConfig(wg_config.Section(wg_config.INTERFACE, iface), sections)


P2 = (CHG2, ["10.50.0.2/32"], "172.30.50.12:51820", None)
P3 = (CHG3, ["10.50.0.3/32"], "172.30.50.13:51820", "25")
P4 = (CHG4, ["10.50.0.4/32"], "172.30.50.14:51820", None)


def wg(*args):
    return ["wg", "set", "wg0"] + list(args)


def argvs(commands):
    return [command[0] for command in commands]


@pytest.mark.parametrize("dump, peers, expected", [
    (DUMP, [P2, P3], []),
    (DUMP, [P2, P3, P4],
     [wg("peer", CHG4, "allowed-ips", "10.50.0.4/32", "endpoint", "172.30.50.14:51820", "persistent-keepalive", "0")]),
    (DUMP, [P2], [wg("peer", CHG3, "remove")]),
    (DUMP, [(CHG2, ["10.50.0.2/32", "10.51.0.0/24"], "172.30.50.12:51820", None), P3],
     [wg("peer", CHG2, "allowed-ips", "10.50.0.2/32,10.51.0.0/24")]),
    # same set, other order and host bits set: wg stores it normalized, nothing to do
    (DUMP_TWO_PREFIXES, [(CHG2, ["10.51.0.9/24", "10.50.0.2/32"], "172.30.50.12:51820", None), P3], []),
    (DUMP_TWO_PREFIXES, [P2, P3], [wg("peer", CHG2, "allowed-ips", "10.50.0.2/32")]),
    (DUMP, [P2, (CHG3, ["10.50.0.3/32"], "172.30.50.13:51820", None)], [wg("peer", CHG3, "persistent-keepalive", "0")]),
    (DUMP, [(CHG2, ["10.50.0.2/32"], "172.30.50.12:51820", "25"), P3], [wg("peer", CHG2, "persistent-keepalive", "25")]),
    (DUMP, [(CHG2, ["10.50.0.2/32"], "172.30.50.12:51820", "off"), P3], []),
    (DUMP, [(CHG2, ["10.50.0.2/32"], "172.30.50.99:51820", None), P3], [wg("peer", CHG2, "endpoint", "172.30.50.99:51820")]),
    (DUMP, [(CHG2, ["10.50.0.2/32"], "172.30.50.12:51821", None), P3], [wg("peer", CHG2, "endpoint", "172.30.50.12:51821")]),
    # no endpoint configured: wherever the peer roamed to is right, never flapped back
    (DUMP_ROAMED, [(CHG2, ["10.50.0.2/32"], None, None), (CHG3, ["10.50.0.3/32"], None, None)], []),
    # a configured endpoint the peer never answered from yet is (re)set
    (DUMP_ROAMED, [(CHG2, ["10.50.0.2/32"], None, None), (CHG3, ["10.50.0.3/32"], "172.30.50.13:51820", None)],
     [wg("peer", CHG3, "endpoint", "172.30.50.13:51820")]),
    # a key rotation: the new key is added (taking over the prefix) before the old one goes
    (DUMP, [P2, (CHG4, ["10.50.0.3/32"], "172.30.50.13:51820", "25")],
     [wg("peer", CHG4, "allowed-ips", "10.50.0.3/32", "endpoint", "172.30.50.13:51820", "persistent-keepalive", "25"),
      wg("peer", CHG3, "remove")]),
    # removals in key order, so the plan is the same on every run
    (DUMP, [], [wg("peer", CHG3, "remove"), wg("peer", CHG2, "remove")]),
], ids=["unchanged", "add-peer", "remove-peer", "allowed-ips-added", "allowed-ips-same-set", "allowed-ips-removed",
        "keepalive-off", "keepalive-on", "keepalive-written-off", "endpoint-moved", "endpoint-port", "roamed-no-endpoint",
        "endpoint-never-seen", "rotated-key-add-before-remove", "remove-all"])
def test_peer_commands(dump, peers, expected):
    assert argvs(reconcile.peer_commands("wg0", parse_dump(dump), config(peers))) == expected


@pytest.mark.parametrize("endpoint, answers, expected", [
    ("vps2.example.net:51820", ["172.30.50.12"], []),
    ("vps2.example.net:51820", ["172.30.50.77"], [wg("peer", CHG2, "endpoint", "vps2.example.net:51820")]),
    ("vps2.example.net:51821", ["172.30.50.12"], [wg("peer", CHG2, "endpoint", "vps2.example.net:51821")]),
    # cannot resolve here: do not flap the live endpoint
    ("vps2.example.net:51820", [], []),
], ids=["name-resolves-to-live", "name-moved", "name-other-port", "name-unresolvable"])
def test_endpoint_names_compare_by_address(endpoint, answers, expected):
    new = config([(CHG2, ["10.50.0.2/32"], endpoint, None), P3])
    asked = []

    def resolve(name):
        asked.append(name)
        return answers

    assert argvs(reconcile.peer_commands("wg0", parse_dump(DUMP), new, resolve)) == expected
    assert asked == ["vps2.example.net"]


@pytest.mark.parametrize("dump, public_key, port, expected", [
    (DUMP, ME, "51820", []),
    (DUMP, ME, "51821", [wg("listen-port", "51821")]),
    (DUMP, ME, None, []),
    # the file's key is another one (rotated): load it
    (DUMP, CHG4, "51820", [wg("private-key", KEY_PATH)]),
    (DUMP_NO_KEY, ME, "51820", [wg("private-key", KEY_PATH), wg("listen-port", "51820")]),
], ids=["same", "listen-port", "random-port-kept", "private-key-mismatch", "no-private-key"])
def test_interface_commands(dump, public_key, port, expected):
    new = config([], ListenPort=port)
    assert argvs(reconcile.interface_commands("wg0", parse_dump(dump), new, public_key, KEY_PATH)) == expected


@pytest.mark.parametrize("current, wanted, expected", [
    (["10.50.0.1/24"], ["10.50.0.1/24"], []),
    (["10.50.0.1/24"], ["10.50.0.1/24", "fd50::1/64"], [["ip", "address", "add", "fd50::1/64", "dev", "wg0"]]),
    (["10.50.0.1/24", "fd50::1/64"], ["10.50.0.1/24"], [["ip", "address", "del", "fd50::1/64", "dev", "wg0"]]),
    # renumbered: the new address comes before the old one goes
    (["10.50.0.1/24"], ["10.50.0.11/24"], [["ip", "address", "add", "10.50.0.11/24", "dev", "wg0"],
                                           ["ip", "address", "del", "10.50.0.1/24", "dev", "wg0"]]),
    (["10.50.0.1/24"], ["10.50.0.1/16"], [["ip", "address", "add", "10.50.0.1/16", "dev", "wg0"],
                                          ["ip", "address", "del", "10.50.0.1/24", "dev", "wg0"]]),
], ids=["same", "add-v6", "del-v6", "renumber", "prefix-length"])
def test_address_commands(current, wanted, expected):
    assert argvs(reconcile.address_commands("wg0", current, config([], Address=wanted))) == expected


@pytest.mark.parametrize("current, mtu, expected", [
    (1420, None, []),
    (1420, "1420", []),
    (1420, "1380", [["ip", "link", "set", "mtu", "1380", "dev", "wg0"]]),
], ids=["unset-kept", "same", "changed"])
def test_mtu_commands(current, mtu, expected):
    assert argvs(reconcile.mtu_commands("wg0", current, config([], MTU=mtu))) == expected


def route(*args):
    return ["ip"] + list(args)


@pytest.mark.parametrize("routes, peers, table, expected", [
    # host prefixes inside the Address's connected route get no route of their own
    ([CONNECTED], [P2, P3], None, []),
    ([CONNECTED], [(CHG2, ["10.50.0.2/32", "10.51.0.0/24"], None, None), P3], None,
     [route("-4", "route", "add", "10.51.0.0/24", "dev", "wg0")]),
    ([CONNECTED, ROUTE_51], [(CHG2, ["10.50.0.2/32", "10.51.0.0/24"], None, None), P3], None, []),
    ([CONNECTED, ROUTE_51], [P2, P3], None, [route("-4", "route", "del", "10.51.0.0/24", "dev", "wg0")]),
    # the prefix moved to another peer: the route stays
    ([CONNECTED, ROUTE_51], [P2, (CHG3, ["10.50.0.3/32", "10.51.0.0/24"], None, None)], None, []),
    ([CONNECTED], [(CHG2, ["10.50.0.2/32", "fd51::/64"], None, None)], None,
     [route("-6", "route", "add", "fd51::/64", "dev", "wg0")]),
    # a default route is wg-quick's business (fwmark and rules): never a plain route
    ([CONNECTED], [(CHG2, ["0.0.0.0/0"], None, None)], None, []),
    ([CONNECTED, ROUTE_51], [P2], "off", []),
    ([CONNECTED], [(CHG2, ["10.51.0.0/24"], None, None)], "off", []),
    ([CONNECTED], [(CHG2, ["10.51.0.0/24"], None, None)], "1234",
     [route("-4", "route", "add", "10.51.0.0/24", "dev", "wg0", "table", "1234")]),
    # Table = N: like wg-quick, every prefix gets a route in N (the connected
    # route is in main and covers nothing there); main is not ours to clean
    ([CONNECTED, ROUTE_51], [P2], "1234", [route("-4", "route", "add", "10.50.0.2/32", "dev", "wg0", "table", "1234")]),
    ([CONNECTED, ROUTE_51_T], [], "1234", [route("-4", "route", "del", "10.51.0.0/24", "dev", "wg0", "table", "1234")]),
    ([CONNECTED, ROUTE_51_T], [(CHG2, ["10.51.0.0/24"], None, None)], "1234", []),
    # a kernel route is never removed
    ([CONNECTED], [], None, []),
], ids=["covered-by-connected", "add", "present", "stale-removed", "moved-to-other-peer", "add-v6",
        "default-route-not-plain", "table-off-no-removal", "table-off-no-add", "table-number-add",
        "table-number-host-route-main-untouched", "table-number-stale", "table-number-present", "kernel-kept"])
def test_route_commands(routes, peers, table, expected):
    new = config(peers, Table=table)
    assert argvs(reconcile.route_commands("wg0", routes, new)) == expected


def test_route_commands_only_touches_the_named_prefixes():
    stale = {"dst": "10.52.0.0/24", "table": "main", "kernel": False}
    new = config([(CHG2, ["10.51.0.0/24"], None, None), (CHG3, ["10.53.0.0/24"], None, None)])
    assert argvs(reconcile.route_commands("wg0", [CONNECTED, stale], new, only=["10.51.0.0/24"])) == [
        route("-4", "route", "add", "10.51.0.0/24", "dev", "wg0")]
    assert argvs(reconcile.route_commands("wg0", [CONNECTED, stale], new, only=["10.52.0.0/24"])) == [
        route("-4", "route", "del", "10.52.0.0/24", "dev", "wg0")]


@pytest.mark.parametrize("change, expected", [
    ({}, None),
    ({"PostUp": ["wg set %i private-key " + KEY_PATH, "iptables -A FORWARD -i %i -j ACCEPT"]}, "PostUp changed"),
    ({"PreUp": ["true"]}, "PreUp changed"),
    ({"PostDown": ["iptables -D FORWARD -i %i -j ACCEPT"]}, "PostDown changed"),
    ({"DNS": ["10.50.0.53"]}, "DNS changed"),
    ({"Table": "off"}, "Table changed"),
    ({"FwMark": "0xca6c"}, "FwMark changed"),
    # live-applicable: not a reason
    ({"MTU": "1380", "ListenPort": "51821", "Address": ["10.50.0.1/16"]}, None),
], ids=["nothing", "hook-added", "pre-up", "post-down", "dns", "table", "fwmark", "live-changes"])
def test_restart_reason_interface(change, expected):
    assert reconcile.restart_reason(config([P2, P3]), config([P2, P3], **change)) == expected


@pytest.mark.parametrize("old, new, expected", [
    ([P2, P3], [P2, P3, P4], None),
    ([P2, P3], [P2], None),
    ([P2], [(CHG2, ["0.0.0.0/0"], None, None)], "a default route (/0) in AllowedIPs appeared or went away"),
    ([(CHG2, ["::/0"], None, None)], [P2], "a default route (/0) in AllowedIPs appeared or went away"),
    ([(CHG2, ["0.0.0.0/0"], None, None)], [(CHG3, ["0.0.0.0/0"], None, None)], None),
], ids=["peer-added", "peer-removed", "default-route-appears", "v6-default-goes", "default-route-moves"])
def test_restart_reason_default_route(old, new, expected):
    assert reconcile.restart_reason(config(old), config(new)) == expected


def test_no_old_config_needs_no_restart():
    assert reconcile.restart_reason(None, config([P2])) is None


def test_whole_plan_in_order_interface_peers_addresses_mtu_routes():
    live = parse_dump(DUMP)
    new = config([(CHG2, ["10.50.0.2/32", "10.51.0.0/24"], "172.30.50.12:51820", None), P4],
                 Address=["10.50.0.1/24", "fd50::1/64"], MTU="1380", ListenPort="51821")
    commands = reconcile.plan("wg0", live, new, CHG4, KEY_PATH, ["10.50.0.1/24"], [CONNECTED], 1420)
    assert argvs(commands) == [
        wg("private-key", KEY_PATH),
        wg("listen-port", "51821"),
        wg("peer", CHG2, "allowed-ips", "10.50.0.2/32,10.51.0.0/24"),
        wg("peer", CHG4, "allowed-ips", "10.50.0.4/32", "endpoint", "172.30.50.14:51820", "persistent-keepalive", "0"),
        wg("peer", CHG3, "remove"),
        ["ip", "address", "add", "fd50::1/64", "dev", "wg0"],
        ["ip", "link", "set", "mtu", "1380", "dev", "wg0"],
        route("-4", "route", "add", "10.51.0.0/24", "dev", "wg0"),
    ]
    # every step says what it does, naming public keys only
    assert [command[1] for command in commands][:5] == [
        "load the private key (sessions restart)", "listen on port 51821",
        "update peer %s" % CHG2, "add peer %s" % CHG4, "remove peer %s" % CHG3]


def test_a_converged_interface_plans_nothing():
    live = parse_dump(DUMP)
    assert reconcile.plan("wg0", live, config([P2, P3]), ME, KEY_PATH, ["10.50.0.1/24"], [CONNECTED], 1420) == []


def test_parse_live_reads_recorded_outputs_and_drops_the_private_key():
    outputs = {"dump": DUMP, "addresses": IP_ADDRESS, "routes4": IP_ROUTES_4, "routes6": "[]", "link": IP_LINK}
    state, addresses, routes, mtu = reconcile.parse_live(outputs)
    assert DOC_PRIVATE not in repr(state)
    assert state["has_private_key"] and state["public_key"] == ME and state["listen_port"] == 51820
    assert state["peers"][CHG3]["persistent_keepalive"] == 25 and state["peers"][CHG2]["persistent_keepalive"] is None
    assert addresses == ["10.50.0.1/24"]
    # local and broadcast entries of the local table are not routes we manage
    assert routes == [CONNECTED, ROUTE_51]
    assert mtu == 1420
    assert set(reconcile.live_reads("wg0")) == set(outputs)
