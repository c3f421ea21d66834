# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of the role: the I/O around module_utils/pipeline.run()
(read the inventory's variables and the key store, write the files the
pipeline lists, shape the result). See plugins/modules/fleet.py for the
documentation."""

from __future__ import annotations

import json
import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.fleetnet.wireguard.plugins.module_utils import inventory, key_store, key_store_guard, pipeline, plan_json, removals
from ansible_collections.fleetnet.wireguard.plugins.module_utils.problems import format_problem
from ansible_collections.fleetnet.wireguard.plugins.plugin_utils import controller_route, role_spec

_EXTRA_VARS = ("ansible_host", "ansible_connection")

ARGUMENT_SPEC = dict(
    group=dict(type="str", default="wireguard"),
    stage=dict(type="str", default="plan", choices=list(pipeline.STAGES)),
    key_dir=dict(type="path"),
    # the variables the prepare steps registered, in order: a later one's result for a host wins
    register=dict(type="list", elements="str", default=["wireguard__host"]),
    # the results of a prepare task looped over hosts with delegate_to (the role's fallback), each with its
    # host as ``item``: they win over what the hosts registered
    prepared_again=dict(type="list", elements="dict", default=[]),
    hosts=dict(type="list", elements="str"),
    as_json=dict(type="bool", default=False),
    rotate_preshared_keys=dict(type="list", elements="str", default=[]),
    # the role passes wireguard_removal_limit and wireguard_confirm_removal here: taken as they are, so that a
    # wrong one is reported by the inventory contract, naming the host and the variable (see _removal_args)
    removal_limit=dict(type="raw", default=removals.DEFAULT_LIMIT),
    confirm_removal=dict(type="raw", default=[]),
    # the validate stage's inventory_warnings, shown already in this run
    shown_warnings=dict(type="list", elements="str", default=[]),
)


def own_vars(hv):
    """The host's own wireguard_* variables (internal wireguard__* excluded),
    from its hostvars: each value templated as Ansible templates it."""
    return {k: hv[k] for k in hv if (k.startswith("wireguard_") and not k.startswith("wireguard__")) or k in _EXTRA_VARS}


def looped_results(results):
    """{host: its result} from the results of a task looped over hosts
    (``item``) with delegate_to; skipped and failed ones left out."""
    return {r["item"]: r for r in results if r.get("item") and not r.get("skipped") and not r.get("failed")}


def registered_result(hv, name):
    """A host's registered result under ``name`` (hv: its hostvars), or None
    when it has none or the task skipped it (the host was not prepared)."""
    registered = hv.get(name)
    return registered if registered and not registered.get("skipped") else None


def read_hostvars(hostvars, members, play_hosts=(), register=()):
    """-> ({member: its own_vars}, {play host: what it registered under the
    last of the names ``register`` that holds a result}). One hostvars lookup
    per host, whatever is read from it: each lookup computes every variable
    of the host (about 1 ms)."""
    own, reported = {}, {}
    group = set(members)  # a list from groups[]: looked up once per host, so a set
    play = set(play_hosts) if register else set()
    for host in dict.fromkeys(list(members) + sorted(play)):
        hv = hostvars[host]
        if host in group:
            own[host] = own_vars(hv)
        if host in play:
            for name in register:
                reported[host] = registered_result(hv, name) or reported.get(host) or {}
    return own, reported


def _removal_args(args):
    """The removal guard's arguments as pipeline.run takes them; a limit that
    is no whole number is None (and the default is used)."""
    try:
        limit = int(str(args["removal_limit"]))
    except ValueError:
        limit = None
    return limit, inventory.as_list(args["confirm_removal"])


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(ARGUMENT_SPEC, required_if=[("stage", "plan", ("key_dir",))])
        hostvars = task_vars["hostvars"]
        members = task_vars["groups"].get(args["group"])
        if not members:
            raise AnsibleActionFail("the inventory has no group %r (set wireguard_group to the group of WireGuard hosts)" % args["group"])
        key_dir = args["key_dir"]
        play_hosts = args["hosts"] or task_vars.get("ansible_play_hosts_all", [])
        check = bool(self._task.check_mode)
        removal_limit, confirm_removal = _removal_args(args)
        # validation looks at public keys only: no secret is read for it
        parts = ("public",) if args["stage"] == "validate" else key_store.PARTS
        planning = args["stage"] == "plan"
        own, reported = read_hostvars(hostvars, members, play_hosts, args["register"] if planning else ())
        reported.update(looped_results(args["prepared_again"]))
        run = pipeline.run(
            own,
            store=key_store.read(key_dir, parts) if key_dir else None,
            reported=reported if planning else None,
            stage=args["stage"], check=check, rotate=args["rotate_preshared_keys"], play_hosts=play_hosts,
            options=role_spec.options(), controller_address=controller_route.source_address,
            removal_limit=removals.DEFAULT_LIMIT if removal_limit is None else removal_limit, confirm_removal=confirm_removal)
        problems = run["problems"]
        result["inventory_warnings"] = warnings = [format_problem(w) for w in problems.warnings]
        # once per run: the plan stage repeats the validate stage's checks
        shown = set(args["shown_warnings"])
        for warning in warnings:
            if warning not in shown:
                self._display.warning(warning)
        if removal_limit is None and not problems.errors:
            raise AnsibleActionFail("removal_limit: %r is not a whole number" % (args["removal_limit"],))
        if problems.errors:
            result.update(failed=True, problems=problems.errors, msg="%d problem(s) in the WireGuard inventory, nothing was changed:\n%s" % (
                len(problems.errors), "\n".join(format_problem(p) for p in problems.errors)))
            return result
        for key in ("members", "interfaces", "firewall_hosts", "dns_hosts", "unmanaged", "sites"):
            result[key] = run[key]
        if args["stage"] == "validate":
            # every peer and interface this run removes, shown before any host changes (in check mode too)
            result["removals"] = run["removals"]
            result["prepare"] = run["prepare"]
            for line in removals.describe(run["removals"], set(members)):
                self._display.display("fleetnet.wireguard: %s" % line)
        if args["stage"] == "plan":
            result.update(self._planned(run, key_dir, check, args["as_json"]))
        return result

    def _planned(self, run, key_dir, check, as_json):
        if not check:
            key_store.write(key_dir, run["files"])
        # every run: private/ and export/ back to 0700/0600, and a .gitignore for them
        secured, warning = key_store_guard.secure(key_dir, check)
        if warning:
            self._display.warning(warning)
        exports = {h: {i: {kind: os.path.join(key_dir, p) for kind, p in paths.items()} for i, paths in by_if.items()}
                   for h, by_if in run["exports"].items()}
        for host in sorted(exports):
            for paths in exports[host].values():
                self._display.display("%s: config and QR code written: %s, %s (they hold the device's private key: show them "
                                      "only to its owner; `cat %s` in a terminal to scan it)" % (host, paths["conf"], paths["png"], paths["txt"]))
        planned = {"changed": bool(run["files"]) or secured, "exports": exports}
        if run["new_secrets"]:
            # new preshared keys travel to their two hosts in this result:
            # it is never shown, at any verbosity
            planned["_ansible_no_log"] = True
        for key in ("routing", "preshared_keys", "public_keys"):
            # one string per host: Ansible copies a registered result per
            # host, and a million small objects cost it more than the plan did
            planned[key] = {h: json.dumps(v, sort_keys=True) for h, v in run[key].items()} if as_json else run[key]
        if as_json:
            # each host's peers as lines of one table per interface: a mesh's entries are shared (plan_json.py)
            planned["plan"], planned["peer_table"] = plan_json.pack(run["plan"])
        else:
            planned["plan"] = run["plan"]
        return planned
