"""The controller's report on the fleet: every host's facts (from the info
module) put next to the fleet plan, each expected link judged from both ends
when both are managed (status_verdict), and each fault named with its fix.
Used by the status_report filter; plain data in, plain data out.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.fleetnet.wireguard.plugins.module_utils import endpoint as endpoint_parser, paths, topology
from ansible_collections.fleetnet.wireguard.plugins.module_utils.status_facts import handshake_age, short_key
from ansible_collections.fleetnet.wireguard.plugins.module_utils.status_verdict import (
    FAULTS, IDLE, MISSING, NEVER, NO_DATA, NO_INTERFACE, NO_PEER, OK, ONE_WAY, STALE, UNMANAGED,
    age_text, best_age, link_verdict,
)

ERROR, WARNING = "error", "warning"
SITE, PUBLIC = topology.SITE, topology.PUBLIC


def mdns_endpoints(summary):
    """Peers of the file whose endpoint is an mDNS name: [(public key, endpoint)]."""
    found = []
    for key, peer in sorted((summary.get("peers") or {}).items()):
        endpoint = peer.get("endpoint")
        if not endpoint:
            continue
        try:
            host = endpoint_parser.parse(endpoint)[0]
        except endpoint_parser.EndpointError:
            continue
        if host.lower().rstrip(".").endswith(".local"):
            found.append((key, endpoint))
    return found


def _iface(info, ifname):
    if not info:
        return None
    return (info.get("interfaces") or {}).get(ifname)


def _tunnel_ips(desired):
    return [a.split("/")[0] for a in desired.get("addresses") or []]


def probe_targets(plan, host):
    """The tunnel addresses of the host's direct peers (one ping each makes
    every expected link carry traffic while the counters are watched)."""
    targets = []
    for ifname, desired in sorted((plan.get(host) or {}).items()):
        for peer in desired.get("peers") or []:
            other = (plan.get(peer["name"]) or {}).get(ifname)
            for ip in _tunnel_ips(other or {}):
                if ip not in targets:
                    targets.append(ip)
    return targets


class Fleet:
    """The plan and every host's facts, indexed once."""

    def __init__(self, infos, fleet_result, baseline=None, hosts=None):
        self.infos = {h: i for h, i in (infos or {}).items() if _usable(i)}
        self.baseline = {h: i for h, i in (baseline or {}).items() if _usable(i)}
        self.plan = (fleet_result or {}).get("plan") or {}
        # what the hosts' routing does, and which members are devices, per interface
        self.routing = {(h, r["name"]): r for h, rs in ((fleet_result or {}).get("routing") or {}).items() for r in rs}
        self.devices = {(h, i) for i, hs in ((fleet_result or {}).get("unmanaged") or {}).items() for h in hs}
        self.sites = (fleet_result or {}).get("sites") or {}  # {ifname: {host: {name, endpoint}}}
        self.problems = (fleet_result or {}).get("problems") or []
        self.targeted = set(hosts) if hosts is not None else None
        self.keys = {}  # (ifname, host) -> public key the fleet expects
        self.networks = {}  # ifname -> sorted member hosts
        for host, interfaces in self.plan.items():
            for ifname, desired in interfaces.items():
                self.networks.setdefault(ifname, set()).add(host)
                for peer in desired.get("peers") or []:
                    if peer.get("public_key"):
                        self.keys[(ifname, peer["name"])] = peer["public_key"]
        self.networks = {i: sorted(m) for i, m in self.networks.items()}
        self._hubs = {}

    def desired(self, host, ifname):
        return (self.plan.get(host) or {}).get(ifname)

    def unmanaged(self, host, ifname):
        return (host, ifname) in self.devices

    def routes(self, host, ifname):
        """The host's fleetnet.wireguard.routing entry for the interface (forwarding, gateway)."""
        return self.routing.get((host, ifname)) or {}

    def links(self, ifname):
        pairs = set()
        for host in self.networks.get(ifname, []):
            for peer in self.desired(host, ifname).get("peers") or []:
                pairs.add(tuple(sorted((host, peer["name"]))))
        return sorted(pairs)

    def hub_of(self, host, ifname):
        """The host's hub on ifname, or None; worked out once per network."""
        if ifname not in self._hubs:
            self._hubs[ifname] = {h: _find_hub(self, h, ifname) for h in self.networks.get(ifname, [])}
        return self._hubs[ifname].get(host)

    def spokes_of(self, host, ifname):
        return [h for h in self.networks.get(ifname, []) if self.hub_of(h, ifname) == host]

    def live_key(self, host, ifname):
        iface = _iface(self.infos.get(host), ifname)
        return iface.get("public_key") if iface and iface.get("up") else None

    def side_view(self, host, other, ifname):
        """What ``host`` knows of ``other`` on ``ifname``."""
        side = {"host": host, "state": NO_DATA, "handshake_age": None, "rx_bytes": 0, "tx_bytes": 0,
                "sent": None, "received": None, "keepalive": None, "endpoint": None}
        entry = next((p for p in (self.desired(host, ifname) or {}).get("peers") or [] if p["name"] == other), None)
        if entry:
            side["keepalive"] = entry.get("persistent_keepalive") or None
        if self.unmanaged(host, ifname):
            side["state"] = UNMANAGED
            return side
        info = self.infos.get(host)
        if info is None:
            return side
        iface = _iface(info, ifname)
        if not iface or not iface.get("up"):
            side["state"] = NO_INTERFACE
            return side
        key = self.keys.get((ifname, other))
        peer = (iface.get("peers") or {}).get(key) if key else None
        if peer is None:
            side["state"] = NO_PEER
            return side
        side.update(state=OK, handshake_age=handshake_age(info["now"], peer["latest_handshake"]),
                    rx_bytes=peer["rx_bytes"], tx_bytes=peer["tx_bytes"], keepalive=peer.get("persistent_keepalive"),
                    endpoint=peer.get("endpoint"))
        before = ((_iface(self.baseline.get(host), ifname) or {}).get("peers") or {}).get(key)
        if before is not None:
            # counters restart with the interface: growth from zero then
            side["sent"] = _growth(before["tx_bytes"], peer["tx_bytes"])
            side["received"] = _growth(before["rx_bytes"], peer["rx_bytes"])
        return side


def _usable(result):
    return isinstance(result, dict) and not result.get("skipped") and not result.get("failed") and "interfaces" in result


def _growth(before, after):
    return after - before if after >= before else after


class Diagnoses:
    def __init__(self):
        self.items = []

    def add(self, kind, severity, message, fix, network=None, host=None, link=None):
        self.items.append({"kind": kind, "severity": severity, "network": network, "host": host,
                           "link": list(link) if link else None, "message": message, "fix": fix})


def _port_of(iface, desired):
    config = iface.get("config") or {}
    return iface.get("listen_port") or config.get("listen_port") or (desired or {}).get("listen_port")


def _host_checks(fleet, host, ifname, out):
    """Faults of one host's interface that need no other host."""
    desired = fleet.desired(host, ifname)
    info = fleet.infos[host]
    iface = _iface(info, ifname) or {"exists": False, "up": False}
    service = iface.get("service") or {}
    unit = service.get("unit") or paths.unit(ifname)
    if service.get("backend") == "networkmanager":
        start = "nmcli connection up %s; if it fails, read journalctl -u NetworkManager" % ifname
        enable = "nmcli connection modify %s connection.autoconnect yes" % ifname
        by_hand = "ip link del %s && nmcli connection up %s" % (ifname, ifname)
        reload_key = "nmcli device reapply %s" % ifname
    else:
        start = "systemctl start %s; if it fails, read journalctl -u %s" % (unit, unit)
        enable = "systemctl enable %s (it was started, or brought up with wg-quick, but never enabled)" % unit
        by_hand = "wg-quick down %s && systemctl start %s" % (ifname, unit)
        reload_key = "systemctl restart %s (a `wg syncconf` from a file without PrivateKey zeroes it)" % unit
    port = _port_of(iface, desired)
    holders = iface.get("port_holders") or []
    if holders:
        names = sorted({h["process"] or "the kernel (another WireGuard interface?)" for h in holders})
        out.add("port_clash", ERROR, "UDP port %s that %s needs is taken by %s" % (port, ifname, ", ".join(names)),
                "give %s its own wireguard_port, or stop what holds the port" % ifname,
                ifname, host)
    if desired is not None and not iface.get("up"):
        state = "not there" if not iface.get("exists") else "down"
        active = service.get("active")
        out.add("interface_down", ERROR, "%s is %s (%s is %s)" % (ifname, state, unit, active or "unknown"),
                start, ifname, host)
    if desired is not None and service.get("enabled") not in (None, "enabled"):
        out.add("service_not_enabled", WARNING, "%s is %s: %s will not come back after a reboot" % (unit, service["enabled"], ifname),
                enable, ifname, host)
    if iface.get("up") and service.get("active") not in (None, "active"):
        out.add("service_inactive", WARNING, "%s is up but %s is %s: it was brought up by hand" % (ifname, unit, service["active"]),
                by_hand, ifname, host)
    if iface.get("up") and iface.get("has_private_key") is False:
        out.add("no_private_key", ERROR, "%s has no private key, so no peer can talk to it" % ifname,
                reload_key, ifname, host)
    config = iface.get("config") or {}
    if config.get("error"):
        out.add("config_unreadable", ERROR, "%s: %s" % (config.get("path", ifname), config["error"]),
                "fix the file or re-run the site playbook", ifname, host)
    for key, endpoint in mdns_endpoints(config):
        out.add("mdns_endpoint", ERROR, "the file reaches peer %s at %s, an mDNS name that cannot be resolved while the host boots" % (
            _peer_name(fleet, ifname, key), endpoint),
            "use an IP address or a DNS name that resolves at boot", ifname, host)
    if iface.get("config_drift"):
        out.add("config_drift", WARNING, "the file differs from the running %s: %s" % (ifname, "; ".join(iface["config_drift"])),
                "re-run the site playbook, or find who changed the interface by hand", ifname, host)
    if desired is None:
        # without a plan (the inventory did not load) every interface is unknown
        if iface.get("exists") and not fleet.problems:
            out.add("unknown_interface", WARNING, "%s is on the host but the inventory does not define it" % ifname,
                    "add it to the inventory, or remove it (fleetnet.wireguard.interface state=absent)", ifname, host)
        return
    _forwarding_checks(fleet, host, ifname, desired, info, out)
    _key_checks(fleet, host, ifname, iface, out)


def _peer_name(fleet, ifname, key):
    for (i, host), k in fleet.keys.items():
        if i == ifname and k == key:
            return host
    return short_key(key)


def _families(desired):
    return {ipaddress.ip_interface(a).version for a in desired.get("addresses") or []}


def _forwarding_checks(fleet, host, ifname, desired, info, out):
    forwarding = info.get("forwarding") or {}
    if fleet.routes(host, ifname).get("forwarding"):
        spokes = fleet.spokes_of(host, ifname)
        why = "it routes for %s" % ", ".join(spokes) if spokes else "it routes for its peers"
        for version, key, sysctl in ((4, "ipv4", "net.ipv4.ip_forward"), (6, "ipv6", "net.ipv6.conf.all.forwarding")):
            if version in _families(desired) and forwarding.get(key) is False:
                out.add("forwarding_off", ERROR, "%s=0 but %s on %s: peers cannot reach each other through it" % (sysctl, why, ifname),
                        "sysctl -w %s=1 and keep it in /etc/sysctl.d (the site playbook does both); "
                        "with ufw also allow routed traffic (ufw route allow in on %s)" % (sysctl, ifname),
                        ifname, host)
    if fleet.routes(host, ifname).get("gateway"):
        masquerade = (info.get("nat") or {}).get("masquerade")
        if masquerade is False:
            out.add("no_masquerade", ERROR, "the host is a gateway (wireguard_gateway) but no MASQUERADE rule exists: peers cannot get out",
                    "add a MASQUERADE rule for the outgoing interface (iptables/ip6tables -t nat, or nft)",
                    ifname, host)
        elif masquerade is None:
            out.add("no_masquerade", WARNING, "the host is a gateway but neither iptables nor nft could be asked about MASQUERADE",
                    "install iptables or nftables, or check the NAT rules by hand", ifname, host)


def _key_checks(fleet, host, ifname, iface, out):
    expected = fleet.keys.get((ifname, host))
    live = iface.get("public_key") if iface.get("up") else None
    if expected and live and live != expected:
        peers = [pair[0] for pair in _pairs_of(fleet, ifname, host)]
        out.add("key_mismatch", ERROR, "%s's public key is %s but its peers (%s) know it as %s" % (
            ifname, short_key(live), ", ".join(peers) or "none", short_key(expected)),
            "re-run the site playbook so the key store and every peer learn the new key, "
            "or put the old key file back", ifname, host)
    known = {k for member, k in fleet.keys.items() if member[0] == ifname}
    for key, peer in sorted((iface.get("peers") or {}).items()):
        if key not in known:
            out.add("unexpected_peer", WARNING, "%s has a peer %s (allowed IPs %s) that the inventory does not know" % (
                ifname, short_key(key), ",".join(peer.get("allowed_ips") or []) or "none"),
                "re-run the site playbook to remove it, or add the device to the inventory", ifname, host)


def _pairs_of(fleet, ifname, host):
    return [(b if a == host else a, (a, b)) for a, b in fleet.links(ifname) if host in (a, b)]


def _link_checks(fleet, ifname, link, out):
    """Judge one expected link and name what breaks it."""
    a, b = link
    sa, sb = fleet.side_view(a, b, ifname), fleet.side_view(b, a, ifname)
    verdict, lost = link_verdict(sa, sb)
    note = _explain(fleet, ifname, link, (sa, sb), verdict, lost, out)
    _nat_checks(fleet, ifname, link, sa, sb, out)
    return {"hosts": [a, b], "verdict": verdict, "fault": verdict in FAULTS, "sides": {a: sa, b: sb},
            "lost": [list(d) for d in lost], "note": note, "path": _site_path(fleet, ifname, link, sa, sb, out)}


def _site(fleet, host, ifname):
    return (fleet.sites.get(ifname) or {}).get(host) or {}


def _side_path(fleet, ifname, side, other):
    """How ``side`` reaches ``other``: SITE when at other's site endpoint,
    PUBLIC at any other address, None when it knows no endpoint or cannot
    tell. The live endpoint (where the peer was last heard from) wins over
    the planned one; wg shows it as an address, so a site endpoint given as
    a DNS name counts by the addresses it resolves to on ``side``'s host."""
    site_endpoint = _site(fleet, other, ifname).get("endpoint")
    live = side["endpoint"]
    if live:
        if not site_endpoint:
            return PUBLIC
        heard = _address(endpoint_parser.split_live(live)[0])
        site = site_addresses(site_endpoint, (fleet.infos.get(side["host"]) or {}).get("resolved"))
        if heard is None or site is None:
            return None
        return SITE if heard in site else PUBLIC
    entry = next((p for p in (fleet.desired(side["host"], ifname) or {}).get("peers") or [] if p["name"] == other), {})
    planned = entry.get("endpoint")
    if not planned:
        return None
    # both as the plan wrote them (topology.dial): the site endpoint, or another
    return SITE if site_endpoint and _same_host(planned, site_endpoint) else PUBLIC


def _address(text):
    """An address as one value for every way of writing it (IPv6 case and
    zeros, an IPv4 address mapped into IPv6), or None when it is a name."""
    ip = endpoint_parser.ip_of(text)
    if ip is not None and ip.version == 6 and ip.ipv4_mapped:
        return ip.ipv4_mapped
    return ip


def site_addresses(site_endpoint, resolved):
    """The addresses a site endpoint (host, host:port, [v6]:port) stands
    for: its own address, or the addresses its name resolves to on the host
    that dials it (``resolved``, the info module's {name: [addresses]}).
    None when that host did not resolve the name: which path a live
    address is then cannot be told."""
    try:
        host = endpoint_parser.parse(site_endpoint)[0]
    except endpoint_parser.EndpointError:
        return None  # the inventory check refuses it; a report from an older plan may hold one
    ip = _address(host)
    if ip is not None:
        return {ip}
    found = [a for a in ((resolved or {}).get(host) or []) if _address(a) is not None]
    return {_address(a) for a in found} or None


def _same_host(one, other):
    a, b = (endpoint_parser.parse(e)[0] for e in (one, other))
    return (_address(a) or a.lower().rstrip(".")) == (_address(b) or b.lower().rstrip("."))


def _site_path(fleet, ifname, link, sa, sb, out):
    """The link's path (SITE when every end that dials uses the site
    network); a link between two members of one site that runs over the
    public path is flagged."""
    paths = {s["host"]: _side_path(fleet, ifname, s, o["host"]) for s, o in ((sa, sb), (sb, sa))}
    known = [p for p in paths.values() if p]
    path = (PUBLIC if PUBLIC in known else SITE) if known else None
    site_a, site_b = (_site(fleet, h, ifname) for h in link)
    if site_a.get("name") and site_a.get("name") == site_b.get("name"):
        for host, other in (link, link[::-1]):
            if paths[host] == PUBLIC and _site(fleet, other, ifname).get("endpoint"):
                out.add("public_path_in_site", WARNING, "%s and %s are both in site %s but %s reaches %s over the public path" % (
                    link[0], link[1], site_a["name"], host, other),
                    "re-run the site playbook (it sets %s's site endpoint %s on %s); if it stays, check that %s answers there" % (
                        other, _site(fleet, other, ifname)["endpoint"], host, other), ifname, host, link)
    return path


def _explain(fleet, ifname, link, sides, verdict, lost, out):
    """The link's note; adds the diagnosis that names the cause. Causes found
    on a host (interface down, key changed) are diagnosed there, once."""
    by_host = {s["host"]: s for s in sides}
    down = [s["host"] for s in sides if s["state"] == NO_INTERFACE]
    if down:
        return "%s down on %s" % (ifname, " and ".join(down))
    mismatched = [h for h in link if fleet.live_key(h, ifname) and fleet.keys.get((ifname, h))
                  and fleet.live_key(h, ifname) != fleet.keys[(ifname, h)]]
    if mismatched:
        return "the key of %s does not match" % " and ".join(mismatched)
    if verdict == MISSING:
        missing = [s["host"] for s in sides if s["state"] == NO_PEER]
        for host in missing:
            other = link[1] if host == link[0] else link[0]
            if not fleet.keys.get((ifname, other)):
                out.add("peer_missing", ERROR, "no public key is known for %s, so %s cannot have it as a peer" % (other, host),
                        "run the site playbook with %s in it" % other, ifname, host, link)
            else:
                out.add("peer_missing", ERROR, "the running %s has no peer for %s" % (ifname, other),
                        "re-run the site playbook (was the interface changed by hand?)", ifname, host, link)
        return "no peer entry on %s" % " and ".join(missing)
    if len(lost) == 2:
        out.add("firewall", ERROR, "%s and %s both send but neither receives anything from the other" % link,
                "check both endpoints (%s, %s), the firewalls on both UDP ports and on the path" % (
                    by_host[link[1]]["endpoint"], by_host[link[0]]["endpoint"]), ifname, None, link)
        return "nothing gets through either way"
    if verdict == ONE_WAY:
        sender, receiver = lost[0]
        port = _port_of(_iface(fleet.infos.get(receiver), ifname) or {}, fleet.desired(receiver, ifname))
        out.add("firewall", ERROR, "%s sends to %s but %s receives nothing, while the other way works" % (sender, receiver, receiver),
                "a firewall on %s (UDP port %s) or on the path drops the packets: allow UDP %s in" % (
                    receiver, port, port), ifname, receiver, link)
        return "%s receives nothing from %s" % (receiver, sender)
    if lost:
        sender, silent = lost[0]
        state = by_host[silent]["state"]
        out.add("no_answer", WARNING if state == UNMANAGED else ERROR,
                "%s sends to %s and gets nothing back (handshake %s)" % (sender, silent, age_text(by_host[sender]["handshake_age"])),
                "%s may be switched off; else check its endpoint, its key and its firewall" % silent, ifname, sender, link)
        return "no answer from %s" % silent
    if verdict in (STALE, NEVER):
        age = best_age(sides)
        out.add("stale" if verdict == STALE else "no_handshake", ERROR,
                "keepalive is on but the latest handshake is %s" % age_text(age),
                "the ends stopped talking: check that both are up and reach each other's endpoint", ifname, None, link)
        return "keepalive on, handshake %s" % age_text(age)
    if verdict == IDLE:
        return "no keepalive and no recent traffic: fine"
    return ""


def _nat_checks(fleet, ifname, link, sa, sb, out):
    """A peer without an endpoint can only be reached after it speaks first:
    it must send keepalives, or the other side never gets through."""
    for s, o in ((sa, sb), (sb, sa)):
        theirs = next((p for p in (fleet.desired(o["host"], ifname) or {}).get("peers") or [] if p["name"] == s["host"]), None)
        if theirs is None or theirs.get("endpoint") or s["state"] != OK or s["keepalive"]:
            continue
        out.add("nat_no_keepalive", WARNING,
                "%s has no endpoint (behind NAT?) and sends no keepalive to %s: %s cannot reach it until it speaks first" % (
                    s["host"], o["host"], o["host"]),
                "set wireguard_persistent_keepalive: 25 on %s (or give it an endpoint)" % s["host"], ifname, s["host"], link)


def report(infos, fleet_result, baseline=None, hosts=None):
    """-> {networks, diagnoses, summary}: every expected link judged, every
    fault named. ``hosts``: the hosts the run targeted (others are not judged
    as unreachable)."""
    fleet = Fleet(infos, fleet_result, baseline, hosts)
    out = Diagnoses()
    for problem in fleet.problems:
        out.add("inventory", ERROR, problem.get("message", ""), problem.get("fix", ""), None, problem.get("host"))
    for host in sorted(set(h for m in fleet.networks.values() for h in m)):
        managed = any(not fleet.unmanaged(host, i) for i in (fleet.plan.get(host) or {}))
        targeted = fleet.targeted is None or host in fleet.targeted
        if managed and targeted and host not in fleet.infos:
            out.add("unreachable", ERROR, "no status from %s (unreachable, or the info task failed)" % host,
                    "check that Ansible reaches it: ansible -m ping %s" % host, None, host)
    names = sorted(set(fleet.networks) | {i for info in fleet.infos.values() for i in info.get("interfaces") or {}})
    networks = {}
    for ifname in names:
        links = [_link_checks(fleet, ifname, link, out) for link in fleet.links(ifname)]
        hosts_view = {}
        live_on = {h for h, i in fleet.infos.items() if ifname in (i.get("interfaces") or {})}
        for host in sorted(set(fleet.networks.get(ifname, [])) | live_on):
            desired = fleet.desired(host, ifname) or {}
            iface = _iface(fleet.infos.get(host), ifname)
            hosts_view[host] = {
                "addresses": desired.get("addresses") or (iface or {}).get("addresses") or [],
                "role": _role(fleet, host, ifname),
                "hub": fleet.hub_of(host, ifname),
                "unmanaged": fleet.unmanaged(host, ifname),
                "up": (iface or {}).get("up"),
                "implementation": (iface or {}).get("implementation"),
                "listen_port": (iface or {}).get("listen_port"),
                "service": (iface or {}).get("service"),
            }
            if host in fleet.infos:
                _host_checks(fleet, host, ifname, out)
        networks[ifname] = {"links": links, "hosts": hosts_view}
    diagnoses = out.items
    counts = {}
    for net in networks.values():
        for link in net["links"]:
            counts[link["verdict"]] = counts.get(link["verdict"], 0) + 1
    summary = {
        "links": sum(counts.values()),
        "verdicts": counts,
        "errors": sum(1 for d in diagnoses if d["severity"] == ERROR),
        "warnings": sum(1 for d in diagnoses if d["severity"] == WARNING),
    }
    return {"networks": networks, "diagnoses": diagnoses, "summary": summary}


def _role(fleet, host, ifname):
    if fleet.desired(host, ifname) is None:
        return "unknown"
    if fleet.hub_of(host, ifname):
        return "spoke"
    if fleet.spokes_of(host, ifname):
        return "hub"
    return "backbone"


def _find_hub(fleet, host, ifname):
    """A spoke has exactly one peer, its hub, and reaches other members
    through a network-wide prefix routed to it. (A backbone member with one
    peer has only host prefixes behind that peer: the hub and its spokes.)
    The plan does not say who is a hub; the routes do."""
    peers = (fleet.desired(host, ifname) or {}).get("peers") or []
    if len(peers) != 1:
        return None
    hub = peers[0]["name"]
    others = [ipaddress.ip_address(ip) for h in fleet.networks.get(ifname, []) if h not in (host, hub)
              for ip in _tunnel_ips(fleet.desired(h, ifname) or {})]
    for prefix in peers[0].get("allowed_ips") or []:
        net = ipaddress.ip_network(prefix, strict=False)
        if net.prefixlen < net.max_prefixlen and any(ip.version == net.version and ip in net for ip in others):
            return hub
    return None
