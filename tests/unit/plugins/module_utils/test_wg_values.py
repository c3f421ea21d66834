"""One normalising of the peer values wg compares (module_utils/wg_values.py):
the keepalive interval and IP prefixes, as wg(8) reads them."""

from __future__ import annotations

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils import wg_values


@pytest.mark.parametrize("value, seconds", [
    (None, 0), ("", 0), ("off", 0), ("Off", 0), (" off ", 0),
    (0, 0), ("0", 0), (25, 25), ("25", 25), (" 25\n", 25), (65535, 65535),
])
def test_keepalive(value, seconds):
    assert wg_values.keepalive(value) == seconds


@pytest.mark.parametrize("value", ["25s", "-1", 65536, "1e3", "on", True, 2.5, "twenty"])
def test_keepalive_refuses(value):
    with pytest.raises(ValueError, match="is not a number of seconds"):
        wg_values.keepalive(value)


@pytest.mark.parametrize("value, canonical", [
    ("10.0.0.0/24", "10.0.0.0/24"),
    ("10.0.0.9/24", "10.0.0.0/24"),
    ("10.0.0.9", "10.0.0.9/32"),
    (" 10.0.0.9/32 ", "10.0.0.9/32"),
    ("0.0.0.0/0", "0.0.0.0/0"),
    ("FD00:0::1/64", "fd00::/64"),
    ("fd00::1", "fd00::1/128"),
    ("::/0", "::/0"),
])
def test_prefix(value, canonical):
    assert wg_values.prefix(value) == canonical


@pytest.mark.parametrize("value", ["10.0.0.0/33", "10.0.0", "host.example", "", "10.0.0.0/24,10.1.0.0/24"])
def test_prefix_refuses(value):
    with pytest.raises(ValueError):
        wg_values.prefix(value)
