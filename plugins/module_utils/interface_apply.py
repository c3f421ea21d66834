"""The interface module's work: bring one WireGuard interface to its desired
state (started, restarted, changed live, or removed), and on a failed apply
put back the previous file and interface.

Safety: the interface's name must not belong to a link that is not WireGuard
(an uplink, a bridge): that is refused before anything changes, in check
mode too; a rollback deletes a link only when this run created it.
"""

from __future__ import annotations

import os

from ansible_collections.fleetnet.wireguard.plugins.module_utils import (
    files, interface_config, paths, preshared_keys, reconcile, wg_config, wg_keys,
)
from ansible_collections.fleetnet.wireguard.plugins.module_utils.live_host import LiveHost, resolve
from ansible_collections.fleetnet.wireguard.plugins.module_utils.operation import Operation
from ansible_collections.fleetnet.wireguard.plugins.module_utils.runner import CommandError


def interface_files(p):
    """-> (private key file, wg-quick file) of the interface."""
    return p["private_key_path"] or paths.private_key_path(p["name"]), p["config_path"] or paths.config_path(p["name"])


def read_public_key(path):
    text = files.read_text(path)
    if text is None or not wg_keys.is_valid_key(text.strip()):
        return None
    return wg_keys.public_key(text.strip())


# In check mode, the value of a new key that was not staged: it is never
# written, and its fingerprint matches no stored key, so the peer counts as changing.
NEW_IN_CHECK_MODE = "(new key)"


def wanted_preshared_keys(p, directory, peer_keys, check_mode=False):
    """-> ({peer public key: key} wanted on disk, {...} on disk now). Messages
    name peers, never keys. The keys of preshared_keys_file are in
    preshared_keys by now (the module's main reads the file)."""
    stored = preshared_keys.read_dir(directory)
    wanted = {}
    for key in p["keep_preshared_keys"]:
        if key not in stored:
            raise ValueError("keep_preshared_keys: no preshared key is stored for peer %s; give one in preshared_keys" % key)
        wanted[key] = stored[key]
    for key in p.get("new_preshared_keys") or []:
        if key not in p["preshared_keys"]:
            if not check_mode:
                raise ValueError("new_preshared_keys: preshared_keys_file holds no key for peer %s" % key)
            wanted[key] = NEW_IN_CHECK_MODE
    for key, value in p["preshared_keys"].items():
        if not wg_keys.is_valid_key(str(value).strip()):
            raise ValueError("preshared_keys: the key given for peer %s is not a base64 32-byte key (wg genpsk makes one)" % key)
        wanted[key] = str(value).strip()
    strangers = sorted(set(wanted) - set(peer_keys))
    if strangers:
        raise ValueError("preshared keys are given for %s, which are not peers of %s" % (", ".join(strangers), p["name"]))
    return wanted, stored


def check_peer_keys(peers):
    for peer in peers:
        if not wg_keys.is_valid_key(peer["public_key"]):
            raise ValueError("peer %s: public_key is not a WireGuard key" % (peer.get("name") or peer["public_key"]))


def act_preshared_keys(operation, wanted, stored):
    """The actions of storing and removing preshared key files (named by peer)."""
    for key in sorted(wanted):
        if stored.get(key) != wanted[key]:
            operation.act("store the preshared key of peer %s" % key)
    for key in sorted(set(stored) - set(wanted)):
        operation.act("remove the preshared key of peer %s" % key)


def interface_leftovers(p):
    """-> (preshared key directory, the files of an interface to remove with it
    besides its config): preshared keys belong to the interface's pairs, so
    they go with it; the private key only with remove_key."""
    key_path, config_path = interface_files(p)
    psk_dir = preshared_keys.directory(os.path.dirname(config_path), p["name"])
    candidates = [os.path.join(psk_dir, n) for n in files.list_dir(psk_dir)] + ([key_path] if p["remove_key"] else [])
    return psk_dir, [path for path in candidates if os.path.exists(path)]


def remove_files(paths, psk_dir):
    for path in paths:
        os.unlink(path)
    if os.path.isdir(psk_dir) and not files.list_dir(psk_dir):
        os.rmdir(psk_dir)


def decide(host, was_up, old_text, new_cfg, public_key, private_key_path, preshared=None):
    """-> (mode, reason, commands); mode is start, restart, live or none."""
    if not was_up:
        return "start", None, []
    if host.unit_state("is-active") != "active":
        return "restart", "the interface is up but not through %s" % host.unit, []
    try:
        old_cfg = wg_config.parse(old_text) if old_text is not None else None
    except wg_config.ConfigError:
        return "restart", "the old config does not parse", []
    reason = reconcile.restart_reason(old_cfg, new_cfg)
    if reason:
        return "restart", reason, []
    state, addresses, routes, mtu = host.live()
    if state is None:
        return "restart", "the interface has no WireGuard state", []
    commands = reconcile.plan(host.name, state, new_cfg, public_key, private_key_path, addresses, routes, mtu, resolve, preshared)
    return ("live" if commands else "none"), None, commands


class Present(Operation):
    def plan(self):
        p = self.params
        check_peer_keys(p["peers"])
        self.host = host = LiveHost(self.run, p["name"])
        self.was_up = host.our_link()
        self.key_path, self.config_path = key_path, config_path = interface_files(p)
        public_key = read_public_key(key_path)
        if public_key is None and not self.check_mode:
            raise ValueError("%s holds no private key: run fleetnet.wireguard.keypair for %s first" % (key_path, p["name"]))
        self.psk_dir = preshared_keys.directory(os.path.dirname(config_path), p["name"])
        self.wanted_psk, self.stored_psk = wanted_preshared_keys(p, self.psk_dir, [peer["public_key"] for peer in p["peers"]],
                                                                 self.check_mode)
        hook = preshared_keys.loader_hook(os.path.dirname(config_path), p["name"]) if self.wanted_psk else None
        new_cfg = interface_config.build(p, key_path, hook)
        self.new_text = wg_config.render(new_cfg, header=interface_config.HEADER)
        self.old_text = files.read_text(config_path)
        self.config_changed = self.old_text != self.new_text or files.mode_of(config_path) != 0o600
        self.psk_changed = self.wanted_psk != self.stored_psk
        preshared = {key: (preshared_keys.fingerprint(value), os.path.join(self.psk_dir, preshared_keys.file_name(key)))
                     for key, value in self.wanted_psk.items()}
        self.mode, reason, self.commands = decide(host, self.was_up, self.old_text, new_cfg, public_key, key_path, preshared)
        self.enable = p["enabled"] and host.unit_state("is-enabled") != "enabled"
        act_preshared_keys(self, self.wanted_psk, self.stored_psk)
        for dummy, summary in self.commands:
            self.act(summary)
        if self.mode == "start":
            self.act("start %s" % host.unit)
        elif self.mode == "restart":
            self.act("restart %s: %s" % (host.unit, reason))
        if self.enable:
            self.act("enable %s at boot" % host.unit)
        self.touched = self.config_changed or self.psk_changed
        self.result = dict(config_changed=self.config_changed, preshared_keys_changed=self.psk_changed,
                           restarted=self.mode == "restart", started=self.mode == "start", public_key=public_key or "")
        if reason:
            self.result["restart_reason"] = reason
        self.set_diff(config_path, wg_config.redact_text(self.old_text or ""), wg_config.redact_text(self.new_text))

    def apply(self):
        host = self.host
        # a link this run takes down or brings up is ours to delete on rollback; one
        # it found up and changed live is left to its own unit
        self.created_link = False
        files.ensure_dir(os.path.dirname(self.config_path), 0o700)
        self.begun = True
        if self.mode == "restart":
            self.created_link = True
            self.take_down()
        if self.config_changed:
            files.write_atomic(self.config_path, self.new_text, 0o600)
        if self.psk_changed:
            preshared_keys.write_dir(self.psk_dir, self.wanted_psk, self.stored_psk)
        for words, dummy in self.commands:
            self.run.run(words)
        if self.mode in ("start", "restart"):
            self.created_link = True
            self.run("unit", verb="start", unit=host.unit)
            if not host.link_exists():
                raise CommandError("%s did not bring %s up" % (host.unit, host.name))

    def take_down(self):
        """Stop with the config still on disk, so its own PreDown/PostDown hooks
        (such as firewall rules it added) run, not the new file's."""
        if self.host.unit_state("is-active") == "active":
            self.run("unit", verb="stop", unit=self.host.unit)
        elif self.was_up:
            self.run("wg_quick_down", ifname=self.host.name)

    def rollback(self, error):
        """Put the previous file and keys back and the interface as it was:
        whatever the failed attempt left up is cleared first."""
        if not getattr(self, "begun", False):
            return {}
        host = self.host
        journal = host.journal()
        preshared_keys.write_dir(self.psk_dir, self.stored_psk, preshared_keys.read_dir(self.psk_dir))
        self.run("unit", check=False, verb="stop", unit=host.unit)
        if self.created_link and host.link() == "wireguard":
            self.run("link_delete", check=False, ifname=host.name)
        if self.old_text is None:
            if os.path.exists(self.config_path):
                os.unlink(self.config_path)
        else:
            files.write_atomic(self.config_path, self.old_text, 0o600)
            if self.was_up:
                self.run("unit", check=False, verb="start", unit=host.unit)
        return {"journal": journal.splitlines()}

    def failure_message(self, error):
        return "applying %s failed, the previous config was restored: %s" % (self.params["name"], error)

    def settle(self):
        if self.enable:
            self.run("unit", verb="enable", unit=self.host.unit)


class Absent(Operation):
    def plan(self):
        p = self.params
        host = LiveHost(self.run, p["name"])
        dummy, config_path = interface_files(p)
        self.steps = []
        if host.unit_state("is-enabled") == "enabled":
            self.steps.append(("unit", dict(verb="disable", unit=host.unit), "systemctl disable %s" % host.unit))
        if host.unit_state("is-active") == "active":
            self.steps.append(("unit", dict(verb="stop", unit=host.unit), "systemctl stop %s" % host.unit))
        else:
            link = host.link()
            if link == "wireguard":
                self.steps.append(("link_delete", dict(ifname=host.name), "ip link del dev %s" % host.name))
            elif link is not None:
                self.warn("%s is a %s link, not WireGuard: it was left alone" % (host.name, link))
        self.psk_dir, removals = interface_leftovers(p)
        self.removals = ([config_path] if os.path.exists(config_path) else []) + removals
        for dummy, dummy, summary in self.steps:
            self.act(summary)
        for path in self.removals:
            self.act("remove %s" % path)
        self.result = dict(config_changed=config_path in self.removals, restarted=False, started=False)
        old_text = files.read_text(config_path)
        if old_text is not None:
            self.set_diff(config_path, wg_config.redact_text(old_text), "")

    def apply(self):
        for name, fields, dummy in self.steps:
            self.run(name, **fields)
        remove_files(self.removals, self.psk_dir)


def operation(params, run, **kwargs):
    """The interface module's operation for its state."""
    return (Present if params["state"] == "present" else Absent)(params, run, **kwargs)
