"""MASQUERADE for egress gateways, independent of the tunnel's own life.

The rules live in a small script run by a systemd unit of ours
(fleetnet-wireguard-nat.service): they come back at boot, survive restarts of
wg-quick, are added only when missing (so re-runs never duplicate them), and
the unit's stop removes them, which is how turning the flag off cleans up.
iptables and nftables hosts get the same rules in their own syntax.
"""

from __future__ import annotations

import ipaddress

UNIT = "fleetnet-wireguard-nat.service"
UNIT_PATH = "/etc/systemd/system/" + UNIT
SCRIPT_PATH = "/usr/local/sbin/fleetnet-wireguard-nat"
NFT_TABLE = "fleetnet_wireguard"


def render_unit():
    return """# Managed by fleetnet.wireguard: MASQUERADE of tunnel traffic leaving this gateway.
[Unit]
Description=fleetnet.wireguard egress NAT
After=network-pre.target
Before=network.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=%(script)s start
ExecStop=%(script)s stop

[Install]
WantedBy=multi-user.target
""" % {"script": SCRIPT_PATH}


def _split(prefixes):
    v4 = [str(ipaddress.ip_network(p)) for p in prefixes if ipaddress.ip_network(p).version == 4]
    v6 = [str(ipaddress.ip_network(p)) for p in prefixes if ipaddress.ip_network(p).version == 6]
    return v4, v6


def iptables_rules(interfaces, prefixes, uplink4, uplink6):
    """[(binary, rule args)] without the -A/-C/-D verb."""
    v4, v6 = _split(prefixes)
    rules = []
    for binary, sources, uplink in (("iptables", v4, uplink4), ("ip6tables", v6, uplink6)):
        if not uplink or not sources:
            continue
        for ifname in interfaces:
            rules.append((binary, "FORWARD -i %s -o %s -j ACCEPT" % (ifname, uplink)))
            rules.append((binary, "FORWARD -i %s -o %s -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT" % (uplink, ifname)))
        for source in sources:
            rules.append((binary, "-t nat POSTROUTING -s %s -o %s -j MASQUERADE" % (source, uplink)))
    return rules


def _iptables_lines(rules, verb):
    lines = []
    for binary, rule in rules:
        table = ""
        if rule.startswith("-t "):
            dummy, name, rule = rule.split(" ", 2)
            table = "-t %s " % name
        chain, rest = rule.split(" ", 1)
        if verb == "start":
            lines.append("  %s -w %s-C %s %s 2>/dev/null || %s -w %s-A %s %s" % (binary, table, chain, rest, binary, table, chain, rest))
        else:
            lines.append("  while %s -w %s-D %s %s 2>/dev/null; do :; done" % (binary, table, chain, rest))
    return lines


def nft_ruleset(interfaces, prefixes, uplink4, uplink6):
    v4, v6 = _split(prefixes)
    ifs = ", ".join('"%s"' % i for i in interfaces)
    post, fwd = [], []
    for family, sources, uplink in (("ip", v4, uplink4), ("ip6", v6, uplink6)):
        if not uplink or not sources:
            continue
        post.append('    oifname "%s" %s saddr { %s } masquerade' % (uplink, family, ", ".join(sources)))
        for rule in ('    iifname { %s } oifname "%s" accept' % (ifs, uplink),
                     '    iifname "%s" oifname { %s } ct state related,established accept' % (uplink, ifs)):
            if rule not in fwd:  # one uplink often carries both families
                fwd.append(rule)
    return "\n".join([
        "table inet %s {" % NFT_TABLE,
        "  chain postrouting {",
        "    type nat hook postrouting priority srcnat; policy accept;",
    ] + post + [
        "  }",
        "  chain forward {",
        "    type filter hook forward priority filter; policy accept;",
    ] + fwd + ["  }", "}"])


def render_script(backend, interfaces, prefixes, uplink4, uplink6):
    head = ["#!/bin/sh", "# Managed by fleetnet.wireguard: egress NAT for %s." % ", ".join(interfaces),
            "# uplinks: IPv4 %s, IPv6 %s" % (uplink4 or "-", uplink6 or "-"), "set -e", 'case "$1" in', "start)"]
    if backend == "nftables":
        body = ["  nft -f - <<'RULES'", "table inet %s" % NFT_TABLE, "delete table inet %s" % NFT_TABLE,
                nft_ruleset(interfaces, prefixes, uplink4, uplink6), "RULES", "  ;;", "stop)",
                "  nft delete table inet %s 2>/dev/null || true" % NFT_TABLE, "  ;;"]
    else:
        rules = iptables_rules(interfaces, prefixes, uplink4, uplink6)
        body = _iptables_lines(rules, "start") + ["  ;;", "stop)"] + _iptables_lines(rules, "stop") + ["  ;;"]
    return "\n".join(head + body + ["esac", ""])


def default_uplink(route_entries):
    """`ip -j route show default` -> the device of the first default route."""
    for entry in route_entries:
        if entry.get("dst") == "default" and entry.get("dev"):
            return entry["dev"]
    return None
