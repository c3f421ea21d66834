#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: platform
short_description: Decide how a host runs WireGuard and which packages that takes
version_added: 0.1.0
description:
  - Looks at what the kernel can do (module loaded, module shipped, container, kernel version), not at a
    list of distributions, and returns the method (V(kernel), V(dkms) or V(userspace)) with the packages
    it needs and which of them are missing.
  - Also tells whether ufw is active and whether forwarding or NAT of ours is in place, so the role can skip
    M(fleetnet.wireguard.routing) where there is nothing to do.
  - Read-only.
author:
  - fleetnet.wireguard maintainers (@fleetnet)
extends_documentation_fragment:
  - fleetnet.wireguard.attributes.info_module
attributes:
  platform:
    platforms: debian
options:
  dns:
    description: The host's interfaces set C(DNS), so C(resolvconf) is needed.
    type: bool
    default: false
  firewall_tool:
    description: The host needs iptables or nftables (an egress gateway, or a default route in AllowedIPs, which
      wg-quick handles with packet marks); iptables is installed unless one of them is there.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Decide how this host runs WireGuard
  fleetnet.wireguard.platform:
  register: wg_platform

- name: Install what is missing
  ansible.builtin.apt:
    name: "{{ wg_platform.missing }}"
    install_recommends: false
  when: wg_platform.missing | length > 0
"""

RETURN = r"""
method:
  description: V(kernel), V(dkms) or V(userspace) (wireguard-go).
  returned: always
  type: str
reason:
  description: Why, in words.
  returned: always
  type: str
packages:
  description: The packages this host needs.
  returned: always
  type: list
  elements: str
missing:
  description: The packages of RV(packages) that are not installed.
  returned: always
  type: list
  elements: str
backports:
  description: Whether the packages come from buster-backports.
  returned: always
  type: bool
unavailable:
  description: The packages of RV(missing) that apt has no candidate for (such as wireguard-go on Debian 11).
  returned: always
  type: list
  elements: str
managed_interfaces:
  description: The interfaces whose wg-quick file this collection wrote (so one the inventory dropped can be removed).
  returned: always
  type: list
  elements: str
preshared_key_fingerprints:
  description:
    - For each managed interface, the fingerprint (16 hex digits of a SHA-256) of each stored preshared key, by peer public key.
      Both ends of a pair agree when their fingerprints match; the keys themselves are never returned.
  returned: always
  type: dict
  sample: {"wg0": {"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=": "3f1c9a0b2d4e6f70"}}
ufw_active:
  description: Whether ufw is installed and active.
  returned: always
  type: bool
routing_managed:
  description: Whether forwarding or NAT set up by M(fleetnet.wireguard.routing) is in place (so it may need removing).
  returned: always
  type: bool
"""

import os
import platform

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetnet.wireguard.plugins.module_utils import files, forwarding, install_plan, interface_config, nat, paths, preshared_keys, ufw


def container_kind(module):
    detect = module.get_bin_path("systemd-detect-virt")
    if detect:
        rc, out, dummy = module.run_command([detect, "--container"])
        if rc == 0 and out.strip() not in ("", "none"):
            return out.strip()
    for marker, kind in (("/.dockerenv", "docker"), ("/run/.containerenv", "podman"), ("/proc/vz", "openvz")):
        if os.path.exists(marker) and not (marker == "/proc/vz" and os.path.exists("/proc/bc")):
            return kind
    return None


def preshared_key_fingerprints(interfaces):
    """{interface: {peer public key: fingerprint}}: whether both ends of a pair
    hold the same preshared key, told without the key leaving the host."""
    out = {}
    for ifname in interfaces:
        stored = preshared_keys.read_dir(preshared_keys.directory(paths.CONFIG_DIR, ifname))
        if stored:
            out[ifname] = {peer: preshared_keys.fingerprint(key) for peer, key in stored.items()}
    return out


def has_candidate(module, package):
    """Whether apt can install the package (Debian 11 has no wireguard-go, for one)."""
    rc, out, dummy = module.run_command(["apt-cache", "policy", package])
    candidates = [line.split(":", 1)[1].strip() for line in out.splitlines() if line.strip().startswith("Candidate:")]
    return rc == 0 and bool(candidates) and candidates[0] != "(none)"


def main():
    module = AnsibleModule(argument_spec=dict(dns=dict(type="bool", default=False), firewall_tool=dict(type="bool", default=False)),
                           supports_check_mode=True)
    try:
        with open("/etc/os-release") as handle:
            distribution, major = install_plan.parse_os_release(handle.read())
    except OSError:
        distribution, major = "", 0
    modinfo = module.get_bin_path("modinfo")
    module_available = bool(modinfo) and module.run_command([modinfo, "-F", "version", "wireguard"])[0] == 0
    rc, out, dummy = module.run_command(["dpkg-query", "-W", "-f", "${Package} ${db:Status-Abbrev}\n",
                                         install_plan.TOOLS, install_plan.USERSPACE, install_plan.DKMS, "openresolv"])
    facts = dict(
        module_loaded=os.path.isdir("/sys/module/wireguard"),
        module_available=module_available,
        container=container_kind(module),
        kernel_release=platform.release(),
        distribution=distribution,
        distribution_major=major,
        installed=install_plan.parse_dpkg_query(out),
        dns=module.params["dns"],
        firewall_tool=module.params["firewall_tool"],
        has_firewall_tool=bool(module.get_bin_path("iptables") or module.get_bin_path("nft")),
    )
    ufw_bin = module.get_bin_path("ufw")
    ufw_active = bool(ufw_bin) and ufw.is_active(module.run_command([ufw_bin, "status"])[1])
    routing_managed = any(os.path.exists(p) for p in (forwarding.SYSCTL_FILE, nat.UNIT_PATH, nat.SCRIPT_PATH))
    managed = sorted(ifname for ifname in map(paths.interface_of, files.list_dir(paths.CONFIG_DIR)) if ifname
                     and interface_config.HEADER in (files.read_text(paths.config_path(ifname)) or "").split("\n", 1)[0])
    decision = install_plan.decide(facts)
    # with backports not enabled yet, apt cannot know; the install task will tell
    decision["unavailable"] = [] if decision["backports"] else [p for p in decision["missing"] if not has_candidate(module, p)]
    module.exit_json(changed=False, ufw_active=ufw_active, routing_managed=routing_managed, managed_interfaces=managed,
                     preshared_key_fingerprints=preshared_key_fingerprints(managed), **decision)


if __name__ == "__main__":
    main()
