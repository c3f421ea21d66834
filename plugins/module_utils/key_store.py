"""The controller's store of public keys: <dir>/public/<interface>/<host>.pub.

Why a store: peers are computed from the inventory, not from the hosts in the
play, so a run with --limit must still know the keys of hosts it does not
touch. Public keys are not secret; commit the store with the inventory.
Keys of unmanaged devices (phones) are made on the controller and kept under
<dir>/private/ (0700 directories, 0600 files): never commit that part. So are
the preshared keys of a device's pairs (the device's config must hold them);
those of pairs of managed hosts live only on the two hosts.
"""

from __future__ import annotations

import os

from ansible_collections.fleetnet.wireguard.plugins.module_utils import files, preshared_keys, wg_keys


def _public_path(root, ifname, host):
    return os.path.join(root, "public", ifname, host + ".pub")


def private_path(root, ifname, host):
    return os.path.join(root, "private", ifname, host + ".key")


def read_public(root, members_by_interface):
    """{(ifname, host): key} for every member whose key is stored."""
    keys = {}
    for ifname, hosts in members_by_interface.items():
        for host in hosts:
            text = files.read_text(_public_path(root, ifname, host))
            if text and wg_keys.is_valid_key(text.strip()):
                keys[(ifname, host)] = text.strip()
    return keys


def stored_members(root):
    """{ifname: {host}} of every public key in the store: the hosts each
    interface had when the store was last written, which is how a run knows
    which peers and interfaces it is about to remove."""
    found = {}
    public = os.path.join(root, "public")
    for ifname in files.list_dir(public):
        for name in files.list_dir(os.path.join(public, ifname)):
            if name.endswith(".pub"):
                found.setdefault(ifname, set()).add(name[:-len(".pub")])
    return found


def forget_public(root, ifname, host):
    """Drop a removed member's public key from the store. -> changed"""
    path = _public_path(root, ifname, host)
    if not os.path.exists(path):
        return False
    os.remove(path)
    return True


def write_public(root, ifname, host, key):
    """Store a host's public key. -> changed"""
    path = _public_path(root, ifname, host)
    if (files.read_text(path) or "").strip() == key:
        return False
    os.makedirs(os.path.dirname(path), exist_ok=True)
    files.write_atomic(path, key + "\n", 0o644)
    return True


def ensure_device_key(root, ifname, host, check_mode=False):
    """Make (once) the private key of a device Ansible cannot reach.
    -> (public key or None in check mode, changed)"""
    path = private_path(root, ifname, host)
    text = files.read_text(path)
    if text and wg_keys.is_valid_key(text.strip()):
        return wg_keys.public_key(text.strip()), False
    if check_mode:
        return None, True
    files.ensure_dirs((os.path.join(root, "private"), os.path.dirname(path)))
    private = wg_keys.generate_private_key()
    files.write_atomic(path, private + "\n", 0o600)
    return wg_keys.public_key(private), True


def read_device_key(root, ifname, host):
    """The device's private key, for writing its config on the controller only."""
    text = files.read_text(private_path(root, ifname, host))
    return text.strip() if text else None


def _device_psk_dir(root, ifname, host):
    return preshared_keys.directory(os.path.join(root, "private", ifname), host)


def read_device_preshared_keys(root, ifname, host):
    """{peer public key: preshared key} of an unmanaged device's pairs."""
    return preshared_keys.read_dir(_device_psk_dir(root, ifname, host))


def write_device_preshared_keys(root, ifname, host, keys):
    """Make the device's stored preshared keys exactly ``keys``. -> changed"""
    directory = _device_psk_dir(root, ifname, host)
    return preshared_keys.write_dir(directory, keys, preshared_keys.read_dir(directory),
                                    parents=(os.path.join(root, "private"), os.path.dirname(directory)))
