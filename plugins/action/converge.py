# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host side of the role: ``prepare`` (fleetnet.wireguard.prepare inspects
the host and makes its keys in one module execution; apt only when a package
is missing) and ``apply`` (fleetnet.wireguard.apply checks the host's keys
against the plan, then routing, the interfaces and removals, in one module
execution). A host whose key the controller's store holds is not prepared:
a re-run costs one module execution per host (docs/benchmarks.md).
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
    # the host the task is for, when it runs with delegate_to (the role's fallback); default: inventory_hostname
    host=dict(type="str"),
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
    # the fleet action's public_keys slice for this host: what the host's keys must derive to
    public_keys=dict(type="raw"),
    # return prepare_needed (the role falls back to a prepare step) instead of failing
    report_prepare_needed=dict(type="bool", default=False),
    backend=dict(type="str", default=host_args.BACKENDS[0], choices=list(host_args.BACKENDS)),
    # the /etc/hosts lines of wireguard_peer_names (the peer_names filter's), "" to remove the block;
    # omitted when the feature is off
    peer_names=dict(type="str"),
)


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
        self._host = self._args["host"] or task_vars.get("inventory_hostname")
        self._summary = {"changed": False, "diff": [], "steps": [], "facts": {}}
        try:
            result.update(self._prepare() if stage == "prepare" else self._apply())
        except StepFailed as exc:
            failed = {k: v for k, v in exc.result.items() if k not in ("invocation", "diff", "changed")}
            msg = exc.result.get("msg", "failed")
            if not msg.startswith(exc.step + ": "):  # a module of steps names its failed step already
                msg = "%s: %s" % (exc.step, msg)
            result.update(failed, failed=True, step=exc.step, msg=msg)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        result["changed"] = self._summary["changed"]
        result["steps"] = self._summary["steps"]
        if self._summary["facts"]:
            result["ansible_facts"] = self._summary["facts"]
        if self._summary["diff"]:
            result["diff"] = self._summary["diff"]
        return result

    def _call(self, step, module, args):
        """Run one module on the host; its changes and diff count for this task."""
        res = self._execute_module(module_name=module, module_args=args, task_vars=self._vars)
        res.pop("invocation", None)  # at scale, echoed arguments cost more than the work
        # the interpreter Ansible discovered for this call: kept as the host's fact, so its next task is not
        # preceded by another discovery round trip
        self._summary["facts"].update(res.pop("ansible_facts", None) or {})
        if res.get("failed"):
            raise StepFailed(res.get("step") or step, res)
        changed = bool(res.get("changed"))
        self._summary["changed"] |= changed
        # a module of steps (prepare, apply) lists its own
        self._summary["steps"].extend(res.pop("steps", None) or ["%s: %s" % (step, "changed" if changed else "ok")])
        diff = res.pop("diff", None)
        if changed and diff:
            self._summary["diff"].extend(diff if isinstance(diff, list) else [diff])
        return res

    # ------------------------------------------------------------- prepare

    def _prepare(self):
        args = self._args
        prepared = self._call("prepare the host", "fleetnet.wireguard.prepare", {
            key: args[key] for key in ("interfaces", "regenerate", "install", "firewall_tool", "dns")})
        platform = prepared["platform"]
        if args["install"] and (platform["missing"] or platform["unavailable"]):
            self._install(platform)
            if platform["method"] == "dkms":  # the module leaves it to after the install
                self._call("load a rebuilt DKMS module", "fleetnet.wireguard.dkms_reload", {})
        return {key: prepared[key] for key in ("platform", "public_keys", "key_actions", "rekeyed")}

    def _install(self, platform):
        if platform["unavailable"]:
            raise StepFailed("install WireGuard", {"msg": (
                "host %s: WireGuard needs %s (%s), which this release does not package. Fix: run the host on a kernel "
                "with WireGuard (5.6 or later, such as Debian 11's own 5.10 on a VM), or install %s yourself and set "
                "wireguard_install_packages: false." % (
                    self._host, ", ".join(platform["unavailable"]), platform["reason"],
                    ", ".join(platform["unavailable"])))})
        if platform["backports"]:
            self._call("enable buster-backports", "ansible.builtin.apt_repository",
                       {"repo": BACKPORTS_REPO, "filename": "buster-backports"})
        apt = {"name": platform["missing"], "install_recommends": False, "update_cache": True, "cache_valid_time": 86400}
        if platform["backports"]:
            apt["default_release"] = "buster-backports"
        self._call("install %s" % ", ".join(platform["missing"]), "ansible.builtin.apt", apt)

    # --------------------------------------------------------------- apply

    def _apply(self):
        """One module execution: fleetnet.wireguard.apply checks the host
        against the plan and applies it, or changes nothing and says which
        prepare step it needs."""
        args = self._args
        platform = args["prepared"].get("platform")
        plan = _loads(args["plan"], {})
        preshared = dict(self._host_preshared_keys())
        interfaces, staged, fingerprints = [], [], {}
        for ifname in sorted(plan):
            # the plan holds the interface module's arguments; this host's preshared keys
            # ({"preshared_keys": new ones, "keep_preshared_keys": [...]}) are added here
            desired = dict(plan[ifname], **(preshared.pop(ifname, None) or {}))
            fingerprints[ifname] = desired.pop(host_args.KEEP_FINGERPRINTS, None) or {}
            if args["backend"] != host_args.BACKENDS[0]:
                desired["backend"] = args["backend"]
            new = desired.pop("preshared_keys", None) or {}
            if new:
                desired["new_preshared_keys"] = sorted(new)
                if not self._task.check_mode:
                    desired["preshared_keys_file"] = self._stage_preshared_keys(desired, ifname, new)
                    staged.append(desired["preshared_keys_file"])
            del new  # held no longer than needed: the host has them now
            interfaces.append(desired)
        module_args = {"interfaces": interfaces, "routing": _loads(args["routing"], []),
                       "public_keys": _loads(args["public_keys"], {}),
                       "preshared_fingerprints": {i: f for i, f in fingerprints.items() if f},
                       "install": args["install"], "firewall_tool": args["firewall_tool"], "dns": args["dns"],
                       "backend": args["backend"]}
        if platform:
            module_args["platform"] = platform
        for key in ("uplink", "uplink6"):
            if args[key]:
                module_args[key] = args[key]
        if args["peer_names"] is not None:
            module_args["peer_names"] = args["peer_names"]
        try:
            applied = self._call("apply", "fleetnet.wireguard.apply", module_args)
        except StepFailed:
            if staged:  # the module takes the files first thing; this is for a module that never ran
                with contextlib.suppress(Exception):  # the step's own failure is the one to report
                    self._low_level_execute_command("rm -f %s" % " ".join(map(shlex.quote, staged)), sudoable=True)
            raise
        if applied.get("prepare_needed") and (platform or not args["report_prepare_needed"]):
            raise StepFailed("check the host", {"msg": "the host is not what the plan assumed, nothing was changed: %s" % (
                "; ".join(applied.get("prepare_reasons") or []))})
        return {key: applied[key] for key in ("prepare_needed", "prepare_reasons", "interface_results", "restarted") if key in applied}

    # ------------------------------------------------------- preshared keys

    def _host_preshared_keys(self):
        """This host's preshared keys, {ifname: {"preshared_keys": new ones, "keep_preshared_keys": [...]}},
        read from the registered fleet result named by preshared_keys_from:
        never a task argument, which every callback plugin receives."""
        name = self._args["preshared_keys_from"]
        if not name:
            return {}
        fleet = self._vars.get(name) or {}
        return _loads((fleet.get("preshared_keys") or {}).get(self._host), {})

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
