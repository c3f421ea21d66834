#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: info
short_description: Read the live state of a host's WireGuard interfaces
version_added: 0.1.0
description:
  - Reads, never changes. For each interface it reports what C(wg show <if> dump) says (peers, handshakes,
    bytes each way), whether the link is up, whether it runs in the kernel or in userspace (wireguard-go),
    its addresses, the state of C(wg-quick@<if>), the wg-quick file on disk and how it differs from the live
    peers, and what else holds its UDP port.
  - For the host it reports the IP forwarding sysctls and whether a C(MASQUERADE) rule exists (asking
    C(iptables), C(ip6tables) and C(nft), whichever are installed).
  - Private keys and preshared keys are never returned; only whether they are set.
  - The playbook C(fleetnet.wireguard.status) runs it on every host and judges the links; see docs/status.md.
  - Needs root (C(wg show) needs CAP_NET_ADMIN).
author:
  - fleetnet.wireguard maintainers (@fleetnet)
extends_documentation_fragment:
  - fleetnet.wireguard.attributes.info_module
attributes:
  platform:
    platforms: posix
    details:
      - Linux with iproute2; wireguard-tools, systemd, ss, iptables and nft are used when present.
options:
  interfaces:
    description:
      - Interfaces to report even when they are absent (an expected interface that is down).
      - Interfaces that exist (C(wg show interfaces)) or have a file in O(config_dir) are always reported.
    type: list
    elements: str
    default: []
  config_dir:
    description: Where the wg-quick files are (C(<name>.conf)).
    type: path
    default: /etc/wireguard
"""

EXAMPLES = r"""
- name: Read the WireGuard state of the host
  fleetnet.wireguard.info:
    interfaces: [wg0]
  register: wg

- name: Show when each peer last shook hands
  ansible.builtin.debug:
    msg: "{{ wg.interfaces.wg0.peers | dict2items | map(attribute='value.handshake_age') }}"
"""

RETURN = r"""
now:
  description: The host's clock (epoch seconds) when it was read; handshake times are on this clock.
  returned: always
  type: int
forwarding:
  description: C(net.ipv4.ip_forward) and C(net.ipv6.conf.all.forwarding) (null when unreadable).
  returned: always
  type: dict
  sample: {ipv4: true, ipv6: false}
resolved:
  description:
    - The DNS names among the peers' endpoints in the wg-quick files, each with the addresses it resolves to on this
      host (an empty list when it does not resolve). wg resolves a name once, when it loads the file, and shows only
      the address; the status report tells by these whether a peer is reached at its site endpoint.
  returned: always
  type: dict
  sample: {st2.lab: ["192.168.50.12"]}
nat:
  description: Whether a MASQUERADE rule exists (null when no tool could be asked) and which tools answered.
  returned: always
  type: dict
  sample: {masquerade: true, sources: [iptables, nft]}
interfaces:
  description: One entry per interface.
  returned: always
  type: dict
  contains:
    exists:
      description: The link exists.
      type: bool
    up:
      description: The link is administratively up.
      type: bool
    implementation:
      description: V(kernel) (link kind wireguard) or V(userspace) (a tun device, wireguard-go).
      type: str
    mtu:
      description: The link MTU.
      type: int
    addresses:
      description: Global addresses with prefix length.
      type: list
      elements: str
    public_key:
      description: The interface's public key.
      type: str
    has_private_key:
      description: Whether a private key is loaded (the key itself is never returned).
      type: bool
    listen_port:
      description: The live UDP port.
      type: int
    peers:
      description: Live peers by public key, with endpoint, allowed_ips, latest_handshake (epoch, 0 = never),
        handshake_age (seconds, null = never), rx_bytes, tx_bytes, persistent_keepalive, has_preshared_key.
      type: dict
    service:
      description:
        - C(systemctl is-enabled) and C(is-active) of C(wg-quick@<name>) (null without systemd).
        - For an interface that is a NetworkManager connection this collection made (backend V(networkmanager)), the
          connection's instead, with C(backend=networkmanager); C(enabled) is its autoconnect, C(active) whether
          NetworkManager has it activated.
      type: dict
      sample: {unit: wg-quick@wg0, enabled: enabled, active: active}
    config:
      description: The wg-quick file without secrets (path, exists, error, addresses, listen_port, peers).
      type: dict
    config_drift:
      description: How the live interface differs from the file, one line each.
      type: list
      elements: str
    port_holders:
      description: Other sockets on the interface's UDP port (all sockets on it while the interface is down).
      type: list
      elements: dict
      sample: [{port: 51820, address: "0.0.0.0", process: "nc"}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetnet.wireguard.plugins.module_utils import paths
from ansible_collections.fleetnet.wireguard.plugins.module_utils.info_facts import Info
from ansible_collections.fleetnet.wireguard.plugins.module_utils.operation import execute


def main():
    module = AnsibleModule(
        argument_spec=dict(
            interfaces=dict(type="list", elements="str", default=[]),
            config_dir=dict(type="path", default=paths.CONFIG_DIR),
        ),
        supports_check_mode=True,
    )
    execute(module, Info)


if __name__ == "__main__":
    main()
