"""Configs for devices Ansible cannot reach (phones, tablets), made on the
controller and imported by the WireGuard apps from a file or a QR code.

What the apps accept comes from the wireguard-android config parser
(ui/.../config/Interface.java and Peer.java, the same keys as the Apple
apps): [Interface] takes Address, DNS, ListenPort, MTU, PrivateKey (and the
app-only Excluded/IncludedApplications); [Peer] takes AllowedIPs, Endpoint,
PersistentKeepalive, PresharedKey, PublicKey. Lists are split on commas
only; an endpoint is parsed as the host of a URI, so a name with an
underscore is refused. The file name becomes the tunnel name, which must
match [a-zA-Z0-9_=+.-]{1,15}. So: no Table, hooks or FwMark, the private key
inline (the app has no key file to load), ListenPort when peers dial the
device, and names that the apps take.
"""

from __future__ import annotations

import hashlib
import io
import ipaddress
import re

from ansible_collections.fleetnet.wireguard.plugins.module_utils import qr_text, wg_config

APP_INTERFACE_KEYS = ("PrivateKey", "Address", "DNS", "MTU", "ListenPort")
APP_PEER_KEYS = ("PublicKey", "PresharedKey", "Endpoint", "AllowedIPs", "PersistentKeepalive")
# inventory options a device config cannot hold, with the key wg-quick would write
UNUSABLE_OPTIONS = (("table", "Table"), ("fwmark", "FwMark"), ("pre_up", "PreUp"), ("post_up", "PostUp"),
                    ("pre_down", "PreDown"), ("post_down", "PostDown"))
TUNNEL_NAME = re.compile(r"^[a-zA-Z0-9_=+.-]{1,15}$")
_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def app_host_ok(host):
    """An IP address, or a host name as a URI host (RFC 2396): letters,
    digits and inner hyphens per label, the last label starting with a letter."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
    return len(host) <= 253 and all(_LABEL.match(label) for label in labels) and labels[-1][:1].isalpha()


def check(host, ifname, member, desired, members, problems):
    """What the device config of ``host`` would hold that the apps refuse.
    Runs on the controller with the plan, before any host is touched."""
    prefix = member["var_prefix"]
    for option, key in UNUSABLE_OPTIONS:
        if member["options"].get(option) not in (None, "", []):
            problems.warning(host, prefix + option,
                             "%s on %s is an unmanaged device: its config for the WireGuard apps cannot hold %s, "
                             "so it is left out" % (host, ifname, key),
                             "set %s%s only on managed hosts (host_vars, or a group without %s)" % (prefix, option, host))
    for peer in desired.get("peers") or []:
        ep_host = (peer.get("endpoint") or "").rpartition(":")[0].strip("[]")
        if ep_host and not app_host_ok(ep_host):
            other = members.get(peer["name"]) or {}
            problems.error(peer["name"], other.get("var_prefix", "wireguard_") + "endpoint",
                           "%r is in %s's device config (%s), and the WireGuard apps refuse it as a host name "
                           "(an underscore, or a label that is not letters, digits and inner hyphens)" % (ep_host, host, ifname),
                           "give %s an IP address or a DNS name of letters, digits, dots and hyphens" % peer["name"])


def tunnel_names(hosts):
    """{host: file name stem the apps take as a tunnel name}: the host's name
    when it fits, else its valid characters cut short with a hash of the
    whole name, so two long names never share a file."""
    hosts = sorted(hosts)  # any iterable, read once
    names = {}
    for host in hosts:
        if TUNNEL_NAME.match(host):
            names[host] = host
    taken = set(names.values())
    for host in hosts:
        if host in names:
            continue
        stem = re.sub(r"[^a-zA-Z0-9_=+.-]", "-", host)[:10]
        name = "%s-%s" % (stem, hashlib.sha256(host.encode()).hexdigest()[:4])
        n = 0
        while name in taken:
            n += 1
            name = "%s-%s" % (stem, hashlib.sha256(("%s/%d" % (host, n)).encode()).hexdigest()[:4])
        names[host] = name
        taken.add(name)
    return names


def build(desired, private_key):
    iface = wg_config.Section(wg_config.INTERFACE)
    iface.set("PrivateKey", private_key)
    iface.set("Address", desired.get("addresses") or [])
    iface.set("DNS", desired.get("dns") or [])
    iface.set("MTU", desired.get("mtu"))
    # peers dial a device with an endpoint on its port: it must listen there
    iface.set("ListenPort", desired.get("listen_port"))
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


def render(desired, private_key, host=None, ifname=None):
    header = None
    if host:
        header = "%s on %s (fleetnet.wireguard device config; the file name is the tunnel name)" % (host, ifname)
    return wg_config.render(build(desired, private_key), header=header)


def qr_codes(text):
    """The config as a QR code: {"png": image bytes, "txt": text for a
    terminal that scans on light and dark backgrounds alike}."""
    import segno  # controller-only dependency, imported only when a config changed

    qr = segno.make(text, error="m")
    png = io.BytesIO()
    qr.save(png, kind="png", scale=5)
    return {"png": png.getvalue(), "txt": qr_text.terminal(qr.matrix)}
