"""The controller's key store (module_utils/key_store.py) in a real
directory: public keys by interface and host, device private keys made once
with private modes, and a device's preshared keys."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils import key_store, preshared_keys, wg_keys

KEY_A = wg_keys.public_key(wg_keys.encode_key(bytes(range(32))))
KEY_B = wg_keys.public_key(wg_keys.encode_key(bytes(range(1, 33))))
PSK = wg_keys.encode_key(bytes(32))


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_write_public_then_read(tmp_path):
    root = str(tmp_path)
    assert key_store.write_public(root, "wg0", "vps1", KEY_A) is True
    path = tmp_path / "public" / "wg0" / "vps1.pub"
    assert path.read_text() == KEY_A + "\n"
    # public keys are committed with the inventory: readable, not executable
    assert mode(path) == 0o644
    assert key_store.read_public(root, {"wg0": ["vps1", "vps2"]}) == {("wg0", "vps1"): KEY_A}


def test_write_public_same_key_is_no_change(tmp_path):
    root = str(tmp_path)
    key_store.write_public(root, "wg0", "vps1", KEY_A)
    before = os.stat(tmp_path / "public" / "wg0" / "vps1.pub").st_mtime_ns
    assert key_store.write_public(root, "wg0", "vps1", KEY_A) is False
    assert os.stat(tmp_path / "public" / "wg0" / "vps1.pub").st_mtime_ns == before


def test_write_public_new_key_replaces(tmp_path):
    root = str(tmp_path)
    key_store.write_public(root, "wg0", "vps1", KEY_A)
    assert key_store.write_public(root, "wg0", "vps1", KEY_B) is True
    assert key_store.read_public(root, {"wg0": ["vps1"]}) == {("wg0", "vps1"): KEY_B}


def test_read_public_skips_what_is_not_a_key(tmp_path):
    root = tmp_path / "public" / "wg0"
    root.mkdir(parents=True)
    (root / "a.pub").write_text("  %s \n" % KEY_A)
    (root / "b.pub").write_text("not a key\n")
    (root / "c.pub").write_text("")
    stored = key_store.read_public(str(tmp_path), {"wg0": ["a", "b", "c", "d"], "wg1": ["a"]})
    assert stored == {("wg0", "a"): KEY_A}


def test_read_public_of_no_store(tmp_path):
    assert key_store.read_public(str(tmp_path / "absent"), {"wg0": ["a"]}) == {}


def test_device_key_is_made_once_and_private(tmp_path):
    root = str(tmp_path)
    public, changed = key_store.ensure_device_key(root, "wg0", "phone")
    assert changed is True
    path = tmp_path / "private" / "wg0" / "phone.key"
    private = path.read_text().strip()
    assert wg_keys.public_key(private) == public
    assert mode(path) == 0o600
    assert mode(tmp_path / "private") == 0o700
    assert mode(tmp_path / "private" / "wg0") == 0o700
    assert key_store.read_device_key(root, "wg0", "phone") == private
    # again: the same key, nothing written
    assert key_store.ensure_device_key(root, "wg0", "phone") == (public, False)
    assert path.read_text().strip() == private


def test_device_key_in_check_mode_writes_nothing(tmp_path):
    assert key_store.ensure_device_key(str(tmp_path), "wg0", "phone", check_mode=True) == (None, True)
    assert list(tmp_path.iterdir()) == []


def test_device_key_that_is_no_key_is_replaced(tmp_path):
    path = tmp_path / "private" / "wg0" / "phone.key"
    path.parent.mkdir(parents=True)
    path.write_text("garbage\n")
    public, changed = key_store.ensure_device_key(str(tmp_path), "wg0", "phone")
    assert changed is True
    assert wg_keys.public_key(path.read_text().strip()) == public


def test_read_device_key_absent(tmp_path):
    assert key_store.read_device_key(str(tmp_path), "wg0", "phone") is None


def test_device_preshared_keys(tmp_path):
    root = str(tmp_path)
    assert key_store.read_device_preshared_keys(root, "wg0", "phone") == {}
    assert key_store.write_device_preshared_keys(root, "wg0", "phone", {KEY_A: PSK}) is True
    directory = tmp_path / "private" / "wg0" / "phone.psk.d"
    path = directory / preshared_keys.file_name(KEY_A)
    assert path.read_text() == PSK + "\n"
    assert (mode(tmp_path / "private"), mode(tmp_path / "private" / "wg0"), mode(directory), mode(path)) == (0o700, 0o700, 0o700, 0o600)
    assert key_store.read_device_preshared_keys(root, "wg0", "phone") == {KEY_A: PSK}
    assert key_store.write_device_preshared_keys(root, "wg0", "phone", {KEY_A: PSK}) is False
    # a pair that no longer wants one: its file goes
    assert key_store.write_device_preshared_keys(root, "wg0", "phone", {}) is True
    assert list(directory.iterdir()) == []


@pytest.mark.parametrize("ifname, host, want", [
    ("wg0", "phone", ("private", "wg0", "phone.key")),
    ("wg1", "tablet", ("private", "wg1", "tablet.key")),
])
def test_private_path(tmp_path, ifname, host, want):
    assert key_store.private_path(str(tmp_path), ifname, host) == str(tmp_path.joinpath(*want))
