"""Cross-host checks of the fleet model, run on the controller before any
host is touched. Each problem names the host, the variable and the fix."""

from __future__ import annotations

import bisect
import functools
import ipaddress

from ansible_collections.fleetnet.wireguard.plugins.module_utils import endpoint
from ansible_collections.fleetnet.wireguard.plugins.module_utils.topology import dial, is_spoke, listen_port


def _var(member, key):
    return member["var_prefix"] + key


@functools.lru_cache(maxsize=1 << 16)
def _network(prefix):
    """Parsed once per distinct prefix: every host of a mesh lists the same
    prefixes for its peers, and parsing them per peer was most of the plan."""
    return ipaddress.ip_network(prefix)


class _AddressIndex:
    """Tunnel addresses sorted by value: the ones inside a prefix are found
    by bisection, not by testing every address against every prefix (which
    is quadratic when every host has a LAN behind it)."""

    def __init__(self, owners):
        entries = sorted((ip.version, int(ip), host) for ip, host in ((ipaddress.ip_address(a), h) for a, h in owners.items()))
        self._keys = [entry[:2] for entry in entries]
        self._hosts = [entry[2] for entry in entries]

    def hosts_in(self, net):
        low = bisect.bisect_left(self._keys, (net.version, int(net.network_address)))
        high = bisect.bisect_right(self._keys, (net.version, int(net.broadcast_address)))
        return set(self._hosts[low:high])


def check_members(interfaces, problems):
    ports = {}
    for ifname in sorted(interfaces):
        members = interfaces[ifname]
        owners = {}
        declared = {}
        for host in sorted(members):
            m = members[host]
            if m["network"]:
                declared.setdefault(tuple(m["network"]), host)
            for address in m["addresses"]:
                if address in owners:
                    problems.error(host, _var(m, "address"), "%s on %s is already %s's address" % (address, ifname, owners[address]),
                                   "give every host its own tunnel address")
                else:
                    owners[address] = host
            # an interface with no listen port (a roaming spoke that set none) gets one the kernel picks: it shares nothing
            port = listen_port(m)
            if not m["unmanaged"] and port is not None:
                other = ports.get((host, port))
                if other:
                    problems.error(host, _var(m, "port"), "%s and %s both listen on UDP %d" % (other, ifname, port),
                                   "give each interface on a host its own port (the second one would fail to start)")
                ports[(host, port)] = ifname
            for key in ("endpoint", "site_endpoint"):
                # the talk's failure story 3: LAN hosts restarted together never found each other
                if m.get(key) and m.get(key + "_host", "").lower().rstrip(".").endswith(".local"):
                    problems.error(host, _var(m, key), "%s is an mDNS name, which cannot be resolved while the host boots" % m[key + "_host"],
                                   "use an IP address or a DNS name")
            _check_hub(ifname, members, m, problems)
        if len(declared) > 1:
            (first, first_host), (second, second_host) = sorted(declared.items(), key=lambda kv: kv[1])[:2]
            problems.error(second_host, "wireguard_network", "%s says %s but %s says %s" % (second_host, list(second), first_host, list(first)),
                           "set the network's prefixes once, in the group's vars")
        networks = [ipaddress.ip_network(p) for p in (next(iter(declared)) if declared else ())]
        if networks:
            for host in sorted(members):
                for address in members[host]["addresses"]:
                    ip = ipaddress.ip_address(address)
                    if not any(ip.version == n.version and ip in n for n in networks):
                        problems.error(host, _var(members[host], "address"), "%s is outside %s's network %s" % (address, ifname, ", ".join(map(str, networks))),
                                       "pick an address inside the network or add its prefix to wireguard_network")
        _check_addresses(ifname, members, networks, problems)
        _check_endpoints(ifname, members, networks, problems)
        _check_route_asymmetry(ifname, members, networks, problems)
        _check_unreachable_pairs(ifname, members, problems)


def _check_addresses(ifname, members, networks, problems):
    """An IPv4 network's own network or broadcast address is no host's, and
    an address's prefix wider than the network would route other networks'
    addresses into this tunnel."""
    for host in sorted(members):
        m = members[host]
        for address in m["addresses"]:
            ip = ipaddress.ip_address(address)
            for net in networks:
                if net.version != ip.version or ip not in net:
                    continue
                if ip.version == 4 and net.prefixlen < 31 and ip in (net.network_address, net.broadcast_address):
                    what = "network" if ip == net.network_address else "broadcast"
                    problems.error(host, _var(m, "address"), "%s is the %s address of %s on %s" % (address, what, net, ifname),
                                   "pick a host address inside %s, such as %s" % (net, net.network_address + 1))
                prefixlen = m["address_prefixlens"].get(address)
                if prefixlen is not None and prefixlen < net.prefixlen:
                    problems.error(host, _var(m, "address"), "%s/%d is wider than %s's network %s" % (address, prefixlen, ifname, net),
                                   "write %s/%d or just %s" % (address, net.prefixlen, address))


def _check_endpoints(ifname, members, networks, problems):
    """An endpoint must be reachable outside the tunnel: a tunnel address
    there can only be dialled once the tunnel is up, which needs the endpoint."""
    tunnel = {a: h for h, m in members.items() for a in m["addresses"]}
    by_endpoint, by_host = {}, {}
    for host in sorted(members):
        m = members[host]
        if m["endpoint"]:
            if m["endpoint"] in by_endpoint:
                problems.error(host, _var(m, "endpoint"), "%s is also %s's endpoint on %s: peers cannot tell the two apart" % (
                    m["endpoint"], by_endpoint[m["endpoint"]], ifname),
                    "give each host its own endpoint; behind one NAT address, forward a different port to each")
            elif m["endpoint_host"] in by_host:
                # legitimate: two hosts behind one NAT address, a port forwarded to each
                problems.warning(host, _var(m, "endpoint"), "%s shares the endpoint host %s with %s on %s" % (
                    host, m["endpoint_host"], by_host[m["endpoint_host"]], ifname),
                    "fine behind one NAT address with a port forwarded to each host; otherwise correct the endpoint")
            by_endpoint.setdefault(m["endpoint"], host)
            by_host.setdefault(m["endpoint_host"], host)
        for key in ("endpoint", "site_endpoint"):
            ip = endpoint.ip_of(m.get(key + "_host") or "") if m.get(key) else None
            if ip is None:
                continue
            owner = tunnel.get(str(ip))
            inside = [str(n) for n in networks if n.version == ip.version and ip in n]
            if owner or inside:
                where = ("%s's tunnel address on %s" % (owner, ifname)) if owner else ("in %s's network %s" % (ifname, inside[0]))
                problems.error(host, _var(m, key), "%s is %s, inside the tunnel: peers cannot dial it before the tunnel is up" % (ip, where),
                               "set the host's underlay address or DNS name (public, or on the site's network)")


def check_membership(hostvars_by_host, interfaces, problems):
    """Every host of the group takes part in some interface: a host there
    without an address is a forgotten or misspelt variable, not a host to skip."""
    joined = {h for members in interfaces.values() for h in members}
    for host in sorted(hostvars_by_host):
        if host not in joined:
            problems.error(host, "wireguard_address", "%s is in the WireGuard group but has no tunnel address" % host,
                           "set wireguard_address (or wireguard_interfaces), or take the host out of the group")


def _check_hub(ifname, members, m, problems):
    host = m["host"]
    if m["hub"] == host and (m["via_hub"] or m["unmanaged"]):
        # the hub naming itself (group vars give every member the same hub)
        # is fine; a host that wants to be a spoke (or a device) cannot be its own hub
        kind = "unmanaged" if m["unmanaged"] else "it has wireguard_via_hub"
        problems.error(host, _var(m, "hub"), "%s is a spoke (%s) that names itself as its hub on %s" % (host, kind, ifname),
                       "name the host it connects through as wireguard_hub")
        return
    if m["unmanaged"] and not m["hub"]:
        problems.error(host, _var(m, "hub"), "unmanaged device %s has no hub on %s: nothing would keep its peers' configs current" % (host, ifname),
                       "set wireguard_hub to a host with an endpoint that the device connects through")
        return
    if m["topology"] == "star" and not m["hub"]:
        problems.error(host, _var(m, "hub"), "a star member needs a hub on %s" % ifname, "set wireguard_hub to the host it connects through")
        return
    if not is_spoke(m):
        if m["via_hub"]:
            problems.warning(host, _var(m, "via_hub"), "%s has no hub on %s, so %s is ignored" % (host, ifname, ", ".join(m["via_hub"])),
                             "set wireguard_hub, or remove wireguard_via_hub")
        return
    hub = members.get(m["hub"])
    if hub is None:
        problems.error(host, _var(m, "hub"), "hub %r is not a member of %s in the inventory" % (m["hub"], ifname),
                       "name a host of the inventory that has an address on %s" % ifname)
    elif is_spoke(hub):
        problems.error(host, _var(m, "hub"), "hub %s is itself a spoke of %s" % (hub["host"], hub["hub"]),
                       "connect spokes to a backbone host")
    elif dial(m, hub)[0] is None and hub.get("site_endpoint"):
        problems.error(hub["host"], _var(hub, "site_endpoint"), "hub %s is reachable only inside site %s, but its spoke %s is %s" % (
            hub["host"], hub["site"], host, _where(m)),
            "set wireguard_endpoint on %s (its public address), or put %s in site %s" % (hub["host"], host, hub["site"]))
    elif dial(m, hub)[0] is None:
        problems.error(host, _var(m, "hub"), "hub %s has no wireguard_endpoint, so %s cannot reach it" % (hub["host"], host),
                       "set wireguard_endpoint on %s" % hub["host"])


def _where(member):
    return "in site %s" % member["site"] if member.get("site") else "in no site"


def _check_route_asymmetry(ifname, members, networks, problems):
    """The talk's failure story 6: a host that claims tunnel addresses (the
    network, or another member's address) as prefixes behind it. Peers with a
    direct link answer directly while traffic to them goes through that host:
    WireGuard cannot route the two directions differently."""
    addresses = _AddressIndex({a: h for h, m in members.items() for a in m["addresses"]})
    for host in sorted(members):
        m = members[host]
        for prefix in m["allowed_ips"]:
            net = _network(prefix)
            others = sorted(addresses.hosts_in(net) - {host})
            overlaps = [str(n) for n in networks if n.version == net.version and n.overlaps(net)]
            if others or overlaps:
                problems.error(host, _var(m, "allowed_ips"), "%s overlaps %s on %s: traffic would go one way through %s "
                               "and come back directly, which WireGuard cannot do" % (
                                   prefix, ", ".join(others) or ", ".join(overlaps), ifname, host),
                               "list only prefixes behind %s that are outside the tunnel network; to route through a hub, make the host its spoke" % host)


def _check_unreachable_pairs(ifname, members, problems):
    """Backbone pairs where neither end can dial the other (only hosts without
    a public endpoint can be one). A site endpoint does not help a peer
    outside the site: that is said on the site-only host."""
    behind_nat = [h for h in sorted(members) if not is_spoke(members[h]) and not members[h]["endpoint"]]
    for i, a in enumerate(behind_nat):
        for b in behind_nat[i + 1:]:
            ma, mb = members[a], members[b]
            if dial(ma, mb)[0] is not None or dial(mb, ma)[0] is not None:
                continue
            site_only = [m for m in (ma, mb) if m.get("site_endpoint")]
            if site_only:
                s, o = site_only[0], (mb if site_only[0] is ma else ma)
                problems.warning(s["host"], _var(s, "site_endpoint"), "%s is reachable only inside site %s and %s (%s, no endpoint) "
                                 "cannot dial it: no direct link is made between them on %s" % (s["host"], s["site"], o["host"], _where(o), ifname),
                                 "set wireguard_endpoint on %s (its public address), or put %s in site %s" % (s["host"], o["host"], s["site"]))
                continue
            problems.warning(a, "wireguard_endpoint", "%s and %s on %s both lack an endpoint: no direct link is made between them" % (a, b, ifname),
                             "give one of them an endpoint, or make one a spoke of a hub")


def check_public_keys(interfaces, problems):
    for ifname in sorted(interfaces):
        seen = {}
        for host in sorted(interfaces[ifname]):
            key = interfaces[ifname][host].get("public_key_resolved")
            if not key:
                continue
            if key in seen:
                problems.error(host, "wireguard_public_key", "%s has the same public key as %s on %s" % (host, seen[key], ifname),
                               "give every host its own key (a cloned image? delete /etc/wireguard/%s.key on one and re-run)" % ifname)
            else:
                seen[key] = host


def check_allowed_ips(host, ifname, peers, problems):
    """WireGuard silently gives a prefix claimed twice to the later peer."""
    owner = {}
    for peer in peers:
        for prefix in peer["allowed_ips"]:
            if prefix in owner:
                problems.error(host, "wireguard_allowed_ips", "%s on %s is claimed by both %s and %s" % (prefix, ifname, owner[prefix], peer["name"]),
                               "route each prefix through one peer only")
            else:
                owner[prefix] = peer["name"]


def check_management_path(member, desired, problems):
    """AllowedIPs that would capture the path the controller uses to reach the
    host (a default route, or a prefix holding its address) lock the operator
    out the moment the tunnel comes up."""
    address = member["management_address"]
    table = str(desired.get("table") or "auto").lower()
    if address is None or table not in ("auto", "main") or member["unmanaged"]:
        return
    ip = ipaddress.ip_address(address)
    if not member["keep_management_path"] and _on_link_capture(member, desired, ip, problems):
        return
    for peer in desired["peers"]:
        for prefix in peer["allowed_ips"]:
            net = _network(prefix)
            if net.version == ip.version and ip in net:
                if member["keep_management_path"]:
                    return
                problems.error(member["host"], _var(member, "via_hub") if member["via_hub"] else "wireguard_allowed_ips",
                               "%s (through %s) captures %s, the address Ansible reaches %s at: the tunnel would cut "
                               "the controller off" % (prefix, peer["name"], address, member["host"]),
                               "set wireguard_keep_management_path: true (adds a policy rule so traffic from %s keeps "
                               "using the main routing table), or set wireguard_table to a number and route it yourself; "
                               "see docs/safety.md" % address)
                return


def _on_link_capture(member, desired, ip, problems):
    """An address prefix (the kernel adds an on-link route for it) or a
    tunnel network that holds the management address takes the SSH path
    into the tunnel the moment the interface comes up. -> found one"""
    owned = [(line, "address") for line in desired["addresses"]] + [(prefix, "network") for prefix in member["network"]]
    controller = member.get("controller_address")
    paths = [(ip, "the address Ansible reaches %s at" % member["host"])]
    if controller:
        paths.append((ipaddress.ip_address(controller), "the controller's own address toward %s" % member["host"]))
    for text, key in owned:
        net = ipaddress.ip_interface(text).network
        hit = [(a, what) for a, what in paths if net.version == a.version and net.prefixlen < net.max_prefixlen and a in net]
        if not hit:
            continue
        problems.error(member["host"], _var(member, key),
                       "%s (the tunnel's %s on %s) holds %s, %s: the tunnel would cut the controller off" % (
                           net, "address prefix" if key == "address" else "network", desired["name"], hit[0][0], hit[0][1]),
                       "pick a tunnel network that does not overlap the management network; if the path stays outside "
                       "the tunnel anyway, set wireguard_keep_management_path: true; see docs/safety.md")
        return True
    return False


def check_keyless(interfaces, in_play, check_mode, problems):
    """Members with no public key yet. A host that is not in the run (outside
    --limit) or any host in check mode has none until its first real run:
    its peer entries are left out of this run, with a warning naming it, so a
    limited run and check mode behave alike. A host in the run has made its
    key by now: none is an error."""
    for ifname in sorted(interfaces):
        for host, m in sorted(interfaces[ifname].items()):
            if m.get("public_key_resolved"):
                continue
            if check_mode or host not in in_play:
                problems.warning(host, "wireguard_public_key",
                                 "%s has no key yet on %s (it was never provisioned): it is left out of this run's peers" % (host, ifname),
                                 "run the play with %s in it (in the --limit, or without one) to add it everywhere" % host)
            else:
                problems.error(host, "wireguard_public_key", "no public key known for %s on %s" % (host, ifname),
                               "run the play once with %s in it (its key is made there and stored), or set wireguard_public_key" % host)
