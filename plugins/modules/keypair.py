#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: keypair
short_description: Make sure a WireGuard private key exists on the host
version_added: 0.1.0
description:
  - Keeps a WireGuard private key in a file on the managed host, generated there, and returns its public key.
  - The private key never leaves the host and never appears in the module's result, its diff or its logs.
  - The key file is written atomically with mode C(0600) inside a directory with mode C(0700).
  - When the key file does not exist but the interface's wg-quick file already has a C(PrivateKey),
    that key is adopted, so taking over a hand-written setup does not re-key it.
author:
  - fleetnet.wireguard maintainers (@fleetnet)
extends_documentation_fragment:
  - fleetnet.wireguard.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows public keys only.
  platform:
    platforms: posix
options:
  interface:
    description: The WireGuard interface the key belongs to; names the default O(path) and O(config_path).
    type: str
    default: wg0
  path:
    description: Where the private key is kept. Default C(/etc/wireguard/<interface>.key).
    type: path
  config_path:
    description: The wg-quick file whose C(PrivateKey) is adopted when O(path) does not exist yet. Default
      C(/etc/wireguard/<interface>.conf); an empty string never adopts.
    type: path
  regenerate:
    description:
      - V(never) keeps an existing key and fails if the file is not a valid key.
      - V(full_idempotence) replaces a file that is not a valid key.
      - V(always) makes a new key on every run (key rotation); the module then always reports a change.
    type: str
    choices: [never, full_idempotence, always]
    default: never
"""

EXAMPLES = r"""
- name: Ensure wg0 has a key and learn its public key
  fleetnet.wireguard.keypair:
    interface: wg0
  register: wg0_key

- name: Rotate the key of wg1
  fleetnet.wireguard.keypair:
    interface: wg1
    regenerate: always
"""

RETURN = r"""
public_key:
  description: The public key (base64). Empty in check mode when a key would be generated.
  returned: always
  type: str
  sample: xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=
previous_public_key:
  description: The public key the host had before a new key replaced it.
  returned: when the key was replaced
  type: str
path:
  description: The key file.
  returned: always
  type: str
  sample: /etc/wireguard/wg0.key
action:
  description: What was done, V(keep), V(generate) or V(adopt) (taken from the existing wg-quick file).
  returned: always
  type: str
  sample: keep
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetnet.wireguard.plugins.module_utils import keyfile
from ansible_collections.fleetnet.wireguard.plugins.module_utils.keypair_apply import KeyPair
from ansible_collections.fleetnet.wireguard.plugins.module_utils.operation import execute


def main():
    module = AnsibleModule(
        argument_spec=dict(
            interface=dict(type="str", default="wg0"),
            path=dict(type="path"),
            config_path=dict(type="path"),
            regenerate=dict(type="str", default="never", choices=list(keyfile.REGENERATE)),
        ),
        supports_check_mode=True,
    )
    execute(module, KeyPair)


if __name__ == "__main__":
    main()
