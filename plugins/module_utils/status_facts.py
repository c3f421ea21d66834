"""What the info module reads on a host, as facts: the link, its addresses,
`wg show dump`, the wg-quick file (without its secrets) and how it differs
from the live interface, the service, the UDP sockets on its port, the
forwarding sysctls and whether a MASQUERADE rule exists.

Host side: shipped with the info module to every host, so it imports only
host-side module_utils (the controller judges these facts in status_report).
"""

from __future__ import annotations

import ipaddress

from ansible_collections.fleetnet.wireguard.plugins.module_utils import endpoint, reconcile, wg_config, wg_dump, wg_values


def parse_link(entries):
    """`ip -j -d link show dev IF` -> up, implementation (kernel/userspace), mtu."""
    link = entries[0] if entries else {}
    kind = (link.get("linkinfo") or {}).get("info_kind")
    return {
        "up": "UP" in (link.get("flags") or []),
        # wireguard-go runs on a tun device; the kernel module makes its own kind
        "implementation": {"wireguard": "kernel", "tun": "userspace"}.get(kind),
        "mtu": link.get("mtu"),
    }


def parse_udp_sockets(text):
    """`ss -Hulnp` -> [{port, address, process}] (process None for kernel sockets)."""
    sockets = []
    for line in (text or "").splitlines():
        fields = line.split()
        if len(fields) < 5:
            continue
        local = fields[3]
        address, port = endpoint.split_live(local)
        if not port.isdigit():
            continue
        process = None
        rest = " ".join(fields[5:])
        if 'users:(("' in rest:
            process = rest.split('users:(("', 1)[1].split('"', 1)[0]
        sockets.append({"port": int(port), "address": address, "process": process})
    return sockets


def port_holders(sockets, port, up):
    """Sockets that keep an interface from its port. While the interface is up
    its own socket is there too (wireguard-go's, or the kernel's, which has no
    process); while it is down, anything on the port is in the way."""
    if not port:
        return []
    return [s for s in sockets if s["port"] == port
            and (not up or (s["process"] is not None and s["process"] != "wireguard-go"))]


def has_masquerade(outputs):
    """outputs: {tool: text, or None when the tool is missing or failed}.
    -> True/False, or None when no tool could be asked."""
    ran = [text for text in outputs.values() if text is not None]
    if not ran:
        return None
    return any("masquerade" in text.lower() for text in ran)


def config_summary(text):
    """The wg-quick file as facts, without its secrets (PrivateKey, PresharedKey)."""
    if text is None:
        return {"exists": False}
    try:
        config = wg_config.parse(text)
    except wg_config.ConfigError as exc:
        # the message may quote the line, and the line may hold a key
        return {"exists": True, "error": "line %d does not parse" % exc.lineno}
    port = config.interface.get("ListenPort")
    return {
        "exists": True,
        "error": None,
        "addresses": list(config.interface.get("Address", [])),
        "listen_port": int(port) if port and str(port).isdigit() else None,
        "peers": {
            p.get("PublicKey"): {
                "endpoint": p.get("Endpoint"),
                "allowed_ips": list(p.get("AllowedIPs", [])),
                "persistent_keepalive": _keepalive(p.get("PersistentKeepalive")),
            } for p in config.peers
        },
    }


def _keepalive(value):
    try:
        return wg_values.keepalive(value) or None
    except ValueError:
        return None  # wg-quick refuses such a file: the unit's state tells it


def _prefixes(values):
    out = set()
    for value in values:
        try:
            out.add(wg_values.prefix(value))
        except ValueError:
            out.add(value)
    return out


def short_key(key):
    return key[:8] + "..." if key else "?"


def config_drift(summary, live_state, live_addresses):
    """How the running interface differs from its file, one line each."""
    if not summary.get("exists") or summary.get("error") or live_state is None:
        return []
    drift = []
    if summary["listen_port"] and summary["listen_port"] != live_state.get("listen_port"):
        drift.append("listen port: file %s, live %s" % (summary["listen_port"], live_state.get("listen_port")))
    file_addresses = {str(ipaddress.ip_interface(a)) for a in summary["addresses"]}
    live = {str(ipaddress.ip_interface(a)) for a in live_addresses}
    for address in sorted(file_addresses - live):
        drift.append("address %s is in the file but not on the interface" % address)
    for address in sorted(live - file_addresses):
        drift.append("address %s is on the interface but not in the file" % address)
    peers = live_state.get("peers") or {}
    for key in sorted(set(summary["peers"]) - set(peers)):
        drift.append("peer %s is in the file but not live" % short_key(key))
    for key in sorted(set(peers) - set(summary["peers"])):
        drift.append("peer %s is live but not in the file" % short_key(key))
    for key in sorted(set(peers) & set(summary["peers"])):
        want, have = summary["peers"][key], peers[key]
        if _prefixes(want["allowed_ips"]) != _prefixes(have["allowed_ips"]):
            drift.append("peer %s: allowed IPs %s in the file, %s live" % (
                short_key(key), ",".join(sorted(_prefixes(want["allowed_ips"]))), ",".join(sorted(_prefixes(have["allowed_ips"])))))
        if want["persistent_keepalive"] != have.get("persistent_keepalive"):
            drift.append("peer %s: keepalive %s in the file, %s live" % (
                short_key(key), want["persistent_keepalive"] or "off", have.get("persistent_keepalive") or "off"))
    return drift


def handshake_age(now, latest):
    """Seconds since the latest handshake, None for never (0)."""
    if not latest:
        return None
    return max(0, int(now) - int(latest))


def interface_facts(now, link, addresses, dump, config, service, sockets):
    """One interface's facts from what the host said: `ip -j -d link show`
    (None when the link is absent), `ip -j address show`, `wg show IF dump`
    (None when unavailable), the file's summary, the service's states and the
    UDP sockets. The dump's private key is dropped by wg_dump."""
    facts = {"exists": bool(link), "up": False, "implementation": None, "mtu": None, "addresses": [],
             "public_key": None, "has_private_key": None, "listen_port": None, "peers": {},
             "service": service, "config": config, "config_drift": []}
    state = None
    if link:
        facts.update(parse_link(link))
        facts["addresses"] = reconcile.parse_addresses(addresses or [])
        state = wg_dump.parse_dump(dump) if dump else None
    if state:
        for peer in state["peers"].values():
            peer["handshake_age"] = handshake_age(now, peer["latest_handshake"])
        facts.update({k: state[k] for k in ("public_key", "has_private_key", "listen_port", "peers")})
        facts["config_drift"] = config_drift(config, state, facts["addresses"])
    facts["port_holders"] = port_holders(sockets, facts["listen_port"] or config.get("listen_port"), facts["up"])
    return facts


def endpoint_names(interfaces):
    """The DNS names among the endpoints the wg-quick files dial (an address
    needs no resolving): the host resolves them, so the status report can
    tell which address a live endpoint stands for."""
    names = set()
    for facts in interfaces.values():
        for peer in ((facts.get("config") or {}).get("peers") or {}).values():
            try:
                host = endpoint.parse(peer.get("endpoint") or "")[0]
            except endpoint.EndpointError:
                continue
            if endpoint.ip_of(host) is None:
                names.add(host)
    return sorted(names)


def host_facts(now, interfaces, forwarding, nat_outputs, resolved=None):
    """The info module's result: the interfaces' facts, the forwarding
    sysctls ({ipv4, ipv6}: True/False/None), what the NAT tools said, and
    ``resolved``: {endpoint name: [addresses it resolves to here]}."""
    return {
        "now": int(now),
        "forwarding": forwarding,
        "nat": {"masquerade": has_masquerade(nat_outputs), "sources": sorted(k for k, v in nat_outputs.items() if v is not None)},
        "interfaces": interfaces,
        "resolved": resolved or {},
    }
