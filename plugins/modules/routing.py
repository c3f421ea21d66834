#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: routing
short_description: The host around the tunnel - IP forwarding, egress MASQUERADE and ufw rules
version_added: 0.1.0
description:
  - Enables IPv4 and IPv6 forwarding on hosts whose interfaces route for others (hubs, gateways), persisted in
    C(/etc/sysctl.d/90-fleetnet-wireguard.conf) and applied now. Hosts that do not route are left alone; only
    that file of ours is removed when a host stops routing.
  - On egress gateways, MASQUERADEs tunnel traffic on the uplink (the device of the default route unless set),
    IPv4 and IPv6, with nftables if the host uses it, else iptables. The rules are kept by the systemd unit
    C(fleetnet-wireguard-nat.service), so they come back at boot, survive interface restarts, are never duplicated,
    and are removed when no interface is a gateway any more.
  - Where ufw is active, allows each listen port, routing between tunnel peers on hubs and from the tunnel to
    the uplink on gateways. Hosts without ufw, or with ufw inactive, are left alone.
  - Everything is done in one call, so a host costs one round trip.
author:
  - fleetnet.wireguard maintainers (@fleetnet)
extends_documentation_fragment:
  - fleetnet.wireguard.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: debian
options:
  interfaces:
    description: The host's WireGuard interfaces.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Interface name.
        type: str
        required: true
      port:
        description: Its listen port (opened in ufw).
        type: int
      forwarding:
        description: The interface routes between peers (a hub, or a host with prefixes behind it).
        type: bool
        default: false
      gateway:
        description: Tunnel traffic leaves to the internet through this host.
        type: bool
        default: false
      prefixes:
        description: The tunnel prefixes to MASQUERADE on a gateway.
        type: list
        elements: str
        default: []
  uplink:
    description: The IPv4 uplink device of a gateway. Default, the device of the default route.
    type: str
  uplink6:
    description: The IPv6 uplink device of a gateway. Default, the device of the IPv6 default route, else O(uplink).
    type: str
"""

EXAMPLES = r"""
- name: A hub that is also the egress gateway of its spokes
  fleetnet.wireguard.routing:
    interfaces:
      - name: wg0
        port: 51820
        forwarding: true
        gateway: true
        prefixes: [10.10.0.0/24, fd86:ea04:1111::/64]
"""

RETURN = r"""
actions:
  description: What was (or would be) done, one line each.
  returned: always
  type: list
  elements: str
forwarding:
  description: Whether the host forwards.
  returned: always
  type: bool
nat_backend:
  description: V(iptables) or V(nftables), on a gateway.
  returned: when a gateway
  type: str
uplink:
  description: The IPv4 uplink used for MASQUERADE.
  returned: when a gateway
  type: str
ufw_active:
  description: Whether ufw was found active.
  returned: always
  type: bool
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetnet.wireguard.plugins.module_utils import files, forwarding, host_args, nat, ufw


class Routing:
    def __init__(self, module):
        self.module = module
        self.actions = []
        self.diff = {"before": "", "after": ""}
        self.changed = False

    def run(self, argv, check=True):
        rc, out, err = self.module.run_command(argv)
        if check and rc != 0:
            self.module.fail_json(msg="%s failed: %s" % (" ".join(argv), (err or out).strip()), actions=self.actions)
        return rc, out

    def act(self, summary):
        self.actions.append(summary)
        self.changed = True
        return not self.module.check_mode

    def add_diff(self, path, before, after):
        if before != after:
            self.diff["before"] += "# %s\n%s" % (path, before or "")
            self.diff["after"] += "# %s\n%s" % (path, after or "")

    def forwarding(self, enabled):
        text = files.read_text(forwarding.SYSCTL_FILE)
        live = {}
        for key in forwarding.KEYS:
            live[key] = (files.read_text(forwarding.proc_path(key)) or "").strip()
        write, remove, keys = forwarding.plan(enabled, text, live)
        if write:
            self.add_diff(forwarding.SYSCTL_FILE, text, forwarding.render())
            if self.act("write %s" % forwarding.SYSCTL_FILE):
                files.write_atomic(forwarding.SYSCTL_FILE, forwarding.render(), 0o644)
        if remove:
            self.add_diff(forwarding.SYSCTL_FILE, text, "")
            if self.act("remove %s (forwarding stays as it is until reboot)" % forwarding.SYSCTL_FILE):
                os.unlink(forwarding.SYSCTL_FILE)
        for key in keys:
            if self.act("set %s = 1" % key):
                try:
                    with open(forwarding.proc_path(key), "w") as handle:
                        handle.write("1\n")
                except OSError as exc:
                    self.module.fail_json(msg="cannot set %s: %s (is /proc/sys read-only, as in an unprivileged container?)" % (key, exc))

    def uplinks(self):
        p = self.module.params
        found = []
        for family in ("-4", "-6"):
            rc, out = self.run(["ip", family, "-j", "route", "show", "default"], check=False)
            found.append(nat.default_uplink(json.loads(out or "[]")) if rc == 0 else None)
        uplink4 = p["uplink"] or found[0]
        uplink6 = p["uplink6"] or found[1] or uplink4
        return uplink4, uplink6

    def backend(self):
        nft = self.module.get_bin_path("nft")
        iptables = self.module.get_bin_path("iptables")
        if nft and (not iptables or self.run(["systemctl", "is-enabled", "nftables.service"], check=False)[1].strip() == "enabled"):
            return "nftables"
        if iptables:
            return "iptables"
        self.module.fail_json(msg="a gateway needs iptables or nftables: install one (the role installs iptables)")

    def nat(self, gateways, result):
        unit_text = files.read_text(nat.UNIT_PATH)
        script_text = files.read_text(nat.SCRIPT_PATH)
        if not gateways:
            if unit_text is not None or script_text is not None:
                self.add_diff(nat.SCRIPT_PATH, script_text, "")
                if self.act("remove egress NAT (%s)" % nat.UNIT):
                    self.run(["systemctl", "disable", "--now", nat.UNIT], check=False)
                    for path in (nat.UNIT_PATH, nat.SCRIPT_PATH):
                        if os.path.exists(path):
                            os.unlink(path)
                    self.run(["systemctl", "daemon-reload"])
            return
        uplink4, uplink6 = self.uplinks()
        if not uplink4 and not uplink6:
            self.module.fail_json(msg="no default route to MASQUERADE on: set wireguard_gateway_uplink")
        backend = self.backend()
        prefixes = [p for g in gateways for p in g["prefixes"]]
        script = nat.render_script(backend, [g["name"] for g in gateways], prefixes, uplink4, uplink6)
        unit = nat.render_unit()
        result.update(nat_backend=backend, uplink=uplink4)
        if unit != unit_text:
            self.add_diff(nat.UNIT_PATH, unit_text, unit)
            if self.act("write %s" % nat.UNIT_PATH):
                files.write_atomic(nat.UNIT_PATH, unit, 0o644)
                self.run(["systemctl", "daemon-reload"])
        if script != script_text:
            self.add_diff(nat.SCRIPT_PATH, script_text, script)
            if self.act("write %s" % nat.SCRIPT_PATH):
                if script_text is not None:
                    self.run(["systemctl", "stop", nat.UNIT], check=False)  # old rules out, with the old script
                files.write_atomic(nat.SCRIPT_PATH, script, 0o755)
        state = self.run(["systemctl", "is-active", nat.UNIT], check=False)[1].strip()
        if state != "active" or script != script_text:
            if self.act("apply egress NAT on %s" % (uplink4 or uplink6)):
                self.run(["systemctl", "restart", nat.UNIT])
        if self.run(["systemctl", "is-enabled", nat.UNIT], check=False)[1].strip() != "enabled":
            if self.act("enable %s at boot" % nat.UNIT):
                self.run(["systemctl", "enable", nat.UNIT])

    def ufw(self, interfaces, result):
        binary = self.module.get_bin_path("ufw")
        active = bool(binary) and ufw.is_active(self.run([binary, "status"], check=False)[1])
        result["ufw_active"] = active
        if not active:
            return
        uplink = self.uplinks()[0] if any(i["gateway"] for i in interfaces) else None
        wanted = ufw.desired_rules(interfaces, uplink)
        current = ufw.current_rules(self.run([binary, "show", "added"], check=False)[1])
        add, delete = ufw.plan(wanted, current)
        for rule in add:
            if self.act("ufw " + rule):
                self.run([binary] + _split_rule(rule))
        for rule in delete:
            if self.act("ufw delete " + rule):
                self.run([binary] + ufw.delete_args(rule))


def _split_rule(rule):
    """'route allow in on wg0 out on wg0 comment 'x'' -> argv, keeping the comment whole."""
    head, sep, comment = rule.partition(" comment ")
    return head.split() + (["comment", comment.strip("'")] if sep else [])


def main():
    module = AnsibleModule(argument_spec=host_args.ROUTING, supports_check_mode=True)
    interfaces = module.params["interfaces"]
    routing = Routing(module)
    enabled = any(i["forwarding"] or i["gateway"] for i in interfaces)
    result = dict(forwarding=enabled)
    routing.forwarding(enabled)
    routing.nat([i for i in interfaces if i["gateway"]], result)
    routing.ufw(interfaces, result)
    result.update(changed=routing.changed, actions=routing.actions)
    if module._diff and (routing.diff["before"] or routing.diff["after"]):
        result["diff"] = routing.diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
