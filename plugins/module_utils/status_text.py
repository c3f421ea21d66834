"""The report as text for people: one table per network and one line per
diagnosis, and as one JSON document per network (the SVG picture is
status_svg's).
"""

from __future__ import annotations

from ansible_collections.fleetnet.wireguard.plugins.module_utils.status_verdict import (
    NO_DATA, NO_INTERFACE, NO_PEER, OK, UNMANAGED, VERDICTS, age_text,
)


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
        return age_text(side["handshake_age"])
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
    rows = [("LINK (A - B)", "VERDICT", "PATH", "HANDSHAKE A / B", "A->B SENT / GOT", "B->A SENT / GOT", "NOTE")]
    for link in links:
        a, b = link["hosts"]
        sa, sb = link["sides"][a], link["sides"][b]
        rows.append(("%s - %s" % (a, b), link["verdict"], link.get("path") or "-", "%s / %s" % (_side_age(sa), _side_age(sb)),
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
