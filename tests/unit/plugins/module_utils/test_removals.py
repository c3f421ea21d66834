"""The removal guard and keyless members, on the pure functions the fleet
action calls (the playbook-level test is tests/integration/test_removal_guard.py)."""

from __future__ import annotations

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils import key_store, removals, validation
from ansible_collections.fleetnet.wireguard.plugins.module_utils.problems import Problems


def members(*hosts, unmanaged=()):
    return {h: {"host": h, "unmanaged": h in unmanaged, "public_key_resolved": None} for h in hosts}


def guard(stored, interfaces, group, limit=2, confirmed=()):
    problems = Problems()
    removal = removals.planned(stored, interfaces, set(group))
    removals.check(removal, set(group), stored, limit, set(confirmed), problems)
    return removal, problems


STORE = {"wg0": {"a", "b", "c", "d", "e", "f"}}


@pytest.mark.parametrize("present,limit,confirmed,stops", [
    ("abcdef", 2, (), False),          # nothing removed
    ("abcde", 2, (), False),           # one of six, within the limit
    ("abcd", 2, (), False),            # two of six
    ("abc", 2, (), True),              # three: over the limit, and half the fleet
    ("abc", 5, (), True),              # within a raised limit, but half the fleet
    ("abc", 2, ("d", "e", "f"), False),  # confirmed
    ("abc", 2, ("d", "e"), True),      # one left unconfirmed
    ("a", 9, (), True),                # most of the fleet
])
def test_guard_table(present, limit, confirmed, stops):
    removal, problems = guard(STORE, {"wg0": members(*present)}, present, limit, confirmed)
    assert bool(problems.errors) == stops, problems.errors
    gone = sorted(set("abcdef") - set(present))
    assert removal["peers"].get("wg0", []) == gone
    if stops:
        assert ", ".join("%s (gone from the inventory)" % h for h in gone) in problems.errors[0]["message"]
        assert "-e wireguard_confirm_removal=%s" % ",".join(gone) in problems.errors[0]["fix"]


def test_an_interface_dropped_from_a_host_is_an_interface_removal():
    stored = {"wg0": {"a", "b", "c"}, "wg1": {"a", "b"}}
    interfaces = {"wg0": members("a", "b", "c"), "wg1": members("a")}
    removal, problems = guard(stored, interfaces, "abc")
    assert removal == {"peers": {"wg1": ["b"]}, "interfaces": {"b": ["wg1"]}}
    assert problems.errors == []
    assert removals.describe(removal, {"a", "b", "c"}) == [
        "b no longer has wg1 in the inventory: the interface is removed from it, and its peer entry from every member"]


def test_the_key_store_lists_and_forgets_members(tmp_path):
    root = str(tmp_path)
    key_store.write(root, [{"path": key_store.public_path("wg0", h), "content": "k" * 43 + "=\n", "mode": key_store.PUBLIC_MODE}
                           for h in ("a", "b")])
    store = key_store.read(root)
    assert store.members() == {"wg0": {"a", "b"}}
    forget = store.change(key_store.public_path("wg0", "b"), None, None)
    key_store.write(root, [forget])
    assert key_store.read(root).members() == {"wg0": {"a"}}
    assert key_store.read(root).change(key_store.public_path("wg0", "b"), None, None) is None  # nothing left to forget
    assert key_store.read(str(tmp_path / "none")).members() == {}


@pytest.mark.parametrize("check_mode,in_play,level", [
    (True, {"a", "new"}, "warning"),   # check mode: left out, with a warning
    (False, {"a"}, "warning"),         # --limit without the new host: the same
    (False, {"a", "new"}, "error"),    # in the run but no key: something is wrong
])
def test_a_member_without_a_key(check_mode, in_play, level):
    interfaces = {"wg0": members("a", "new")}
    interfaces["wg0"]["a"]["public_key_resolved"] = "key-a"
    problems = Problems()
    validation.check_keyless(interfaces, in_play, check_mode, problems)
    assert [(p["level"], p["host"]) for p in problems.items] == [(level, "new")]
    assert "new" in problems.items[0]["message"]


def test_renaming_an_interface_everywhere_needs_a_confirmation():
    stored = {"wg0": {"a", "b", "c"}}
    removal, problems = guard(stored, {"wg9": members("a", "b", "c")}, "abc")
    assert removal["interfaces"] == {"a": ["wg0"], "b": ["wg0"], "c": ["wg0"]}
    assert "a (wg0 dropped), b (wg0 dropped), c (wg0 dropped)" in problems.errors[0]["message"]
    dummy, problems = guard(stored, {"wg9": members("a", "b", "c")}, "abc", confirmed="abc")
    assert problems.errors == []
