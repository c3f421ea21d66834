# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The key store's default place, for the role's defaults and the status
playbook alike (module_utils/paths.py holds the name)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: key_store_dir
version_added: 0.1.0
short_description: The default directory of the controller's WireGuard key store
description:
  - Returns C(<inventory dir>/.wireguard), or C(<playbook dir>/.wireguard) when the inventory has no
    directory (an inline host list).
  - The default of O(fleetnet.wireguard.wireguard#role:main:wireguard_controller_dir) and of the status
    playbook's key store, so both find the same keys.
  - Takes no terms.
author:
  - fleetnet.wireguard maintainers (@fleetnet)
"""

EXAMPLES = r"""
- name: Show where the keys are kept
  ansible.builtin.debug:
    msg: "{{ lookup('fleetnet.wireguard.key_store_dir') }}"
"""

RETURN = r"""
_raw:
  description: The key store directory, one element.
  type: list
  elements: path
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.fleetnet.wireguard.plugins.module_utils import paths


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        if terms:
            raise AnsibleLookupError("key_store_dir takes no terms")
        variables = variables or {}
        base = variables.get("inventory_dir") or variables.get("playbook_dir")
        if not base:
            raise AnsibleLookupError("neither inventory_dir nor playbook_dir is known")
        return [paths.key_store(str(base))]
