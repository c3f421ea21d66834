"""The platform module's reads: what the kernel can do, which packages are
there, whether ufw is active and what of ours is in place; install_plan
decides from them. Read-only."""

from __future__ import annotations

import os

from ansible_collections.fleetnet.wireguard.plugins.module_utils import (
    files, forwarding, install_plan, interface_config, nat, nm_keyfile, paths, preshared_keys, ufw,
)
from ansible_collections.fleetnet.wireguard.plugins.module_utils.operation import Operation

OS_RELEASE = "/etc/os-release"
KERNEL_RELEASE = "/proc/sys/kernel/osrelease"  # what uname -r says
MODULE_DIR = "/sys/module/wireguard"
CONFIG_DIR = paths.CONFIG_DIR
# marker file -> container kind; /proc/vz is also on OpenVZ hosts, which have /proc/bc
CONTAINER_MARKERS = (("/.dockerenv", "docker"), ("/run/.containerenv", "podman"), ("/proc/vz", "openvz"))
NOT_OPENVZ_GUEST = "/proc/bc"


def container_kind(run):
    rc, out = run("detect_container", check=False)
    if rc == 0 and out.strip() not in ("", "none"):
        return out.strip()
    for marker, kind in CONTAINER_MARKERS:
        if os.path.exists(marker) and not (kind == "openvz" and os.path.exists(NOT_OPENVZ_GUEST)):
            return kind
    return None


def preshared_key_fingerprints(interfaces):
    """{interface: {peer public key: fingerprint}}: whether both ends of a pair
    hold the same preshared key, told without the key leaving the host."""
    out = {}
    for ifname in interfaces:
        stored = preshared_keys.read_dir(preshared_keys.directory(CONFIG_DIR, ifname))
        if stored:
            out[ifname] = {peer: preshared_keys.fingerprint(key) for peer, key in stored.items()}
    return out


def managed_interfaces():
    """The interfaces whose wg-quick file starts with our header."""
    return sorted(ifname for ifname in map(paths.interface_of, files.list_dir(CONFIG_DIR)) if ifname
                  and interface_config.HEADER in (files.read_text(paths.config_path(ifname, CONFIG_DIR)) or "").split("\n", 1)[0])


def networkmanager_interfaces():
    """The interfaces whose NetworkManager keyfile this collection wrote (its
    file name and its uuid both say so)."""
    directory = nm_keyfile.CONNECTION_DIR
    return sorted(ifname for ifname in map(nm_keyfile.interface_of, files.list_dir(directory)) if ifname
                  and nm_keyfile.is_ours(ifname, files.read_text(nm_keyfile.path(ifname, directory))))


def has_candidate(run, package):
    """Whether apt can install the package (Debian 11 has no wireguard-go, for one)."""
    rc, out = run("apt_policy", check=False, package=package)
    candidates = [line.split(":", 1)[1].strip() for line in out.splitlines() if line.strip().startswith("Candidate:")]
    return rc == 0 and bool(candidates) and candidates[0] != "(none)"


class Platform(Operation):
    reports_actions = False

    def plan(self):
        run = self.run
        distribution, major = install_plan.parse_os_release(files.read_text(OS_RELEASE))
        out = run("dpkg_status", check=False, format="${Package} ${db:Status-Abbrev}\n",
                  packages=[install_plan.TOOLS, install_plan.USERSPACE, install_plan.DKMS, "openresolv"])[1]
        facts = dict(
            module_loaded=os.path.isdir(MODULE_DIR),
            module_available=run("modinfo_version", check=False, module="wireguard")[0] == 0,
            container=container_kind(run),
            kernel_release=(files.read_text(KERNEL_RELEASE) or "").strip(),
            distribution=distribution,
            distribution_major=major,
            installed=install_plan.parse_dpkg_query(out),
            dns=self.params["dns"],
            firewall_tool=self.params["firewall_tool"],
            has_firewall_tool=run.has("iptables") or run.has("nft"),
        )
        ufw_active = ufw.is_active(run("ufw_status", check=False)[1])
        routing_managed = any(os.path.exists(p) for p in (forwarding.SYSCTL_FILE, nat.UNIT_PATH, nat.SCRIPT_PATH))
        managed = managed_interfaces()
        decision = install_plan.decide(facts)
        # with backports not enabled yet, apt cannot know; the install task will tell
        decision["unavailable"] = [] if decision["backports"] else [p for p in decision["missing"] if not has_candidate(run, p)]
        nm_managed = networkmanager_interfaces()
        self.result = dict(decision, ufw_active=ufw_active, routing_managed=routing_managed, managed_interfaces=managed,
                           networkmanager_interfaces=nm_managed,
                           preshared_key_fingerprints=preshared_key_fingerprints(sorted(set(managed) | set(nm_managed))))
