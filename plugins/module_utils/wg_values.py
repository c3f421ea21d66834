"""Peer values as wg(8) reads them, one normalising each: the keepalive
interval and an IP prefix. Inventory checks, config comparison, live
reconciling and status all compare through these, so "off", "0" and an
absent keepalive are one value, and 10.0.0.9/24 is 10.0.0.0/24 everywhere.
"""

from __future__ import annotations

import ipaddress

KEEPALIVE_MAX = 65535


def keepalive(value):
    """PersistentKeepalive -> seconds, 0 for off (None, "" and "off" are off,
    as wg reads them). Raises ValueError for anything but 0-65535 or off."""
    if value is None:
        return 0
    text = str(value).strip()
    if text.lower() in ("", "off"):
        return 0
    if not text.isdigit() or int(text) > KEEPALIVE_MAX:
        raise ValueError("%r is not a number of seconds (0-%d) or off" % (value, KEEPALIVE_MAX))
    return int(text)


def prefix(value):
    """An IP prefix in its canonical spelling: host bits cleared, as wg keeps
    AllowedIPs ('10.0.0.9/24' -> '10.0.0.0/24', 'fd00::1' -> 'fd00::1/128').
    Raises ValueError for anything else."""
    return str(ipaddress.ip_network(str(value).strip(), strict=False))
