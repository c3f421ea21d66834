#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: routing
short_description: The host around the tunnel - IP forwarding, egress MASQUERADE and ufw rules
version_added: 0.1.0
description:
  - Enables IPv4 and IPv6 forwarding on hosts whose interfaces route for others (hubs, gateways), persisted in
    C(/etc/sysctl.d/90-fleetnet-wireguard.conf) and applied now. Hosts that do not route are left alone; only
    that file of ours is removed when a host stops routing.
  - On egress gateways, MASQUERADEs tunnel traffic on the uplink (the device of the default route unless set),
    IPv4 and IPv6, with nftables if the host uses it, else iptables. The rules are kept by the systemd unit
    C(fleetnet-wireguard-nat.service), so they come back at boot, survive interface restarts, are never duplicated,
    and are removed when no interface is a gateway any more.
  - Where ufw is active, allows each listen port, routing between tunnel peers on hubs and from the tunnel to
    the uplink on gateways. Hosts without ufw, or with ufw inactive, are left alone.
  - Everything is done in one call, so a host costs one round trip.
author:
  - fleetnet.wireguard maintainers (@fleetnet)
extends_documentation_fragment:
  - fleetnet.wireguard.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: debian
options:
  interfaces:
    description: The host's WireGuard interfaces.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Interface name.
        type: str
        required: true
      port:
        description: Its listen port (opened in ufw).
        type: int
      forwarding:
        description: The interface routes between peers (a hub, or a host with prefixes behind it).
        type: bool
        default: false
      gateway:
        description: Tunnel traffic leaves to the internet through this host.
        type: bool
        default: false
      prefixes:
        description: The tunnel prefixes to MASQUERADE on a gateway.
        type: list
        elements: str
        default: []
  uplink:
    description: The IPv4 uplink device of a gateway. Default, the device of the default route.
    type: str
  uplink6:
    description: The IPv6 uplink device of a gateway. Default, the device of the IPv6 default route, else O(uplink).
    type: str
  ufw_active:
    description:
      - Whether ufw is active, as M(fleetnet.wireguard.platform) read it earlier in the same run, so ufw is asked
        once per run. Default, read it here.
    type: bool
"""

EXAMPLES = r"""
- name: A hub that is also the egress gateway of its spokes
  fleetnet.wireguard.routing:
    interfaces:
      - name: wg0
        port: 51820
        forwarding: true
        gateway: true
        prefixes: [10.10.0.0/24, fd86:ea04:1111::/64]
"""

RETURN = r"""
actions:
  description: What was (or would be) done, one line each.
  returned: always
  type: list
  elements: str
forwarding:
  description: Whether the host forwards.
  returned: always
  type: bool
nat_backend:
  description: V(iptables) or V(nftables), on a gateway.
  returned: when a gateway
  type: str
uplink:
  description: The IPv4 uplink used for MASQUERADE.
  returned: when a gateway
  type: str
ufw_active:
  description: Whether ufw was found active.
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetnet.wireguard.plugins.module_utils import host_args
from ansible_collections.fleetnet.wireguard.plugins.module_utils.operation import execute
from ansible_collections.fleetnet.wireguard.plugins.module_utils.routing_apply import Routing


def main():
    module = AnsibleModule(argument_spec=host_args.ROUTING, supports_check_mode=True)
    execute(module, Routing)


if __name__ == "__main__":
    main()
