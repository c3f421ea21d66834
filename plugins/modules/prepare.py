#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: prepare
short_description: Inspect a WireGuard host and ensure its private keys, in one call
version_added: 0.1.0
description:
  - What M(fleetnet.wireguard.platform), M(fleetnet.wireguard.dkms_reload) and M(fleetnet.wireguard.keypair) do, in
    one module execution on the host, so preparing a host costs one round trip. M(fleetnet.wireguard.converge) runs it
    (with O(fleetnet.wireguard.converge#module:stage=prepare)) and installs what it reports missing.
  - Inspects the host (read-only, as M(fleetnet.wireguard.platform)).
  - On a host that builds WireGuard with DKMS, loads a rebuilt module (as M(fleetnet.wireguard.dkms_reload)), unless
    packages are still to be installed (M(fleetnet.wireguard.converge) does it after installing them).
  - Ensures each interface's private key (as M(fleetnet.wireguard.keypair), with the default paths). The private keys
    never appear in the result. With O(install) and a package the release does not have (C(unavailable) in RV(platform)),
    no key is made (the host cannot run WireGuard).
author:
  - fleetnet.wireguard maintainers (@fleetnet)
extends_documentation_fragment:
  - fleetnet.wireguard.attributes
  - fleetnet.wireguard.attributes.packages
attributes:
  check_mode:
    support: full
    details:
      - A key that would be made is not made; its public key is then empty.
  diff_mode:
    support: full
    details:
      - The diffs of the keys (public keys only) and of the DKMS reload.
  platform:
    platforms: debian
options:
  interfaces:
    description: The interfaces whose private keys to ensure.
    type: list
    elements: str
    default: []
  regenerate:
    description: The O(fleetnet.wireguard.keypair#module:regenerate) policy for the keys.
    type: str
    choices: [never, full_idempotence, always]
    default: never
"""

EXAMPLES = r"""
- name: Inspect the host and ensure the key of wg0
  fleetnet.wireguard.prepare:
    interfaces: [wg0]
  register: prepared

- name: Install what is missing
  ansible.builtin.apt:
    name: "{{ prepared.platform.missing }}"
    install_recommends: false
  when: prepared.platform.missing | length > 0
"""

RETURN = r"""
platform:
  description: What M(fleetnet.wireguard.platform) returns (method, packages, missing, unavailable, ufw_active,
    managed_interfaces, preshared_key_fingerprints and the rest).
  returned: always
  type: dict
public_keys:
  description: Each interface's public key (empty in check mode for a key not made yet).
  returned: always
  type: dict
  sample: {"wg0": "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="}
key_actions:
  description: What was (or would be) done per interface's key (V(keep), V(generate), V(adopt)).
  returned: always
  type: dict
rekeyed:
  description: Whether any interface got a new key.
  returned: always
  type: bool
steps:
  description: Each step that ran, and whether it changed something.
  returned: always
  type: list
  elements: str
  sample: ["inspect the host: ok", "private key of wg0: ok"]
step:
  description: The step that failed.
  returned: failure
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetnet.wireguard.plugins.module_utils import host_args, keyfile
from ansible_collections.fleetnet.wireguard.plugins.module_utils.host_prepare import Prepare
from ansible_collections.fleetnet.wireguard.plugins.module_utils.operation import execute


def main():
    module = AnsibleModule(
        argument_spec=dict(
            interfaces=dict(type="list", elements="str", default=[]),
            regenerate=dict(type="str", default="never", choices=list(keyfile.REGENERATE)),
            **host_args.PACKAGES
        ),
        supports_check_mode=True,
    )
    execute(module, Prepare)


if __name__ == "__main__":
    main()
