"""The prepare module's work, in one execution on the host: inspect it
(platform_facts), load a rebuilt DKMS module when nothing is left to
install, and ensure each interface's private key (keypair_apply). Installing
packages is left to the converge action (ansible.builtin.apt), which runs
only when the inspection says something is missing. Imports no Ansible."""

from __future__ import annotations

from ansible_collections.fleetnet.wireguard.plugins.module_utils import paths, platform_facts
from ansible_collections.fleetnet.wireguard.plugins.module_utils.dkms_apply import DkmsReload
from ansible_collections.fleetnet.wireguard.plugins.module_utils.keypair_apply import KeyPair
from ansible_collections.fleetnet.wireguard.plugins.module_utils.platform_facts import Platform
from ansible_collections.fleetnet.wireguard.plugins.module_utils.steps import Steps


def inspect(steps, params):
    """The platform module's facts, as a step (read-only). -> dict"""
    platform = steps("inspect the host", Platform, {"dns": params["dns"], "firewall_tool": params["firewall_tool"]})
    platform.pop("changed", None)
    return platform


def installs(params, platform):
    """Whether the converge action installs packages after this module."""
    return bool(params["install"] and platform["missing"])


class Prepare:
    """operation.execute() runs it as it runs an Operation."""

    def __init__(self, params, run, check_mode=False, diff_mode=False, warn=None):
        self.params = params
        self.steps = Steps(run, check_mode, diff_mode, warn)

    def execute(self):
        """-> the module's result: platform, public_keys, key_actions, rekeyed, steps."""
        return prepare(self.params, self.steps)


def prepare(params, steps):
    platform = inspect(steps, params)
    out = {"platform": platform, "public_keys": {}, "key_actions": {}, "rekeyed": False}
    if params["install"] and platform["unavailable"]:
        # the run stops on this host (the action says why): nothing is made on it
        return steps.report(**out)
    if platform["method"] == "dkms" and not installs(params, platform):
        steps("load a rebuilt DKMS module", DkmsReload, {})
    for ifname in params["interfaces"]:
        res = steps("private key of %s" % ifname, KeyPair, {
            "interface": ifname, "regenerate": params["regenerate"],
            # in the directory the inspection reads (the default paths of keypair and interface)
            "path": paths.private_key_path(ifname, platform_facts.CONFIG_DIR),
            "config_path": paths.config_path(ifname, platform_facts.CONFIG_DIR)})
        out["public_keys"][ifname] = res.get("public_key", "")
        out["key_actions"][ifname] = res.get("action", "keep")
    # a new key (rotation, a new host): the role applies these hosts first
    out["rekeyed"] = any(action != "keep" for action in out["key_actions"].values())
    return steps.report(**out)
