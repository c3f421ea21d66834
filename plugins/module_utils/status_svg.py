"""Draw one network's status as an SVG picture: hosts as circles, expected
links as lines colored by verdict, hosts with a fault outlined.

Written by hand (no plotting library on the controller). Layout: backbone
members on a circle, each hub's spokes fanned out beyond their hub (around
it when the hub is alone in the middle). Input is one network of
status_report.report()'s result and its diagnoses.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape, quoteattr

from ansible_collections.fleetnet.wireguard.plugins.module_utils.status_report import ERROR, WARNING
from ansible_collections.fleetnet.wireguard.plugins.module_utils.status_verdict import (
    IDLE, MISSING, NEVER, ONE_WAY, STALE, UNKNOWN, UP, VERDICTS,
)

COLORS = {
    UP: "#2e7d32",
    IDLE: "#78909c",
    STALE: "#ef6c00",
    NEVER: "#c62828",
    ONE_WAY: "#8e24aa",
    MISSING: "#c62828",
    UNKNOWN: "#bdbdbd",
}
DASHES = {NEVER: "8 5", MISSING: "2 6", UNKNOWN: "4 4"}
HOST_FILL = {ERROR: "#ffcdd2", WARNING: "#ffe0b2", None: "#e8f5e9"}
BACKBONE_RADIUS = 160
SPOKE_DISTANCE = 170
NODE_RADIUS = 22
MARGIN = 110


def _polar(cx, cy, radius, degrees):
    a = math.radians(degrees)
    return cx + radius * math.cos(a), cy + radius * math.sin(a)


def layout(hosts):
    """{host: (x, y)}; hosts: {name: {role, hub}} as in the report."""
    spokes = sorted(h for h, v in hosts.items() if v.get("role") == "spoke" and v.get("hub") in hosts)
    backbone = sorted(h for h in hosts if h not in spokes)
    pos, angle = {}, {}
    if len(backbone) == 1:
        pos[backbone[0]] = (0.0, 0.0)
    # two on a line side by side, more on a circle from the top
    start = 180 if len(backbone) == 2 else -90
    for i, host in enumerate(backbone if len(backbone) > 1 else []):
        angle[host] = start + 360.0 * i / len(backbone)
        pos[host] = _polar(0, 0, BACKBONE_RADIUS, angle[host])
    by_hub = {}
    for host in spokes:
        by_hub.setdefault(hosts[host]["hub"], []).append(host)
    for hub, mine in sorted(by_hub.items()):
        hx, hy = pos[hub]
        if hub not in angle:  # the hub sits in the middle: spokes all around
            # half a step round for an even count keeps a spoke off the hub's labels below it
            turn = 0.5 if len(mine) % 2 == 0 else 0.0
            for j, host in enumerate(mine):
                pos[host] = _polar(hx, hy, BACKBONE_RADIUS, -90 + 360.0 * (j + turn) / len(mine))
            continue
        spread = min(120.0, 35.0 * (len(mine) - 1))
        for j, host in enumerate(mine):
            offset = -spread / 2 + (spread * j / (len(mine) - 1) if len(mine) > 1 else 0)
            pos[host] = _polar(hx, hy, SPOKE_DISTANCE, angle[hub] + offset)
    return pos


def _labels_above(host, hosts, pos):
    """Labels go on the side away from the node's links: outward for a spoke
    and a backbone member, inward for a hub (its spokes are outside)."""
    view = hosts[host]
    anchor = pos.get(view.get("hub")) if view.get("role") == "spoke" else (0.0, 0.0)
    above = pos[host][1] < (anchor or (0.0, 0.0))[1] - 1
    has_spokes = any(v.get("role") == "spoke" and v.get("hub") == host for v in hosts.values())
    return not above if has_spokes and pos[host] != (0.0, 0.0) else above


def _worst(diagnoses, host):
    levels = {d["severity"] for d in diagnoses if d["host"] == host}
    return ERROR if ERROR in levels else (WARNING if WARNING in levels else None)


def _text(x, y, content, size=12, weight="normal", anchor="middle", color="#212121"):
    # a halo of the background keeps text readable over lines
    return ('<text x="%.1f" y="%.1f" font-size="%d" font-weight="%s" text-anchor="%s" fill="%s" '
            'stroke="#fafafa" stroke-width="3" paint-order="stroke">%s</text>') % (
        x, y, size, weight, anchor, color, escape(content))


def _link(link, pos):
    a, b = link["hosts"]
    if a not in pos or b not in pos:
        return []
    (x1, y1), (x2, y2) = pos[a], pos[b]
    verdict = link["verdict"]
    dash = ' stroke-dasharray="%s"' % DASHES[verdict] if verdict in DASHES else ""
    tip = "%s - %s: %s%s" % (a, b, verdict, (" (%s)" % link["note"]) if link["note"] else "")
    out = ['<g class="link" data-verdict=%s>' % quoteattr(verdict),
           '<title>%s</title>' % escape(tip),
           '<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="4"%s/>' % (
               x1, y1, x2, y2, COLORS.get(verdict, "#000"), dash)]
    for sender, receiver in link["lost"]:
        if sender in pos and receiver in pos:
            # a cross near the end that receives nothing
            (sx, sy), (rx, ry) = pos[sender], pos[receiver]
            cx, cy = rx + (sx - rx) * 0.25, ry + (sy - ry) * 0.25
            out.append('<path d="M%.1f %.1f l10 10 m0 -10 l-10 10" stroke="#c62828" stroke-width="3"/>' % (cx - 5, cy - 5))
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    out.append('<rect x="%.1f" y="%.1f" width="%d" height="16" rx="3" fill="#ffffff" fill-opacity="0.85"/>' % (
        mx - 4 * len(verdict) - 4, my - 12, 8 * len(verdict) + 8))
    out.append(_text(mx, my, verdict, 11, "bold", color=COLORS.get(verdict, "#000")))
    out.append("</g>")
    return out


def _node(host, view, xy, above, diagnoses):
    x, y = xy
    worst = _worst(diagnoses, host)
    stroke = {ERROR: "#c62828", WARNING: "#ef6c00"}.get(worst, "#37474f")
    dash = ' stroke-dasharray="4 3"' if view.get("unmanaged") else ""
    tip = [host] + ["%s: %s" % (d["kind"], d["message"]) for d in diagnoses if d["host"] == host]
    details = view.get("role", "")
    if view.get("unmanaged"):
        details = "unmanaged " + details
    elif view.get("implementation"):
        details += ", " + view["implementation"]
    addresses = ", ".join(a.split("/")[0] for a in view.get("addresses") or [])
    # labels on the far side from the links: above a node at the top
    dy = (-NODE_RADIUS - 34, -NODE_RADIUS - 20, -NODE_RADIUS - 7) if above else (NODE_RADIUS + 16, NODE_RADIUS + 30, NODE_RADIUS + 43)
    return [
        '<g class="host" data-host=%s>' % quoteattr(host),
        "<title>%s</title>" % escape("\n".join(tip)),
        '<circle cx="%.1f" cy="%.1f" r="%d" fill="%s" stroke="%s" stroke-width="3"%s/>' % (
            x, y, NODE_RADIUS, HOST_FILL[worst], stroke, dash),
        _text(x, y + dy[0], host, 13, "bold"),
        _text(x, y + dy[1], addresses, 11, color="#455a64"),
        _text(x, y + dy[2], details, 10, color="#607d8b"),
        "</g>",
    ]


def render(ifname, network, diagnoses, generated_at=None):
    """One network as an SVG document (a string)."""
    hosts = network["hosts"]
    pos = layout(hosts)
    xs = [p[0] for p in pos.values()] or [0.0]
    ys = [p[1] for p in pos.values()] or [0.0]
    legend = [(v, 44 + 7 * len(v)) for v in VERDICTS]
    width = max(max(xs) - min(xs) + 2 * MARGIN, sum(item[1] for item in legend) + 24)
    left, top = (min(xs) + max(xs)) / 2 - width / 2, min(ys) - MARGIN - 30
    legend_y = max(ys) + MARGIN
    height = legend_y - top + 40
    mine = [d for d in diagnoses if d["network"] in (ifname, None)]
    counts = {}
    for link in network["links"]:
        counts[link["verdict"]] = counts.get(link["verdict"], 0) + 1
    title = "%s: %s" % (ifname, ", ".join("%d %s" % (n, v) for v, n in sorted(counts.items())) or "no links")
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="%.1f %.1f %.1f %.1f" width="%d" height="%d" font-family="sans-serif">' % (
            left, top, width, height, width, height),
        '<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#fafafa"/>' % (left, top, width, height),
        _text(left + 12, top + 24, title, 16, "bold", "start"),
    ]
    if generated_at:
        out.append(_text(left + width - 12, top + 24, generated_at, 11, anchor="end", color="#607d8b"))
    for link in network["links"]:
        out.extend(_link(link, pos))
    for host in sorted(pos):
        out.extend(_node(host, hosts[host], pos[host], _labels_above(host, hosts, pos), mine))
    x = left + 12
    for verdict, step in legend:
        dash = ' stroke-dasharray="%s"' % DASHES[verdict] if verdict in DASHES else ""
        out.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="4"%s/>' % (
            x, legend_y, x + 28, legend_y, COLORS[verdict], dash))
        out.append(_text(x + 34, legend_y + 4, verdict, 11, anchor="start"))
        x += step
    out.append("</svg>")
    return "\n".join(out) + "\n"
