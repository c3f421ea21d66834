"""A WireGuard interface on a live host, as the interface and peer modules
read it: whether its link exists and is WireGuard, its unit's state, its live
state and its journal. Every command goes through the one Runner; imports no
Ansible."""

from __future__ import annotations

import json
import socket

from ansible_collections.fleetnet.wireguard.plugins.module_utils import paths, reconcile


def resolve(name):
    """The addresses a name resolves to on this host, or [] (for endpoint checks)."""
    try:
        return sorted({info[4][0] for info in socket.getaddrinfo(name, None, proto=socket.IPPROTO_UDP)})
    except OSError:
        return []


class LiveHost:
    def __init__(self, run, ifname):
        self.run = run
        self.name = self.ifname = ifname
        self.unit = paths.unit(ifname)

    def link(self):
        """-> None when no link has the interface's name, "wireguard" when it is
        WireGuard (wireguard-go's tun link counts when `wg` knows it), else the
        kind of the link that is not ours (ether, bridge, ...)."""
        rc, out = self.run("link", check=False, ifname=self.name)
        if rc != 0:
            return None
        try:
            kind = (json.loads(out or "[{}]")[0].get("linkinfo") or {}).get("info_kind") or "device"
        except (ValueError, IndexError, AttributeError):
            kind = "device"
        if kind != "wireguard" and self.run("wg_show", check=False, ifname=self.name)[0] == 0:
            kind = "wireguard"
        return kind

    def link_exists(self):
        return self.link() is not None

    def our_link(self):
        """-> whether the interface's link is up; fails (ValueError) when its name
        belongs to a link that is not WireGuard, before anything changes."""
        kind = self.link()
        if kind not in (None, "wireguard"):
            raise ValueError(foreign_link_message(socket.gethostname(), self.name, kind))
        return kind is not None

    def unit_state(self, verb):
        """`systemctl <verb> wg-quick@IF`: is-active, is-enabled."""
        return self.run("unit", check=False, verb=verb, unit=self.unit)[1].strip()

    def live(self):
        """-> (wg state or None, addresses, routes, mtu) of the running interface."""
        outputs = {name: self.run.run(words)[1] for name, words in reconcile.live_reads(self.name).items()}
        return reconcile.parse_live(outputs)

    def journal(self, lines=15):
        return self.run.output("journal", unit=self.unit, lines=lines)


def foreign_link_message(host_name, ifname, kind):
    return ("%s: the interface name %s is taken by an existing %s link that is not WireGuard; nothing was changed. "
            "Set wireguard_interface (or the interface's name) to a name no other link uses, such as wg0"
            % (host_name, ifname, kind))
