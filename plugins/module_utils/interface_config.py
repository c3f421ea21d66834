"""The wg-quick file we write for a desired interface.

The private key stays in its own 0600 file and is loaded by the first
PostUp, so the config never holds it (as in the talk's example). That makes
`wg syncconf` unsafe for this file, which is why we never use it: live
changes go through `wg set` and `ip` (see reconcile.py).
"""

from __future__ import annotations

from ansible_collections.fleetnet.wireguard.plugins.module_utils import wg_config

HEADER = "Managed by fleetnet.wireguard; local edits are replaced on the next run."
HOOKS = (("pre_up", "PreUp"), ("post_up", "PostUp"), ("pre_down", "PreDown"), ("post_down", "PostDown"))


def key_hook(private_key_path):
    return "wg set %%i private-key %s" % private_key_path


def _list(value):
    if value in (None, ""):
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def build(desired, private_key_path, preshared_key_hook=None):
    """desired: dict with name, addresses, listen_port, peers and options;
    preshared_key_hook: the PostUp line that loads preshared keys, if any peer has one."""
    iface = wg_config.Section(wg_config.INTERFACE)
    iface.set("Address", _list(desired.get("addresses")))
    if desired.get("listen_port"):
        iface.set("ListenPort", desired["listen_port"])
    for key, name in (("fwmark", "FwMark"), ("mtu", "MTU"), ("dns", "DNS"), ("table", "Table")):
        if desired.get(key) not in (None, "", []):
            iface.set(name, desired[key])
    for key, name in HOOKS:
        hooks = _list(desired.get(key))
        if name == "PostUp":
            hooks = [key_hook(private_key_path)] + ([preshared_key_hook] if preshared_key_hook else []) + hooks
        iface.set(name, hooks)
    peers = []
    for peer in sorted(desired.get("peers") or [], key=lambda p: (p.get("name") or "", p["public_key"])):
        section = wg_config.Section(wg_config.PEER, comment=peer.get("name"))
        section.set("PublicKey", peer["public_key"])
        section.set("Endpoint", peer.get("endpoint"))
        section.set("AllowedIPs", _list(peer.get("allowed_ips")))
        if peer.get("persistent_keepalive"):
            section.set("PersistentKeepalive", peer["persistent_keepalive"])
        peers.append(section)
    return wg_config.WgConfig(iface, peers)


def render(desired, private_key_path):
    return wg_config.render(build(desired, private_key_path), header=HEADER)
