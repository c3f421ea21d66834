#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: peer
short_description: Add, change or remove one peer of a WireGuard interface, live and in its config
version_added: 0.1.0
description:
  - Adds, updates or removes one C([Peer]) of an interface, both on the running interface (C(wg set), and
    C(ip route) for its allowed IPs, the way wg-quick routes them) and in its wg-quick file.
  - Only that peer's lines of the file are rewritten; the rest of the file, comments included, is kept
    as it is. The file is written atomically with mode C(0600).
  - Other peers and their sessions are not touched. Options that are left out keep the peer's current value.
  - Made for ad hoc use (C(ansible -m fleetnet.wireguard.peer)). On an interface managed by the
    C(fleetnet.wireguard.wireguard) role the next run of the role puts the inventory's peers back; the
    module warns about it.
  - An exact allowed-IPs prefix that another peer already has is refused (WireGuard would silently move it).
  - If applying fails, the previous file is put back and the peer returned to its previous live state.
  - An interface kept as a NetworkManager connection (the role's C(wireguard_backend=networkmanager)) has no
    wg-quick file, so the module refuses it and changes nothing; give the peer in the inventory and run the role, which
    changes the connection live.
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
      - The diff is of the wg-quick file, with secrets redacted.
  platform:
    platforms: posix
options:
  interface:
    description: The WireGuard interface, such as V(wg0). Its config file must exist.
    type: str
    default: wg0
  public_key:
    description: The peer's public key.
    type: str
    required: true
  state:
    description: V(absent) removes the peer and the routes only it had.
    type: str
    choices: [present, absent]
    default: present
  allowed_ips:
    description:
      - Prefixes routed to the peer (C(AllowedIPs)). Replaces the peer's list; V([]) empties it.
      - Left out, an existing peer keeps its list and a new peer gets none.
    type: list
    elements: str
  endpoint:
    description:
      - C(host:port) or C([v6]:port); a missing port means 51820. An empty string removes it.
      - Without an endpoint the peer's live endpoint (where it last spoke from) is left alone.
    type: str
  persistent_keepalive:
    description: Seconds between keepalives; V(0) turns them off.
    type: int
  name:
    description: A label written as a comment above the peer's section.
    type: str
  config_path:
    description: The wg-quick file. Default C(/etc/wireguard/<interface>.conf).
    type: path
"""

EXAMPLES = r"""
- name: Give a laptop access through wg0
  fleetnet.wireguard.peer:
    interface: wg0
    public_key: HXuu2SFfqOSN2iifw3Mh7J6rDRMjIXAR3wQvkyYrKyA=
    allowed_ips: [10.10.0.9/32]
    persistent_keepalive: 25
    name: laptop

- name: Point a peer at its new address, nothing else changes
  fleetnet.wireguard.peer:
    public_key: HXuu2SFfqOSN2iifw3Mh7J6rDRMjIXAR3wQvkyYrKyA=
    endpoint: 198.51.100.7:51820

- name: Remove it
  fleetnet.wireguard.peer:
    public_key: HXuu2SFfqOSN2iifw3Mh7J6rDRMjIXAR3wQvkyYrKyA=
    state: absent

# ad hoc:
# ansible vps1 -b -m fleetnet.wireguard.peer -a 'interface=wg0 public_key=HXuu...KyA= allowed_ips=10.10.0.9/32'
"""

RETURN = r"""
config_changed:
  description: Whether the wg-quick file was (or would be) rewritten.
  returned: always
  type: bool
restarted:
  description: Whether the interface was (or would be) restarted (only when a default route appears or goes away).
  returned: always
  type: bool
restart_reason:
  description: Why a restart was needed.
  returned: when restarted
  type: str
actions:
  description: What was (or would be) done, one line each.
  returned: always
  type: list
  elements: str
  sample: ["add peer HXuu2SFfqOSN2iifw3Mh7J6rDRMjIXAR3wQvkyYrKyA=", "route 10.20.0.0/24"]
peer:
  description: The peer as the file has it afterwards; null once removed.
  returned: always
  type: dict
  sample:
    public_key: HXuu2SFfqOSN2iifw3Mh7J6rDRMjIXAR3wQvkyYrKyA=
    name: laptop
    endpoint: null
    allowed_ips: [10.10.0.9/32]
    persistent_keepalive: 25
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetnet.wireguard.plugins.module_utils.operation import execute
from ansible_collections.fleetnet.wireguard.plugins.module_utils.peer_apply import Peer


def main():
    module = AnsibleModule(
        argument_spec=dict(
            interface=dict(type="str", default="wg0"),
            public_key=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            allowed_ips=dict(type="list", elements="str"),
            endpoint=dict(type="str"),
            persistent_keepalive=dict(type="int"),
            name=dict(type="str"),
            config_path=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    execute(module, Peer)


if __name__ == "__main__":
    main()
