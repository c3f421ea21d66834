"""Who peers with whom, and what each peer entry says.

Members of an interface that name a ``hub`` are spokes: they peer with their
hub alone, which carries the whole network for them. Every other member is on
the backbone: backbone members peer with each other (full mesh) and a hub's
entry on the backbone carries its spokes' addresses too, so a spoke of hub A
reaches a spoke of hub B through A and B with no extra configuration.

Cost: one pass per interface to index spokes and prefixes, then each host's
peer list is built in time linear in its own output.
"""

from __future__ import annotations

import ipaddress

KEEPALIVE_BEHIND_NAT = 25


def host_prefixes(member):
    return ["%s/%d" % (a, 32 if ":" not in a else 128) for a in member["addresses"]]


def _unique(items):
    seen = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def network_prefixes(members):
    """The network's prefixes: declared by any member, else every member's own."""
    declared = _unique(p for m in members.values() for p in m["network"])
    if declared:
        return declared
    return _unique(p for m in members.values() for p in host_prefixes(m))


def is_spoke(member):
    return bool(member["hub"]) and member["hub"] != member["host"]


def listen_port(m):
    """Nobody dials a host without an endpoint: an unmanaged device then
    chooses its own port, and so does a roaming spoke unless a port was asked
    for. A device with an endpoint listens where its peers dial. -> the
    port, or None (the kernel picks one)."""
    dialled = m["endpoint"] or m.get("site_endpoint")
    if (m["unmanaged"] and not dialled) or (is_spoke(m) and not dialled and not m["port_explicit"]):
        return None
    return m["port"]


SITE, PUBLIC = "site", "public"


def dial(caller, callee):
    """Where ``caller`` reaches ``callee``: (endpoint or None, SITE | PUBLIC | None).

    Hosts that name the same site talk over the site's network when the
    callee has an address there (wireguard_site_endpoint); everyone else
    dials the public endpoint. A host with only a site endpoint is therefore
    reachable from its own site alone. The one place that chooses, used by
    the peer entries, the keepalive and validation."""
    site = caller.get("site")
    if site is not None and site == callee.get("site") and callee.get("site_endpoint"):
        return callee["site_endpoint"], SITE
    if callee["endpoint"]:
        return callee["endpoint"], PUBLIC
    return None, None


def _view(me):
    """What a backbone entry depends on in the member that holds it: its
    site (dial), whether others can dial it (a site or a public endpoint) and
    its own keepalive. Members with the same view get the same entries; the
    member itself is left out of its own list."""
    return (me.get("site"), bool(me.get("site_endpoint")), bool(me["endpoint"]), me["persistent_keepalive"])


class InterfaceTopology:
    """Indexes of one interface's members, built once and shared by all hosts."""

    def __init__(self, ifname, members):
        self.ifname = ifname
        self.members = members
        self.prefixes = network_prefixes(members)
        self.spokes = {}
        for name in sorted(members):
            m = members[name]
            if is_spoke(m):
                self.spokes.setdefault(m["hub"], []).append(name)
        # what a backbone member answers for: itself, what lies behind it, its spokes
        self.behind = {}
        for name, m in members.items():
            if is_spoke(m):
                continue
            prefixes = host_prefixes(m) + m["allowed_ips"]
            for spoke in self.spokes.get(name, ()):
                prefixes += host_prefixes(members[spoke]) + members[spoke]["allowed_ips"]
            self.behind[name] = _unique(prefixes)
        self.backbone = sorted(self.behind)
        # LANs behind members are outside the network's prefixes: spokes need them too
        self.extra_routes = _unique(p for m in members.values() for p in m["allowed_ips"])
        # backbone entries as members of one view see them (see _view), made once per view
        self._backbone_entries = {}

    def routes_forwarded(self, host):
        """True if this host forwards traffic between peers."""
        m = self.members[host]
        return bool(self.spokes.get(host)) or bool(m["allowed_ips"]) or m["gateway"]

    def _keepalive(self, me, other):
        if me["persistent_keepalive"] is not None:
            return me["persistent_keepalive"] or None
        if dial(other, me)[0] is None and dial(me, other)[0] is not None:
            return KEEPALIVE_BEHIND_NAT
        return None

    def _entry(self, me, other, allowed_ips):
        return {
            "name": other["host"],
            "public_key": other.get("public_key_resolved"),
            "endpoint": dial(me, other)[0],
            "allowed_ips": allowed_ips,
            "persistent_keepalive": self._keepalive(me, other),
        }

    def peers_of(self, host):
        """The host's peer entries. Backbone entries are shared by every
        host of the same view (read them, never change them): a 1,000-host
        mesh then holds 1,000 entries instead of a million."""
        me = self.members[host]
        if is_spoke(me):
            hub = self.members[me["hub"]]
            own = set(host_prefixes(me) + me["allowed_ips"])
            allowed = [p for p in _unique(self.prefixes + self.extra_routes + me["via_hub"]) if p not in own]
            return [self._entry(me, hub, allowed)]
        view = _view(me)
        if view not in self._backbone_entries:
            self._backbone_entries[view] = self._entries_seen_by(me)
        entries, position = self._backbone_entries[view]
        at = position.get(host)
        peers = entries[:] if at is None else entries[:at] + entries[at + 1:]
        for name in self.spokes.get(host, ()):
            peers.append(self._entry(me, self.members[name], self.own_prefixes(name)))
        return peers

    def _entries_seen_by(self, me):
        """The backbone's entries as ``me`` (and every member of its view)
        sees them, and {name: its position} to leave a host's own out.
        -> ([entry], {name: index})"""
        entries, position = [], {}
        for name in self.backbone:
            other = self.members[name]
            if dial(me, other)[0] is None and dial(other, me)[0] is None:
                continue  # neither can reach the other first: no useful direct link
            position[name] = len(entries)
            entries.append(self._entry(me, other, self.behind[name]))
        return entries, position

    def own_prefixes(self, spoke):
        """What a hub routes to one of its spokes: the spoke and what lies behind it."""
        m = self.members[spoke]
        return _unique(host_prefixes(m) + m["allowed_ips"])

    def address_lines(self, host):
        """Address lines: the network's prefix length on the backbone, host
        prefixes on spokes (their routes come from the hub's AllowedIPs)."""
        me = self.members[host]
        lines = []
        for address in me["addresses"]:
            ip = ipaddress.ip_address(address)
            length = me["address_prefixlens"].get(address)
            if length is None and not is_spoke(me):
                for prefix in self.prefixes:
                    net = ipaddress.ip_network(prefix)
                    if net.version == ip.version and ip in net and net.prefixlen < net.max_prefixlen:
                        length = net.prefixlen
                        break
            if length is None:
                length = ip.max_prefixlen
            lines.append("%s/%d" % (address, length))
        return lines


def build(interfaces):
    return {ifname: InterfaceTopology(ifname, members) for ifname, members in interfaces.items()}
