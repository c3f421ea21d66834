"""IP forwarding for hosts that route for others (hubs, gateways, LAN routers).

Persisted in one file of ours under /etc/sysctl.d and applied now; hosts
that do not route are left alone (only our own file is ever removed).
"""

from __future__ import annotations

SYSCTL_FILE = "/etc/sysctl.d/90-fleetnet-wireguard.conf"
KEYS = ("net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding")
HEADER = "# Managed by fleetnet.wireguard: this host forwards tunnel traffic.\n"


def render():
    return HEADER + "".join("%s = 1\n" % key for key in KEYS)


def plan(enabled, file_text, live_values):
    """-> (write_file: bool, remove_file: bool, keys to set live)"""
    if not enabled:
        return False, file_text is not None, []
    return file_text != render(), False, [k for k in KEYS if live_values.get(k) != "1"]
