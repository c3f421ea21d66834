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
networkmanager_interfaces:
  description:
    - The interfaces whose NetworkManager connection this collection made (backend V(networkmanager)), so one the
      inventory dropped, or one the host's backend no longer is, can be removed.
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

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetnet.wireguard.plugins.module_utils.operation import execute
from ansible_collections.fleetnet.wireguard.plugins.module_utils.platform_facts import Platform


def main():
    module = AnsibleModule(argument_spec=dict(dns=dict(type="bool", default=False), firewall_tool=dict(type="bool", default=False)),
                           supports_check_mode=True)
    execute(module, Platform)


if __name__ == "__main__":
    main()
