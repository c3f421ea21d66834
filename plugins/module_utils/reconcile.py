"""Plan the changes that bring a live interface to its new config without
taking it down: peers through `wg set`, addresses, MTU and routes through `ip`.

Plain data in, a list of commands out, so the plan is unit-tested without a
host. What only a restart can apply (hooks, DNS, Table, FwMark, a default
route appearing or going) is reported as a restart reason instead.

Order matters for not dropping traffic: peers are added and updated before
any is removed (a rotated key's new peer takes over the allowed IPs of the
old one before the old one goes), routes are added before stale ones go.
"""

from __future__ import annotations

import ipaddress
import json

from ansible_collections.fleetnet.wireguard.plugins.module_utils import endpoint, preshared_keys, runner, wg_config, wg_dump, wg_values

RESTART_KEYS = ("Table", "DNS", "FwMark", "PreUp", "PostUp", "PreDown", "PostDown", "SaveConfig")


def _net(prefix):
    return ipaddress.ip_network(prefix, strict=False)


def _is_default(prefix):
    return _net(prefix).prefixlen == 0


def _peers_by_key(config):
    return {p.get("PublicKey"): p for p in config.peers}


def restart_reason(old, new):
    """Why a running interface must be restarted to take ``new``, or None."""
    if old is None:
        return None

    def hooks(config, key):
        # the preshared-key loader only matters at start; live, wg set does its job
        return [line for line in config.interface.get(key) or [] if not preshared_keys.is_loader_hook(line)]

    for key in RESTART_KEYS:
        if hooks(old, key) != hooks(new, key):
            return "%s changed" % key

    def default_routes(config):
        return any(_is_default(p) for peer in config.peers for p in peer.get("AllowedIPs", []))

    if default_routes(old) != default_routes(new):
        return "a default route (/0) in AllowedIPs appeared or went away"
    return None


def _normalized(prefixes):
    return sorted(wg_values.prefix(p) for p in prefixes)


def _endpoint_matches(wanted, current, resolve):
    if not wanted:
        return True  # no configured endpoint: whatever the peer roams to is right
    if current is None:
        return False
    host, port = endpoint.split_live(wanted)
    try:
        ipaddress.ip_address(host)
        addresses = [host]
    except ValueError:
        addresses = resolve(host) if resolve else []
        if not addresses:
            return True  # cannot tell here; do not flap the live endpoint
    cur_host, cur_port = endpoint.split_live(current)
    return cur_port == port and any(ipaddress.ip_address(a) == ipaddress.ip_address(cur_host) for a in addresses)


def peer_commands(ifname, live, new, resolve=None, preshared=None):
    """Commands that turn the live peers into ``new``'s peers.

    preshared: None leaves preshared keys alone; else {public key:
    (fingerprint, key file)} for the peers that have one, the others get none.
    """
    wanted = _peers_by_key(new)
    commands = []
    for key, peer in wanted.items():
        current = live["peers"].get(key)
        psk_args = []
        if preshared is not None:
            fp, path = preshared.get(key, (None, "/dev/null"))
            if (current or {}).get("preshared_key_fingerprint") != fp and (current is not None or fp):
                psk_args = ["preshared-key", path]
        allowed = _normalized(peer.get("AllowedIPs", []))
        keepalive = wg_values.keepalive(peer.get("PersistentKeepalive"))
        endpoint = peer.get("Endpoint")
        args = []
        if current is None or _normalized(current["allowed_ips"]) != allowed:
            args += ["allowed-ips", ",".join(allowed)]
        if endpoint and (current is None or not _endpoint_matches(endpoint, current["endpoint"], resolve)):
            args += ["endpoint", endpoint]
        if current is None or (current["persistent_keepalive"] or 0) != keepalive:
            args += ["persistent-keepalive", str(keepalive)]
        if args or psk_args:
            verb = "add" if current is None else "update"
            what = "" if not psk_args else " (preshared key %s)" % ("cleared" if psk_args[1] == "/dev/null" else "set")
            commands.append((["wg", "set", ifname, "peer", key] + args + psk_args, "%s peer %s%s" % (verb, key, what)))
    for key in sorted(live["peers"]):
        if key not in wanted:
            commands.append((["wg", "set", ifname, "peer", key, "remove"], "remove peer %s" % key))
    return commands


def interface_commands(ifname, live, new, public_key, private_key_path):
    commands = []
    if live["public_key"] != public_key or not live["has_private_key"]:
        commands.append((["wg", "set", ifname, "private-key", private_key_path], "load the private key (sessions restart)"))
    port = new.interface.get("ListenPort")
    if port and live["listen_port"] != int(port):
        commands.append((["wg", "set", ifname, "listen-port", str(port)], "listen on port %s" % port))
    return commands


def address_commands(ifname, current_addresses, new):
    wanted = [str(ipaddress.ip_interface(a)) for a in new.interface.get("Address", [])]
    have = [str(ipaddress.ip_interface(a)) for a in current_addresses]
    commands = [(["ip", "address", "add", a, "dev", ifname], "add address %s" % a) for a in wanted if a not in have]
    commands += [(["ip", "address", "del", a, "dev", ifname], "remove address %s" % a) for a in have if a not in wanted]
    return commands


def mtu_commands(ifname, current_mtu, new):
    mtu = new.interface.get("MTU")
    if mtu and current_mtu != int(mtu):
        return [(["ip", "link", "set", "mtu", str(mtu), "dev", ifname], "set MTU %s" % mtu)]
    return []


def route_table(config):
    """None when wg-quick adds no routes (Table = off), else the table name."""
    table = (config.interface.get("Table") or "auto").lower()
    if table == "off":
        return None
    return "main" if table in ("auto", "main") else table


def route_commands(ifname, current_routes, new, only=None):
    """current_routes: [{'dst': prefix, 'table': name, 'kernel': bool}] on this device.

    Like wg-quick, a prefix already covered by a route on the device (such as
    the connected route of the Address) gets no route of its own. ``only``
    limits the commands to those prefixes (one peer's, for the peer module)
    while every peer of ``new`` still counts for what stays wanted.
    """
    table = route_table(new)
    if table is None:
        return []
    only = None if only is None else {wg_values.prefix(p) for p in only}
    routes = [dict(r, net=_net(r["dst"])) for r in current_routes if r["table"] == table]
    wanted = []
    for peer in new.peers:
        for prefix in peer.get("AllowedIPs", []):
            if not _is_default(prefix) and wg_values.prefix(prefix) not in wanted:
                wanted.append(wg_values.prefix(prefix))
    connected = [r["net"] for r in routes if r["kernel"]]
    table_args = [] if table == "main" else ["table", table]
    commands = []
    have = {str(r["net"]) for r in routes}
    for prefix in wanted:
        net = _net(prefix)
        covered = any(c.version == net.version and net.subnet_of(c) for c in connected)
        if prefix not in have and not covered and (only is None or prefix in only):
            commands.append((["ip", "-%d" % net.version, "route", "add", prefix, "dev", ifname] + table_args, "route %s" % prefix))
    for r in routes:
        stale = str(r["net"]) not in wanted and (only is None or str(r["net"]) in only)
        if not r["kernel"] and r["net"].prefixlen and stale:
            commands.append((["ip", "-%d" % r["net"].version, "route", "del", str(r["net"]), "dev", ifname] + table_args,
                             "remove route %s" % r["net"]))
    return commands


def plan(ifname, live, new, public_key, private_key_path, addresses, routes, mtu, resolve=None, preshared=None):
    """All live commands, interface first, then peers, addresses, MTU, routes."""
    return (interface_commands(ifname, live, new, public_key, private_key_path)
            + peer_commands(ifname, live, new, resolve, preshared)
            + address_commands(ifname, addresses, new)
            + mtu_commands(ifname, mtu, new)
            + route_commands(ifname, routes, new))


def parse_routes(entries):
    """`ip -j route show table all dev X` entries -> route dicts we compare."""
    out = []
    for e in entries:
        if e.get("type") or e.get("dst") in (None, "default"):
            continue
        dst = e["dst"]
        out.append({"dst": wg_values.prefix(dst), "table": str(e.get("table", "main")), "kernel": e.get("protocol") == "kernel"})
    return out


def live_reads(ifname):
    """The read-only commands whose outputs parse_live takes, by name."""
    return {name: runner.argv(command, ifname=ifname)
            for name, command in (("dump", "wg_dump"), ("addresses", "addresses"), ("routes4", "routes4"),
                                  ("routes6", "routes6"), ("link", "link"))}


def parse_live(outputs):
    """Outputs of live_reads -> (wg state, addresses, routes, mtu)."""
    state = wg_dump.parse_dump(outputs["dump"])
    addresses = parse_addresses(json.loads(outputs["addresses"] or "[]"))
    routes = parse_routes(json.loads(outputs["routes4"] or "[]")) + parse_routes(json.loads(outputs["routes6"] or "[]"))
    link = json.loads(outputs["link"] or "[{}]")
    return state, addresses, routes, link[0].get("mtu")


def parse_addresses(entries):
    """`ip -j address show dev X` -> ['10.10.0.1/24', ...] (global scope only)."""
    out = []
    for link in entries:
        for a in link.get("addr_info", []):
            if a.get("scope") == "global":
                out.append("%s/%d" % (a["local"], a["prefixlen"]))
    return out


__all__ = ["plan", "restart_reason", "parse_routes", "parse_addresses", "live_reads", "parse_live", "wg_config"]
