"""What each host gets, from the fleet model and its topology: the arguments
of fleetnet.wireguard.interface and of fleetnet.wireguard.routing for one
interface, and the checks that need a host's peer list. The stages around
them are in pipeline.py."""

from __future__ import annotations

import ipaddress

from ansible_collections.fleetnet.wireguard.plugins.module_utils import device_config, host_args, topology, validation


def _is_default(prefix):
    return prefix.endswith("/0")


def firewall_hosts(interfaces):
    """Hosts that need iptables or nftables: gateways (MASQUERADE), and hosts
    with a /0 in AllowedIPs (wg-quick marks packets with them)."""
    hosts = set()
    for members in interfaces.values():
        exits = any(_is_default(p) for m in members.values() for p in m["allowed_ips"])
        for host, m in members.items():
            if m["gateway"] or any(_is_default(p) for p in m["via_hub"]) or (exits and not topology.is_spoke(m)):
                hosts.add(host)
    return sorted(hosts)


def interface_args(topo, host):
    """The arguments of fleetnet.wireguard.interface for one host's interface."""
    m = topo.members[host]
    args = {
        "name": topo.ifname,
        "addresses": topo.address_lines(host),
        "listen_port": topology.listen_port(m),
        "peers": topo.peers_of(host),
    }
    for key in host_args.OPTIONS:
        if key in m["options"]:
            args[key] = m["options"][key]
    if m["keep_management_path"] and m["management_address"]:
        args["post_up"], args["pre_down"] = _management_rule_hooks(m["management_address"], args)
    return args


def routing_args(topo, host, listen_port):
    """One entry of fleetnet.wireguard.routing's ``interfaces`` argument."""
    m = topo.members[host]
    return {"name": topo.ifname, "port": listen_port, "forwarding": topo.routes_forwarded(host),
            "gateway": m["gateway"], "prefixes": topo.prefixes}


def _management_rule_hooks(address, args):
    """Traffic from the address the controller uses keeps the main table, so
    replies to the controller never enter the tunnel's default route."""
    family = "-6" if ":" in address else "-4"
    rule = "ip %s rule %%s from %s lookup main priority 1000" % (family, address)
    post_up = list(args.get("post_up") or []) + [rule % "add"]
    pre_down = [rule % "del"] + list(args.get("pre_down") or [])
    return post_up, pre_down


def check_peers(topos, problems):
    """Every check that needs a host's peer list (a prefix claimed by two of
    its peers; AllowedIPs that capture the controller's path), with the peer
    lists computed only for the hosts where one can fail: validation runs
    them before any host is touched without planning the whole fleet."""
    for ifname in sorted(topos):
        topo = topos[ifname]
        suspects = set(topo.members) if _claimed_twice(topo) else _management_suspects(topo)
        for host in sorted(suspects):
            args = interface_args(topo, host)
            validation.check_allowed_ips(host, ifname, args["peers"], problems)
            validation.check_management_path(topo.members[host], args, problems)
        # what a device's exported config would hold that the apps refuse
        for host in sorted(h for h, m in topo.members.items() if m["unmanaged"]):
            device_config.check(host, ifname, topo.members[host], interface_args(topo, host), topo.members, problems)


def _claimed_twice(topo):
    """Whether some host could see a prefix in two of its peer entries. A
    backbone member's entry (what it answers for, its spokes included) is
    seen by the other backbone members, a spoke's own entry by its hub alone,
    and a spoke sees one entry. So a prefix is claimed once when a single
    backbone entry holds it and no two spokes of one hub list it."""
    owner = {}
    for name, prefixes in topo.behind.items():
        for prefix in prefixes:
            if owner.setdefault(prefix, name) != name:
                return True
    for spokes in topo.spokes.values():
        seen = set()
        for spoke in spokes:
            own = set(topo.own_prefixes(spoke))
            if seen & own:
                return True
            seen |= own
    return False


def _management_suspects(topo):
    """Hosts whose management address (or the controller's own address
    toward them) lies inside a prefix that any member's peer entries, address
    lines or network can hold: a superset of what each host's check looks at."""
    candidates = [m for m in topo.members.values()
                  if m["management_address"] and not m["unmanaged"]
                  and str(m["options"].get("table") or "auto").lower() in ("auto", "main")]
    if not candidates:
        return set()
    # a host prefix (/32, /128) holds one tunnel address: a set lookup; the few
    # other prefixes are parsed once each and indexed by length
    tunnel_addresses = set()
    prefixes = set(topo.prefixes)
    for m in topo.members.values():
        tunnel_addresses.update(m["addresses"])
        prefixes.update(m["allowed_ips"] + m["via_hub"] + m["network"])
        prefixes.update("%s/%d" % item for item in m["address_prefixlens"].items())
    by_length = {}
    for prefix in prefixes:
        _index(by_length, prefix)
    suspects = set()
    for m in candidates:
        for address in (m["management_address"], m.get("controller_address")):
            ip = ipaddress.ip_address(address) if address else None
            if ip is not None and (str(ip) in tunnel_addresses or _inside(by_length, ip)):
                suspects.add(m["host"])
    return suspects


def _inside(by_length, ip):
    value = int(ip)
    return any(version == ip.version and (value >> (ip.max_prefixlen - length)) in networks
               for (version, length), networks in by_length.items())


def _index(by_length, prefix):
    net = ipaddress.ip_interface(prefix).network
    by_length.setdefault((net.version, net.prefixlen), set()).add(int(net.network_address) >> (net.max_prefixlen - net.prefixlen))
