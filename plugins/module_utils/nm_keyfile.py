"""A WireGuard tunnel as a NetworkManager keyfile connection (the
``networkmanager`` backend, see nm_apply.py).

Pure: takes the WgConfig the host plan already builds for wg-quick, with the
private and preshared keys filled in, and gives the text of
/etc/NetworkManager/system-connections/fleetnet-<ifname>.nmconnection.
NetworkManager ignores a keyfile that others can read, and the keys are
written there and nowhere else: never on an nmcli command line, which
/proc/<pid>/cmdline shows to every user.

What this collection created is told by two things together: the file name
(``fleetnet-<ifname>.nmconnection``) and the connection's uuid, derived from
the interface name; a connection a user made by hand has neither.
"""

from __future__ import annotations

import os
import re
import uuid as _uuid

from ansible_collections.fleetnet.wireguard.plugins.module_utils import wg_config

CONNECTION_DIR = "/etc/NetworkManager/system-connections"
PREFIX = "fleetnet-"
SUFFIX = ".nmconnection"
REDACTED = wg_config.REDACTED
SECRET_KEYS = ("private-key", "preshared-key")
# a stable uuid per interface name: a re-run rewrites the same connection
_NAMESPACE = _uuid.UUID("6d1f4c0e-8a53-4f7e-9a51-0f3c2b7e9d10")
_SECRET_LINE = re.compile(r"^(%s)=.*$" % "|".join(SECRET_KEYS), re.M)
_UUID_LINE = re.compile(r"^uuid=(\S+)\s*$", re.M)


def connection_uuid(ifname):
    return str(_uuid.uuid5(_NAMESPACE, "fleetnet.wireguard/" + ifname))


def path(ifname, directory=None):
    return os.path.join(directory or CONNECTION_DIR, PREFIX + ifname + SUFFIX)


def interface_of(filename):
    """'fleetnet-wg0.nmconnection' -> 'wg0'; None for any other file."""
    if filename.startswith(PREFIX) and filename.endswith(SUFFIX) and len(filename) > len(PREFIX) + len(SUFFIX):
        return filename[len(PREFIX):-len(SUFFIX)]
    return None


def is_ours(ifname, text):
    """Whether a keyfile's text is the connection this collection made for ifname."""
    found = _UUID_LINE.search(text or "")
    return bool(found) and found.group(1) == connection_uuid(ifname)


def redact_text(text):
    """The keyfile with its secrets replaced (for diffs)."""
    return _SECRET_LINE.sub(lambda m: "%s=%s" % (m.group(1), REDACTED), text or "")


def _split_addresses(addresses):
    v4 = [a for a in addresses if ":" not in a]
    v6 = [a for a in addresses if ":" in a]
    return v4, v6


def _ip_section(name, addresses, dns):
    if not addresses:
        return ["[%s]" % name, "method=disabled"]
    lines = ["[%s]" % name, "method=manual"]
    lines += ["address%d=%s" % (i, a) for i, a in enumerate(addresses, 1)]
    if dns:
        lines.append("dns=%s;" % ";".join(dns))
    # WireGuard routes come from the peers' allowed IPs (wireguard.peer-routes),
    # never a default gateway of the tunnel's own
    lines.append("never-default=true")
    return lines


def render(ifname, config):
    """Keyfile text for one interface. config: a WgConfig whose interface
    holds PrivateKey and whose peers hold their PresharedKey, if any."""
    iface = config.interface
    lines = [
        "[connection]",
        "id=%s" % ifname,
        "uuid=%s" % connection_uuid(ifname),
        "type=wireguard",
        "interface-name=%s" % ifname,
        "autoconnect=true",
        "",
        "[wireguard]",
        "private-key=%s" % iface.get("PrivateKey"),
        "private-key-flags=0",
    ]
    for key, nm_key in (("ListenPort", "listen-port"), ("FwMark", "fwmark"), ("MTU", "mtu")):
        if iface.get(key):
            lines.append("%s=%s" % (nm_key, iface.get(key)))
    for peer in config.peers:
        lines += ["", "[wireguard-peer.%s]" % peer.get("PublicKey")]
        if peer.get("Endpoint"):
            lines.append("endpoint=%s" % peer.get("Endpoint"))
        if peer.get("PresharedKey"):
            lines += ["preshared-key=%s" % peer.get("PresharedKey"), "preshared-key-flags=0"]
        if peer.get("PersistentKeepalive"):
            lines.append("persistent-keepalive=%s" % peer.get("PersistentKeepalive"))
        lines.append("allowed-ips=%s;" % ";".join(peer.get("AllowedIPs", [])))
    v4, v6 = _split_addresses(iface.get("Address", []))
    dns4, dns6 = _split_addresses(iface.get("DNS", []))
    lines += [""] + _ip_section("ipv4", v4, dns4) + [""] + _ip_section("ipv6", v6, dns6)
    return "\n".join(lines) + "\n"


def mtu_of(text):
    """The mtu= of a keyfile's [wireguard] section, or None: NetworkManager
    cannot reapply an MTU change to an active connection."""
    found = re.search(r"^mtu=(\S+)\s*$", text or "", re.M)
    return found.group(1) if found else None


_SECTION = re.compile(r"^\[(.+)\]\s*$")
PEER_SECTION = "wireguard-peer."
# [wireguard] keys WireGuard takes on a live device (`wg set`); the peers' sections all are
LIVE_KEYS = ("private-key", "listen-port")


def _sections(text):
    """-> [(section name, [its key=value lines])] in the order of the text."""
    out = []
    for line in (text or "").splitlines():
        found = _SECTION.match(line)
        if found:
            out.append((found.group(1), []))
        elif line.strip() and out:
            out[-1][1].append(line.strip())
    return out


def _value(line):
    return line.split("=", 1)[1] if "=" in line else ""


def _key(line):
    return line.split("=", 1)[0]


def peer_keys(text):
    """The public keys of a keyfile's peers, in its order."""
    return [name[len(PEER_SECTION):] for name, dummy in _sections(text) if name.startswith(PEER_SECTION)]


def allowed_ips(text):
    """Every peer's allowed-ips of a keyfile, in its order, each once (as written)."""
    out = []
    for name, lines in _sections(text):
        if name.startswith(PEER_SECTION):
            for line in lines:
                if _key(line) == "allowed-ips":
                    out += [p for p in _value(line).split(";") if p and p not in out]
    return out


def reapply_reason(old_text, new_text):
    """Why a change between two of our keyfiles cannot go onto the live device
    with `wg set` alone (and NetworkManager must reapply it), or None when all
    that changed is the peers, the private key or the listen port.

    Addresses, DNS, MTU, fwmark and the [connection] are NetworkManager's to
    apply; so is a default route (/0) among the allowed IPs, which decides
    NetworkManager's default-route handling."""
    def fixed(text):
        out = []
        for name, lines in _sections(text):
            if name.startswith(PEER_SECTION):
                continue
            if name == "wireguard":
                lines = [line for line in lines if _key(line) not in LIVE_KEYS]
            out.append((name, lines))
        return out

    old, new = dict(fixed(old_text)), dict(fixed(new_text))
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            return "its [%s] settings changed" % name

    def default_route(text):
        return any(p.endswith("/0") for p in allowed_ips(text))

    if default_route(old_text) != default_route(new_text):
        return "a default route (/0) in allowed IPs appeared or went away"
    return None
