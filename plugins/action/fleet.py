# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of the role: validate the inventory and plan every host's
interfaces once per play. See plugins/modules/fleet.py for the documentation."""

from __future__ import annotations

import json

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.fleetnet.wireguard.plugins.module_utils import device_config, inventory, key_store, plan as fleet_plan, preshared_keys
from ansible_collections.fleetnet.wireguard.plugins.module_utils import key_store_guard, removals, validation
from ansible_collections.fleetnet.wireguard.plugins.module_utils.problems import format_problem
from ansible_collections.fleetnet.wireguard.plugins.plugin_utils import controller_route, role_spec

_EXTRA_VARS = ("ansible_host", "ansible_connection")


def _inventory_vars(hostvars, host):
    """The host's own wireguard_* variables (internal wireguard__* excluded)."""
    hv = hostvars[host]
    return {k: hv[k] for k in hv if (k.startswith("wireguard_") and not k.startswith("wireguard__")) or k in _EXTRA_VARS}


def _reported_keys(hostvars, hosts, register):
    """{(ifname, host): public key} from the registered results of the role's
    prepare step (public_keys by interface) or of a keypair task looped over
    interfaces."""
    keys = {}
    for host in hosts:
        registered = hostvars[host].get(register) or {}
        reported = dict(registered.get("public_keys") or {})
        for result in registered.get("results", []):
            if not result.get("skipped"):
                reported[result["item"]] = result.get("public_key")
        keys.update(((ifname, host), key) for ifname, key in reported.items() if key)
    return keys


def _unmanaged(interfaces):
    return {h for members in interfaces.values() for h, m in members.items() if m["unmanaged"]}


def _drop_unknown_peers(plan):
    """A member with no key yet (check mode, or outside --limit before its
    first run) has no peer entries anywhere."""
    for interfaces in plan.values():
        for desired in interfaces.values():
            desired["peers"] = [p for p in desired["peers"] if p["public_key"]]


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("group", "stage", "key_dir", "register", "hosts", "as_json", "rotate_preshared_keys",
                             "removal_limit", "confirm_removal"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        group = args.get("group", "wireguard")
        stage = args.get("stage", "plan")
        if stage not in ("validate", "plan"):
            raise AnsibleActionFail("stage must be validate or plan")
        hostvars = task_vars["hostvars"]
        members = task_vars["groups"].get(group)
        if not members:
            raise AnsibleActionFail("the inventory has no group %r (set wireguard_group to the group of WireGuard hosts)" % group)
        interfaces, problems = fleet_plan.load({h: _inventory_vars(hostvars, h) for h in members}, role_spec.options())
        controller_route.annotate(interfaces)  # for the lockout guard
        key_dir = args.get("key_dir")
        if not problems.errors and stage == "validate":
            # every check that needs peers, on keys known so far, before any host is touched
            keys = key_store.read_public(key_dir, {i: list(m) for i, m in interfaces.items()}) if key_dir else {}
            fleet_plan.resolve_keys(interfaces, keys, problems, allow_missing=True)
            if not problems.errors:
                fleet_plan.plan(interfaces, problems)
            if key_dir and not problems.errors:
                result["removals"] = self._removal_guard(args, key_dir, interfaces, set(members), problems)
        if not problems.errors and stage == "plan":
            if not key_dir:
                raise AnsibleActionFail("key_dir is required with stage=plan")
            play_hosts = args.get("hosts") or task_vars.get("ansible_play_hosts_all", [])
            register = args.get("register", "wireguard__host")
            prepared = {h: hostvars[h].get(register) or {} for h in play_hosts}
            reported = _reported_keys(hostvars, play_hosts, register)
            result["changed"] = self._plan(result, interfaces, problems, key_dir, reported, prepared)
            # every run: private/ and export/ back to 0700/0600, and a .gitignore for them
            secured, warning = key_store_guard.secure(key_dir, self._task.check_mode)
            result["changed"] |= secured
            if warning:
                self._display.warning(warning)
            if not problems.errors and not self._task.check_mode and set(members) <= set(play_hosts) | _unmanaged(interfaces):
                # the whole group was in this run: forget the removed members,
                # so the next run does not count them again
                removal = removals.planned(key_store.stored_members(key_dir), interfaces, set(members))
                for ifname, hosts in removal["peers"].items():
                    for host in hosts:
                        result["changed"] |= key_store.forget_public(key_dir, ifname, host)
        for warning in problems.warnings:
            self._display.warning(format_problem(warning))
        if problems.errors:
            result["failed"] = True
            result["problems"] = problems.errors
            result["msg"] = "%d problem(s) in the WireGuard inventory, nothing was changed:\n%s" % (
                len(problems.errors), "\n".join(format_problem(p) for p in problems.errors))
            return result
        result["members"] = {i: sorted(m) for i, m in interfaces.items()}
        result["interfaces"] = {h: sorted(i for i in interfaces if h in interfaces[i]) for h in members}
        result["firewall_hosts"] = fleet_plan.firewall_hosts(interfaces)
        result["dns_hosts"] = sorted({h for ms in interfaces.values() for h, m in ms.items() if m["options"].get("dns")})
        return result

    def _removal_guard(self, args, key_dir, interfaces, group_hosts, problems):
        """Every peer and interface this run removes, shown before any host
        changes (in check mode and --diff too); too many stop the run."""
        stored = key_store.stored_members(key_dir)
        removal = removals.planned(stored, interfaces, group_hosts)
        confirmed = set(inventory.as_list(args.get("confirm_removal")))
        removals.check(removal, group_hosts, stored, int(args.get("removal_limit", removals.DEFAULT_LIMIT)), confirmed, problems)
        if not problems.errors:
            for line in removals.describe(removal, group_hosts):
                self._display.display("fleetnet.wireguard: %s" % line)
        return removal

    def _plan(self, result, interfaces, problems, key_dir, reported, prepared):
        """Keys in, plan and device exports out. -> changed (on the controller)"""
        check = self._task.check_mode
        changed = False
        keys = key_store.read_public(key_dir, {i: list(m) for i, m in interfaces.items()})
        for (ifname, host), key in reported.items():
            member = interfaces.get(ifname, {}).get(host)
            if member and member["public_key"] and member["public_key"] != key:
                problems.error(host, member["var_prefix"] + "public_key",
                               "says %s but the key on the host is %s" % (member["public_key"], key),
                               "remove it (the host's own key is used), or put the right key")
            if not check:
                changed |= key_store.write_public(key_dir, ifname, host, key)
            keys[(ifname, host)] = key
        devices = [(i, h) for i, ms in interfaces.items() for h, m in ms.items() if m["unmanaged"] and not m["public_key"]]
        for ifname, host in devices:
            key, made = key_store.ensure_device_key(key_dir, ifname, host, check)
            changed |= made
            if key:
                keys[(ifname, host)] = key
        fleet_plan.resolve_keys(interfaces, keys, problems, allow_missing=True)
        validation.check_keyless(interfaces, set(prepared) | {h for dummy, h in devices}, check, problems)
        if problems.errors:
            return changed
        plan = fleet_plan.plan(interfaces, problems)
        if problems.errors:
            return changed
        _drop_unknown_peers(plan)
        psk, device_psk, made = self._preshared_keys(interfaces, plan, key_dir, prepared, devices, check)
        changed |= made
        exports = {}
        for ifname, host in devices:
            private_key = key_store.read_device_key(key_dir, ifname, host)
            if private_key:
                keys = device_psk.get((ifname, host), {})
                desired = dict(plan[host][ifname], peers=[
                    dict(p, preshared_key=keys.get(p["public_key"])) for p in plan[host][ifname]["peers"]])
                paths, made = device_config.export(key_dir, ifname, host, desired, private_key, check)
                changed |= made
                exports.setdefault(host, {})[ifname] = paths
        routing = fleet_plan.routing(plan)
        if preshared_keys.has_new_keys(psk):
            # new preshared keys travel to their two hosts in this result:
            # it is never shown, at any verbosity
            result["_ansible_no_log"] = True
        if self._task.args.get("as_json"):
            psk = {h: json.dumps(v, sort_keys=True) for h, v in psk.items()}
            # one string per host: Ansible copies a registered result per
            # host, and a million small objects cost it more than the plan did
            plan = {h: json.dumps(v, sort_keys=True) for h, v in plan.items()}
            routing = {h: json.dumps(v, sort_keys=True) for h, v in routing.items()}
        result["plan"] = plan
        result["routing"] = routing
        result["preshared_keys"] = psk
        result["exports"] = exports
        for host in sorted(exports):
            self._display.display("%s: config and QR code written under %s/export/ (they hold the device's private key: "
                                  "show them only to its owner; `cat` the .qr.txt file in a terminal to scan it)" % (host, key_dir))
        return changed

    def _preshared_keys(self, interfaces, plan, key_dir, prepared, devices, check):
        """Each pair that wants a preshared key gets one, or keeps its own.
        -> ({host: {ifname: {peer key: new key or KEEP}}} for managed hosts,
            {(ifname, device): {peer key: key}} for device configs, changed)"""
        wanted = set()
        for host, by_if in plan.items():
            for ifname, desired in by_if.items():
                members = interfaces[ifname]
                for peer in desired["peers"]:
                    if peer["public_key"] and (members[host]["preshared_keys"] or members[peer["name"]]["preshared_keys"]):
                        wanted.add((ifname,) + tuple(sorted((host, peer["name"]))))
        if not wanted:
            return {}, {}, False
        fingerprints, in_play = {}, set()
        for host, registered in prepared.items():
            platform = registered.get("platform")
            if platform is not None:  # prepared in this run: it takes what we give it
                in_play.add(host)
                for ifname, found in (platform.get("preshared_key_fingerprints") or {}).items():
                    fingerprints[(ifname, host)] = found
        stored = {}
        for ifname, host in devices:  # the controller holds the device's end
            in_play.add(host)
            stored[(ifname, host)] = key_store.read_device_preshared_keys(key_dir, ifname, host)
            fingerprints[(ifname, host)] = {p: preshared_keys.fingerprint(k) for p, k in stored[(ifname, host)].items()}

        def key(ifname, host):
            return interfaces[ifname][host]["public_key_resolved"]

        pairs = [(i, a, key(i, a), b, key(i, b)) for i, a, b in sorted(wanted)]
        assignment = preshared_keys.assign(pairs, fingerprints, in_play, set(self._task.args.get("rotate_preshared_keys") or []))
        device_psk, changed = {}, False
        for ifname, host in devices:
            given = assignment.get(host, {}).get(ifname, {})
            keys = {peer: stored[(ifname, host)][peer] if value == preshared_keys.KEEP else value for peer, value in given.items()}
            device_psk[(ifname, host)] = keys
            if keys != stored[(ifname, host)]:
                changed = True
                if not check:
                    key_store.write_device_preshared_keys(key_dir, ifname, host, keys)
        managed = {h: by_if for h, by_if in assignment.items() if h not in {d for dummy, d in devices}}
        return managed, device_psk, changed
