"""The controller's key store under one directory, wireguard_controller_dir:

    public/<interface>/<host>.pub          every member's public key (0644)
    public/<interface>/<host>.psk          with preshared keys: the fingerprint of each key a managed
                                           host holds, '<peer public key> <fingerprint>' a line
    private/<interface>/<host>.key         an unmanaged device's private key
    private/<interface>/<host>.psk.d/<peer>  the preshared keys of its pairs
    export/<interface>/<name>.conf, .png, .qr.txt   its config and QR codes (<name>: a
                                                    tunnel name the apps take, see device_config)

Why a store: peers are computed from the inventory, not from the hosts in the
play, so a run with --limit must still know the keys of hosts it does not
touch. Public keys are not secret; commit them with the inventory. Devices
Ansible cannot reach (phones) get their keys made here, so private/ and
export/ hold secrets: 0700 directories, 0600 files, never committed. The
preshared keys of pairs of managed hosts live only on the two hosts.

The fleet action reads the store with read() and writes what the pipeline
lists with write(); everything between is pure (Snapshot, layout paths).
"""

from __future__ import annotations

import os

from ansible_collections.fleetnet.wireguard.plugins.module_utils import files, preshared_keys, wg_keys

PUBLIC_MODE = 0o644
SECRET_MODE = 0o600
PARTS = ("public", "private", "export")
# QR codes are written, never read back: they follow the config
_UNREAD = (".png", ".qr.txt")


def public_path(ifname, host):
    return "public/%s/%s.pub" % (ifname, host)


def psk_fingerprints_path(ifname, host):
    """What the last plan gave a managed host, as fingerprints (preshared_keys.fingerprint:
    16 hex digits of a SHA-256, nothing to recover a key from), so a re-run plans its
    pairs without asking the host first; the host's apply checks them."""
    return "public/%s/%s.psk" % (ifname, host)


def device_key_path(ifname, host):
    return "private/%s/%s.key" % (ifname, host)


def device_psk_dir(ifname, host):
    """Named as on a host, beside the device's key (preshared_keys.directory)."""
    return preshared_keys.directory("private/%s" % ifname, host)


def device_psk_path(ifname, host, peer):
    return "%s/%s" % (device_psk_dir(ifname, host), preshared_keys.file_name(peer))


def export_paths(ifname, name):
    base = "export/%s/%s" % (ifname, name)
    return {"conf": base + ".conf", "png": base + ".png", "txt": base + ".qr.txt"}


class Snapshot:
    """What the store held when the run began: {relative path: text} (None
    for files that are never read back). Loose modes are key_store_guard's."""

    def __init__(self, stored=None):
        self.files = dict(stored or {})
        self._psk_dirs = None

    @classmethod
    def of(cls, public_keys=(), device_keys=()):
        """A store holding these keys ({(ifname, host): key}), as tests,
        benchmarks and the example renderer give them."""
        stored = {public_path(i, h): k + "\n" for (i, h), k in dict(public_keys).items()}
        stored.update((device_key_path(i, h), k + "\n") for (i, h), k in dict(device_keys).items())
        return cls(stored)

    def text(self, path):
        return self.files.get(path)

    def key(self, path):
        """The valid WireGuard key a file holds, or None."""
        text = (self.text(path) or "").strip()
        return text if text and wg_keys.is_valid_key(text) else None

    def public_key(self, ifname, host):
        return self.key(public_path(ifname, host))

    def preshared_fingerprints(self, ifname, host):
        """{peer public key: fingerprint} recorded for a managed host, or None
        when there is no record (or a damaged one: the host reports its own)."""
        text = self.text(psk_fingerprints_path(ifname, host))
        try:
            return None if text is None else preshared_keys.parse_lines(text, "fingerprint")
        except ValueError:
            return None

    def device_key(self, ifname, host):
        return self.key(device_key_path(ifname, host))

    def device_preshared_keys(self, ifname, host):
        """{peer public key: key} of a device's pairs. A damaged file is listed
        too: its fingerprint matches nothing, so it is replaced or removed."""
        if self._psk_dirs is None:
            self._psk_dirs = {}
            for path, text in self.files.items():
                directory, dummy, name = path.rpartition("/")
                if directory.endswith(".psk.d") and (text or "").strip():
                    self._psk_dirs.setdefault(directory, {})[preshared_keys.public_key_of(name)] = text.strip()
        return dict(self._psk_dirs.get(device_psk_dir(ifname, host), {}))

    def members(self):
        """{ifname: {host}} of every public key stored: the members each
        interface had when the store was last written, which is how a run
        knows which peers and interfaces it is about to remove."""
        found = {}
        for path in self.files:
            top, dummy, rest = path.partition("/")
            ifname, dummy, name = rest.partition("/")
            if top == "public" and name.endswith(".pub") and "/" not in name:
                found.setdefault(ifname, set()).add(name[:-len(".pub")])
        return found

    def exists(self, path):
        return path in self.files

    def change(self, path, content, mode):
        """The write that makes ``path`` hold ``content`` (written with
        ``mode``), or None when it already does (content None: remove it)."""
        if content is None:
            return {"path": path, "content": None} if path in self.files else None
        if path in self.files and (self.files[path] or "").strip() == content.strip():
            return None
        return {"path": path, "content": content, "mode": mode}


def read(root, parts=PARTS):
    """The store's files under ``parts`` (of public, private, export) as a
    Snapshot; empty when the directory does not exist."""
    stored = {}
    for top in parts:
        for directory, dirnames, names in os.walk(os.path.join(root, top)):
            dirnames.sort()
            relative = os.path.relpath(directory, root).replace(os.sep, "/")
            for name in names:
                if name.startswith("."):
                    continue  # a temporary file of an interrupted write
                text = None if name.endswith(_UNREAD) else files.read_text(os.path.join(directory, name))
                stored["%s/%s" % (relative, name)] = text
    return Snapshot(stored)


def write(root, changes):
    """Apply the pipeline's list of changes. A secret's directories are 0700
    from the store's top level down; its file is written 0600 from the start."""
    for change in changes:
        path = os.path.join(root, *change["path"].split("/"))
        if change["content"] is None:
            if os.path.exists(path):
                os.unlink(path)
            continue
        parts = change["path"].split("/")[:-1]
        if change["mode"] == PUBLIC_MODE:
            os.makedirs(os.path.dirname(path), exist_ok=True)
        else:
            files.ensure_dirs(tuple(os.path.join(root, *parts[:n]) for n in range(1, len(parts) + 1)))
        content = change["content"]
        if isinstance(content, bytes):
            files.write_atomic_bytes(path, content, change["mode"])
        else:
            files.write_atomic(path, content, change["mode"])
