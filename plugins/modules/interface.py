#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: interface
short_description: Apply a whole WireGuard interface, live and on disk
version_added: 0.1.0
description:
  - Takes the desired state of one WireGuard interface (addresses, port, peers, options), writes its
    wg-quick file atomically with mode C(0600), and enables and starts C(wg-quick@<name>).
  - On an interface that is already up, changes are applied live with C(wg set) and C(ip) (peers,
    allowed IPs and their routes, addresses, MTU, listen port), so tunnels that did not change keep
    their sessions. The interface is restarted only for what nothing else can apply (hooks, DNS, Table,
    FwMark, a default route appearing or going away), and the result says so.
  - C(wg syncconf) is never used (it zeroes fields missing from its input and wipes every peer on empty input).
  - The private key stays in its own file (see M(fleetnet.wireguard.keypair)) and is loaded by the first
    C(PostUp), so the config file never holds it. So are preshared keys, each a C(0600) file in
    C(<config dir>/<name>.psk.d/), loaded by a second C(PostUp) and set live with C(wg set).
  - If applying fails (a hook fails, the interface does not come up, a command is refused), the previous
    file is put back and the previous interface restored, and the task fails with the reason.
author:
  - fleetnet.wireguard maintainers (@fleetnet)
extends_documentation_fragment:
  - fleetnet.wireguard.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff is of the wg-quick file, with secrets redacted.
  platform:
    platforms: posix
options:
  name:
    description: Interface name, such as V(wg0).
    type: str
    required: true
  state:
    description: V(absent) stops and disables the service and removes the config and its routes. The key is kept unless O(remove_key).
    type: str
    choices: [present, absent]
    default: present
  addresses:
    description: Tunnel addresses with prefix length (C(Address)).
    type: list
    elements: str
    default: []
  listen_port:
    description: UDP port (C(ListenPort)). Omit for a random port.
    type: int
  private_key_path:
    description: The private key file, as kept by M(fleetnet.wireguard.keypair). Default C(/etc/wireguard/<name>.key).
    type: path
  config_path:
    description: The wg-quick file. Default C(/etc/wireguard/<name>.conf).
    type: path
  peers:
    description: Every peer of the interface; peers not listed are removed.
    type: list
    elements: dict
    default: []
    suboptions:
      public_key:
        description: The peer's public key.
        type: str
        required: true
      name:
        description: A label written as a comment above the peer.
        type: str
      endpoint:
        description: C(host:port) or C([v6]:port).
        type: str
      allowed_ips:
        description: Prefixes routed to this peer.
        type: list
        elements: str
        default: []
      persistent_keepalive:
        description: Seconds between keepalives; V(0) or unset for none.
        type: int
  preshared_keys:
    description:
      - Preshared keys to set, by peer public key (base64, 32 bytes, such as C(wg genpsk) makes). Never logged.
      - Each peer of the interface has a preshared key only if it is named here or in O(keep_preshared_keys);
        the others have none (a stored one is removed).
    type: dict
    default: {}
  keep_preshared_keys:
    description: Peers (public keys) that keep the preshared key already stored on the host; the task fails if there is none.
    type: list
    elements: str
    default: []
  mtu:
    description: Interface MTU.
    type: int
  dns:
    description: C(DNS) servers and search domains (needs resolvconf on the host).
    type: list
    elements: str
  table:
    description: C(Table) for wg-quick routes (V(auto), V(off), a number or a name).
    type: str
  fwmark:
    description: C(FwMark).
    type: str
  pre_up:
    description: C(PreUp) commands.
    type: list
    elements: str
  post_up:
    description: C(PostUp) commands, run after the one that loads the private key.
    type: list
    elements: str
  pre_down:
    description: C(PreDown) commands.
    type: list
    elements: str
  post_down:
    description: C(PostDown) commands.
    type: list
    elements: str
  enabled:
    description: Start the interface at boot.
    type: bool
    default: true
  remove_key:
    description: With O(state=absent), delete the private key file too.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: A two-peer interface
  fleetnet.wireguard.interface:
    name: wg0
    addresses: [10.10.0.1/24, fd86:ea04:1111::1/64]
    listen_port: 51820
    peers:
      - name: vps3
        public_key: HXuu2SFfqOSN2iifw3Mh7J6rDRMjIXAR3wQvkyYrKyA=
        endpoint: 198.51.100.3:51820
        allowed_ips: [10.10.0.3/32, fd86:ea04:1111::3/128]
      - name: phone
        public_key: ugpA/M4UKHyPX9ymXI2ntHJ+uHbdUpK6duGnjj9QGnI=
        allowed_ips: [10.10.0.2/32, fd86:ea04:1111::2/128]

- name: Remove wg1 but keep its key
  fleetnet.wireguard.interface:
    name: wg1
    state: absent
"""

RETURN = r"""
config_changed:
  description: Whether the wg-quick file was (or would be) rewritten.
  returned: always
  type: bool
preshared_keys_changed:
  description: Whether a preshared key file was (or would be) written or removed.
  returned: always
  type: bool
restarted:
  description: Whether the interface was (or would be) restarted; see RV(restart_reason).
  returned: always
  type: bool
restart_reason:
  description: Why a restart was needed.
  returned: when restarted
  type: str
  sample: PostUp changed
started:
  description: Whether the interface was (or would be) brought up from down.
  returned: always
  type: bool
actions:
  description: What was (or would be) done, one line each. Holds public keys only.
  returned: always
  type: list
  elements: str
  sample: ["add peer xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=", "route 10.10.0.3/32"]
public_key:
  description: The interface's public key.
  returned: when state=present and the key file exists
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetnet.wireguard.plugins.module_utils import (
    files, interface_config, preshared_keys, reconcile, wg_config, wg_keys,
)
from ansible_collections.fleetnet.wireguard.plugins.module_utils.live_host import ApplyError, LiveHost, resolve


def read_public_key(path):
    text = files.read_text(path)
    if text is None or not wg_keys.is_valid_key(text.strip()):
        return None
    return wg_keys.public_key(text.strip())


def wanted_preshared_keys(p, directory, peer_keys):
    """-> ({peer public key: key} wanted on disk, {...} on disk now). Messages
    name peers, never keys."""
    stored = preshared_keys.read_dir(directory)
    wanted = {}
    for key in p["keep_preshared_keys"]:
        if key not in stored:
            raise ValueError("keep_preshared_keys: no preshared key is stored for peer %s; give one in preshared_keys" % key)
        wanted[key] = stored[key]
    for key, value in p["preshared_keys"].items():
        if not wg_keys.is_valid_key(str(value).strip()):
            raise ValueError("preshared_keys: the key given for peer %s is not a base64 32-byte key (wg genpsk makes one)" % key)
        wanted[key] = str(value).strip()
    strangers = sorted(set(wanted) - set(peer_keys))
    if strangers:
        raise ValueError("preshared keys are given for %s, which are not peers of %s" % (", ".join(strangers), p["name"]))
    return wanted, stored


def decide(host, old_text, new_cfg, public_key, private_key_path, preshared=None):
    """-> (mode, reason, commands); mode is start, restart, live or none."""
    if not host.link_exists():
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


def take_down(host):
    """Stop with the config still on disk, so its own PreDown/PostDown hooks
    (such as firewall rules it added) run, not the new file's."""
    if host.unit_state("is-active") == "active":
        host.run(["systemctl", "stop", host.unit])
    elif host.link_exists():
        host.run(["wg-quick", "down", host.name])


def bring_up(host):
    host.run(["systemctl", "start", host.unit])
    if not host.link_exists():
        raise ApplyError("%s did not bring %s up" % (host.unit, host.name))


def restore(host, config_path, old_text, was_up):
    """Put the previous file back and the interface as it was: whatever the
    failed attempt left up is cleared first."""
    host.run(["systemctl", "stop", host.unit], check=False)
    if host.link_exists():
        host.run(["ip", "link", "del", "dev", host.name], check=False)
    if old_text is None:
        if os.path.exists(config_path):
            os.unlink(config_path)
        return
    files.write_atomic(config_path, old_text, 0o600)
    if was_up:
        host.run(["systemctl", "start", host.unit], check=False)


def present(module, host, p):
    key_path = p["private_key_path"] or "/etc/wireguard/%s.key" % p["name"]
    config_path = p["config_path"] or "/etc/wireguard/%s.conf" % p["name"]
    public_key = read_public_key(key_path)
    if public_key is None and not module.check_mode:
        module.fail_json(msg="%s holds no private key: run fleetnet.wireguard.keypair for %s first" % (key_path, p["name"]))
    psk_dir = preshared_keys.directory(os.path.dirname(config_path), p["name"])
    wanted_psk, stored_psk = wanted_preshared_keys(p, psk_dir, [peer["public_key"] for peer in p["peers"]])
    psk_changed = wanted_psk != stored_psk
    hook = preshared_keys.loader_hook(os.path.dirname(config_path), p["name"]) if wanted_psk else None
    new_cfg = interface_config.build(p, key_path, hook)
    new_text = wg_config.render(new_cfg, header=interface_config.HEADER)
    old_text = files.read_text(config_path)
    config_changed = old_text != new_text or files.mode_of(config_path) != 0o600
    preshared = {key: (preshared_keys.fingerprint(value), os.path.join(psk_dir, preshared_keys.file_name(key)))
                 for key, value in wanted_psk.items()}
    mode, reason, commands = decide(host, old_text, new_cfg, public_key, key_path, preshared)
    enable = p["enabled"] and host.unit_state("is-enabled") != "enabled"
    actions = ["store the preshared key of peer %s" % k for k in sorted(wanted_psk) if stored_psk.get(k) != wanted_psk[k]]
    actions += ["remove the preshared key of peer %s" % k for k in sorted(set(stored_psk) - set(wanted_psk))]
    actions += [command[1] for command in commands]
    if mode == "start":
        actions.append("start %s" % host.unit)
    elif mode == "restart":
        actions.append("restart %s: %s" % (host.unit, reason))
    if enable:
        actions.append("enable %s at boot" % host.unit)
    result = dict(
        changed=config_changed or psk_changed or mode in ("start", "restart", "live") or enable,
        config_changed=config_changed, preshared_keys_changed=psk_changed, restarted=mode == "restart", started=mode == "start",
        actions=actions, public_key=public_key or "",
    )
    if reason:
        result["restart_reason"] = reason
    if module._diff:
        result["diff"] = dict(before_header=config_path, after_header=config_path,
                              before=wg_config.redact_text(old_text or ""), after=wg_config.redact_text(new_text))
    if module.check_mode:
        return result
    was_up = host.link_exists()
    files.ensure_dir(os.path.dirname(config_path), 0o700)
    try:
        if mode == "restart":
            take_down(host)
        if config_changed:
            files.write_atomic(config_path, new_text, 0o600)
        if psk_changed:
            preshared_keys.write_dir(psk_dir, wanted_psk, stored_psk)
        for argv, dummy in commands:
            host.run(argv)
        if mode in ("start", "restart"):
            bring_up(host)
    except ApplyError as exc:
        journal = host.journal()
        preshared_keys.write_dir(psk_dir, stored_psk, preshared_keys.read_dir(psk_dir))
        restore(host, config_path, old_text, was_up)
        module.fail_json(msg="applying %s failed, the previous config was restored: %s" % (p["name"], exc),
                         journal=journal.splitlines(), **{k: v for k, v in result.items() if k != "diff"})
    if enable:
        host.run(["systemctl", "enable", host.unit])
    return result


def absent(module, host, p):
    key_path = p["private_key_path"] or "/etc/wireguard/%s.key" % p["name"]
    config_path = p["config_path"] or "/etc/wireguard/%s.conf" % p["name"]
    actions = []
    if host.unit_state("is-enabled") == "enabled":
        actions.append(["systemctl", "disable", host.unit])
    if host.unit_state("is-active") == "active":
        actions.append(["systemctl", "stop", host.unit])
    elif host.link_exists():
        actions.append(["ip", "link", "del", "dev", host.name])
    psk_dir = preshared_keys.directory(os.path.dirname(config_path), p["name"])
    # preshared keys belong to the interface's pairs: they go with it
    paths = [config_path] + [os.path.join(psk_dir, n) for n in files.list_dir(psk_dir)] + ([key_path] if p["remove_key"] else [])
    removals = [path for path in paths if os.path.exists(path)]
    old_text = files.read_text(config_path)
    result = dict(changed=bool(actions or removals), config_changed=config_path in removals, restarted=False, started=False,
                  actions=[" ".join(a) for a in actions] + ["remove %s" % r for r in removals])
    if module._diff and old_text is not None:
        result["diff"] = dict(before_header=config_path, after_header=config_path, before=wg_config.redact_text(old_text), after="")
    if not module.check_mode:
        try:
            for argv in actions:
                host.run(argv)
        except ApplyError as exc:
            module.fail_json(msg=str(exc), **result)
        for path in removals:
            os.unlink(path)
        if os.path.isdir(psk_dir) and not files.list_dir(psk_dir):
            os.rmdir(psk_dir)
    return result


def main():
    peer_spec = dict(
        public_key=dict(type="str", required=True),
        name=dict(type="str"),
        endpoint=dict(type="str"),
        allowed_ips=dict(type="list", elements="str", default=[]),
        persistent_keepalive=dict(type="int"),
    )
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            addresses=dict(type="list", elements="str", default=[]),
            listen_port=dict(type="int"),
            private_key_path=dict(type="path"),
            config_path=dict(type="path"),
            peers=dict(type="list", elements="dict", default=[], options=peer_spec),
            mtu=dict(type="int"),
            dns=dict(type="list", elements="str"),
            table=dict(type="str"),
            fwmark=dict(type="str"),
            pre_up=dict(type="list", elements="str"),
            post_up=dict(type="list", elements="str"),
            pre_down=dict(type="list", elements="str"),
            post_down=dict(type="list", elements="str"),
            preshared_keys=dict(type="dict", default={}, no_log=True),
            keep_preshared_keys=dict(type="list", elements="str", default=[], no_log=False),
            enabled=dict(type="bool", default=True),
            remove_key=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    for peer in p["peers"]:
        if not wg_keys.is_valid_key(peer["public_key"]):
            module.fail_json(msg="peer %s: public_key is not a WireGuard key" % (peer.get("name") or peer["public_key"]))
    host = LiveHost(module.run_command, p["name"])
    try:
        result = present(module, host, p) if p["state"] == "present" else absent(module, host, p)
    except (ApplyError, OSError, ValueError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
