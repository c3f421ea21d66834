"""The edge between the interface and peer modules and a live host: every
command they run goes through here, so both read the interface the same way
and fail the same way. Takes the module's run_command, imports no Ansible."""

from __future__ import annotations

import socket

from ansible_collections.fleetnet.wireguard.plugins.module_utils import paths, reconcile


class ApplyError(Exception):
    """A command on the host failed."""


def resolve(name):
    """The addresses a name resolves to on this host, or [] (for endpoint checks)."""
    try:
        return sorted({info[4][0] for info in socket.getaddrinfo(name, None, proto=socket.IPPROTO_UDP)})
    except OSError:
        return []


class LiveHost:
    def __init__(self, run_command, ifname):
        self.run_command = run_command
        self.name = self.ifname = ifname
        self.unit = paths.unit(ifname)

    def run(self, argv, check=True):
        rc, out, err = self.run_command(argv)
        if check and rc != 0:
            raise ApplyError("%s failed (rc=%d): %s" % (" ".join(argv[:6]), rc, (err or out).strip()))
        return rc, out

    def link_exists(self):
        return self.run(["ip", "link", "show", "dev", self.name], check=False)[0] == 0

    def unit_state(self, verb):
        """`systemctl <verb> wg-quick@IF`: is-active, is-enabled."""
        return self.run(["systemctl", verb, self.unit], check=False)[1].strip()

    def live(self):
        """-> (wg state or None, addresses, routes, mtu) of the running interface."""
        outputs = {name: self.run(argv)[1] for name, argv in reconcile.live_reads(self.name).items()}
        return reconcile.parse_live(outputs)

    def journal(self, lines=15):
        rc, out = self.run(["journalctl", "-u", self.unit, "-n", str(lines), "--no-pager", "-o", "cat"], check=False)
        return out.strip() if rc == 0 else ""
