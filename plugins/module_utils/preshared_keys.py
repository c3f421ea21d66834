"""Preshared keys, one per pair of peers (never one for the whole network).

A preshared key adds a symmetric secret to the handshake, so a recording of
today's traffic stays safe from a future break of Curve25519. Both ends of a
pair must hold the same key, so unlike a private key it has to travel: the
controller makes it (only when a pair has none, or the two ends disagree, or
it is rotated), hands it to both hosts in the same run, and never writes it
on the controller. It never travels as a task or module argument (callback
plugins see the former, and without pipelining the latter lands in a file in
the host's temp directory): the converge action writes it over the
connection's standard input into a 0600 file next to its destination
(staged_path), and the interface module reads that file and removes it at once. What the controller learns
from the hosts on every run is a fingerprint per peer, which tells whether
the two ends agree without revealing the key.

On a host each key is a 0600 file named after the peer's public key, in a
0700 directory next to the config; a PostUp hook loads them, so the wg-quick
file holds no secret (like the private key, see interface_config.py).
"""

from __future__ import annotations

import base64
import hashlib
import os

from ansible_collections.fleetnet.wireguard.plugins.module_utils import files

KEEP = "keep"


DIRECTORY_SUFFIX = ".psk.d"


def directory(config_dir, ifname):
    """Where an interface's preshared keys are kept, one file per peer, beside
    its wg-quick file (or, for a device, beside its key in the key store)."""
    return os.path.join(config_dir, ifname + DIRECTORY_SUFFIX)


def file_name(public_key):
    """A base64 public key as a file name ('/' cannot be in one)."""
    return public_key.replace("/", "_").replace("+", "-")


def public_key_of(name):
    return name.replace("_", "/").replace("-", "+")


def read_dir(directory):
    """{peer public key: key} of the key files in a directory (on a host, or
    an unmanaged device's on the controller). A damaged file is listed too:
    its fingerprint matches nothing, so it is replaced or removed."""
    stored = {}
    for name in files.list_dir(directory):
        text = (files.read_text(os.path.join(directory, name)) or "").strip()
        if text:
            stored[public_key_of(name)] = text
    return stored


def write_dir(directory, wanted, stored, parents=()):
    """Make the directory hold exactly ``wanted`` ({peer public key: key}),
    given what read_dir found there. -> changed"""
    if wanted == stored:
        return False
    if wanted:
        files.ensure_dirs(tuple(parents) + (directory,))
    for peer, key in wanted.items():
        path = os.path.join(directory, file_name(peer))
        if stored.get(peer) != key or files.mode_of(path) != 0o600:
            files.write_atomic(path, key + "\n", 0o600)
    for peer in set(stored) - set(wanted):
        os.unlink(os.path.join(directory, file_name(peer)))
    return True


def staged_path(config_dir, ifname):
    """Where the converge action puts an interface's new preshared keys for
    the interface module to take: in the 0700 config directory next to their
    destination, not in a temp directory, and not under <if>.psk.d/ (which
    holds installed keys only)."""
    return os.path.join(config_dir, ".%s.psk.new" % ifname)


def format_staged(keys):
    """{peer public key: key} as the staged file's lines (and {peer public
    key: fingerprint} as the key store's fingerprint file's)."""
    return "".join("%s %s\n" % (peer, key) for peer, key in sorted(keys.items()))


def parse_lines(text, what="preshared key"):
    """format_staged's lines back: -> {peer public key: value}"""
    out = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if len(fields) != 2:
            raise ValueError("line %d is not '<peer public key> <%s>'" % (lineno, what))
        out[fields[0]] = fields[1]
    return out


def take_staged(path):
    """Read the staged keys and remove the file at once. -> {peer public key: key}"""
    text = files.read_text(path)
    if text is None:
        raise ValueError("preshared_keys_file: %s does not exist (the keys are staged by fleetnet.wireguard.converge)" % path)
    os.unlink(path)
    try:
        return parse_lines(text)
    except ValueError as exc:
        raise ValueError("preshared_keys_file: %s" % exc)


def fingerprint(key):
    """Enough to tell two keys apart, nothing to recover one from."""
    return hashlib.sha256(key.strip().encode("ascii")).hexdigest()[:16]


def generate():
    return base64.b64encode(os.urandom(32)).decode("ascii")


def loader_hook(config_dir, ifname):
    """The PostUp line that gives each configured peer its key file, if any.
    It walks the peers wg-quick just set, so a stray file never adds a peer."""
    path = directory(config_dir, ifname)
    return ('for p in $(wg show %%i peers); do f=%s/$(echo "$p" | tr /+ _-); '
            '[ ! -f "$f" ] || wg set %%i peer "$p" preshared-key "$f"; done' % path)


def is_loader_hook(line):
    return line.startswith("for p in $(wg show %i peers); do f=") and DIRECTORY_SUFFIX + "/" in line


def assign(pairs, fingerprints, in_play, rotate=()):
    """Decide each pair's key.

    pairs: iterable of (ifname, host_a, key_a, host_b, key_b) for the pairs that
    want a preshared key; fingerprints: {(ifname, host): {peer public key:
    fingerprint}} as the hosts reported them; in_play: hosts this run touches;
    rotate: hosts whose pairs get a new key even when both ends agree.

    -> {host: {ifname: {peer public key: new key or KEEP}}}. A pair with a host
    outside the run keeps what the host in the run has (a new key there would
    cut the tunnel until the other end runs too); with none, it gets none yet.
    """
    out = {}

    def give(host, ifname, peer_key, value):
        out.setdefault(host, {}).setdefault(ifname, {})[peer_key] = value

    for ifname, host_a, key_a, host_b, key_b in pairs:
        fp_a = fingerprints.get((ifname, host_a), {}).get(key_b)
        fp_b = fingerprints.get((ifname, host_b), {}).get(key_a)
        if host_a in in_play and host_b in in_play:
            if fp_a and fp_a == fp_b and host_a not in rotate and host_b not in rotate:
                give(host_a, ifname, key_b, KEEP)
                give(host_b, ifname, key_a, KEEP)
            else:
                key = generate()
                give(host_a, ifname, key_b, key)
                give(host_b, ifname, key_a, key)
            continue
        for host, peer_key, fp in ((host_a, key_b, fp_a), (host_b, key_a, fp_b)):
            if host in in_play and fp:
                give(host, ifname, peer_key, KEEP)
    return out


def has_new_keys(assignment):
    return any(v != KEEP for by_if in assignment.values() for peers in by_if.values() for v in peers.values())
