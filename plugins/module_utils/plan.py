"""From inventory variables and known public keys to each host's desired
interfaces: normalize, validate, resolve keys, compute peers. Run once per
play on the controller."""

from __future__ import annotations

from ansible_collections.fleetnet.wireguard.plugins.module_utils import contract, inventory, topology, validation
from ansible_collections.fleetnet.wireguard.plugins.module_utils.problems import Problems

OPTION_KEYS = ("mtu", "dns", "table", "fwmark", "pre_up", "post_up", "pre_down", "post_down")


def load(hostvars_by_host, options=None):
    """Check names and types against the role's argument spec ``options``
    (when given), then normalize and check everything that needs no keys.
    -> (interfaces, Problems); no interfaces when a name or type is wrong."""
    if options is not None:
        problems = Problems()
        if not contract.check(hostvars_by_host, options, problems):
            return {}, problems
    interfaces, problems = inventory.normalize(hostvars_by_host)
    validation.check_membership(hostvars_by_host, interfaces, problems)
    validation.check_members(interfaces, problems)
    return interfaces, problems


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


def resolve_keys(interfaces, public_keys, problems, allow_missing=False):
    """Give each member its public key: an inventory override wins over the
    key store. ``public_keys`` maps (interface, host) to a key."""
    for ifname, members in interfaces.items():
        for host, m in members.items():
            key = m["public_key"] or public_keys.get((ifname, host))
            m["public_key_resolved"] = key
            if not key and not allow_missing:
                problems.error(host, "wireguard_public_key", "no public key known for %s on %s" % (host, ifname),
                               "run the play once with %s in it (its key is made there and stored), or set wireguard_public_key" % host)
    validation.check_public_keys(interfaces, problems)


def _listen_port(m):
    """Unmanaged devices choose their own port, and so does a roaming spoke
    (no endpoint: nobody dials it) unless a port was asked for."""
    if m["unmanaged"] or (topology.is_spoke(m) and not m["endpoint"] and not m["port_explicit"]):
        return None
    return m["port"]


def desired_interface(topo, host):
    """What the interface module takes for one host."""
    m = topo.members[host]
    peers = topo.peers_of(host)
    desired = {
        "name": topo.ifname,
        "addresses": topo.address_lines(host),
        "listen_port": _listen_port(m),
        "peers": peers,
        "forwarding": topo.routes_forwarded(host),
        "gateway": m["gateway"],
        "unmanaged": m["unmanaged"],
        "network": topo.prefixes,
    }
    for key in OPTION_KEYS:
        if key in m["options"]:
            desired[key] = m["options"][key]
    if m["keep_management_path"] and m["management_address"]:
        desired["post_up"], desired["pre_down"] = _management_rule_hooks(m["management_address"], desired)
    return desired


def _management_rule_hooks(address, desired):
    """Traffic from the address the controller uses keeps the main table, so
    replies to the controller never enter the tunnel's default route."""
    family = "-6" if ":" in address else "-4"
    rule = "ip %s rule %%s from %s lookup main priority 1000" % (family, address)
    post_up = list(desired.get("post_up") or []) + [rule % "add"]
    pre_down = [rule % "del"] + list(desired.get("pre_down") or [])
    return post_up, pre_down


def plan(interfaces, problems, hosts=None):
    """{host: {ifname: desired}} for ``hosts`` (default: every member)."""
    topos = topology.build(interfaces)
    result = {}
    for ifname in sorted(topos):
        topo = topos[ifname]
        for host in sorted(topo.members):
            if hosts is not None and host not in hosts:
                continue
            desired = desired_interface(topo, host)
            validation.check_allowed_ips(host, ifname, desired["peers"], problems)
            validation.check_management_path(topo.members[host], desired, problems)
            result.setdefault(host, {})[ifname] = desired
    return result


def routing(plan_by_host):
    """{host: [what fleetnet.wireguard.routing takes, per interface]} from a plan."""
    return {host: [{"name": d["name"], "port": d["listen_port"], "forwarding": d["forwarding"],
                    "gateway": d["gateway"], "prefixes": d["network"]} for d in (by_if[i] for i in sorted(by_if))]
            for host, by_if in plan_by_host.items()}


def plan_fleet(hostvars_by_host, public_keys, hosts=None, allow_missing_keys=False):
    """The whole pipeline; returns (plan or None, Problems)."""
    interfaces, problems = load(hostvars_by_host)
    if problems.errors:
        return None, problems
    resolve_keys(interfaces, public_keys, problems, allow_missing_keys)
    if problems.errors:
        return None, problems
    result = plan(interfaces, problems, hosts)
    return (None if problems.errors else result), problems


__all__ = ["Problems", "load", "resolve_keys", "plan", "plan_fleet", "desired_interface", "routing"]
