"""docs/status.md's verdict table, checked for every combination of (end A's
state, end B's state, handshake age, keepalive, probe result on each end).

The expectation below is written from the docs' rows, not from the code: a
link with a lost direction is never ``up``, whatever the handshake says."""

import itertools

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils.status_verdict import (
    IDLE, MISSING, NEVER, NO_DATA, NO_INTERFACE, NO_PEER, OK, ONE_WAY, STALE, UNKNOWN, UNMANAGED, UP, link_verdict)

STATES = (OK, NO_DATA, UNMANAGED, NO_INTERFACE, NO_PEER)
AGES = (None, 5, 140, 160, 179, 200, 5000)
KEEPALIVES = (0, 25)
# (sent, received) between the two readings; None: no probe ran
PROBES = ((100, 100), (100, 0), (0, 100), (0, 0))
TOTALS = ((1000, 1000), (1000, 0), (0, 1000), (0, 0))


def _side(host, state, age, keepalive, probe, totals):
    side = {"host": host, "state": state, "handshake_age": None, "rx_bytes": 0, "tx_bytes": 0,
            "sent": None, "received": None, "keepalive": keepalive or None, "endpoint": None}
    if state == OK:
        side.update(handshake_age=age, tx_bytes=totals[0], rx_bytes=totals[1])
        if probe is not None:
            side.update(sent=probe[0], received=probe[1])
    return side


def _lost(a, b, age, probed):
    """The docs: with the probe, X->Y is lost when X sent and Y's counter for X
    did not move; without it the totals tell only a direction that never
    worked, and a live session (< 180 s) proves both ways did."""
    readable = [s for s in (a, b) if s["state"] == OK]
    sent, received = ("sent", "received") if probed else ("tx_bytes", "rx_bytes")
    if len(readable) == 2:
        if not probed and age is not None and age < 180:
            return 0, 2
        return sum(1 for x, y in ((a, b), (b, a)) if x[sent] > 0 and y[received] == 0), 2
    s = readable[0]
    return (1 if s[sent] > 0 and s[received] == 0 else 0), 1


def expected(a, b, age, keepalive, probed):
    if {a["state"], b["state"]} & {NO_INTERFACE, NO_PEER}:
        return MISSING
    if OK not in (a["state"], b["state"]):
        return UNKNOWN
    lost, readable = _lost(a, b, age, probed)
    if lost == 2:
        return NEVER if age is None else STALE
    if lost == 1 and readable == 2:
        return ONE_WAY
    if lost == 1:
        # sends and gets nothing back (the diagnosis says no_answer)
        return NEVER if age is None else (STALE if keepalive else IDLE)
    limit = max(135, 120 + keepalive + 5) if keepalive else 180
    if age is not None and age < limit:
        return UP
    return (STALE if keepalive else IDLE) if age is not None else (NEVER if keepalive else IDLE)


def _cases():
    for sa, sb, age, keepalive, probed in itertools.product(STATES, STATES, AGES, KEEPALIVES, (True, False)):
        outcomes = PROBES if probed else TOTALS
        for oa, ob in itertools.product(outcomes, outcomes):
            yield sa, sb, age, keepalive, probed, oa, ob


CASES = list(_cases())


def test_the_table_is_complete():
    assert len(CASES) == len(STATES) ** 2 * len(AGES) * len(KEEPALIVES) * 2 * len(PROBES) ** 2


@pytest.mark.parametrize("sa,sb,age,keepalive,probed", sorted({c[:5] for c in CASES}, key=str))
def test_verdict_table(sa, sb, age, keepalive, probed):
    for case in CASES:
        if case[:5] != (sa, sb, age, keepalive, probed):
            continue
        oa, ob = case[5:]
        a = _side("a", sa, age, keepalive, oa if probed else None, (0, 0) if probed else oa)
        b = _side("b", sb, age, keepalive, ob if probed else None, (0, 0) if probed else ob)
        if probed:
            # totals since start-up are at least the probe's growth
            for s, o in ((a, oa), (b, ob)):
                s["tx_bytes"], s["rx_bytes"] = o
        verdict, lost = link_verdict(a, b)
        assert verdict == expected(a, b, age, keepalive, probed), (case, lost)
        if lost:
            assert verdict != UP, case


def test_a_stopped_peer_behind_a_recent_handshake_is_not_up():
    """The report of issue 15: the spoke's end unreadable, the hub sent in the
    probe and got nothing back, the handshake 60 s old."""
    hub = _side("hub", OK, 60, 25, (148, 0), (5000, 4000))
    spoke = _side("spoke", NO_DATA, None, 25, None, (0, 0))
    assert link_verdict(hub, spoke) == (STALE, [("hub", "spoke")])
