"""The status playbook's Prometheus text: the WireGuard exporter's metric
names and labels, every peer of every interface, and text that follows the
exposition format (checked by a parser written here from the format's
grammar: HELP/TYPE lines, then samples name{label="value",...} number)."""

import re

from ansible_collections.fleetnet.wireguard.plugins.module_utils import status_metrics

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*",?)*)\} (-?[0-9]+(?:\.[0-9]+)?)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"')


def parse(text):
    """-> {(metric, frozenset(labels)): value}, {metric: type}; raises on anything else."""
    assert text.endswith("\n")
    types, samples = {}, {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            name, kind = line.split()[2:]
            assert kind in ("counter", "gauge") and name not in types
            types[name] = kind
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        assert m.group(1) in types, "sample before its TYPE: %r" % line
        labels = frozenset(LABEL.findall(m.group(2)))
        key = (m.group(1), labels)
        assert key not in samples, "duplicate series %r" % (key,)
        samples[key] = float(m.group(3))
    return samples, types


INFO = {"now": 1795572500, "interfaces": {
    "wg0": {"peers": {"KEYA": {"rx_bytes": 100, "tx_bytes": 200, "latest_handshake": 1795572400},
                      "KEYB": {"rx_bytes": 0, "tx_bytes": 0, "latest_handshake": 0}}},
    "wg1": {"peers": {"KEYC": {"rx_bytes": 5, "tx_bytes": 6, "latest_handshake": 1795572000}}},
}}
PLAN = {"wg0": {"peers": [{"name": "vps2", "public_key": "KEYA"}, {"name": 'od"d\\name', "public_key": "KEYB"}]},
        "wg1": {"peers": [{"name": "vps3", "public_key": "KEYC"}]}}


def series(interface, key, name):
    return frozenset({("interface", interface), ("public_key", key), ("friendly_name", name)})


def test_every_peer_has_the_three_figures_under_the_exporters_names():
    samples, types = parse(status_metrics.render(INFO, PLAN))
    assert types == {"wireguard_sent_bytes_total": "counter", "wireguard_received_bytes_total": "counter",
                     "wireguard_latest_handshake_seconds": "gauge"}
    assert samples[("wireguard_sent_bytes_total", series("wg0", "KEYA", "vps2"))] == 200
    assert samples[("wireguard_received_bytes_total", series("wg0", "KEYA", "vps2"))] == 100
    assert samples[("wireguard_latest_handshake_seconds", series("wg1", "KEYC", "vps3"))] == 1795572000
    assert samples[("wireguard_latest_handshake_seconds", series("wg0", "KEYB", 'od\\"d\\\\name'))] == 0
    assert len(samples) == 9


def test_a_peer_the_plan_does_not_know_keeps_an_empty_name_and_no_interfaces_is_still_valid():
    samples, dummy = parse(status_metrics.render(INFO, {}))
    assert ("wireguard_sent_bytes_total", series("wg0", "KEYA", "")) in samples
    samples, types = parse(status_metrics.render({"interfaces": {}}, {}))
    assert samples == {} and len(types) == 3
