#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dkms_reload
short_description: Load a rebuilt wireguard-dkms module without rebooting
version_added: 0.1.0
description:
  - On hosts that build WireGuard with DKMS (kernels before 5.6, such as Debian 10's), compares the loaded
    module's version (C(/sys/module/wireguard/version)) with the installed one (C(modinfo -F version wireguard)).
  - When they differ, stops the active C(wg-quick@) interfaces, unloads and loads the module and starts them
    again (a short interruption of those tunnels), instead of asking for a reboot.
  - Removes C(/run/reboot-required) and C(/run/reboot-required.pkgs) only when C(wireguard-dkms) is the only
    package that asked for the reboot.
author:
  - fleetnet.wireguard maintainers (@fleetnet)
extends_documentation_fragment:
  - fleetnet.wireguard.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: debian
options: {}
notes:
  - The decision is unit-tested for every branch; a real DKMS rebuild cannot run in the project's CI containers.
"""

EXAMPLES = r"""
- name: Load the module wireguard-dkms just built
  fleetnet.wireguard.dkms_reload:
"""

RETURN = r"""
action:
  description: V(none), V(load) or V(reload).
  returned: always
  type: str
restarted:
  description: The interfaces stopped and started around the reload.
  returned: always
  type: list
  elements: str
reboot_flag_cleared:
  description: Whether the reboot request was removed.
  returned: always
  type: bool
reason:
  description: Why, in words.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetnet.wireguard.plugins.module_utils.dkms_apply import DkmsReload
from ansible_collections.fleetnet.wireguard.plugins.module_utils.operation import execute


def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    execute(module, DkmsReload)


if __name__ == "__main__":
    main()
