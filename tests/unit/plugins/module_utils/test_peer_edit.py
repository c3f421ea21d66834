"""One peer edited in a wg-quick file, and its live plan (module_utils/peer_edit.py)."""

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils import interface_config, peer_edit, wg_config
from ansible_collections.fleetnet.wireguard.plugins.module_utils.peer_edit import PeerError, edit, request
from ansible_collections.fleetnet.wireguard.plugins.module_utils.wg_dump import parse_dump

CHG2 = "naWW/ku9qt1zSC9wJm7JMF+uuYyr38lagpGL5peW/1I="
CHG3 = "mi9X1gZM/BKnebRgYLsk2Hq1tMQePRsBiGSYhtvdqBM="
CHG4 = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
LAPTOP = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0="
ME = "ePOU/RjtO9LbHOM0NgbV1c6WCMCCaFxEd/R78uPP9zg="
PSK = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="
DOC_PRIVATE = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
KEY_PATH = "/etc/wireguard/wg0.key"


def peer(name, key, address, endpoint=None, keepalive=None, extra=()):
    return {"name": name, "public_key": key, "endpoint": endpoint,
            "allowed_ips": [address] + list(extra), "persistent_keepalive": keepalive}


PEERS = {
    "chg2": peer("chg2", CHG2, "10.50.0.2/32", "172.30.50.12:51820"),
    "chg3": peer("chg3", CHG3, "10.50.0.3/32", "172.30.50.13:51820"),
    "chg4": peer("chg4", CHG4, "10.50.0.4/32", "172.30.50.14:51820"),
}


def role_file(*names, **changes):
    """chg1's wg0.conf exactly as the role writes it for these peers."""
    peers = [dict(PEERS[n], **changes.get(n, {})) for n in names]
    desired = {"name": "wg0", "addresses": ["10.50.0.1/24"], "listen_port": 51820, "peers": peers}
    return interface_config.render(desired, KEY_PATH)


def req(key, **options):
    return request(key, **options)


# A hand-written hub in the style of the seed talk: comments inside sections,
# a PSK, hooks, repeated Address lines, odd spacing.
HAND = """\
[Interface]
Address = 10.10.0.1/24
Address = fd86:ea04:1111::1/64
ListenPort = 51820
PostUp = wg set %i private-key <(cat /etc/wireguard/privatekey)

[Peer]
# terminal 2
PublicKey = {laptop}
AllowedIPs = 10.10.0.2/32,fd86:ea04:1111::2/128
PersistentKeepAlive = 25

[Peer]
# VPS 3
PublicKey = {chg3}
PresharedKey = {psk}
Endpoint = 203.0.113.3:51820
AllowedIPs = 10.10.0.3/32,   fd86:ea04:1111::3/128   # v4 and v6
""".format(laptop=LAPTOP, chg3=CHG3, psk=PSK)


# --- the file ---------------------------------------------------------------

@pytest.mark.parametrize("options", [
    {},
    {"allowed_ips": ["10.50.0.3/32"], "endpoint": "172.30.50.13:51820", "name": "chg3"},
    {"allowed_ips": ["10.50.0.3"]},
    {"endpoint": "172.30.50.13"},
    {"persistent_keepalive": 0},
], ids=["nothing-given", "all-as-they-are", "host-address-is-a-32", "default-port", "keepalive-already-off"])
def test_an_edit_that_changes_nothing_leaves_the_file_byte_for_byte(options):
    text = role_file("chg2", "chg3")
    assert edit(text, req(CHG3, **options)) == (text, None)


def test_add_gives_what_the_role_would_write():
    text = role_file("chg2", "chg3")
    new, what = edit(text, req(CHG4, allowed_ips=["10.50.0.4/32"], endpoint="172.30.50.14:51820", name="chg4"))
    assert what == "added"
    assert new == role_file("chg2", "chg3", "chg4")


@pytest.mark.parametrize("gone, left", [
    ("chg4", ("chg2", "chg3")),
    ("chg3", ("chg2", "chg4")),
    ("chg2", ("chg3", "chg4")),
], ids=["last", "middle", "first"])
def test_remove_gives_what_the_role_would_write(gone, left):
    text = role_file("chg2", "chg3", "chg4")
    new, what = edit(text, req(PEERS[gone]["public_key"]), "absent")
    assert what == "removed"
    assert new == role_file(*left)


def test_add_then_remove_is_the_original_file():
    text = role_file("chg2", "chg3")
    added = edit(text, req(LAPTOP, allowed_ips=["10.60.0.9/32"], persistent_keepalive=25, name="laptop"))[0]
    assert edit(added, req(LAPTOP), "absent") == (text, "removed")


def test_removing_a_peer_that_is_not_there_changes_nothing():
    text = role_file("chg2")
    assert edit(text, req(CHG4), "absent") == (text, None)


@pytest.mark.parametrize("options, changes", [
    ({"allowed_ips": ["10.50.0.3/32", "10.51.0.0/24"]}, {"allowed_ips": ["10.50.0.3/32", "10.51.0.0/24"]}),
    ({"allowed_ips": ["10.50.0.3/32,10.51.0.0/24"]}, {"allowed_ips": ["10.50.0.3/32", "10.51.0.0/24"]}),
    ({"endpoint": "172.30.50.99:51821"}, {"endpoint": "172.30.50.99:51821"}),
    ({"persistent_keepalive": 25}, {"persistent_keepalive": 25}),
    ({"allowed_ips": []}, {"allowed_ips": []}),
], ids=["allowed-ips", "comma-list", "endpoint", "keepalive", "allowed-ips-emptied"])
def test_update_rewrites_only_that_peer(options, changes):
    text = role_file("chg2", "chg3", "chg4")
    new, what = edit(text, req(CHG3, **options))
    assert what == "updated"
    expected = dict(PEERS["chg3"], **changes)
    expected["allowed_ips"] = [p for p in expected["allowed_ips"] if p]
    assert new == interface_config.render({"name": "wg0", "addresses": ["10.50.0.1/24"], "listen_port": 51820,
                                           "peers": [PEERS["chg2"], expected, PEERS["chg4"]]}, KEY_PATH)


def test_options_left_out_keep_their_values_and_empty_ones_remove_them():
    text = role_file("chg2", "chg3", chg3={"persistent_keepalive": 25})
    new = edit(text, req(CHG3, endpoint="", persistent_keepalive=0))[0]
    section = wg_config.parse(new).peer(CHG3)
    assert section.as_dict() == {"PublicKey": CHG3, "AllowedIPs": ["10.50.0.3/32"]}


def test_keepalive_off_is_read_as_wg_reads_it():
    text = role_file("chg2") + "\n[Peer]\nPublicKey = %s\nPersistentKeepalive = off\n" % CHG3
    assert edit(text, req(CHG3, persistent_keepalive=0)) == (text, None)
    assert peer_edit.describe(text, CHG3)["persistent_keepalive"] == 0


def test_renaming_rewrites_the_label_line_only():
    text = role_file("chg2", "chg3")
    new, what = edit(text, req(CHG3, name="vps3"))
    assert what == "updated"
    assert new == text.replace("# chg3\n", "# vps3\n")


def test_a_hand_written_file_keeps_everything_but_the_edited_lines():
    new, what = edit(HAND, req(CHG3, endpoint="203.0.113.33:51820"))
    assert what == "updated"
    # comments, spacing, the PSK and the other peer are untouched: one line differs
    assert new == HAND.replace("Endpoint = 203.0.113.3:51820", "Endpoint = 203.0.113.33:51820")
    assert wg_config.parse(new).peer(CHG3).as_dict() == {
        "PublicKey": CHG3, "PresharedKey": PSK, "Endpoint": "203.0.113.33:51820",
        "AllowedIPs": ["10.10.0.3/32", "fd86:ea04:1111::3/128"]}
    assert wg_config.parse(new).peer(LAPTOP) == wg_config.parse(HAND).peer(LAPTOP)


def test_a_new_key_goes_where_the_role_puts_it():
    text = role_file("chg2", "chg3", chg3={"endpoint": None})
    new = edit(text, req(CHG3, endpoint="172.30.50.13:51820"))[0]
    assert new == role_file("chg2", "chg3")


def test_a_hand_written_file_gains_a_peer_at_its_end():
    new, what = edit(HAND, req(CHG4, allowed_ips=["10.10.0.4/32"], name="vps4"))
    assert what == "added"
    assert new.startswith(HAND)
    assert new[len(HAND):] == "\n# vps4\n[Peer]\n# friendly_name = vps4\nPublicKey = %s\nAllowedIPs = 10.10.0.4/32\n" % CHG4


def test_a_file_without_final_newline_is_appended_to_cleanly():
    text = role_file("chg2").rstrip("\n")
    new = edit(text, req(CHG3, allowed_ips=["10.50.0.3/32"], endpoint="172.30.50.13:51820", name="chg3"))[0]
    assert new == role_file("chg2", "chg3")


def test_the_diff_text_of_an_edit_holds_no_secret():
    config = HAND.replace("[Interface]\n", "[Interface]\nPrivateKey = %s\n" % DOC_PRIVATE)
    new = edit(config, req(CHG3, persistent_keepalive=25))[0]
    for text in (config, new):
        redacted = wg_config.redact_text(text)
        assert PSK not in redacted and DOC_PRIVATE not in redacted
    assert PSK in new and DOC_PRIVATE in new  # kept in the file itself


@pytest.mark.parametrize("text, key, message", [
    ("[Interface]\nAddress 10.0.0.1/24\n", CHG2, "does not parse"),
    (role_file("chg2") + "\n[Peer]\nPublicKey = %s\n" % CHG2, CHG2, "appears 2 times"),
], ids=["unparsable", "key-twice"])
def test_files_we_refuse_to_edit(text, key, message):
    with pytest.raises(PeerError, match=message):
        edit(text, req(key))


@pytest.mark.parametrize("options, message", [
    ({"public_key": "not-a-key"}, "not a WireGuard key"),
    ({"allowed_ips": ["10.0.0.300/32"]}, "not an IP prefix"),
    ({"endpoint": "192.0.2.1:port"}, "endpoint"),
    ({"endpoint": "192.0.2.1:70000"}, "not host:port"),
    ({"persistent_keepalive": 70000}, "between 0 and 65535"),
], ids=["key", "prefix", "port-word", "port-range", "keepalive"])
def test_bad_options_are_refused(options, message):
    options = dict({"public_key": CHG2}, **options)
    with pytest.raises(PeerError, match=message):
        request(**options)


@pytest.mark.parametrize("endpoint, expected", [
    ("198.51.100.7", "198.51.100.7:51820"),
    ("198.51.100.7:51821", "198.51.100.7:51821"),
    ("2001:db8::7", "[2001:db8::7]:51820"),
    ("[2001:db8::7]:51821", "[2001:db8::7]:51821"),
    ("vpn.example.net:4500", "vpn.example.net:4500"),
    ("", ""),
], ids=["v4", "v4-port", "bare-v6", "v6-port", "name", "empty-removes"])
def test_endpoints_are_written_as_wg_reads_them(endpoint, expected):
    assert request(CHG2, endpoint=endpoint)["endpoint"] == expected


def test_describe_returns_public_values_and_the_label():
    assert peer_edit.describe(HAND, CHG3) == {
        "public_key": CHG3, "name": None, "endpoint": "203.0.113.3:51820",
        "allowed_ips": ["10.10.0.3/32", "fd86:ea04:1111::3/128"], "persistent_keepalive": 0}
    assert peer_edit.describe(role_file("chg2", "chg3"), CHG3)["name"] == "chg3"
    assert peer_edit.describe(role_file("chg2"), CHG3) is None


# --- conflicts and the live plan --------------------------------------------

DUMP = (
    DOC_PRIVATE + "\t" + ME + "\t51820\toff\n"
    + CHG2 + "\t(none)\t172.30.50.12:51820\t10.50.0.2/32,10.51.0.0/24\t1795572312\t220\t276\toff\n"
    + CHG3 + "\t(none)\t172.30.50.13:51820\t10.50.0.3/32\t1795572312\t220\t308\toff\n"
    # not in the file (someone added it by hand): not ours to remove
    + LAPTOP + "\t(none)\t(none)\t10.60.0.9/32\t0\t0\t0\t25\n"
)
CONNECTED = {"dst": "10.50.0.0/24", "table": "main", "kernel": True}
ROUTES = [CONNECTED, {"dst": "10.51.0.0/24", "table": "main", "kernel": False},
          {"dst": "10.60.0.9/32", "table": "main", "kernel": False}]


def test_an_exact_prefix_of_another_peer_is_a_conflict_nested_is_not():
    text = role_file("chg2", "chg3", chg2={"allowed_ips": ["10.50.0.2/32", "10.51.0.0/24"]})
    taken = edit(text, req(CHG3, allowed_ips=["10.50.0.3/32", "10.51.0.0/24"]))[0]
    assert peer_edit.conflicts(wg_config.parse(taken), CHG3) == [("10.51.0.0/24", CHG2)]
    nested = edit(text, req(CHG3, allowed_ips=["10.50.0.3/32", "10.51.0.128/25"]))[0]
    assert peer_edit.conflicts(wg_config.parse(nested), CHG3) == []
    live_only = edit(text, req(CHG3, allowed_ips=["10.60.0.9/32"]))[0]
    assert peer_edit.conflicts(wg_config.parse(live_only), CHG3, parse_dump(DUMP)) == [("10.60.0.9/32", LAPTOP)]


def live_plan(old_text, new_text, key):
    commands = peer_edit.live_commands("wg0", parse_dump(DUMP), ROUTES, wg_config.parse(old_text),
                                       wg_config.parse(new_text), key)
    return [command[0] for command in commands]


OLD = role_file("chg2", "chg3", chg2={"allowed_ips": ["10.50.0.2/32", "10.51.0.0/24"]})


@pytest.mark.parametrize("key, options, state, expected", [
    (CHG4, {"allowed_ips": ["10.50.0.4/32", "10.54.0.0/24"], "endpoint": "172.30.50.14:51820"}, "present",
     [["wg", "set", "wg0", "peer", CHG4, "allowed-ips", "10.50.0.4/32,10.54.0.0/24",
       "endpoint", "172.30.50.14:51820", "persistent-keepalive", "0"],
      ["ip", "-4", "route", "add", "10.54.0.0/24", "dev", "wg0"]]),
    (CHG2, {"allowed_ips": ["10.50.0.2/32"]}, "present",
     [["wg", "set", "wg0", "peer", CHG2, "allowed-ips", "10.50.0.2/32"],
      ["ip", "-4", "route", "del", "10.51.0.0/24", "dev", "wg0"]]),
    (CHG2, {}, "absent",
     [["wg", "set", "wg0", "peer", CHG2, "remove"], ["ip", "-4", "route", "del", "10.51.0.0/24", "dev", "wg0"]]),
    (CHG3, {}, "absent", [["wg", "set", "wg0", "peer", CHG3, "remove"]]),
    (CHG3, {"persistent_keepalive": 25}, "present", [["wg", "set", "wg0", "peer", CHG3, "persistent-keepalive", "25"]]),
    (CHG3, {}, "present", []),
], ids=["add-with-route", "allowed-ips-shrink-drops-route", "remove-drops-its-route", "remove-covered-prefix",
        "keepalive", "nothing"])
def test_live_plan_touches_that_peer_and_its_routes_only(key, options, state, expected):
    new = edit(OLD, req(key, **options), state)[0]
    # LAPTOP (live only) and its route 10.60.0.9/32 are never touched
    assert live_plan(OLD, new, key) == expected


def test_a_prefix_handed_to_another_peer_keeps_its_route():
    moved = edit(OLD, req(CHG2, allowed_ips=["10.50.0.2/32"]))[0]
    moved = edit(moved, req(CHG3, allowed_ips=["10.50.0.3/32", "10.51.0.0/24"]))[0]
    assert live_plan(OLD, moved, CHG2) == [["wg", "set", "wg0", "peer", CHG2, "allowed-ips", "10.50.0.2/32"]]


def test_live_drift_of_that_peer_is_repaired():
    """The file already says what we want but the live peer differs: fix live."""
    wanted = role_file("chg2", "chg3", chg2={"allowed_ips": ["10.50.0.2/32"]})
    assert live_plan(wanted, wanted, CHG2) == [
        ["wg", "set", "wg0", "peer", CHG2, "allowed-ips", "10.50.0.2/32"],
        ["ip", "-4", "route", "del", "10.51.0.0/24", "dev", "wg0"]]
