#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet
short_description: Validate a WireGuard inventory and plan every host's interfaces
version_added: 0.1.0
description:
  - Runs on the controller only (an action plugin); run it once per play with C(run_once).
  - Reads the C(wireguard_*) variables of every host of O(group) from the inventory, not only of the
    hosts in the play, so a run with C(--limit) still computes complete peer lists.
  - With O(stage=validate) it checks the inventory (values, and what the peers would be with the keys known so far)
    and fails with one line per problem, naming the host, the variable and the fix, before any host is touched.
  - With O(stage=plan) it also stores the public keys the keypair task reported under O(key_dir),
    reads the keys of hosts outside the play from there, makes keys for unmanaged devices (kept under
    O(key_dir)C(/private/), never printed), writes their app-safe configs and QR codes under O(key_dir)C(/export/),
    decides which pairs get a new preshared key, and returns for each host the arguments of
    M(fleetnet.wireguard.interface) and M(fleetnet.wireguard.routing).
  - Everything between reading and writing the key store is one function, C(pipeline.run) in the collection's
    C(module_utils), which the collection's tests and benchmarks call too.
author:
  - fleetnet.wireguard maintainers (@fleetnet)
extends_documentation_fragment:
  - fleetnet.wireguard.attributes
attributes:
  check_mode:
    support: full
    details:
      - In check mode nothing is written under O(key_dir); no key is made, and peers whose key does not exist yet are
        left out of the plan (with a warning naming them), as they are in a run with C(--limit) that leaves them out.
  diff_mode:
    support: none
  platform:
    platforms: posix
    details:
      - Runs on the controller.
options:
  group:
    description: The inventory group whose hosts make up the WireGuard fleet.
    type: str
    default: wireguard
  stage:
    description: V(validate) checks the inventory only; V(plan) resolves keys and computes peers as well.
    type: str
    choices: [validate, plan]
    default: plan
  key_dir:
    description: The controller directory of the key store (C(public/<interface>/<host>.pub), and C(private/) for unmanaged devices).
      Required with O(stage=plan); with O(stage=validate), its public keys are checked for duplicates.
    type: path
  register:
    description:
      - The names under which hosts' public keys were registered, by the O(fleetnet.wireguard.converge#module:stage=prepare)
        task (RV(fleetnet.wireguard.converge#module:public_keys)) or by a M(fleetnet.wireguard.keypair) task looped over
        interfaces. For each host the last name that holds a result counts; a skipped task's result counts as none,
        and a host with none is planned from the key store.
    type: list
    elements: str
    default: [wireguard__host]
  prepared_again:
    description:
      - With O(stage=plan), results of the M(fleetnet.wireguard.converge) prepare stage looped over hosts with
        C(delegate_to) (the role's fallback), each naming its host as C(item); for those hosts they win over what
        O(register) names.
    type: list
    elements: dict
    default: []
  as_json:
    description:
      - Return each host's RV(plan), RV(routing), RV(preshared_keys) and RV(public_keys) as one JSON string each. At hundreds of hosts
        Ansible copies a registered result far faster as one string per host than as nested data;
        M(fleetnet.wireguard.converge) takes either form.
      - Each host's RV(plan) then lists its peers as line numbers of RV(peer_table), which holds each distinct peer
        entry once (in a full mesh of N hosts, N entries instead of N x (N - 1)); the filter
        P(fleetnet.wireguard.host_plan#filter) gives one host's plan back whole.
    type: bool
    default: false
  hosts:
    description: The hosts whose keypair results to read; defaults to every host of the play.
    type: list
    elements: str
  removal_limit:
    description:
      - With O(stage=validate), how many hosts the run may remove (hosts in the key store under O(key_dir) that are
        gone from the inventory, and hosts that lose an interface) before it stops and names them. It also stops when
        the hosts gone are at least half of the hosts in the key store. See docs/safety.md.
      - A whole number. Taken as given (C(raw)), so that the role's C(wireguard_removal_limit) of a wrong type is
        reported by the inventory check, naming the host and the variable.
    type: raw
    default: 2
  confirm_removal:
    description:
      - Hosts whose removal is confirmed for this run, beyond O(removal_limit); a list, or one string of names
        separated by commas (as C(-e wireguard_confirm_removal=vps4,vps5) gives it).
    type: raw
    default: []
  shown_warnings:
    description:
      - Warnings already shown in this run, such as the RV(inventory_warnings) of the O(stage=validate) task before it;
        they are not shown again. The plan stage repeats the validate stage's checks; the role passes this so that each
        warning is shown once per run, before any host is touched.
    type: list
    elements: str
    default: []
  rotate_preshared_keys:
    description:
      - With O(stage=plan), hosts whose pairs get a new preshared key even when both ends hold the same one
        (C(wireguard_rotate_preshared_keys) of the role).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Check the inventory before touching any host
  fleetnet.wireguard.fleet:
    stage: validate
  run_once: true
"""

RETURN = r"""
changed:
  description: Whether the key store under O(key_dir) was (or, in check mode, would be) written.
  returned: always
  type: bool
plan:
  description:
    - For each host, for each interface, exactly the arguments of M(fleetnet.wireguard.interface) (without the
      preshared keys, see RV(preshared_keys)); for an unmanaged device, what its exported config holds.
    - With O(as_json), each host's value is that dict as a JSON string, its C(peers) line numbers of RV(peer_table).
  returned: with stage=plan
  type: dict
  sample: {"vps1": {"wg0": {"name": "wg0", "addresses": ["10.10.0.1/24"], "listen_port": 51820,
    "peers": [{"name": "vps2", "public_key": "HXuu2SFfqOSN2iifw3Mh7J6rDRMjIXAR3wQvkyYrKyA=",
    "endpoint": "198.51.100.2:51820", "allowed_ips": ["10.10.0.2/32"], "persistent_keepalive": null}]}}}
peer_table:
  description:
    - With O(as_json), for each interface, its distinct peer entries, one JSON object per line (the first line is
      number 0). P(fleetnet.wireguard.host_plan#filter) puts them back into a host's plan.
  returned: with stage=plan and as_json
  type: dict
  sample: {"wg0": '{"allowed_ips": ["10.10.0.2/32"], "endpoint": "198.51.100.2:51820", "name": "vps2",
    "persistent_keepalive": null, "public_key": "HXuu2SFfqOSN2iifw3Mh7J6rDRMjIXAR3wQvkyYrKyA="}'}
routing:
  description:
    - For each managed host, the O(fleetnet.wireguard.routing#module:interfaces) argument of M(fleetnet.wireguard.routing)
      (one entry per interface, with whether it forwards and whether it is an egress gateway).
    - With O(as_json), each host's value is that list as a JSON string.
  returned: with stage=plan
  type: dict
preshared_keys:
  description:
    - For each managed host whose pairs have preshared keys, for each interface, the
      O(fleetnet.wireguard.interface#module:preshared_keys) (new keys) and
      O(fleetnet.wireguard.interface#module:keep_preshared_keys) (peers that keep the key the host holds) arguments.
    - When a new key is in it, the whole result is hidden from output (no_log).
    - M(fleetnet.wireguard.converge) reads it from the registered result
      (O(fleetnet.wireguard.converge#module:preshared_keys_from)), never as a task argument, and hands new keys to the
      host over the connection's standard input.
    - With O(as_json), each host's value is that dict as a JSON string.
  returned: with stage=plan
  type: dict
public_keys:
  description:
    - For each managed host, for each interface, the public key the plan gave its peers (the key store's, or the one
      the host reported in this run); M(fleetnet.wireguard.apply) checks the host's private key against it.
    - With O(as_json), each host's value is that dict as a JSON string.
  returned: with stage=plan
  type: dict
  sample: {"vps1": {"wg0": "HXuu2SFfqOSN2iifw3Mh7J6rDRMjIXAR3wQvkyYrKyA="}}
prepare:
  description:
    - With O(stage=validate), the managed hosts of the run the controller cannot plan from its key store, so the role
      prepares them before the plan - a host without a stored public key for one of its interfaces, and every member
      of an interface with preshared keys (the plan needs each host's fingerprints of the keys it holds).
  returned: with stage=validate
  type: list
  elements: str
exports:
  description: For each unmanaged device, for each interface, the paths of its config (C(conf)), QR code image (C(png))
    and QR code for a terminal (C(txt)) under O(key_dir)C(/export/). These files hold the device's private key.
  returned: with stage=plan
  type: dict
dns_hosts:
  description: The hosts with C(DNS) on an interface (they need resolvconf).
  returned: success
  type: list
  elements: str
firewall_hosts:
  description: The hosts that need iptables or nftables (egress gateways, and hosts with a default route in AllowedIPs).
  returned: success
  type: list
  elements: str
members:
  description: The members of each interface.
  returned: success
  type: dict
interfaces:
  description: The interfaces of each host.
  returned: success
  type: dict
unmanaged:
  description: For each interface, its members that Ansible does not manage (devices such as phones).
  returned: success
  type: dict
sites:
  description: For each interface, the members that name a site (C(wireguard_site)), with the site's C(name) and the
    member's C(endpoint) there; the status report tells from it whether a link runs over the site or the public path.
  returned: success
  type: dict
removals:
  description: With O(stage=validate), what the run removes - C(peers) (for each interface, the members
    in the key store that the inventory no longer has) and C(interfaces) (for each host, the interfaces the inventory
    dropped from it).
  returned: with stage=validate
  type: dict
inventory_warnings:
  description: Every warning about the inventory this stage found, one line each (host, variable, message and fix),
    whether it was shown now or was in O(shown_warnings).
  returned: always
  type: list
  elements: str
problems:
  description: One entry per error, with host, variable, message and fix.
  returned: failure
  type: list
  elements: dict
"""
