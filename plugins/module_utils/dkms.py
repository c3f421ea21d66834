"""After wireguard-dkms builds a new module, load it without a reboot.

The talk's "再起動回避例": wireguard-dkms's postinst used to reload the module
itself; since it asks for a reboot instead, compare the loaded module's
version with the installed one and, when they differ, stop the interfaces,
swap the module and start them again. Then clear the reboot request, but only
when wireguard-dkms was its sole cause.
"""

from __future__ import annotations

DKMS_PACKAGE = "wireguard-dkms"
REBOOT_FILES = ("/run/reboot-required", "/run/reboot-required.pkgs")
LOADED_VERSION = "/sys/module/wireguard/version"


def plan(loaded_version, installed_version, reboot_packages, active_units):
    """-> dict(action: none|load|reload, restart: [units], clear_reboot_flag: bool, reason)

    loaded_version: /sys/module/wireguard/version, None when not loaded.
    installed_version: `modinfo -F version wireguard`, None when no module is installed.
    reboot_packages: lines of /run/reboot-required.pkgs, None when no reboot is requested.
    """
    result = {"action": "none", "restart": [], "clear_reboot_flag": False, "reason": "the loaded module is current"}
    if installed_version is None:
        result["reason"] = "no wireguard module is installed"
        return result
    if loaded_version is None:
        result.update(action="load", reason="the module %s is installed but not loaded" % installed_version)
    elif loaded_version != installed_version:
        result.update(action="reload", restart=sorted(active_units),
                      reason="loaded %s, installed %s" % (loaded_version, installed_version))
    if reboot_packages is not None:
        causes = {p.strip() for p in reboot_packages if p.strip()}
        result["clear_reboot_flag"] = causes == {DKMS_PACKAGE}
    return result
