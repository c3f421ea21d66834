# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host side of the role in two calls per host: ``prepare`` (inspect the
host, install what it lacks, make its keys) and ``apply`` (routing, the
interfaces, removal of interfaces the inventory dropped). Each call runs the
collection's modules one after another on the host, so a re-run costs two
tasks per host instead of a chain of mostly skipped ones (docs/benchmarks.md).
See plugins/modules/converge.py for the documentation."""

from __future__ import annotations

import contextlib
import json
import os
import shlex

from ansible.plugins.action import ActionBase

from ansible_collections.fleetnet.wireguard.plugins.module_utils import host_args, paths, preshared_keys

BACKPORTS_REPO = "deb http://archive.debian.org/debian buster-backports main"

ARGUMENT_SPEC = dict(
    stage=dict(type="str", required=True, choices=["prepare", "apply"]),
    interfaces=dict(type="list", elements="str", default=[]),
    regenerate=dict(type="str", default="never"),
    install=dict(type="bool", default=True),
    firewall_tool=dict(type="bool", default=False),
    dns=dict(type="bool", default=False),
    prepared=dict(type="dict", default={}),
    # the fleet action's slices for this host, as data or as its JSON strings
    plan=dict(type="raw"),
    routing=dict(type="raw"),
    # the name of the registered fleet result: the keys themselves are never an argument
    preshared_keys_from=dict(type="str"),
    uplink=dict(type="str"),
    uplink6=dict(type="str"),
    backend=dict(type="str", default=host_args.BACKENDS[0], choices=list(host_args.BACKENDS)),
)

# what platform reports of each backend: the interfaces this collection made with it
_MADE_WITH = {"wg-quick": "managed_interfaces", "networkmanager": "networkmanager_interfaces"}


class StepFailed(Exception):
    def __init__(self, step, result):
        super().__init__(step)
        self.step = step
        self.result = result


def _loads(value, default):
    """The fleet action may hand a host's slice over as one JSON string."""
    if value in (None, ""):
        return default
    return json.loads(value) if isinstance(value, str) else value


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        dummy, self._args = self.validate_argument_spec(ARGUMENT_SPEC)
        stage = self._args["stage"]
        self._vars = task_vars
        self._summary = {"changed": False, "diff": [], "steps": []}
        try:
            result.update(self._prepare() if stage == "prepare" else self._apply())
        except StepFailed as exc:
            failed = {k: v for k, v in exc.result.items() if k not in ("invocation", "diff", "changed")}
            result.update(failed, failed=True, step=exc.step, msg="%s: %s" % (exc.step, exc.result.get("msg", "failed")))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        result["changed"] = self._summary["changed"]
        result["steps"] = self._summary["steps"]
        if self._summary["diff"]:
            result["diff"] = self._summary["diff"]
        return result

    def _call(self, step, module, args):
        """Run one module on the host; its changes and diff count for this task."""
        res = self._execute_module(module_name=module, module_args=args, task_vars=self._vars)
        res.pop("invocation", None)  # at scale, echoed arguments cost more than the work
        if res.get("failed"):
            raise StepFailed(step, res)
        changed = bool(res.get("changed"))
        self._summary["changed"] |= changed
        self._summary["steps"].append("%s: %s" % (step, "changed" if changed else "ok"))
        diff = res.pop("diff", None)
        if changed and diff:
            self._summary["diff"].extend(diff if isinstance(diff, list) else [diff])
        return res

    # ------------------------------------------------------------- prepare

    def _prepare(self):
        args = self._args
        platform = self._call("inspect the host", "fleetnet.wireguard.platform",
                              {"firewall_tool": args["firewall_tool"], "dns": args["dns"]})
        if args["install"]:
            self._install(platform)
        if platform["method"] == "dkms":
            self._call("load a rebuilt DKMS module", "fleetnet.wireguard.dkms_reload", {})
        public_keys, key_actions = {}, {}
        for ifname in args["interfaces"]:
            res = self._call("private key of %s" % ifname, "fleetnet.wireguard.keypair",
                             {"interface": ifname, "regenerate": args["regenerate"]})
            public_keys[ifname] = res.get("public_key", "")
            key_actions[ifname] = res.get("action", "keep")
        return {
            "platform": platform,
            "public_keys": public_keys,
            "key_actions": key_actions,
            # a new key (rotation, a new host): the role applies these hosts first
            "rekeyed": any(action != "keep" for action in key_actions.values()),
        }

    def _install(self, platform):
        if platform["unavailable"]:
            raise StepFailed("install WireGuard", {"msg": (
                "host %s: WireGuard needs %s (%s), which this release does not package. Fix: run the host on a kernel "
                "with WireGuard (5.6 or later, such as Debian 11's own 5.10 on a VM), or install %s yourself and set "
                "wireguard_install_packages: false." % (
                    self._vars.get("inventory_hostname"), ", ".join(platform["unavailable"]), platform["reason"],
                    ", ".join(platform["unavailable"])))})
        if platform["backports"]:
            self._call("enable buster-backports", "ansible.builtin.apt_repository",
                       {"repo": BACKPORTS_REPO, "filename": "buster-backports"})
        if platform["missing"]:
            apt = {"name": platform["missing"], "install_recommends": False, "update_cache": True, "cache_valid_time": 86400}
            if platform["backports"]:
                apt["default_release"] = "buster-backports"
            self._call("install %s" % ", ".join(platform["missing"]), "ansible.builtin.apt", apt)

    # --------------------------------------------------------------- apply

    def _apply(self):
        args = self._args
        platform = args["prepared"].get("platform") or {}
        plan = _loads(args["plan"], {})
        routing = _loads(args["routing"], [])
        preshared = dict(self._host_preshared_keys())
        routing_needed = (any(r.get("forwarding") or r.get("gateway") for r in routing)
                          or platform.get("ufw_active") or platform.get("routing_managed"))
        results = {}
        if routing_needed:
            routing_args = {"interfaces": routing}
            for key in ("uplink", "uplink6"):
                if args[key]:
                    routing_args[key] = args[key]
            if "ufw_active" in platform:  # platform read it in prepare: ufw is asked once per run
                routing_args["ufw_active"] = bool(platform["ufw_active"])
            results["routing"] = self._call("forwarding, NAT and ufw", "fleetnet.wireguard.routing", routing_args)
        backend = args["backend"]
        # an interface the host keeps with the other backend now goes first (the
        # link name is the same); its key stays
        for other in sorted(set(_MADE_WITH) - {backend}):
            for ifname in sorted(set(platform.get(_MADE_WITH[other]) or []) & set(plan)):
                self._remove(results, ifname, other, "remove %s from %s" % (ifname, other))
        for ifname in sorted(plan):
            # the plan holds the interface module's arguments; this host's preshared keys
            # ({"preshared_keys": new ones, "keep_preshared_keys": [...]}) are added here
            desired = dict(plan[ifname], **(preshared.pop(ifname, None) or {}))
            if backend != host_args.BACKENDS[0]:
                desired["backend"] = backend
            new = desired.pop("preshared_keys", None) or {}
            staged = None
            if new:
                desired["new_preshared_keys"] = sorted(new)
                if not self._task.check_mode:
                    staged = desired["preshared_keys_file"] = self._stage_preshared_keys(desired, ifname, new)
            del new  # held no longer than needed: the host has them now
            try:
                results[ifname] = self._call("apply %s" % ifname, "fleetnet.wireguard.interface", desired)
            except StepFailed:
                if staged:  # the module takes the file first thing; this is for a module that never ran
                    with contextlib.suppress(Exception):  # the step's own failure is the one to report
                        self._low_level_execute_command("rm -f %s" % shlex.quote(staged), sudoable=True)
                raise
        for made_with in sorted(_MADE_WITH):
            for ifname in sorted(set(platform.get(_MADE_WITH[made_with]) or []) - set(plan)):
                self._remove(results, ifname, made_with, "remove %s" % ifname)
        return {"results": results, "restarted": sorted(i for i, r in results.items() if r.get("restarted"))}

    def _remove(self, results, ifname, backend, step):
        args = {"name": ifname, "state": "absent"}
        if backend != host_args.BACKENDS[0]:
            args["backend"] = backend
        results[ifname] = self._call(step, "fleetnet.wireguard.interface", args)

    # ------------------------------------------------------- preshared keys

    def _host_preshared_keys(self):
        """This host's preshared keys, {ifname: {"preshared_keys": new ones, "keep_preshared_keys": [...]}},
        read from the registered fleet result named by preshared_keys_from:
        never a task argument, which every callback plugin receives."""
        name = self._args["preshared_keys_from"]
        if not name:
            return {}
        fleet = self._vars.get(name) or {}
        return _loads((fleet.get("preshared_keys") or {}).get(self._vars.get("inventory_hostname")), {})

    def _stage_preshared_keys(self, desired, ifname, keys):
        """Write an interface's new preshared keys through the connection's
        standard input into a 0600 file next to the config (made so by umask
        before it exists), for the interface module to take. No module
        argument, module file or temp file holds them, pipelining or not.
        -> the file's path"""
        config_dir = os.path.dirname(desired.get("config_path") or paths.config_path(ifname))
        path = preshared_keys.staged_path(config_dir, ifname)
        command = "umask 077 && mkdir -p %s && rm -f %s && cat > %s" % (
            shlex.quote(config_dir), shlex.quote(path), shlex.quote(path))
        res = self._low_level_execute_command(command, sudoable=True, in_data=preshared_keys.format_staged(keys).encode("ascii"))
        if res.get("rc") != 0:
            raise StepFailed("stage the preshared keys of %s" % ifname, {"msg": "writing %s failed (rc=%s): %s" % (
                path, res.get("rc"), (res.get("stderr") or res.get("stdout") or "").strip())})
        return path
