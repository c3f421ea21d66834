"""WireGuard keys: Curve25519 (RFC 7748) in plain Python.

The controller makes keys for devices Ansible cannot reach, and must not
depend on wireguard-tools being installed there; managed hosts use the same
code so there is one implementation to test. A scalar multiplication costs
about a millisecond, which is nothing next to a round trip to a host.
"""

from __future__ import annotations

import base64
import binascii
import os

_P = 2 ** 255 - 19
_A24 = 121665
_BASE_POINT = (9).to_bytes(32, "little")
KEY_BYTES = 32


class InvalidKey(ValueError):
    """Text that is not a base64 WireGuard key."""


def _clamp(scalar):
    k = bytearray(scalar)
    k[0] &= 248
    k[31] &= 127
    k[31] |= 64
    return int.from_bytes(bytes(k), "little")


def x25519(scalar, u_bytes):
    """Montgomery ladder of RFC 7748 section 5, constant in its control flow."""
    k = _clamp(scalar)
    u = bytearray(u_bytes)
    u[31] &= 127
    x1 = int.from_bytes(bytes(u), "little") % _P
    x2, z2, x3, z3 = 1, 0, x1, 1
    swap = 0
    for t in range(254, -1, -1):
        bit = (k >> t) & 1
        swap ^= bit
        if swap:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = bit
        a = (x2 + z2) % _P
        aa = a * a % _P
        b = (x2 - z2) % _P
        bb = b * b % _P
        e = (aa - bb) % _P
        c = (x3 + z3) % _P
        d = (x3 - z3) % _P
        da = d * a % _P
        cb = c * b % _P
        x3 = (da + cb) ** 2 % _P
        z3 = x1 * (da - cb) ** 2 % _P
        x2 = aa * bb % _P
        z2 = e * (aa + _A24 * e) % _P
    if swap:
        x2, z2 = x3, z3
    return (x2 * pow(z2, _P - 2, _P) % _P).to_bytes(32, "little")


def decode_key(text):
    """Decode a base64 key to its 32 bytes; raise InvalidKey if it is not one."""
    text = (text or "").strip()
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidKey("not base64")
    if len(raw) != KEY_BYTES or len(text) != 44:
        raise InvalidKey("not a 32-byte key")
    return raw


def is_valid_key(text):
    try:
        decode_key(text)
    except InvalidKey:
        return False
    return True


def encode_key(raw):
    return base64.b64encode(raw).decode("ascii")


def generate_private_key():
    """A new private key, clamped as `wg genkey` does."""
    k = bytearray(os.urandom(KEY_BYTES))
    k[0] &= 248
    k[31] &= 127
    k[31] |= 64
    return encode_key(bytes(k))


def public_key(private_key):
    """The public key of a base64 private key, as `wg pubkey` prints it."""
    return encode_key(x25519(decode_key(private_key), _BASE_POINT))


def generate_preshared_key():
    """A preshared key is 32 random bytes, as `wg genpsk` prints them."""
    return encode_key(os.urandom(KEY_BYTES))
