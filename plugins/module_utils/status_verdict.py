"""One link's verdict from what its two ends know of each other.

WireGuard's timers decide: a session lives REJECT_AFTER_TIME (180 s) and is
renewed after REKEY_AFTER_TIME (120 s) of use, so with keepalive on the
handshake stays under ~135 s, while a link without keepalive and without
traffic may keep an old handshake forever: that is idle, not broken. When the
playbook probed the links (a ping to each peer between two readings), the
byte counters' growth says which direction loses packets; otherwise the
counters since the interface came up are used.
"""

from __future__ import annotations

REKEY_AFTER_TIME = 120
REJECT_AFTER_TIME = 180
REKEY_TIMEOUT = 5
KEEPALIVE_LIVE_LIMIT = 135

UP, IDLE, STALE, NEVER, ONE_WAY, MISSING, UNKNOWN = "up", "idle", "stale", "never", "one-way", "missing", "unknown"
VERDICTS = (UP, IDLE, STALE, NEVER, ONE_WAY, MISSING, UNKNOWN)
FAULTS = frozenset((STALE, NEVER, ONE_WAY, MISSING))

# side states: what one end of a link knows of the other
OK, NO_INTERFACE, NO_PEER, UNMANAGED, NO_DATA = "ok", "no-interface", "no-peer", "unmanaged", "no-data"


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
    if lost:
        # a probe that got nothing back outranks any handshake: a peer that
        # stopped a minute ago still shows one younger than the limit
        return (NEVER if age is None else (STALE if keepalive else IDLE)), lost
    limit = keepalive_limit(keepalive) if keepalive else REJECT_AFTER_TIME
    if age is not None and age < limit:
        return UP, []
    if age is None:
        return (NEVER if keepalive else IDLE), []
    return (STALE if keepalive else IDLE), []


def age_text(age):
    """A handshake age for people: never, seconds, minutes or hours ago."""
    if age is None:
        return "never"
    if age < 120:
        return "%ds ago" % age
    if age < 7200:
        return "%dm ago" % (age // 60)
    return "%dh ago" % (age // 3600)
