"""The routing module's work: IP forwarding, the egress NAT unit and ufw
rules, planned from what the host has (one read each) and then applied as
a list of steps. Only our own sysctl file, our NAT unit and script and ufw
rules that carry our comment are ever written or removed."""

from __future__ import annotations

import json
import os
from functools import partial

from ansible_collections.fleetnet.wireguard.plugins.module_utils import files, forwarding, nat, runner, ufw
from ansible_collections.fleetnet.wireguard.plugins.module_utils.operation import Operation


def _remove(paths):
    for path in paths:
        if os.path.exists(path):
            os.unlink(path)


class Routing(Operation):
    def plan(self):
        interfaces = self.params["interfaces"]
        self.steps = []
        self._uplinks = None
        enabled = any(i["forwarding"] or i["gateway"] for i in interfaces)
        self.result = dict(forwarding=enabled)
        self.plan_forwarding(enabled)
        self.plan_nat([i for i in interfaces if i["gateway"]])
        self.plan_ufw(interfaces)

    def step(self, summary, *calls):
        """A change: its line in the actions and what apply() runs for it."""
        self.act(summary)
        self.steps.append(calls)

    def apply(self):
        for calls in self.steps:
            for call in calls:
                call()

    def plan_forwarding(self, enabled):
        text = files.read_text(forwarding.SYSCTL_FILE)
        live = {key: runner.sysctl(key) or "" for key in forwarding.KEYS}
        write, remove, keys = forwarding.plan(enabled, text, live)
        if write:
            self.add_diff(forwarding.SYSCTL_FILE, text, forwarding.render())
            self.step("write %s" % forwarding.SYSCTL_FILE, partial(files.write_atomic, forwarding.SYSCTL_FILE, forwarding.render(), 0o644))
        if remove:
            self.add_diff(forwarding.SYSCTL_FILE, text, "")
            self.step("remove %s (forwarding stays as it is until reboot)" % forwarding.SYSCTL_FILE, partial(_remove, [forwarding.SYSCTL_FILE]))
        for key in keys:
            self.step("set %s = 1" % key, partial(runner.set_sysctl, key, 1))

    def uplinks(self):
        """-> (IPv4 uplink, IPv6 uplink): the options, else the default routes' devices (read once)."""
        if self._uplinks is None:
            found = []
            for family in ("-4", "-6"):
                rc, out = self.run("default_route", check=False, family=family)
                found.append(nat.default_uplink(json.loads(out or "[]")) if rc == 0 else None)
            uplink4 = self.params["uplink"] or found[0]
            self._uplinks = (uplink4, self.params["uplink6"] or found[1] or uplink4)
        return self._uplinks

    def backend(self):
        nft, iptables = self.run.which("nft"), self.run.which("iptables")
        if nft and (not iptables or self.run.output("unit", verb="is-enabled", unit="nftables.service") == "enabled"):
            return "nftables"
        if iptables:
            return "iptables"
        raise ValueError("a gateway needs iptables or nftables: install one (the role installs iptables)")

    def plan_nat(self, gateways):
        unit_text = files.read_text(nat.UNIT_PATH)
        script_text = files.read_text(nat.SCRIPT_PATH)
        if not gateways:
            if unit_text is not None or script_text is not None:
                self.add_diff(nat.SCRIPT_PATH, script_text, "")
                self.step("remove egress NAT (%s)" % nat.UNIT,
                          partial(self.run, "unit_now", check=False, verb="disable", unit=nat.UNIT),
                          partial(_remove, [nat.UNIT_PATH, nat.SCRIPT_PATH]),
                          partial(self.run, "daemon_reload"))
            return
        uplink4, uplink6 = self.uplinks()
        if not uplink4 and not uplink6:
            raise ValueError("no default route to MASQUERADE on: set wireguard_gateway_uplink")
        backend = self.backend()
        prefixes = [p for g in gateways for p in g["prefixes"]]
        script = nat.render_script(backend, [g["name"] for g in gateways], prefixes, uplink4, uplink6)
        unit = nat.render_unit()
        self.result.update(nat_backend=backend, uplink=uplink4)
        if unit != unit_text:
            self.add_diff(nat.UNIT_PATH, unit_text, unit)
            self.step("write %s" % nat.UNIT_PATH, partial(files.write_atomic, nat.UNIT_PATH, unit, 0o644), partial(self.run, "daemon_reload"))
        if script != script_text:
            self.add_diff(nat.SCRIPT_PATH, script_text, script)
            # the old rules go out with the old script before it is replaced
            stop = [partial(self.run, "unit", check=False, verb="stop", unit=nat.UNIT)] if script_text is not None else []
            self.step("write %s" % nat.SCRIPT_PATH, *(stop + [partial(files.write_atomic, nat.SCRIPT_PATH, script, 0o755)]))
        if self.run.output("unit", verb="is-active", unit=nat.UNIT) != "active" or script != script_text:
            self.step("apply egress NAT on %s" % (uplink4 or uplink6), partial(self.run, "unit", verb="restart", unit=nat.UNIT))
        if self.run.output("unit", verb="is-enabled", unit=nat.UNIT) != "enabled":
            self.step("enable %s at boot" % nat.UNIT, partial(self.run, "unit", verb="enable", unit=nat.UNIT))

    def plan_ufw(self, interfaces):
        active = self.params["ufw_active"]
        if active is None:  # not read by platform in this run: read it here
            active = self.run.has("ufw") and ufw.is_active(self.run("ufw_status", check=False)[1])
        self.result["ufw_active"] = active
        if not active:
            return
        uplink = self.uplinks()[0] if any(i["gateway"] for i in interfaces) else None
        current = ufw.current_rules(self.run("ufw_added", check=False)[1])
        add, delete = ufw.plan(ufw.desired_rules(interfaces, uplink), current)
        for rule in add:
            self.step("ufw " + rule, partial(self.run, "ufw", args=ufw.add_args(rule)))
        for rule in delete:
            self.step("ufw delete " + rule, partial(self.run, "ufw", args=ufw.delete_args(rule)))
