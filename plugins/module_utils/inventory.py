"""Turn inventory variables into the fleet model the topology works on.

Input is each host's own variables (host and group vars, as Ansible's
hostvars give them); output is one record per (interface, host) plus what
was wrong with the values. Cross-host rules live in validation.py.

A host joins the default interface (``wireguard_interface``, wg0) when it has
``wireguard_address``; ``wireguard_interfaces`` adds more, each a dict with the
same keys without the ``wireguard_`` prefix (``name`` is the interface).
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.fleetnet.wireguard.plugins.module_utils.problems import Problems
from ansible_collections.fleetnet.wireguard.plugins.module_utils import endpoint, host_args, wg_keys, wg_values

DEFAULT_INTERFACE = "wg0"
DEFAULT_PORT = 51820
TOPOLOGIES = ("mesh", "star")
_IFNAME = re.compile(r"^[a-zA-Z0-9_=+.-]{1,15}$")

# per-interface keys (without the wireguard_ prefix) and what they hold
MEMBER_KEYS = (
    "address", "port", "endpoint", "port_forwarded", "topology", "hub", "network", "unmanaged",
    "allowed_ips", "via_hub", "persistent_keepalive", "public_key", "gateway",
    "management_address", "keep_management_path", "preshared_keys", "site", "site_endpoint",
) + tuple(host_args.OPTIONS)
# keys that describe the network as a whole and may sit in group vars
_HOST_WIDE_KEYS = ("endpoint", "unmanaged", "gateway", "management_address", "keep_management_path", "preshared_keys",
                   "site", "site_endpoint")
# connections that do not go over the network: a tunnel cannot cut them off
_LOCAL_CONNECTIONS = ("local", "docker", "community.docker.docker", "community.docker.docker_api",
                      "lxc", "community.general.lxc", "chroot", "community.general.chroot",
                      "containers.podman.podman", "podman")


def as_list(value):
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [v for v in value if v not in (None, "")]
    return [v.strip() for v in str(value).split(",") if v.strip()]


def _as_bool(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _hooks(value):
    """A hook is one shell command even with commas in it: only a YAML list
    makes several."""
    if value in (None, "", []):
        return []
    return [str(v) for v in value if v not in (None, "")] if isinstance(value, (list, tuple)) else [str(value)]


def _port(value):
    try:
        port = int(value)
    except (TypeError, ValueError):
        return None
    return port if 1 <= port <= 65535 else None


def _prefixes(host, variable, values, problems):
    out = []
    for value in as_list(values):
        try:
            out.append(wg_values.prefix(value))
        except ValueError:
            problems.error(host, variable, "%r is not an IP prefix" % (value,),
                           "write prefixes as 10.10.0.0/24 or fd00::/64")
    return out


def _addresses(host, variable, values, problems):
    """Tunnel addresses: '10.10.0.1' or '10.10.0.1/24' -> ip_interface objects."""
    out = []
    for value in as_list(values):
        try:
            out.append(ipaddress.ip_interface(str(value)))
        except ValueError:
            problems.error(host, variable, "%r is not an IP address" % (value,),
                           "write the host's tunnel address, such as 10.10.0.1 or fd86:ea04:1111::1")
    return out


def _member_settings(hostvars):
    """The settings of every interface a host takes part in, as (ifname, settings, varname-prefix)."""
    found = []
    if hostvars.get("wireguard_address") not in (None, "", []):
        settings = {k: hostvars.get("wireguard_" + k) for k in MEMBER_KEYS}
        found.append((hostvars.get("wireguard_interface") or DEFAULT_INTERFACE, settings, "wireguard_"))
    for index, extra in enumerate(hostvars.get("wireguard_interfaces") or []):
        if not isinstance(extra, dict):
            found.append((None, extra, "wireguard_interfaces[%d]" % index))
            continue
        settings = {k: extra.get(k) for k in MEMBER_KEYS}
        for k in _HOST_WIDE_KEYS:
            if settings[k] is None:
                settings[k] = hostvars.get("wireguard_" + k)
        for key in ("endpoint", "site_endpoint"):
            if extra.get(key) is None and settings[key]:
                # the host's address, with this interface's own port
                try:
                    settings[key] = endpoint.parse(settings[key])[0]
                except endpoint.EndpointError:
                    pass  # reported on the host-wide variable
        found.append((extra.get("name"), settings, "wireguard_interfaces[%d]." % index))
    return found


def normalize_member(host, ifname, s, prefix, problems):
    """One host's settings on one interface, checked value by value."""
    def v(key):
        # the variable's name as the user wrote it
        return prefix + key

    if not ifname or not _IFNAME.match(str(ifname)):
        problems.error(host, v("name") if prefix.endswith(".") else "wireguard_interface",
                       "%r is not a valid interface name" % (ifname,),
                       "use 1-15 letters, digits or _=+.- such as wg0")
        return None
    port = _port(s.get("port") if s.get("port") is not None else DEFAULT_PORT)
    if port is None:
        problems.error(host, v("port"), "%r is not a port number" % (s.get("port"),), "use a UDP port from 1 to 65535")
        port = DEFAULT_PORT
    addresses = _addresses(host, v("address"), s.get("address"), problems)
    if not addresses:
        problems.error(host, v("address"), "no tunnel address on %s" % ifname, "set it, e.g. 10.10.0.1")
    member = {
        "host": host,
        "interface": str(ifname),
        "addresses": [str(a.ip) for a in addresses],
        "address_prefixlens": {str(a.ip): a.network.prefixlen for a in addresses if a.network.prefixlen < a.max_prefixlen},
        "port": port,
        "endpoint": None,
        "site": None,
        "site_endpoint": None,
        "hub": s.get("hub") or None,
        "topology": s.get("topology") or None,
        "network": _prefixes(host, v("network"), s.get("network"), problems),
        "unmanaged": _as_bool(s.get("unmanaged") or False),
        "gateway": _as_bool(s.get("gateway") or False),
        "allowed_ips": _prefixes(host, v("allowed_ips"), s.get("allowed_ips"), problems),
        "via_hub": _prefixes(host, v("via_hub"), s.get("via_hub"), problems),
        "persistent_keepalive": None,
        "port_explicit": s.get("port") is not None,
        "public_key": s.get("public_key") or None,
        "options": {},
        "var_prefix": prefix,
        "keep_management_path": _as_bool(s.get("keep_management_path") or False),
        "preshared_keys": _as_bool(s.get("preshared_keys") or False),
        "management_address": None,
    }
    if s.get("management_address"):
        try:
            member["management_address"] = str(ipaddress.ip_address(str(s["management_address"])))
        except ValueError:
            problems.error(host, v("management_address"), "%r is not an IP address" % (s["management_address"],),
                           "set the address the controller connects to, or leave it unset")
    if member["topology"] is not None and member["topology"] not in TOPOLOGIES:
        problems.error(host, v("topology"), "unknown topology %r" % (member["topology"],), "use mesh or star")
    for key in ("endpoint", "site_endpoint"):
        _endpoint(host, key, s, port, member, v, problems)
    member["site"] = str(s["site"]) if s.get("site") not in (None, "") else None
    if member["site_endpoint"] and member["site"] is None:
        problems.error(host, v("site_endpoint"), "%s has a site endpoint but names no site, so no peer would dial it" % host,
                       "set %s to the name of the network %s is on (such as fra1), or remove %s" % (
                           v("site"), member["site_endpoint"], v("site_endpoint")))
    keepalive = s.get("persistent_keepalive")
    if keepalive not in (None, ""):
        try:
            member["persistent_keepalive"] = wg_values.keepalive(keepalive)
        except ValueError:
            problems.error(host, v("persistent_keepalive"), "%r is not a number of seconds" % (keepalive,), "use 25, or off")
    if member["public_key"] and not is_exact_key(member["public_key"]):
        problems.error(host, v("public_key"), "not a WireGuard public key (exactly 44 base64 characters of 32 bytes, "
                       "nothing around them)", "paste the 44-character base64 key from `wg pubkey`, without a newline")
        member["public_key"] = None
    for key in host_args.OPTIONS:
        value = _hooks(s.get(key)) if key in host_args.HOOKS else s.get(key)
        if value not in (None, "", []):
            member["options"][key] = value
    mtu = member["options"].get("mtu")
    if mtu is not None and not (str(mtu).isdigit() and 1280 <= int(mtu) <= 9000):
        problems.error(host, v("mtu"), "%r is not a usable MTU" % (mtu,), "use 1280-9000, or leave it unset for wg-quick to choose")
    return member


def _endpoint(host, key, s, port, member, v, problems):
    """Parse the endpoint ``key`` (endpoint or site_endpoint) into member[key]
    and member[key + '_host']; its port must be the listen port unless a NAT
    forwards it."""
    if s.get(key) in (None, ""):
        return
    try:
        ep_host, ep_port = endpoint.parse(s[key], port)
    except endpoint.EndpointError as exc:
        problems.error(host, v(key), str(exc), endpoint.FORMS)
        return
    member[key] = endpoint.join(ep_host, ep_port)
    member[key + "_host"] = ep_host
    if ep_port != port and not _as_bool(s.get("port_forwarded") or False):
        problems.error(host, v(key), "peers would dial port %d but %s listens on %d" % (ep_port, host, port),
                       "set %s to %d (or drop the port from the endpoint); if a NAT forwards %d to %d, "
                       "say so with %s: true" % (v("port"), ep_port, ep_port, port, v("port_forwarded")))


def is_exact_key(text):
    """A key exactly as `wg pubkey` prints it, without the newline: a
    stripped-on-read key would differ from the one wg compares."""
    return isinstance(text, str) and text == text.strip() and wg_keys.is_valid_key(text)


def management_address(hostvars):
    """The IP address the controller reaches this host at over the network,
    or None (a local or container connection, or a name we cannot check)."""
    if str(hostvars.get("ansible_connection") or "ssh") in _LOCAL_CONNECTIONS:
        return None
    try:
        return str(ipaddress.ip_address(str(hostvars.get("ansible_host") or "")))
    except ValueError:
        return None


def normalize(hostvars_by_host):
    """{host: vars} -> ({ifname: {host: member}}, Problems)."""
    problems = Problems()
    interfaces = {}
    for host in sorted(hostvars_by_host):
        for ifname, settings, prefix in _member_settings(hostvars_by_host[host]):
            if not isinstance(settings, dict):
                problems.error(host, prefix, "each entry must be a dict", "write {name: wg1, address: 10.20.0.1, ...}")
                continue
            member = normalize_member(host, ifname, settings, prefix, problems)
            if member is None:
                continue
            if host in interfaces.setdefault(member["interface"], {}):
                problems.error(host, "wireguard_interfaces", "%s is defined twice" % ifname,
                               "define each interface once per host")
                continue
            if member["management_address"] is None:
                member["management_address"] = management_address(hostvars_by_host[host])
            interfaces[member["interface"]][host] = member
    return interfaces, problems
