"""Where the collection keeps things, one spelling of each: the wg-quick
directory and an interface's files in it, the interface's systemd unit,
the hosts file the peer names go to, and the name of the controller's key
store beside the inventory.

Shared: host-side modules use the host paths, the controller its messages
and the key store's default (see the key_store_dir lookup).
"""

from __future__ import annotations

import os

CONFIG_DIR = "/etc/wireguard"
CONFIG_SUFFIX = ".conf"
# every interface's unit, as systemctl list-units takes a pattern
UNIT_PATTERN = "wg-quick@*"
# where wireguard_peer_names writes its block (hosts_block.py)
HOSTS_FILE = "/etc/hosts"
# <inventory dir>/.wireguard: public keys to commit, private/ never
KEY_STORE = ".wireguard"


def config_path(ifname, config_dir=CONFIG_DIR):
    """The wg-quick file of an interface."""
    return os.path.join(config_dir, ifname + CONFIG_SUFFIX)


def private_key_path(ifname, config_dir=CONFIG_DIR):
    """The interface's private key, in its own file (the config never holds it)."""
    return os.path.join(config_dir, ifname + ".key")


def interface_of(filename):
    """'wg0.conf' -> 'wg0'; None for any other file of the directory."""
    if filename.endswith(CONFIG_SUFFIX) and len(filename) > len(CONFIG_SUFFIX):
        return filename[:-len(CONFIG_SUFFIX)]
    return None


def unit(ifname):
    """The systemd unit that brings the interface up at boot."""
    return "wg-quick@%s" % ifname


def key_store(inventory_dir):
    """The key store's default place: beside the inventory."""
    return os.path.join(inventory_dir, KEY_STORE)
