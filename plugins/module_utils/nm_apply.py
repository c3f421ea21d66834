"""The interface module's work with ``backend: networkmanager``: the tunnel
as a NetworkManager connection (a keyfile, see nm_keyfile.py), for laptops
whose desktop shows what NetworkManager knows.

A new connection is loaded and activated. A changed one is written and
loaded (``nmcli connection load``: the profile NetworkManager shows is the
new one), then brought onto the active device:

- a change WireGuard takes live (peers added, removed or changed: allowed
  IPs, endpoint, keepalive, preshared key; the private key; the listen
  port) goes on with ``wg set`` as the wg-quick backend does it
  (reconcile.py), plus the routes NetworkManager itself adds for allowed IPs
  (ipv4/ipv6.peer-routes: main table, protocol static, the device's route
  metric, learnt from the routes it made): unchanged peers keep their
  sessions and the connection stays active (`wg set ... allowed-ips`
  replaces that peer's list at once: a packet of it in that instant can be
  dropped, as with wg-quick);
- any other change (addresses, DNS, fwmark, a default route among the
  allowed IPs) is reapplied by NetworkManager (``nmcli device reapply``,
  which replaces every peer of the device when one goes: a ping stream may
  lose a request or two, docs/networkmanager.md);
- an MTU change, which NetworkManager cannot reapply, activates the
  connection again, and the result says so.
Keys go into the 0600 keyfile only, never on a command line (``wg set``
reads them from their 0600 files).

Safety as in interface_apply: a name held by a link that is not WireGuard is
refused before anything changes; a keyfile of that name that this collection
did not make is never written or deleted; a failed apply puts the previous
keyfile back and reapplies it.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket

from ansible_collections.fleetnet.wireguard.plugins.module_utils import (
    files, interface_config, nm_keyfile, preshared_keys, reconcile, wg_dump, wg_keys, wg_values,
)
from ansible_collections.fleetnet.wireguard.plugins.module_utils.interface_apply import (
    NEW_IN_CHECK_MODE, act_preshared_keys, check_peer_keys, interface_files, interface_leftovers, remove_files,
    wanted_preshared_keys,
)
from ansible_collections.fleetnet.wireguard.plugins.module_utils.live_host import LiveHost, foreign_link_message, resolve
from ansible_collections.fleetnet.wireguard.plugins.module_utils.operation import Operation

# wg-quick settings NetworkManager has no counterpart for
UNSUPPORTED = ("pre_up", "post_up", "pre_down", "post_down", "table")
FIX = "or set wireguard_backend: wg-quick for this host"


def _host():
    return socket.gethostname()


def require_networkmanager(run):
    """Fail, naming the host, the variable and the fix, on a host without a
    running NetworkManager: the role installs nothing of it."""
    if not run.has("nmcli"):
        raise ValueError("host %s: wireguard_backend is networkmanager, but NetworkManager is not installed (no nmcli); "
                         "nothing was changed. Fix: install and start NetworkManager on it (the role does not), %s"
                         % (_host(), FIX))
    if run.output("nm_running") != "running":
        raise ValueError("host %s: wireguard_backend is networkmanager, but NetworkManager is not running; nothing was "
                         "changed. Fix: systemctl enable --now NetworkManager, %s" % (_host(), FIX))


def keyfile_config(p, key_path, private_key, preshared):
    """The host plan's WgConfig with the keys NetworkManager takes inline."""
    config = interface_config.build(p, key_path)
    config.interface.set("PrivateKey", private_key)
    for peer in config.peers:
        peer.set("PresharedKey", preshared.get(peer.get("PublicKey")))
    return config


def foreign_keyfile_message(path):
    return ("host %s: %s exists and is not a connection this collection made; nothing was changed. Fix: move it away, "
            "or give the interface another name (wireguard_interface)" % (_host(), path))


# the protocol NetworkManager gives the routes of a profile (RTPROT_STATIC),
# peer routes among them
NM_ROUTE_PROTOCOL = "static"


def nm_routes(entries):
    """`ip -j route show table all dev X` entries -> the main table's routes
    of the device: [{'dst', 'protocol', 'metric'}] (local, broadcast and
    multicast routes and other tables left out)."""
    out = []
    for e in entries:
        if e.get("type") or e.get("dst") in (None, "default") or str(e.get("table", "main")) != "main":
            continue
        out.append({"dst": wg_values.prefix(e["dst"]), "protocol": str(e.get("protocol", "boot")), "metric": int(e.get("metric", 0))})
    return out


def peer_route_commands(ifname, old_prefixes, new_prefixes, routes):
    """Commands that give the device the routes NetworkManager adds for the
    peers' allowed IPs (peer-routes), for a change from old_prefixes to
    new_prefixes: -> (commands, None), or ([], why not) when this cannot be
    told here and NetworkManager must reapply.

    NetworkManager's peer routes are in the main table with protocol static
    and the device's route metric, one per allowed IP (/0 apart). Its metric
    is read off the routes it made for old_prefixes; a route added here is
    one of those, so a later reapply finds it its own. Only a route of that
    kind whose prefix was an allowed IP of the old profile is deleted: what
    NetworkManager or this module did not make is never touched."""
    def usable(prefixes):
        out = []
        for p in prefixes:
            p = wg_values.prefix(p)
            if ipaddress.ip_network(p).prefixlen and p not in out:
                out.append(p)
        return out

    def family(prefix):
        return ipaddress.ip_network(prefix).version

    old, new = usable(old_prefixes), usable(new_prefixes)
    ours = [r for r in routes if r["protocol"] == NM_ROUTE_PROTOCOL and r["dst"] in old]
    metric = {}
    for route in ours:
        metric.setdefault(family(route["dst"]), route["metric"])
    have = {(r["dst"], r["metric"]) for r in routes}
    commands = []
    for prefix in new:
        if prefix in old:
            continue
        version = family(prefix)
        if version not in metric:
            return [], "no IPv%d route NetworkManager made is on %s to learn its route metric from" % (version, ifname)
        if (prefix, metric[version]) not in have:
            commands.append((["ip", "-%d" % version, "route", "add", prefix, "dev", ifname, "proto", NM_ROUTE_PROTOCOL,
                              "metric", str(metric[version])], "route %s" % prefix))
    for route in ours:
        if route["dst"] not in new:
            commands.append((["ip", "-%d" % family(route["dst"]), "route", "del", route["dst"], "dev", ifname, "proto",
                              NM_ROUTE_PROTOCOL, "metric", str(route["metric"])], "remove route %s" % route["dst"]))
    return commands, None


def live_commands(run, p, old_text, new_text, key_path, public_key, preshared):
    """The `wg set` and `ip route` commands that bring the active device from
    the old keyfile to the new one without NetworkManager: -> (commands, None),
    or ([], why) when NetworkManager must reapply the change."""
    name = p["name"]
    why = nm_keyfile.reapply_reason(old_text, new_text)
    if why:
        return [], why
    state = wg_dump.parse_dump(run("wg_dump", check=False, ifname=name)[1])
    if state is None:
        return [], "%s has no WireGuard state to change live" % name
    routes = []
    for read in ("routes4", "routes6"):
        routes += nm_routes(json.loads(run.output(read, ifname=name) or "[]"))
    new_cfg = interface_config.build(p, key_path)
    commands = (reconcile.interface_commands(name, state, new_cfg, public_key, key_path)
                + reconcile.peer_commands(name, state, new_cfg, resolve, preshared))
    route_commands, why = peer_route_commands(name, nm_keyfile.allowed_ips(old_text), nm_keyfile.allowed_ips(new_text), routes)
    if why:
        return [], why
    return commands + route_commands, None


class Present(Operation):
    def plan(self):
        p = self.params
        name = p["name"]
        unsupported = [key for key in UNSUPPORTED if p.get(key)]
        if unsupported:
            raise ValueError("host %s: %s: wireguard_%s cannot be used with wireguard_backend: networkmanager (NetworkManager "
                             "runs no wg-quick hooks and has no Table); nothing was changed. Fix: unset it, %s"
                             % (_host(), name, unsupported[0], FIX))
        check_peer_keys(p["peers"])
        require_networkmanager(self.run)
        host = LiveHost(self.run, name)
        kind = host.link()
        if kind not in (None, "wireguard"):
            raise ValueError(foreign_link_message(_host(), name, kind))
        key_path, config_path = interface_files(p)
        private_key = (files.read_text(key_path) or "").strip()
        if not wg_keys.is_valid_key(private_key):
            if not self.check_mode:
                raise ValueError("%s holds no private key: run fleetnet.wireguard.keypair for %s first" % (key_path, name))
            private_key = NEW_IN_CHECK_MODE
        self.psk_dir = preshared_keys.directory(os.path.dirname(config_path), name)
        self.wanted_psk, self.stored_psk = wanted_preshared_keys(p, self.psk_dir, [peer["public_key"] for peer in p["peers"]],
                                                                 self.check_mode)
        self.path = nm_keyfile.path(name)
        self.uuid = nm_keyfile.connection_uuid(name)
        self.new_text = nm_keyfile.render(name, keyfile_config(p, key_path, private_key, self.wanted_psk))
        self.old_text = files.read_text(self.path)
        if self.old_text is not None and not nm_keyfile.is_ours(name, self.old_text):
            raise ValueError(foreign_keyfile_message(self.path))
        self.file_changed = self.old_text != self.new_text or files.mode_of(self.path) != 0o600
        self.psk_changed = self.wanted_psk != self.stored_psk
        self.was_active = self.run.output("nm_state", uuid=self.uuid) == "activated"
        reason = reapply_why = None
        self.commands = []
        if not self.was_active:
            self.mode = "up"
        elif self.old_text != self.new_text and nm_keyfile.mtu_of(self.old_text) != nm_keyfile.mtu_of(self.new_text):
            self.mode, reason = "up", "the MTU changed (NetworkManager cannot reapply it)"
        elif self.old_text != self.new_text:
            public_key = wg_keys.public_key(private_key) if private_key != NEW_IN_CHECK_MODE else NEW_IN_CHECK_MODE
            preshared = {key: (preshared_keys.fingerprint(value), os.path.join(self.psk_dir, preshared_keys.file_name(key)))
                         for key, value in self.wanted_psk.items()}
            self.commands, reapply_why = live_commands(self.run, p, self.old_text, self.new_text, key_path, public_key, preshared)
            self.mode = "reapply" if reapply_why else "live"
        else:
            self.mode = None
        act_preshared_keys(self, self.wanted_psk, self.stored_psk)
        if self.file_changed:
            self.act("write %s and load it into NetworkManager" % self.path)
        for dummy, summary in self.commands:
            self.act(summary)
        if self.mode == "reapply":
            self.act("reapply connection %s to %s: %s" % (name, name, reapply_why))
        elif reason:
            self.act("activate connection %s again: %s" % (name, reason))
        elif self.mode == "up":
            self.act("activate connection %s" % name)
        self.result = dict(config_changed=self.file_changed, preshared_keys_changed=self.psk_changed,
                           restarted=bool(reason), started=self.mode == "up" and not reason,
                           public_key=wg_keys.public_key(private_key) if private_key != NEW_IN_CHECK_MODE else "")
        if reason:
            self.result["restart_reason"] = reason
        self.set_diff(self.path, nm_keyfile.redact_text(self.old_text), nm_keyfile.redact_text(self.new_text))

    def apply(self):
        self.begun = True
        self.done = []  # the live commands run so far, for the rollback
        if self.psk_changed:
            preshared_keys.write_dir(self.psk_dir, self.wanted_psk, self.stored_psk)
        if self.file_changed:
            files.write_atomic(self.path, self.new_text, 0o600)
            self.run("nm_load", path=self.path)
        if self.mode == "up":
            self.run("nm_up", uuid=self.uuid)
        elif self.mode == "reapply":
            self.run("nm_reapply", ifname=self.params["name"])
        for words, dummy in self.commands:
            self.run.run(words)
            self.done.append(words)

    def undo_live(self):
        """What a live apply added that the previous profile has not: its new
        peers and the routes it added go (NetworkManager's reapply of the old
        profile puts back the peers and routes it knows, not these)."""
        name = self.params["name"]
        old_peers = set(nm_keyfile.peer_keys(self.old_text))
        for words in reversed(self.done):
            if words[:3] == ["wg", "set", name] and words[3] == "peer" and words[4] not in old_peers:
                self.run.run(["wg", "set", name, "peer", words[4], "remove"], check=False)
            elif words[0] == "ip" and words[2:4] == ["route", "add"]:
                self.run.run(words[:3] + ["del"] + words[4:], check=False)

    def rollback(self, error):
        """The previous keyfile (and preshared keys) back, loaded and applied;
        a connection this run created is deleted."""
        if not getattr(self, "begun", False):
            return {}
        preshared_keys.write_dir(self.psk_dir, self.stored_psk, preshared_keys.read_dir(self.psk_dir))
        if self.old_text is None:
            self.run("nm_delete", check=False, uuid=self.uuid)
            if os.path.exists(self.path):
                os.unlink(self.path)
            return {}
        files.write_atomic(self.path, self.old_text, 0o600)
        self.run("nm_load", check=False, path=self.path)
        if self.mode == "live":
            self.undo_live()
        if self.was_active:
            self.run("nm_reapply", check=False, ifname=self.params["name"])
        return {}

    def failure_message(self, error):
        return "applying %s through NetworkManager failed, the previous connection was restored: %s" % (self.params["name"], error)


class Absent(Operation):
    def plan(self):
        p = self.params
        name = p["name"]
        self.path = nm_keyfile.path(name)
        self.uuid = nm_keyfile.connection_uuid(name)
        text = files.read_text(self.path)
        self.ours = text is not None and nm_keyfile.is_ours(name, text)
        if text is not None and not self.ours:
            self.warn(foreign_keyfile_message(self.path))
        self.psk_dir, self.removals = interface_leftovers(p)
        if self.ours:
            self.act("delete NetworkManager connection %s (%s)" % (name, self.path))
        for path in self.removals:
            self.act("remove %s" % path)
        self.result = dict(config_changed=self.ours, restarted=False, started=False)
        if self.ours:
            self.set_diff(self.path, nm_keyfile.redact_text(text), "")

    def apply(self):
        if self.ours:
            # deletes the profile, its keyfile and the link; fails when the
            # profile is not loaded (or NetworkManager is gone): the file goes anyway
            self.run("nm_delete", check=False, uuid=self.uuid)
            if os.path.exists(self.path):
                os.unlink(self.path)
        remove_files(self.removals, self.psk_dir)


def operation(params, run, **kwargs):
    """The interface module's operation for its state, with NetworkManager."""
    return (Present if params["state"] == "present" else Absent)(params, run, **kwargs)
