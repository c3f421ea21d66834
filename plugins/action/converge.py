# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host side of the role in two calls per host: ``prepare`` (inspect the
host, install what it lacks, make its keys) and ``apply`` (routing, the
interfaces, removal of interfaces the inventory dropped). Each call runs the
collection's modules one after another on the host, so a re-run costs two
tasks per host instead of a chain of mostly skipped ones (docs/benchmarks.md).
See plugins/modules/converge.py for the documentation."""

from __future__ import annotations

import json

from ansible.plugins.action import ActionBase

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
    preshared_keys=dict(type="raw", no_log=True),
    uplink=dict(type="str"),
    uplink6=dict(type="str"),
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
        preshared = _loads(args["preshared_keys"], {})
        routing_needed = (any(r.get("forwarding") or r.get("gateway") for r in routing)
                          or platform.get("ufw_active") or platform.get("routing_managed"))
        results = {}
        if routing_needed:
            routing_args = {"interfaces": routing}
            for key in ("uplink", "uplink6"):
                if args[key]:
                    routing_args[key] = args[key]
            results["routing"] = self._call("forwarding, NAT and ufw", "fleetnet.wireguard.routing", routing_args)
        for ifname in sorted(plan):
            # the plan holds the interface module's arguments, the preshared keys too: handed on as they are
            results[ifname] = self._call("apply %s" % ifname, "fleetnet.wireguard.interface",
                                         dict(plan[ifname], **(preshared.get(ifname) or {})))
        for ifname in sorted(set(platform.get("managed_interfaces") or []) - set(plan)):
            results[ifname] = self._call("remove %s" % ifname, "fleetnet.wireguard.interface", {"name": ifname, "state": "absent"})
        return {"results": results, "restarted": sorted(i for i, r in results.items() if r.get("restarted"))}
