"""The interface module's work with ``backend: networkmanager``: the tunnel
as a NetworkManager connection (a keyfile, see nm_keyfile.py), for laptops
whose desktop shows what NetworkManager knows.

A new connection is loaded and activated; a changed one is written, loaded
and reapplied to the active device (``nmcli device reapply``), which sets
peers, allowed IPs and addresses while the connection stays active (a ping
stream may lose a request or two meanwhile: docs/networkmanager.md). An MTU
change is the one NetworkManager cannot reapply: the connection is activated
again, and the result says so.
Keys go into the 0600 keyfile only, never on an nmcli command line.

Safety as in interface_apply: a name held by a link that is not WireGuard is
refused before anything changes; a keyfile of that name that this collection
did not make is never written or deleted; a failed apply puts the previous
keyfile back and reapplies it.
"""

from __future__ import annotations

import os
import socket

from ansible_collections.fleetnet.wireguard.plugins.module_utils import (
    files, interface_config, nm_keyfile, preshared_keys, wg_keys,
)
from ansible_collections.fleetnet.wireguard.plugins.module_utils.interface_apply import (
    NEW_IN_CHECK_MODE, act_preshared_keys, check_peer_keys, interface_files, interface_leftovers, remove_files,
    wanted_preshared_keys,
)
from ansible_collections.fleetnet.wireguard.plugins.module_utils.live_host import LiveHost, foreign_link_message
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
        reason = None
        if not self.was_active:
            self.mode = "up"
        elif self.old_text != self.new_text and nm_keyfile.mtu_of(self.old_text) != nm_keyfile.mtu_of(self.new_text):
            self.mode, reason = "up", "the MTU changed (NetworkManager cannot reapply it)"
        elif self.old_text != self.new_text:
            self.mode = "reapply"
        else:
            self.mode = None
        act_preshared_keys(self, self.wanted_psk, self.stored_psk)
        if self.file_changed:
            self.act("write %s and load it into NetworkManager" % self.path)
        if self.mode == "reapply":
            self.act("reapply connection %s to %s live" % (name, name))
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
        if self.psk_changed:
            preshared_keys.write_dir(self.psk_dir, self.wanted_psk, self.stored_psk)
        if self.file_changed:
            files.write_atomic(self.path, self.new_text, 0o600)
            self.run("nm_load", path=self.path)
        if self.mode == "up":
            self.run("nm_up", uuid=self.uuid)
        elif self.mode == "reapply":
            self.run("nm_reapply", ifname=self.params["name"])

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
