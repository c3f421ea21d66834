"""Configs for devices Ansible cannot reach (phones, tablets), made on the
controller and imported by the WireGuard apps from a file or a QR code.

The apps reject keys they do not know: Android takes only Address, DNS,
ListenPort, MTU and PrivateKey in [Interface]. So no Table, hooks or FwMark,
and the private key is written inline (the app has no key file to load).
"""

from __future__ import annotations

import io

from ansible_collections.fleetnet.wireguard.plugins.module_utils import wg_config

APP_INTERFACE_KEYS = ("PrivateKey", "Address", "DNS", "MTU", "ListenPort")
APP_PEER_KEYS = ("PublicKey", "PresharedKey", "Endpoint", "AllowedIPs", "PersistentKeepalive")


def build(desired, private_key):
    iface = wg_config.Section(wg_config.INTERFACE)
    iface.set("PrivateKey", private_key)
    iface.set("Address", desired.get("addresses") or [])
    iface.set("DNS", desired.get("dns") or [])
    iface.set("MTU", desired.get("mtu"))
    peers = []
    for peer in desired.get("peers") or []:
        section = wg_config.Section(wg_config.PEER, comment=peer.get("name"))
        section.set("PublicKey", peer["public_key"])
        section.set("PresharedKey", peer.get("preshared_key"))
        section.set("Endpoint", peer.get("endpoint"))
        section.set("AllowedIPs", peer.get("allowed_ips") or [])
        if peer.get("persistent_keepalive"):
            section.set("PersistentKeepalive", peer["persistent_keepalive"])
        peers.append(section)
    return wg_config.WgConfig(iface, peers)


def unsafe_keys(config):
    """Keys a phone app would refuse."""
    bad = [k for k in config.interface.keys() if k not in APP_INTERFACE_KEYS]
    for peer in config.peers:
        bad += [k for k in peer.keys() if k not in APP_PEER_KEYS]
    return bad


def render(desired, private_key):
    return wg_config.render(build(desired, private_key))


def qr_codes(text):
    """The config as a QR code: {"png": image bytes, "txt": text for a terminal}."""
    import segno  # controller-only dependency, imported only when a config changed

    qr = segno.make(text, error="m")
    png = io.BytesIO()
    qr.save(png, kind="png", scale=5)
    terminal = io.StringIO()
    qr.terminal(out=terminal, compact=True)
    return {"png": png.getvalue(), "txt": terminal.getvalue()}
