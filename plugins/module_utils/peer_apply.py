"""The peer module's work: add, change or remove one peer of an interface,
live (wg set, ip route) and in its wg-quick file, and on a failed apply put
the file and the peer's live state back."""

from __future__ import annotations

from ansible_collections.fleetnet.wireguard.plugins.module_utils import (
    endpoint, files, interface_config, nm_keyfile, paths, peer_edit, reconcile, wg_config,
)
from ansible_collections.fleetnet.wireguard.plugins.module_utils.live_host import LiveHost, resolve
from ansible_collections.fleetnet.wireguard.plugins.module_utils.operation import Operation
from ansible_collections.fleetnet.wireguard.plugins.module_utils.runner import CommandError


def live_peer_state(host):
    """-> (wg state, routes) of the running interface."""
    state, dummy, routes, dummy = host.live()
    if state is None:
        raise CommandError("%s is up but has no WireGuard state" % host.ifname)
    return state, routes


def plan_live(host, old_cfg, new_cfg, key):
    """-> (commands, restart reason or None, whether the interface is up)"""
    state, routes = live_peer_state(host) if host.our_link() else (None, [])
    clashes = peer_edit.conflicts(new_cfg, key, state)
    if clashes:
        raise peer_edit.PeerError("; ".join("%s is already routed to peer %s" % c for c in clashes))
    if state is None:
        return [], None, False
    reason = reconcile.restart_reason(old_cfg, new_cfg)
    if reason:
        return [], reason, True
    return peer_edit.live_commands(host.ifname, state, routes, old_cfg, new_cfg, key, resolve), None, True


class Peer(Operation):
    def plan(self):
        p = self.params
        self.path = path = p["config_path"] or paths.config_path(p["interface"])
        self.host = host = LiveHost(self.run, p["interface"])
        req = peer_edit.request(p["public_key"], p["allowed_ips"], p["endpoint"], p["persistent_keepalive"], p["name"])
        self.key = req["public_key"]
        self.old_text = old_text = files.read_text(path)
        if old_text is None:
            if files.read_text(nm_keyfile.path(p["interface"])) is not None:
                raise peer_edit.PeerError(
                    "%s is a NetworkManager connection on this host (wireguard_backend: networkmanager), and this module "
                    "changes wg-quick files only; nothing was changed. Fix: give the peer in the inventory and run the role, "
                    "which changes the connection live" % p["interface"])
            raise peer_edit.PeerError("%s does not exist: set up %s first (fleetnet.wireguard.interface)" % (path, p["interface"]))
        self.new_text, what = peer_edit.edit(old_text, req, p["state"])
        self.old_cfg, self.new_cfg = wg_config.parse(old_text), wg_config.parse(self.new_text)
        self.config_changed = self.new_text != old_text or files.mode_of(path) != 0o600
        self.commands, self.reason, up = plan_live(host, self.old_cfg, self.new_cfg, self.key)
        if self.reason and host.unit_state("is-active") != "active":
            raise ValueError("%s needs a restart of %s (%s), which is not running" % (p["interface"], host.unit, self.reason))
        if what:
            self.act("%s peer %s in %s" % (what, self.key, path))
        for dummy, summary in self.commands:
            self.act(summary)
        if self.reason:
            self.act("restart %s: %s" % (host.unit, self.reason))
        if self.config_changed and not up:
            self.act("%s is down: only its file changes" % p["interface"])
        self.touched = self.config_changed
        self.result = dict(config_changed=self.config_changed, restarted=bool(self.reason),
                           peer=peer_edit.describe(self.new_text, self.key))
        if self.reason:
            self.result["restart_reason"] = self.reason
        self.set_diff(path, wg_config.redact_text(old_text), wg_config.redact_text(self.new_text))
        endpoint_host = endpoint.split_live(req["endpoint"] or "")[0]
        if endpoint_host and not resolve(endpoint_host):
            self.warn("endpoint %s does not resolve here: wg-quick cannot bring %s up while it does not"
                      % (req["endpoint"], p["interface"]))
        if self.changed and interface_config.HEADER in old_text:
            self.warn("%s is written by the fleetnet.wireguard role: its next run puts the inventory's peers back" % path)

    def apply(self):
        if self.config_changed:
            files.write_atomic(self.path, self.new_text, 0o600)
        for words, dummy in self.commands:
            self.run.run(words)
        if self.reason:
            self.run("unit", verb="restart", unit=self.host.unit)

    def rollback(self, error):
        files.write_atomic(self.path, self.old_text, 0o600)
        if self.reason:
            self.run("unit", check=False, verb="restart", unit=self.host.unit)
        elif self.host.link_exists():
            try:
                state, routes = live_peer_state(self.host)
                undo = peer_edit.live_commands(self.host.ifname, state, routes, self.new_cfg, self.old_cfg, self.key, resolve)
            except CommandError:
                undo = []  # the file is back; a run with the interface readable repairs the rest
            for words, dummy in undo:
                self.run.run(words, check=False)
        return {}

    def failure_message(self, error):
        return "changing peer %s on %s failed, the previous state was restored: %s" % (self.key, self.host.ifname, error)
