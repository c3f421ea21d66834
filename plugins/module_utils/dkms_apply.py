"""The dkms_reload module's work: read the loaded and installed module
versions, the reboot request and the active interfaces, decide with
dkms.plan, then swap the module around stopped interfaces."""

from __future__ import annotations

import os

from ansible_collections.fleetnet.wireguard.plugins.module_utils import dkms, files, paths
from ansible_collections.fleetnet.wireguard.plugins.module_utils.operation import Operation


class DkmsReload(Operation):
    reports_actions = False

    def plan(self):
        loaded = (files.read_text(dkms.LOADED_VERSION) or "").strip() or None
        installed = self.run.output("modinfo_version", module="wireguard") or None
        pkgs = files.read_text(dkms.REBOOT_FILES[1])
        units = self.run("active_units", check=False, pattern=paths.UNIT_PATTERN)[1]
        active = [line.split()[0] for line in units.splitlines() if line.strip()]
        self.decision = decision = dkms.plan(loaded, installed, None if pkgs is None else pkgs.splitlines(), active)
        self.touched = decision["action"] != "none" or decision["clear_reboot_flag"]
        self.result = dict(action=decision["action"], restarted=decision["restart"],
                           reboot_flag_cleared=decision["clear_reboot_flag"], reason=decision["reason"])

    def apply(self):
        decision = self.decision
        if decision["action"] == "reload":
            for unit in decision["restart"]:
                self.run("unit", verb="stop", unit=unit)
            self.run("rmmod", module="wireguard")
        if decision["action"] in ("load", "reload"):
            self.run("modprobe", module="wireguard")
            for unit in decision["restart"]:
                self.run("unit", verb="start", unit=unit)
        if decision["clear_reboot_flag"]:
            for path in dkms.REBOOT_FILES:
                if os.path.exists(path):
                    os.unlink(path)
