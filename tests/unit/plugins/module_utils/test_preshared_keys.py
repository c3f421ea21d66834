"""Per-pair preshared keys: who gets a new key, who keeps theirs, and how a
live interface is brought to them (module_utils/preshared_keys.py and the
preshared-key part of reconcile.py)."""

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils import preshared_keys, reconcile, wg_config
from ansible_collections.fleetnet.wireguard.plugins.module_utils.preshared_keys import KEEP, assign, fingerprint
from ansible_collections.fleetnet.wireguard.plugins.module_utils.wg_dump import parse_dump

A, B, C = "ePOU/RjtO9LbHOM0NgbV1c6WCMCCaFxEd/R78uPP9zg=", "naWW/ku9qt1zSC9wJm7JMF+uuYyr38lagpGL5peW/1I=", "mi9X1gZM/BKnebRgYLsk2Hq1tMQePRsBiGSYhtvdqBM="
PSK1, PSK2 = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=", "Gi5GrDfRCMhBOqgtPFu9BYgtrDWUwvaDTbzd97xBVNc="
PAIR_AB = ("wg0", "a", A, "b", B)
PAIR_AC = ("wg0", "a", A, "c", C)
FP1, FP2 = fingerprint(PSK1), fingerprint(PSK2)


def is_new(value):
    return value not in (KEEP, None) and len(value) == 44


@pytest.mark.parametrize("name, fingerprints, in_play, rotate, a_gets, b_gets", [
    ("both agree: both keep", {("wg0", "a"): {B: FP1}, ("wg0", "b"): {A: FP1}}, {"a", "b"}, (), KEEP, KEEP),
    ("neither has one: a new one", {}, {"a", "b"}, (), "new", "new"),
    ("they disagree: a new one", {("wg0", "a"): {B: FP1}, ("wg0", "b"): {A: FP2}}, {"a", "b"}, (), "new", "new"),
    ("one end lost it: a new one", {("wg0", "a"): {B: FP1}}, {"a", "b"}, (), "new", "new"),
    ("rotation of either end: a new one", {("wg0", "a"): {B: FP1}, ("wg0", "b"): {A: FP1}}, {"a", "b"}, ("b",), "new", "new"),
    # b is outside --limit: a new key on a alone would cut the tunnel
    ("the other end outside the run keeps", {("wg0", "a"): {B: FP1}}, {"a"}, (), KEEP, None),
    ("outside the run and none yet: none", {}, {"a"}, (), None, None),
])
def test_assign(name, fingerprints, in_play, rotate, a_gets, b_gets):
    out = assign([PAIR_AB], fingerprints, in_play, rotate)
    got_a = out.get("a", {}).get("wg0", {}).get(B)
    got_b = out.get("b", {}).get("wg0", {}).get(A)
    for got, wanted in ((got_a, a_gets), (got_b, b_gets)):
        assert is_new(got) if wanted == "new" else got == wanted, name
    if a_gets == "new" and b_gets == "new":
        assert got_a == got_b, "both ends of a pair get the same key"


def test_every_pair_has_its_own_key():
    out = assign([PAIR_AB, PAIR_AC], {}, {"a", "b", "c"})
    assert out["a"]["wg0"][B] != out["a"]["wg0"][C]
    assert preshared_keys.has_new_keys(out)
    assert not preshared_keys.has_new_keys({"a": {"wg0": {B: KEEP}}})


def test_file_names_round_trip_keys_with_slashes():
    name = preshared_keys.file_name(A)
    assert "/" not in name and preshared_keys.public_key_of(name) == A


def test_fingerprint_tells_keys_apart_without_holding_them():
    assert fingerprint(PSK1) == fingerprint(PSK1 + "\n") != fingerprint(PSK2)
    assert PSK1 not in fingerprint(PSK1) and len(fingerprint(PSK1)) == 16


def test_dump_keeps_a_fingerprint_never_the_key():
    dump = ("(hidden)\t%s\t51820\toff\n" % A
            + "%s\t%s\t172.30.50.12:51820\t10.50.0.2/32\t0\t0\t0\toff\n" % (B, PSK1)
            + "%s\t(none)\t172.30.50.13:51820\t10.50.0.3/32\t0\t0\t0\toff\n" % C)
    state = parse_dump(dump)
    assert state["peers"][B]["preshared_key_fingerprint"] == FP1
    assert state["peers"][C]["preshared_key_fingerprint"] is None
    assert PSK1 not in repr(state)


def live(peers):
    """Live state of wg0 with the given {public key: preshared key or None}."""
    dump = "(hidden)\t%s\t51820\toff\n" % A
    for key, psk in peers.items():
        dump += "%s\t%s\t(none)\t10.50.0.%d/32\t0\t0\t0\toff\n" % (key, psk or "(none)", 2 if key == B else 3)
    return parse_dump(dump)


def desired(*keys):
    return wg_config.WgConfig(wg_config.Section(wg_config.INTERFACE, {"Address": ["10.50.0.1/24"]}), [
        wg_config.Section(wg_config.PEER, {"PublicKey": k, "AllowedIPs": ["10.50.0.%d/32" % (2 if k == B else 3)]}) for k in keys])


PATH_B = "/etc/wireguard/wg0.psk.d/" + preshared_keys.file_name(B)


@pytest.mark.parametrize("name, current, preshared, expected", [
    ("same key live: nothing", {B: PSK1}, {B: (FP1, PATH_B)}, []),
    ("new key: set from its file", {B: PSK1}, {B: (FP2, PATH_B)}, [["wg", "set", "wg0", "peer", B, "preshared-key", PATH_B]]),
    ("none wanted: cleared", {B: PSK1}, {}, [["wg", "set", "wg0", "peer", B, "preshared-key", "/dev/null"]]),
    ("none live, none wanted: nothing", {B: None}, {}, []),
    ("left alone when not managed", {B: PSK1}, None, []),
])
def test_preshared_key_commands(name, current, preshared, expected):
    commands = reconcile.peer_commands("wg0", live(current), desired(B), preshared=preshared)
    assert [c[0] for c in commands] == expected, name
    assert all(PSK1 not in " ".join(c[0]) + c[1] for c in commands)


def test_a_new_peer_is_added_with_its_key_file():
    commands = reconcile.peer_commands("wg0", live({}), desired(C), preshared={C: (FP1, "/k")})
    assert commands[0][0][-2:] == ["preshared-key", "/k"]
    assert commands[0][0][3:5] == ["peer", C]


def test_the_loader_hook_coming_or_going_needs_no_restart():
    hook = preshared_keys.loader_hook("/etc/wireguard", "wg0")
    assert preshared_keys.is_loader_hook(hook)
    old, new = desired(B), desired(B)
    new.interface.set("PostUp", ["wg set %i private-key /etc/wireguard/wg0.key", hook])
    old.interface.set("PostUp", ["wg set %i private-key /etc/wireguard/wg0.key"])
    assert reconcile.restart_reason(old, new) is None
    new.interface.set("PostUp", ["wg set %i private-key /etc/wireguard/wg0.key", hook, "echo up"])
    assert reconcile.restart_reason(old, new) == "PostUp changed"


def test_key_directory_holds_exactly_what_is_wanted(tmp_path):
    directory = str(tmp_path / "private" / "wg0.psk.d")
    assert preshared_keys.read_dir(directory) == {}
    assert preshared_keys.write_dir(directory, {B: PSK1, C: PSK2}, {}, parents=(str(tmp_path / "private"),))
    assert preshared_keys.read_dir(directory) == {B: PSK1, C: PSK2}
    assert sorted(oct(p.stat().st_mode & 0o777) for p in (tmp_path / "private").rglob("*")) == ["0o600", "0o600", "0o700"]
    assert (tmp_path / "private").stat().st_mode & 0o777 == 0o700
    assert not preshared_keys.write_dir(directory, {B: PSK1, C: PSK2}, preshared_keys.read_dir(directory))
    assert preshared_keys.write_dir(directory, {B: PSK2}, preshared_keys.read_dir(directory))
    assert preshared_keys.read_dir(directory) == {B: PSK2}


def test_a_damaged_key_file_is_listed_so_it_gets_replaced(tmp_path):
    (tmp_path / preshared_keys.file_name(B)).write_text("not a key\n")
    stored = preshared_keys.read_dir(str(tmp_path))
    assert list(stored) == [B] and fingerprint(stored[B]) not in (FP1, FP2)
