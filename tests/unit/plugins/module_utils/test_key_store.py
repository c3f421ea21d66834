"""The controller's key store (module_utils/key_store.py) in a real
directory: what read() finds, what a Snapshot says is stored and what must
change, and what write() leaves on disk with which modes (public keys 0644;
device keys, their preshared keys and exports 0600 in 0700 directories)."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils import key_store, preshared_keys, wg_keys

KEY_A = wg_keys.public_key(wg_keys.encode_key(bytes(range(32))))
KEY_B = wg_keys.public_key(wg_keys.encode_key(bytes(range(1, 33))))
PRIVATE = wg_keys.encode_key(bytes(range(2, 34)))
PSK = wg_keys.encode_key(bytes(32))


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def public(ifname, host, key):
    return {"path": key_store.public_path(ifname, host), "content": key + "\n", "mode": key_store.PUBLIC_MODE}


def secret(path, content):
    return {"path": path, "content": content, "mode": key_store.SECRET_MODE}


def test_write_public_then_read(tmp_path):
    root = str(tmp_path)
    key_store.write(root, [public("wg0", "vps1", KEY_A)])
    path = tmp_path / "public" / "wg0" / "vps1.pub"
    assert path.read_text() == KEY_A + "\n"
    # public keys are committed with the inventory: readable, not executable
    assert mode(path) == 0o644
    store = key_store.read(root)
    assert store.public_key("wg0", "vps1") == KEY_A and store.public_key("wg0", "vps2") is None


@pytest.mark.parametrize("stored, wanted, change", [
    (KEY_A + "\n", KEY_A, False),
    ("  %s \n" % KEY_A, KEY_A, False),  # written by hand: whitespace is no difference
    (KEY_A + "\n", KEY_B, True),
    (None, KEY_A, True),
], ids=["same-key", "same-key-other-whitespace", "new-key", "no-key-yet"])
def test_a_public_key_is_written_only_when_it_differs(tmp_path, stored, wanted, change):
    if stored is not None:
        (tmp_path / "public" / "wg0").mkdir(parents=True)
        (tmp_path / "public" / "wg0" / "vps1.pub").write_text(stored)
    got = key_store.read(str(tmp_path)).change(key_store.public_path("wg0", "vps1"), wanted + "\n", key_store.PUBLIC_MODE)
    assert (got is not None) is change
    if got:
        key_store.write(str(tmp_path), [got])
        assert key_store.read(str(tmp_path)).public_key("wg0", "vps1") == wanted


def test_what_is_not_a_key_is_not_read_as_one(tmp_path):
    root = tmp_path / "public" / "wg0"
    root.mkdir(parents=True)
    (root / "a.pub").write_text("  %s \n" % KEY_A)
    (root / "b.pub").write_text("not a key\n")
    (root / "c.pub").write_text("")
    (root / ".d.pub.x1y2").write_text(KEY_B)  # an interrupted atomic write
    store = key_store.read(str(tmp_path))
    assert [store.public_key("wg0", h) for h in "abcd"] == [KEY_A, None, None, None]
    assert sorted(store.files) == ["public/wg0/a.pub", "public/wg0/b.pub", "public/wg0/c.pub"]


def test_no_store_reads_as_empty(tmp_path):
    assert key_store.read(str(tmp_path / "absent")).files == {}


def test_validation_reads_public_keys_only(tmp_path):
    root = str(tmp_path)
    key_store.write(root, [public("wg0", "vps1", KEY_A), secret(key_store.device_key_path("wg0", "phone"), PRIVATE + "\n")])
    assert sorted(key_store.read(root, ("public",)).files) == ["public/wg0/vps1.pub"]
    assert key_store.read(root).device_key("wg0", "phone") == PRIVATE


def test_secrets_are_private_from_the_first_byte(tmp_path):
    root = str(tmp_path)
    key_store.write(root, [secret(key_store.device_key_path("wg0", "phone"), PRIVATE + "\n"),
                           secret(key_store.device_psk_path("wg0", "phone", KEY_A), PSK + "\n"),
                           secret(key_store.export_paths("wg0", "phone")["png"], b"\x89PNG")])
    directory = tmp_path / "private" / "wg0" / "phone.psk.d"
    assert (mode(tmp_path / "private"), mode(tmp_path / "private" / "wg0"), mode(directory)) == (0o700, 0o700, 0o700)
    assert mode(tmp_path / "private" / "wg0" / "phone.key") == 0o600
    assert mode(directory / preshared_keys.file_name(KEY_A)) == 0o600
    assert (mode(tmp_path / "export"), mode(tmp_path / "export" / "wg0" / "phone.png")) == (0o700, 0o600)
    store = key_store.read(root)
    assert store.device_key("wg0", "phone") == PRIVATE
    assert store.device_preshared_keys("wg0", "phone") == {KEY_A: PSK}
    assert store.exists("export/wg0/phone.png") and store.text("export/wg0/phone.png") is None  # never read back


def test_a_device_key_that_is_no_key_reads_as_none(tmp_path):
    key_store.write(str(tmp_path), [secret(key_store.device_key_path("wg0", "phone"), "garbage\n")])
    assert key_store.read(str(tmp_path)).device_key("wg0", "phone") is None


def test_a_preshared_key_that_is_no_longer_wanted_is_removed(tmp_path):
    root = str(tmp_path)
    path = key_store.device_psk_path("wg0", "phone", KEY_A)
    key_store.write(root, [secret(path, PSK + "\n")])
    store = key_store.read(root)
    assert store.change(path, PSK + "\n", key_store.SECRET_MODE) is None
    removal = store.change(path, None, None)
    key_store.write(root, [removal])
    assert key_store.read(root).device_preshared_keys("wg0", "phone") == {}
    assert key_store.read(root).change(path, None, None) is None  # nothing left to remove


@pytest.mark.parametrize("ifname, host, want", [
    ("wg0", "phone", "private/wg0/phone.key"),
    ("wg1", "tablet", "private/wg1/tablet.key"),
])
def test_device_key_path(ifname, host, want):
    assert key_store.device_key_path(ifname, host) == want


def test_snapshot_of_keys_is_what_reading_a_written_store_gives(tmp_path):
    root = str(tmp_path)
    key_store.write(root, [public("wg0", "vps1", KEY_A), secret(key_store.device_key_path("wg0", "phone"), PRIVATE + "\n")])
    assert key_store.read(root).files == key_store.Snapshot.of({("wg0", "vps1"): KEY_A}, {("wg0", "phone"): PRIVATE}).files


@pytest.mark.parametrize("text, want", [
    (None, None),  # no record: the host reports its own
    ("", {}),  # a host whose pairs have no preshared key yet
    ("peerA= 3f1c9a0b2d4e6f70\npeerB= 0123456789abcdef\n", {"peerA=": "3f1c9a0b2d4e6f70", "peerB=": "0123456789abcdef"}),
    ("peerA= 3f1c 9a0b\n", None),  # damaged: as if there were none
])
def test_the_record_of_a_host_s_preshared_keys_reads_back(text, want):
    stored = {} if text is None else {key_store.psk_fingerprints_path("wg0", "vps1"): text}
    assert key_store.Snapshot(stored).preshared_fingerprints("wg0", "vps1") == want


def test_a_record_written_reads_back_and_is_no_member(tmp_path):
    record = {"peerA=": preshared_keys.fingerprint(preshared_keys.generate())}
    path = key_store.psk_fingerprints_path("wg0", "vps1")
    key_store.write(str(tmp_path), [{"path": path, "content": preshared_keys.format_staged(record), "mode": key_store.PUBLIC_MODE}])
    snapshot = key_store.read(str(tmp_path), ("public",))  # validation reads public/ only, the record included
    assert snapshot.preshared_fingerprints("wg0", "vps1") == record
    assert snapshot.members() == {}
    assert stat.S_IMODE(os.stat(os.path.join(str(tmp_path), path)).st_mode) == 0o644
