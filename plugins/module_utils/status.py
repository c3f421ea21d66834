"""What the fleet's tunnels are doing, and why not: verdicts and diagnoses.

Plain data in, plain data out. Two halves:
- host side (used by the info module): read `ip`, `ss`, iptables/nft output
  and the wg-quick file into facts, and compare the file with the live peers;
- controller side (used by the status_report filter): put every host's facts
  next to the fleet plan, judge each expected link and name each fault.

A link is judged from both ends when both are managed. When the playbook
probed the links (a ping to each peer between two readings), the byte
counters' growth says which direction loses packets; otherwise the counters
since the interface came up are used. WireGuard's timers decide the rest:
a session lives REJECT_AFTER_TIME (180 s) and is renewed after
REKEY_AFTER_TIME (120 s) of use, so with keepalive on the handshake stays
under ~135 s, while a link without keepalive and without traffic may keep an
old handshake forever: that is idle, not broken.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.fleetnet.wireguard.plugins.module_utils import reconcile, wg_config, wg_dump
from ansible_collections.fleetnet.wireguard.plugins.module_utils.inventory import split_endpoint

REKEY_AFTER_TIME = 120
REJECT_AFTER_TIME = 180
REKEY_TIMEOUT = 5
KEEPALIVE_LIVE_LIMIT = 135

UP, IDLE, STALE, NEVER, ONE_WAY, MISSING, UNKNOWN = "up", "idle", "stale", "never", "one-way", "missing", "unknown"
VERDICTS = (UP, IDLE, STALE, NEVER, ONE_WAY, MISSING, UNKNOWN)
FAULTS = frozenset((STALE, NEVER, ONE_WAY, MISSING))
ERROR, WARNING = "error", "warning"

# side states: what one end of a link knows of the other
OK, NO_INTERFACE, NO_PEER, UNMANAGED, NO_DATA = "ok", "no-interface", "no-peer", "unmanaged", "no-data"


# ---------------------------------------------------------------- host side

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
        address, dummy, port = local.rpartition(":")
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
    return int(value) if value and str(value).isdigit() and int(value) > 0 else None


def _prefixes(values):
    out = set()
    for value in values:
        try:
            out.add(str(ipaddress.ip_network(value, strict=False)))
        except ValueError:
            out.add(value)
    return out


def _short(key):
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
        drift.append("peer %s is in the file but not live" % _short(key))
    for key in sorted(set(peers) - set(summary["peers"])):
        drift.append("peer %s is live but not in the file" % _short(key))
    for key in sorted(set(peers) & set(summary["peers"])):
        want, have = summary["peers"][key], peers[key]
        if _prefixes(want["allowed_ips"]) != _prefixes(have["allowed_ips"]):
            drift.append("peer %s: allowed IPs %s in the file, %s live" % (
                _short(key), ",".join(sorted(_prefixes(want["allowed_ips"]))), ",".join(sorted(_prefixes(have["allowed_ips"])))))
        if want["persistent_keepalive"] != have.get("persistent_keepalive"):
            drift.append("peer %s: keepalive %s in the file, %s live" % (
                _short(key), want["persistent_keepalive"] or "off", have.get("persistent_keepalive") or "off"))
    return drift


def mdns_endpoints(summary):
    """Peers of the file whose endpoint is an mDNS name: [(public key, endpoint)]."""
    found = []
    for key, peer in sorted((summary.get("peers") or {}).items()):
        endpoint = peer.get("endpoint")
        if not endpoint:
            continue
        try:
            host = split_endpoint(endpoint, 0)[0]
        except ValueError:
            continue
        if host.lower().rstrip(".").endswith(".local"):
            found.append((key, endpoint))
    return found


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


def host_facts(now, interfaces, forwarding, nat_outputs):
    """The info module's result: the interfaces' facts, the forwarding
    sysctls ({ipv4, ipv6}: True/False/None) and what the NAT tools said."""
    return {
        "now": int(now),
        "forwarding": forwarding,
        "nat": {"masquerade": has_masquerade(nat_outputs), "sources": sorted(k for k, v in nat_outputs.items() if v is not None)},
        "interfaces": interfaces,
    }


# ------------------------------------------------------------ link verdicts

def keepalive_limit(keepalive):
    """Oldest handshake a link with keepalive may show: a rekey starts with the
    first packet after REKEY_AFTER_TIME, and a keepalive comes at least every
    ``keepalive`` seconds; never below the usual ~135 s."""
    return max(KEEPALIVE_LIVE_LIMIT, REKEY_AFTER_TIME + (keepalive or 0) + REKEY_TIMEOUT)


def _with_data(sides):
    return [s for s in sides if s["state"] == OK]


def _sent(side):
    return side["sent"] if side.get("sent") is not None else side["tx_bytes"]


def _received(side):
    return side["received"] if side.get("received") is not None else side["rx_bytes"]


def best_age(sides):
    ages = [s["handshake_age"] for s in sides if s["state"] == OK and s["handshake_age"] is not None]
    return min(ages) if ages else None


def lost_directions(a, b):
    """[(sender, receiver)] where the sender sent and the receiver got nothing.
    Needs both ends; uses the probe's growth when both ends have it."""
    if a["state"] != OK or b["state"] != OK:
        return []
    probed = all(s.get("sent") is not None and s.get("received") is not None for s in (a, b))
    if not probed and best_age((a, b)) is not None and best_age((a, b)) < REJECT_AFTER_TIME:
        # totals since start-up: a live session proves both ways worked
        return []
    sent = "sent" if probed else "tx_bytes"
    received = "received" if probed else "rx_bytes"
    return [(x["host"], y["host"]) for x, y in ((a, b), (b, a)) if x[sent] > 0 and y[received] == 0]


def link_verdict(a, b):
    """-> (verdict, lost directions as (sender, receiver)). a and b are the
    two ends' views (see Fleet.side_view)."""
    sides = (a, b)
    if any(s["state"] in (NO_INTERFACE, NO_PEER) for s in sides):
        return MISSING, []
    live = _with_data(sides)
    if not live:
        return UNKNOWN, []
    age = best_age(sides)
    # a device Ansible does not manage may simply be switched off: its
    # keepalive promises nothing
    keepalive = max([s.get("keepalive") or 0 for s in sides if s["state"] != UNMANAGED] or [0])
    lost = lost_directions(a, b)
    if len(live) == 1:
        # one end only: did it speak and get nothing back?
        s = live[0]
        if _sent(s) > 0 and _received(s) == 0:
            lost = [(s["host"], (b if s is a else a)["host"])]
    if len(lost) == 2:
        return (NEVER if age is None else STALE), lost
    if len(lost) == 1 and len(live) == 2:
        return ONE_WAY, lost
    limit = keepalive_limit(keepalive) if keepalive else REJECT_AFTER_TIME
    if age is not None and age < limit:
        return UP, []
    if lost:
        return (NEVER if age is None else (STALE if keepalive else IDLE)), lost
    if age is None:
        return (NEVER if keepalive else IDLE), []
    return (STALE if keepalive else IDLE), []


# ------------------------------------------------------------- fleet report

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
        return bool((self.desired(host, ifname) or {}).get("unmanaged"))

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
    unit = "wg-quick@%s" % ifname
    service = iface.get("service") or {}
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
                "systemctl start %s; if it fails, read journalctl -u %s" % (unit, unit), ifname, host)
    if desired is not None and service.get("enabled") not in (None, "enabled"):
        out.add("service_not_enabled", WARNING, "%s is %s: %s will not come back after a reboot" % (unit, service["enabled"], ifname),
                "systemctl enable %s (it was started, or brought up with wg-quick, but never enabled)" % unit, ifname, host)
    if iface.get("up") and service.get("active") not in (None, "active"):
        out.add("service_inactive", WARNING, "%s is up but %s is %s: it was brought up by hand" % (ifname, unit, service["active"]),
                "wg-quick down %s && systemctl start %s" % (ifname, unit), ifname, host)
    if iface.get("up") and iface.get("has_private_key") is False:
        out.add("no_private_key", ERROR, "%s has no private key, so no peer can talk to it" % ifname,
                "systemctl restart %s (a `wg syncconf` from a file without PrivateKey zeroes it)" % unit, ifname, host)
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
    return _short(key)


def _families(desired):
    return {ipaddress.ip_interface(a).version for a in desired.get("addresses") or []}


def _forwarding_checks(fleet, host, ifname, desired, info, out):
    forwarding = info.get("forwarding") or {}
    if desired.get("forwarding"):
        spokes = fleet.spokes_of(host, ifname)
        why = "it routes for %s" % ", ".join(spokes) if spokes else "it routes for its peers"
        for version, key, sysctl in ((4, "ipv4", "net.ipv4.ip_forward"), (6, "ipv6", "net.ipv6.conf.all.forwarding")):
            if version in _families(desired) and forwarding.get(key) is False:
                out.add("forwarding_off", ERROR, "%s=0 but %s on %s: peers cannot reach each other through it" % (sysctl, why, ifname),
                        "sysctl -w %s=1 and keep it in /etc/sysctl.d (the site playbook does both); "
                        "with ufw also allow routed traffic (ufw route allow in on %s)" % (sysctl, ifname),
                        ifname, host)
    if desired.get("gateway"):
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
            ifname, _short(live), ", ".join(peers) or "none", _short(expected)),
            "re-run the site playbook so the key store and every peer learn the new key, "
            "or put the old key file back", ifname, host)
    known = {k for member, k in fleet.keys.items() if member[0] == ifname}
    for key, peer in sorted((iface.get("peers") or {}).items()):
        if key not in known:
            out.add("unexpected_peer", WARNING, "%s has a peer %s (allowed IPs %s) that the inventory does not know" % (
                ifname, _short(key), ",".join(peer.get("allowed_ips") or []) or "none"),
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
            "lost": [list(d) for d in lost], "note": note}


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
                "%s sends to %s and gets nothing back (handshake %s)" % (sender, silent, _age_text(by_host[sender]["handshake_age"])),
                "%s may be switched off; else check its endpoint, its key and its firewall" % silent, ifname, sender, link)
        return "no answer from %s" % silent
    if verdict in (STALE, NEVER):
        age = best_age(sides)
        out.add("stale" if verdict == STALE else "no_handshake", ERROR,
                "keepalive is on but the latest handshake is %s" % _age_text(age),
                "the ends stopped talking: check that both are up and reach each other's endpoint", ifname, None, link)
        return "keepalive on, handshake %s" % _age_text(age)
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


def _age_text(age):
    if age is None:
        return "never"
    if age < 120:
        return "%ds ago" % age
    if age < 7200:
        return "%dm ago" % (age // 60)
    return "%dh ago" % (age // 3600)


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
                "unmanaged": bool(desired.get("unmanaged")),
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


# ------------------------------------------------------------- presentation

def _bytes(n):
    if n is None:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return ("%d %s" % (n, unit)) if unit == "B" else ("%.1f %s" % (n, unit))
        n /= 1024.0
    return str(n)


def _side_age(side):
    if side["state"] == OK:
        return _age_text(side["handshake_age"])
    return {UNMANAGED: "(unmanaged)", NO_DATA: "?", NO_INTERFACE: "(down)", NO_PEER: "(no peer)"}.get(side["state"], "?")


def _direction(sender, receiver):
    """Bytes sent by one end and received by the other, as far as known."""
    sent = sender["tx_bytes"] if sender["state"] == OK else None
    got = receiver["rx_bytes"] if receiver["state"] == OK else None
    return "%s / %s" % (_bytes(sent), _bytes(got))


def render_table(ifname, network):
    """One network's links as a plain-text table."""
    links = network["links"]
    counts = {}
    for link in links:
        counts[link["verdict"]] = counts.get(link["verdict"], 0) + 1
    title = "%s: %d link%s" % (ifname, len(links), "" if len(links) == 1 else "s")
    if counts:
        title += ": " + ", ".join("%d %s" % (counts[v], v) for v in VERDICTS if v in counts)
    rows = [("LINK (A - B)", "VERDICT", "HANDSHAKE A / B", "A->B SENT / GOT", "B->A SENT / GOT", "NOTE")]
    for link in links:
        a, b = link["hosts"]
        sa, sb = link["sides"][a], link["sides"][b]
        rows.append(("%s - %s" % (a, b), link["verdict"], "%s / %s" % (_side_age(sa), _side_age(sb)),
                     _direction(sa, sb), _direction(sb, sa), link["note"]))
    if len(rows) == 1:
        return title + "\n(no links expected)"
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = [title]
    for row in rows:
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1])
    return "\n".join(line.rstrip() for line in lines)


def render_diagnosis(d):
    where = []
    if d["network"]:
        where.append(d["network"])
    if d["link"]:
        where.append("%s - %s" % tuple(d["link"]))
    if d["host"]:
        where.append("on %s" % d["host"])
    return "%s [%s] %s: %s. Fix: %s" % (d["severity"].upper(), d["kind"], " ".join(where) or "fleet", d["message"], d["fix"])


def network_document(result, ifname, generated_at=None):
    """The machine-readable status of one network (written as <if>.json)."""
    return {
        "network": ifname,
        "generated_at": generated_at,
        "links": result["networks"][ifname]["links"],
        "hosts": result["networks"][ifname]["hosts"],
        "diagnoses": [d for d in result["diagnoses"] if d["network"] in (ifname, None)],
    }
