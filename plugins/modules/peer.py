#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: peer
short_description: Add, change or remove one peer of a WireGuard interface, live and in its config
version_added: 0.1.0
description:
  - Adds, updates or removes one C([Peer]) of an interface, both on the running interface (C(wg set), and
    C(ip route) for its allowed IPs, the way wg-quick routes them) and in its wg-quick file.
  - Only that peer's lines of the file are rewritten; the rest of the file, comments included, is kept
    as it is. The file is written atomically with mode C(0600).
  - Other peers and their sessions are not touched. Options that are left out keep the peer's current value.
  - Made for ad hoc use (C(ansible -m fleetnet.wireguard.peer)). On an interface managed by the
    C(fleetnet.wireguard.wireguard) role the next run of the role puts the inventory's peers back; the
    module warns about it.
  - An exact allowed-IPs prefix that another peer already has is refused (WireGuard would silently move it).
  - If applying fails, the previous file is put back and the peer returned to its previous live state.
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
  interface:
    description: The WireGuard interface, such as V(wg0). Its config file must exist.
    type: str
    default: wg0
  public_key:
    description: The peer's public key.
    type: str
    required: true
  state:
    description: V(absent) removes the peer and the routes only it had.
    type: str
    choices: [present, absent]
    default: present
  allowed_ips:
    description:
      - Prefixes routed to the peer (C(AllowedIPs)). Replaces the peer's list; V([]) empties it.
      - Left out, an existing peer keeps its list and a new peer gets none.
    type: list
    elements: str
  endpoint:
    description:
      - C(host:port) or C([v6]:port); a missing port means 51820. An empty string removes it.
      - Without an endpoint the peer's live endpoint (where it last spoke from) is left alone.
    type: str
  persistent_keepalive:
    description: Seconds between keepalives; V(0) turns them off.
    type: int
  name:
    description: A label written as a comment above the peer's section.
    type: str
  config_path:
    description: The wg-quick file. Default C(/etc/wireguard/<interface>.conf).
    type: path
"""

EXAMPLES = r"""
- name: Give a laptop access through wg0
  fleetnet.wireguard.peer:
    interface: wg0
    public_key: HXuu2SFfqOSN2iifw3Mh7J6rDRMjIXAR3wQvkyYrKyA=
    allowed_ips: [10.10.0.9/32]
    persistent_keepalive: 25
    name: laptop

- name: Point a peer at its new address, nothing else changes
  fleetnet.wireguard.peer:
    public_key: HXuu2SFfqOSN2iifw3Mh7J6rDRMjIXAR3wQvkyYrKyA=
    endpoint: 198.51.100.7:51820

- name: Remove it
  fleetnet.wireguard.peer:
    public_key: HXuu2SFfqOSN2iifw3Mh7J6rDRMjIXAR3wQvkyYrKyA=
    state: absent

# ad hoc:
# ansible vps1 -b -m fleetnet.wireguard.peer -a 'interface=wg0 public_key=HXuu...KyA= allowed_ips=10.10.0.9/32'
"""

RETURN = r"""
config_changed:
  description: Whether the wg-quick file was (or would be) rewritten.
  returned: always
  type: bool
restarted:
  description: Whether the interface was (or would be) restarted (only when a default route appears or goes away).
  returned: always
  type: bool
restart_reason:
  description: Why a restart was needed.
  returned: when restarted
  type: str
actions:
  description: What was (or would be) done, one line each.
  returned: always
  type: list
  elements: str
  sample: ["add peer HXuu2SFfqOSN2iifw3Mh7J6rDRMjIXAR3wQvkyYrKyA=", "route 10.20.0.0/24"]
peer:
  description: The peer as the file has it afterwards; null once removed.
  returned: always
  type: dict
  sample:
    public_key: HXuu2SFfqOSN2iifw3Mh7J6rDRMjIXAR3wQvkyYrKyA=
    name: laptop
    endpoint: null
    allowed_ips: [10.10.0.9/32]
    persistent_keepalive: 25
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetnet.wireguard.plugins.module_utils import endpoint, files, interface_config, paths, peer_edit, reconcile, wg_config
from ansible_collections.fleetnet.wireguard.plugins.module_utils.live_host import ApplyError, LiveHost, resolve


def live_peer_state(host):
    """-> (wg state, routes) of the running interface."""
    state, dummy, routes, dummy = host.live()
    if state is None:
        raise ApplyError("%s is up but has no WireGuard state" % host.ifname)
    return state, routes


def plan_live(host, old_cfg, new_cfg, key):
    """-> (commands, restart reason or None, whether the interface is up)"""
    state, routes = live_peer_state(host) if host.link_exists() else (None, [])
    clashes = peer_edit.conflicts(new_cfg, key, state)
    if clashes:
        raise peer_edit.PeerError("; ".join("%s is already routed to peer %s" % c for c in clashes))
    if state is None:
        return [], None, False
    reason = reconcile.restart_reason(old_cfg, new_cfg)
    if reason:
        return [], reason, True
    return peer_edit.live_commands(host.ifname, state, routes, old_cfg, new_cfg, key, resolve), None, True


def apply(module, host, path, old_text, new_text, old_cfg, new_cfg, key, commands, reason, config_changed):
    try:
        if config_changed:
            files.write_atomic(path, new_text, 0o600)
        for argv, dummy in commands:
            host.run(argv)
        if reason:
            host.run(["systemctl", "restart", host.unit])
    except ApplyError as exc:
        files.write_atomic(path, old_text, 0o600)
        if reason:
            host.run(["systemctl", "restart", host.unit], check=False)
        elif host.link_exists():
            try:
                state, routes = live_peer_state(host)
                undo = peer_edit.live_commands(host.ifname, state, routes, new_cfg, old_cfg, key, resolve)
            except ApplyError:
                undo = []  # the file is back; a run with the interface readable repairs the rest
            for argv, dummy in undo:
                host.run(argv, check=False)
        module.fail_json(msg="changing peer %s on %s failed, the previous state was restored: %s" % (key, host.ifname, exc))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            interface=dict(type="str", default="wg0"),
            public_key=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            allowed_ips=dict(type="list", elements="str"),
            endpoint=dict(type="str"),
            persistent_keepalive=dict(type="int"),
            name=dict(type="str"),
            config_path=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    path = p["config_path"] or paths.config_path(p["interface"])
    host = LiveHost(module.run_command, p["interface"])
    try:
        req = peer_edit.request(p["public_key"], p["allowed_ips"], p["endpoint"], p["persistent_keepalive"], p["name"])
        old_text = files.read_text(path)
        if old_text is None:
            raise peer_edit.PeerError("%s does not exist: set up %s first (fleetnet.wireguard.interface)" % (path, p["interface"]))
        new_text, what = peer_edit.edit(old_text, req, p["state"])
        old_cfg, new_cfg = wg_config.parse(old_text), wg_config.parse(new_text)
        config_changed = new_text != old_text or files.mode_of(path) != 0o600
        commands, reason, up = plan_live(host, old_cfg, new_cfg, req["public_key"])
    except (peer_edit.PeerError, ApplyError) as exc:
        module.fail_json(msg=str(exc))
    if reason and host.unit_state("is-active") != "active":
        module.fail_json(msg="%s needs a restart of %s (%s), which is not running" % (p["interface"], host.unit, reason))
    actions = ["%s peer %s in %s" % (what, req["public_key"], path)] if what else []
    actions += [summary for dummy, summary in commands]
    if reason:
        actions.append("restart %s: %s" % (host.unit, reason))
    if config_changed and not up:
        actions.append("%s is down: only its file changes" % p["interface"])
    result = dict(changed=config_changed or bool(commands) or bool(reason), config_changed=config_changed,
                  restarted=bool(reason), actions=actions, peer=peer_edit.describe(new_text, req["public_key"]))
    if reason:
        result["restart_reason"] = reason
    if module._diff:
        result["diff"] = dict(before_header=path, after_header=path,
                              before=wg_config.redact_text(old_text), after=wg_config.redact_text(new_text))
    endpoint_host = endpoint.split_live(req["endpoint"] or "")[0]
    if endpoint_host and not resolve(endpoint_host):
        module.warn("endpoint %s does not resolve here: wg-quick cannot bring %s up while it does not"
                    % (req["endpoint"], p["interface"]))
    if result["changed"] and interface_config.HEADER in old_text:
        module.warn("%s is written by the fleetnet.wireguard role: its next run puts the inventory's peers back" % path)
    if not module.check_mode and result["changed"]:
        apply(module, host, path, old_text, new_text, old_cfg, new_cfg, req["public_key"], commands, reason, config_changed)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
