"""Curve25519 keys in plain Python (module_utils/wg_keys.py), against RFC 7748."""

import base64

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils.wg_keys import (
    InvalidKey,
    decode_key,
    generate_preshared_key,
    generate_private_key,
    is_valid_key,
    public_key,
    x25519,
)


def b64(hex_text):
    return base64.b64encode(bytes.fromhex(hex_text)).decode()


@pytest.mark.parametrize("scalar, u, expected", [
    ("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
     "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
     "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"),
    ("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
     "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
     "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"),
], ids=["rfc7748-5.2-first", "rfc7748-5.2-second"])
def test_x25519_rfc7748_vectors(scalar, u, expected):
    assert x25519(bytes.fromhex(scalar), bytes.fromhex(u)).hex() == expected


# RFC 7748 section 6.1
ALICE_PRIVATE = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
ALICE_PUBLIC = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
BOB_PRIVATE = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"
BOB_PUBLIC = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
SHARED = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"


@pytest.mark.parametrize("private, public", [
    (ALICE_PRIVATE, ALICE_PUBLIC),
    (BOB_PRIVATE, BOB_PUBLIC),
], ids=["rfc7748-6.1-alice", "rfc7748-6.1-bob"])
def test_public_key_of_base64_private_key(private, public):
    assert public_key(b64(private)) == b64(public)


def test_rfc7748_shared_secret_both_ways():
    alice_side = x25519(bytes.fromhex(ALICE_PRIVATE), bytes.fromhex(BOB_PUBLIC))
    bob_side = x25519(bytes.fromhex(BOB_PRIVATE), bytes.fromhex(ALICE_PUBLIC))
    assert alice_side.hex() == bob_side.hex() == SHARED


def test_generated_private_key_is_clamped_and_valid():
    key = generate_private_key()
    raw = decode_key(key)
    assert is_valid_key(key)
    assert raw[0] & 7 == 0
    assert raw[31] & 128 == 0
    assert raw[31] & 64 == 64
    assert is_valid_key(public_key(key))
    assert generate_private_key() != key


def test_public_key_matches_the_cryptography_library():
    x25519_mod = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.x25519")
    serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")
    for dummy in range(3):
        private = generate_private_key()
        theirs = x25519_mod.X25519PrivateKey.from_private_bytes(decode_key(private)).public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        assert public_key(private) == base64.b64encode(theirs).decode()


GOOD = b64(ALICE_PUBLIC)


@pytest.mark.parametrize("text, valid", [
    (GOOD, True),
    (GOOD + "\n", True),
    (GOOD[:-1], False),
    (base64.b64encode(bytes(31)).decode(), False),
    (base64.b64encode(bytes(33)).decode(), False),
    (base64.b64encode(bytes(64)).decode(), False),
    ("!" * 43 + "=", False),
    (GOOD[:20] + " " + GOOD[21:], False),
    ("", False),
    (None, False),
], ids=["good", "good-with-newline", "43-chars", "31-bytes", "33-bytes", "64-bytes",
        "not-base64", "inner-space", "empty", "none"])
def test_is_valid_key(text, valid):
    assert is_valid_key(text) is valid


def test_public_key_of_invalid_key_raises():
    with pytest.raises(InvalidKey):
        public_key("not a key")


def test_preshared_keys_are_valid_and_distinct():
    keys = {generate_preshared_key() for dummy in range(4)}
    assert len(keys) == 4
    assert all(is_valid_key(k) for k in keys)
