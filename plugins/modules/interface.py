#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: interface
short_description: Apply a whole WireGuard interface, live and on disk
version_added: 0.1.0
description:
  - Takes the desired state of one WireGuard interface (addresses, port, peers, options), writes its
    wg-quick file atomically with mode C(0600), and enables and starts C(wg-quick@<name>).
  - On an interface that is already up, changes are applied live with C(wg set) and C(ip) (peers,
    allowed IPs and their routes, addresses, MTU, listen port), so tunnels that did not change keep
    their sessions. The interface is restarted only for what nothing else can apply (hooks, DNS, Table,
    FwMark, a default route appearing or going away), and the result says so.
  - C(wg syncconf) is never used (it zeroes fields missing from its input and wipes every peer on empty input).
  - The private key stays in its own file (see M(fleetnet.wireguard.keypair)) and is loaded by the first
    C(PostUp), so the config file never holds it. So are preshared keys, each a C(0600) file in
    C(<config dir>/<name>.psk.d/), loaded by a second C(PostUp) and set live with C(wg set).
  - If applying fails (a hook fails, the interface does not come up, a command is refused), the previous
    file is put back and the previous interface restored, and the task fails with the reason. The rollback
    deletes a link only if this run created it.
  - A name that belongs to an existing link that is not WireGuard (such as V(eth0)) is refused before anything
    changes, in check mode too; with O(state=absent) such a link is left alone with a warning.
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
  name:
    description: Interface name, such as V(wg0).
    type: str
    required: true
  state:
    description: V(absent) stops and disables the service and removes the config and its routes. The key is kept unless O(remove_key).
    type: str
    choices: [present, absent]
    default: present
  addresses:
    description: Tunnel addresses with prefix length (C(Address)).
    type: list
    elements: str
    default: []
  listen_port:
    description: UDP port (C(ListenPort)). Omit for a random port.
    type: int
  private_key_path:
    description: The private key file, as kept by M(fleetnet.wireguard.keypair). Default C(/etc/wireguard/<name>.key).
    type: path
  config_path:
    description: The wg-quick file. Default C(/etc/wireguard/<name>.conf).
    type: path
  peers:
    description: Every peer of the interface; peers not listed are removed.
    type: list
    elements: dict
    default: []
    suboptions:
      public_key:
        description: The peer's public key.
        type: str
        required: true
      name:
        description: A label written as a comment above the peer.
        type: str
      endpoint:
        description: C(host:port) or C([v6]:port).
        type: str
      allowed_ips:
        description: Prefixes routed to this peer.
        type: list
        elements: str
        default: []
      persistent_keepalive:
        description: Seconds between keepalives; V(0) or unset for none.
        type: int
  preshared_keys:
    description:
      - Preshared keys to set, by peer public key (base64, 32 bytes, such as C(wg genpsk) makes). Never logged.
      - Each peer of the interface has a preshared key only if it is named here or in O(keep_preshared_keys);
        the others have none (a stored one is removed).
    type: dict
    default: {}
  keep_preshared_keys:
    description: Peers (public keys) that keep the preshared key already stored on the host; the task fails if there is none.
    type: list
    elements: str
    default: []
  new_preshared_keys:
    description:
      - Peers (public keys) that get a new preshared key from O(preshared_keys_file). In check mode, where no file is
        written, they count as changing; otherwise the task fails if the file lacks one of them.
    type: list
    elements: str
    default: []
  preshared_keys_file:
    description:
      - A file on the host with new preshared keys, one C(<peer public key> <preshared key>) line each, which the module
        reads and removes before anything else. M(fleetnet.wireguard.converge) writes it (mode C(0600), next to the
        config) through the connection's standard input, so a key is never a task or module argument nor in any
        temp file, whatever the pipelining setting. The keys are added to O(preshared_keys).
    type: path
  mtu:
    description: Interface MTU.
    type: int
  dns:
    description: C(DNS) servers and search domains (needs resolvconf on the host).
    type: list
    elements: str
  table:
    description: C(Table) for wg-quick routes (V(auto), V(off), a number or a name).
    type: str
  fwmark:
    description: C(FwMark).
    type: str
  pre_up:
    description: C(PreUp) commands.
    type: list
    elements: str
  post_up:
    description: C(PostUp) commands, run after the one that loads the private key.
    type: list
    elements: str
  pre_down:
    description: C(PreDown) commands.
    type: list
    elements: str
  post_down:
    description: C(PostDown) commands.
    type: list
    elements: str
  enabled:
    description: Start the interface at boot.
    type: bool
    default: true
  remove_key:
    description: With O(state=absent), delete the private key file too.
    type: bool
    default: false
  backend:
    description:
      - What keeps the interface. V(wg-quick) is the wg-quick file and C(wg-quick@<name>).
      - V(networkmanager) makes it a NetworkManager connection (a laptop's desktop shows it), whose keyfile
        C(/etc/NetworkManager/system-connections/fleetnet-<name>.nmconnection) (mode C(0600), root) holds the keys,
        with C(autoconnect). A change is written and loaded with C(nmcli connection load); on an active connection, a
        change of peers, keys or the listen port then goes on live with C(wg set) and the routes NetworkManager adds
        for allowed IPs (no reapply, so unchanged peers keep their sessions), other changes with
        C(nmcli device reapply); only an MTU change activates the connection again. O(state=absent) deletes only
        the connection this collection made. NetworkManager must be installed and running (nothing is installed),
        and the kernel must have WireGuard (NetworkManager does not use wireguard-go). O(pre_up), O(post_up),
        O(pre_down), O(post_down) and O(table) are refused. O(config_path) only places the preshared key files.
      - See docs/networkmanager.md.
    type: str
    choices: [wg-quick, networkmanager]
    default: wg-quick
"""

EXAMPLES = r"""
- name: A two-peer interface
  fleetnet.wireguard.interface:
    name: wg0
    addresses: [10.10.0.1/24, fd86:ea04:1111::1/64]
    listen_port: 51820
    peers:
      - name: vps3
        public_key: HXuu2SFfqOSN2iifw3Mh7J6rDRMjIXAR3wQvkyYrKyA=
        endpoint: 198.51.100.3:51820
        allowed_ips: [10.10.0.3/32, fd86:ea04:1111::3/128]
      - name: phone
        public_key: ugpA/M4UKHyPX9ymXI2ntHJ+uHbdUpK6duGnjj9QGnI=
        allowed_ips: [10.10.0.2/32, fd86:ea04:1111::2/128]

- name: Remove wg1 but keep its key
  fleetnet.wireguard.interface:
    name: wg1
    state: absent
"""

RETURN = r"""
config_changed:
  description: Whether the wg-quick file (or the NetworkManager keyfile) was (or would be) rewritten.
  returned: always
  type: bool
preshared_keys_changed:
  description: Whether a preshared key file was (or would be) written or removed.
  returned: always
  type: bool
restarted:
  description: Whether the interface was (or would be) restarted; see RV(restart_reason).
  returned: always
  type: bool
restart_reason:
  description: Why a restart was needed.
  returned: when restarted
  type: str
  sample: PostUp changed
started:
  description: Whether the interface was (or would be) brought up from down.
  returned: always
  type: bool
actions:
  description: What was (or would be) done, one line each. Holds public keys only.
  returned: always
  type: list
  elements: str
  sample: ["add peer xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=", "route 10.10.0.3/32"]
public_key:
  description: The interface's public key.
  returned: when state=present and the key file exists
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetnet.wireguard.plugins.module_utils import host_args, interface_apply, nm_apply, preshared_keys
from ansible_collections.fleetnet.wireguard.plugins.module_utils.operation import execute


def main():
    module = AnsibleModule(argument_spec=host_args.INTERFACE, supports_check_mode=True)
    if module.params["preshared_keys_file"]:
        # first of all: the file must not outlive this task, whatever fails next
        try:
            staged = preshared_keys.take_staged(module.params["preshared_keys_file"])
        except (OSError, ValueError) as exc:
            module.fail_json(msg=str(exc))
        module.no_log_values.update(staged.values())  # masked in any output, as no_log arguments are
        module.params["preshared_keys"] = dict(module.params["preshared_keys"], **staged)
    execute(module, nm_apply.operation if module.params["backend"] == "networkmanager" else interface_apply.operation)


if __name__ == "__main__":
    main()
