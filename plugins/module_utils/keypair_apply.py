"""The keypair module's work around keyfile.apply: the result without the
private key, and a diff of public keys only."""

from __future__ import annotations

from ansible_collections.fleetnet.wireguard.plugins.module_utils import keyfile, paths
from ansible_collections.fleetnet.wireguard.plugins.module_utils.operation import Failure, Operation


class KeyPair(Operation):
    reports_actions = False

    def plan(self):
        # keyfile.apply decides and, outside check mode, writes in one go: the new
        # private key is made and written there and never comes back here
        p = self.params
        path = p["path"] or paths.private_key_path(p["interface"])
        config_path = paths.config_path(p["interface"]) if p["config_path"] is None else p["config_path"]
        try:
            result = keyfile.apply(path, p["regenerate"], config_path, self.check_mode)
        except (keyfile.KeyFileError, OSError) as exc:
            raise Failure(str(exc), path=path)
        self.touched = result.pop("changed")
        if result["previous_public_key"] is None:
            del result["previous_public_key"]
        if self.touched:
            self.set_diff(path, "public_key: %s\n" % (result.get("previous_public_key") or "(none)"),
                          "public_key: %s\n" % (result["public_key"] or "(new key)"))
        result["public_key"] = result["public_key"] or ""
        self.result = result
