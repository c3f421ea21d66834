"""How a host runs WireGuard, decided from what its kernel can do rather than
from a list of distributions, and which packages that takes.

- the module is loaded or built in      -> kernel: wireguard-tools only
- a container (Docker, LXC, OpenVZ)     -> userspace: wireguard-go, since it
  cannot load modules (unless the host's kernel has one loaded, see above)
- the running kernel ships the module   -> kernel: wireguard-tools only
- Debian 10 on its 4.19 kernel          -> DKMS: wireguard-dkms and headers
  from buster-backports
- an older kernel elsewhere on Debian   -> DKMS from the release itself
- anything else                         -> userspace
wireguard-tools is always installed without Recommends: its recommends pull
wireguard-dkms (and with it compilers and headers) or a kernel image.
"""

from __future__ import annotations

import re

TOOLS = "wireguard-tools"
USERSPACE = "wireguard-go"
DKMS = "wireguard-dkms"
MAINLINE_SINCE = (5, 6)


def kernel_version(release):
    m = re.match(r"(\d+)\.(\d+)", release or "")
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def decide(facts):
    """facts: module_loaded, module_available, container (str or None),
    kernel_release, distribution ('debian', ...), distribution_major (int),
    installed (set of package names), dns (bool: resolvconf needed),
    firewall_tool (bool: iptables or nftables needed) and has_firewall_tool
    (iptables or nft on PATH).
    -> dict(method, reason, packages, missing, backports)"""
    release = facts.get("kernel_release", "")
    major = facts.get("distribution_major") or 0
    debian = facts.get("distribution") == "debian"
    backports = False
    if facts.get("module_loaded"):
        method, reason = "kernel", "the wireguard module is loaded"
    elif facts.get("container"):
        method, reason = "userspace", "a %s container cannot load kernel modules" % facts["container"]
    elif facts.get("module_available"):
        method, reason = "kernel", "kernel %s ships the wireguard module" % release
    elif kernel_version(release) < MAINLINE_SINCE and debian:
        method = "dkms"
        backports = major == 10
        reason = "kernel %s predates WireGuard (5.6): building it with DKMS%s" % (release, " from buster-backports" if backports else "")
    else:
        method, reason = "userspace", "kernel %s has no wireguard module" % release
    packages = [TOOLS]
    if method == "userspace":
        packages.append(USERSPACE)
    elif method == "dkms":
        packages += [DKMS, "linux-headers-%s" % release]
    if facts.get("dns"):
        packages.append("openresolv")
    if facts.get("firewall_tool") and not facts.get("has_firewall_tool"):
        packages.append("iptables")
    installed = set(facts.get("installed") or ())
    return {
        "method": method,
        "reason": reason,
        "packages": packages,
        "missing": [p for p in packages if p not in installed],
        "backports": backports,
    }


def parse_os_release(text):
    values = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip().strip('"')
    version = values.get("VERSION_ID", "").split(".")[0]
    return values.get("ID", ""), int(version) if version.isdigit() else 0


def parse_dpkg_query(text):
    """`dpkg-query -W -f '${Package} ${db:Status-Abbrev}\\n'` -> installed names."""
    installed = set()
    for line in (text or "").splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].startswith("ii"):
            installed.add(parts[0])
    return installed
