"""One host's WireGuard figures in Prometheus text format, for
node_exporter's textfile collector, with the metric names and labels of the
Prometheus WireGuard exporter (MindFlavor/prometheus_wireguard_exporter), so
dashboards made for it work unchanged. ``friendly_name`` is the peer's
inventory host (the same name as the ``# friendly_name =`` line in the
rendered files)."""

from __future__ import annotations

METRICS = (
    ("wireguard_sent_bytes_total", "counter", "Bytes sent to the peer", "tx_bytes"),
    ("wireguard_received_bytes_total", "counter", "Bytes received from the peer", "rx_bytes"),
    ("wireguard_latest_handshake_seconds", "gauge", "UNIX time of the latest handshake with the peer (0: never)",
     "latest_handshake"),
)


def _label(value):
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def names_by_key(desired_by_if):
    """{ifname: {public key: host}} from one host's plan."""
    return {ifname: {p["public_key"]: p["name"] for p in desired.get("peers") or [] if p.get("public_key")}
            for ifname, desired in (desired_by_if or {}).items()}


def render(info, desired_by_if):
    """The info module's result for one host and its plan -> text."""
    names = names_by_key(desired_by_if)
    samples = {name: [] for name, dummy, dummy, dummy in METRICS}
    for ifname in sorted((info or {}).get("interfaces") or {}):
        peers = ((info["interfaces"][ifname] or {}).get("peers")) or {}
        for key in sorted(peers):
            labels = 'interface="%s",public_key="%s",friendly_name="%s"' % (
                _label(ifname), _label(key), _label(names.get(ifname, {}).get(key, "")))
            for name, dummy, dummy, field in METRICS:
                samples[name].append("%s{%s} %d" % (name, labels, int(peers[key].get(field) or 0)))
    lines = []
    for name, kind, help_text, dummy in METRICS:
        lines += ["# HELP %s %s" % (name, help_text), "# TYPE %s %s" % (name, kind)] + samples[name]
    return "\n".join(lines) + "\n"
