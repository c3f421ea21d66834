#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: converge
short_description: Prepare a WireGuard host, or apply its planned interfaces, in one task
version_added: 0.1.0
description:
  - An action plugin that runs one module execution on the host per stage (plus C(apt) when a package is missing), so
    the role costs one call per host on a re-run and two for a new or re-keyed host, instead of a chain of mostly
    skipped tasks. It is what the C(fleetnet.wireguard.wireguard) role uses; the modules it calls can be used on their own.
  - With O(stage=prepare) it runs M(fleetnet.wireguard.prepare) (inspect the host as M(fleetnet.wireguard.platform),
    load a rebuilt DKMS module, ensure each interface's private key as M(fleetnet.wireguard.keypair)); with O(install),
    installs the packages the host lacks (from buster-backports on Debian 10) and then loads a DKMS module built by
    the install, or fails with the reason if the release does not package them.
  - With O(stage=apply) it runs M(fleetnet.wireguard.apply), which checks the host against the plan (its keys against
    O(public_keys), its packages, the preshared keys the plan keeps), then runs M(fleetnet.wireguard.routing) when
    forwarding, NAT or ufw is involved, M(fleetnet.wireguard.interface) for each planned interface, and removes the
    interfaces this collection wrote (with either backend) that the plan no longer has, then writes O(peer_names) in
    C(/etc/hosts) if given. A host not as planned is left unchanged; with
    O(report_prepare_needed) the task returns RV(prepare_needed) so the role can prepare it and plan again, otherwise it fails.
  - It stops at the first step that fails; the result names the step.
author:
  - fleetnet.wireguard maintainers (@fleetnet)
extends_documentation_fragment:
  - fleetnet.wireguard.attributes
attributes:
  check_mode:
    support: full
    details:
      - Every step runs in check mode.
  diff_mode:
    support: full
    details:
      - The diffs of the steps that change something (such as the wg-quick files, secrets redacted, and C(/etc/hosts)).
  platform:
    platforms: debian
options:
  stage:
    description: V(prepare) or V(apply).
    type: str
    choices: [prepare, apply]
    required: true
  host:
    description:
      - The inventory name of the host the task is for, when the task runs with C(delegate_to) on a loop over hosts
        (the role's fallback); its preshared keys are read from O(preshared_keys_from) under this name.
      - Default, the task's C(inventory_hostname).
    type: str
  interfaces:
    description: With O(stage=prepare), the interfaces whose private keys to ensure.
    type: list
    elements: str
    default: []
  regenerate:
    description: With O(stage=prepare), the O(fleetnet.wireguard.keypair#module:regenerate) policy for the keys.
    type: str
    default: never
  install:
    description: With O(stage=prepare), install missing packages; with O(stage=apply), a missing package means the host needs its prepare step.
    type: bool
    default: true
  firewall_tool:
    description: The host needs iptables or nftables (both stages inspect the host's packages).
    type: bool
    default: false
  dns:
    description: The host needs resolvconf (both stages inspect the host's packages).
    type: bool
    default: false
  prepared:
    description:
      - With O(stage=apply), the registered result of O(stage=prepare) on this host in this run, if it ran (a skipped
        task's result counts as none); the host is then neither inspected again nor checked.
    type: dict
    default: {}
  plan:
    description:
      - With O(stage=apply), this host's slice of the M(fleetnet.wireguard.fleet) plan (a dict, or its JSON string);
        for each interface, the arguments of M(fleetnet.wireguard.interface), passed on as they are.
    type: raw
  routing:
    description: With O(stage=apply), this host's slice of the fleet's RV(fleetnet.wireguard.fleet#module:routing) (a list, or its JSON string).
    type: raw
  uplink:
    description: With O(stage=apply), passed to M(fleetnet.wireguard.routing).
    type: str
  uplink6:
    description: With O(stage=apply), passed to M(fleetnet.wireguard.routing).
    type: str
  public_keys:
    description:
      - With O(stage=apply), the public key the plan expects of each interface of this host (a dict, or its JSON string),
        that is this host's slice of the M(fleetnet.wireguard.fleet) result's RV(fleetnet.wireguard.fleet#module:public_keys).
      - A host whose private key does not derive to it is not changed (see O(report_prepare_needed)).
    type: raw
  report_prepare_needed:
    description:
      - With O(stage=apply), when the host is not what the plan assumed (see O(public_keys)), return
        RV(prepare_needed) instead of failing. A host with O(prepared) from this run fails all the same.
    type: bool
    default: false
  backend:
    description:
      - With O(stage=apply), O(fleetnet.wireguard.interface#module:backend) for every interface of the host (the role
        passes C(wireguard_backend)). An interface this collection made with the other backend is removed first.
    type: str
    choices: [wg-quick, networkmanager]
    default: wg-quick
  peer_names:
    description:
      - With O(stage=apply), the lines naming the members of this host's networks (the role passes the
        P(fleetnet.wireguard.peer_names#filter) filter's output when C(wireguard_peer_names) is true), passed on as
        O(fleetnet.wireguard.apply#module:peer_names).
      - Omitted, C(/etc/hosts) is not touched (a block written before stays).
    type: str
  preshared_keys_from:
    description:
      - With O(stage=apply), the name of the variable registered by the M(fleetnet.wireguard.fleet) task (such as
        V(wireguard__fleet)); this host's preshared keys are read from its RV(fleetnet.wireguard.fleet#module:preshared_keys).
      - The keys are never task or module arguments (callback plugins receive every task's arguments, and without
        pipelining a module's arguments are a file in the host's temp directory). New keys are written through the
        connection's standard input into a C(0600) file next to the interface's config, which
        M(fleetnet.wireguard.interface) reads and removes at once (O(fleetnet.wireguard.interface#module:preshared_keys_file)).
    type: str
"""

EXAMPLES = r"""
- name: Prepare the host
  fleetnet.wireguard.converge:
    stage: prepare
    interfaces: [wg0]
  register: wireguard__host

- name: Apply its slice of the plan, or say that it needs preparing
  fleetnet.wireguard.converge:
    stage: apply
    plan: "{{ wireguard__fleet.plan[inventory_hostname] }}"
    routing: "{{ wireguard__fleet.routing[inventory_hostname] }}"
    public_keys: "{{ wireguard__fleet.public_keys[inventory_hostname] }}"
    preshared_keys_from: wireguard__fleet
    report_prepare_needed: true
  register: wireguard__applied
"""

RETURN = r"""
platform:
  description: With O(stage=prepare), what M(fleetnet.wireguard.platform) returned.
  returned: stage=prepare
  type: dict
public_keys:
  description: With O(stage=prepare), each interface's public key.
  returned: stage=prepare
  type: dict
key_actions:
  description: With O(stage=prepare), what M(fleetnet.wireguard.keypair) did per interface (V(keep), V(generate), V(adopt)).
  returned: stage=prepare
  type: dict
rekeyed:
  description: With O(stage=prepare), whether any interface got a new key.
  returned: stage=prepare
  type: bool
prepare_needed:
  description: With O(stage=apply) and O(report_prepare_needed), whether the host needs its prepare step first (nothing was changed).
  returned: stage=apply
  type: bool
prepare_reasons:
  description: Why the host needs its prepare step, one line each (names interfaces and paths, never a key).
  returned: when prepare_needed
  type: list
  elements: str
  sample: ["wg0: the key in /etc/wireguard/wg0.key is not the one in the controller's key store"]
interface_results:
  description: With O(stage=apply), the result of each step, by interface name (and V(routing)).
  returned: stage=apply, when not prepare_needed
  type: dict
restarted:
  description: With O(stage=apply), the interfaces that were (or would be) restarted.
  returned: stage=apply, when not prepare_needed
  type: list
  elements: str
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
