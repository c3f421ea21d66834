#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: converge
short_description: Prepare a WireGuard host, or apply its planned interfaces, in one task
version_added: 0.1.0
description:
  - An action plugin that runs this collection's modules on the host one after another, so the role needs two tasks
    per host instead of a chain of mostly skipped ones. It is what the C(fleetnet.wireguard.wireguard) role uses;
    the modules it calls can be used on their own.
  - With O(stage=prepare) it runs M(fleetnet.wireguard.platform); with O(install), installs the packages the host lacks
    (from buster-backports on Debian 10) or fails with the reason if the release does not package them; loads a
    rebuilt DKMS module with M(fleetnet.wireguard.dkms_reload); and ensures each interface's private key with
    M(fleetnet.wireguard.keypair).
  - With O(stage=apply) it runs M(fleetnet.wireguard.routing) when forwarding, NAT or ufw is involved,
    M(fleetnet.wireguard.interface) for each planned interface, and removes the interfaces this collection wrote
    (with either backend) that the plan no longer has.
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
      - The diffs of the steps that change something (such as the wg-quick files, secrets redacted).
  platform:
    platforms: debian
options:
  stage:
    description: V(prepare) or V(apply).
    type: str
    choices: [prepare, apply]
    required: true
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
    description: With O(stage=prepare), install missing packages.
    type: bool
    default: true
  firewall_tool:
    description: With O(stage=prepare), the host needs iptables or nftables.
    type: bool
    default: false
  dns:
    description: With O(stage=prepare), the host needs resolvconf.
    type: bool
    default: false
  prepared:
    description: With O(stage=apply), the registered result of O(stage=prepare) on this host.
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
  backend:
    description:
      - With O(stage=apply), O(fleetnet.wireguard.interface#module:backend) for every interface of the host (the role
        passes C(wireguard_backend)). An interface this collection made with the other backend is removed first.
    type: str
    choices: [wg-quick, networkmanager]
    default: wg-quick
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
results:
  description: With O(stage=apply), the result of each step, by interface name (and V(routing)).
  returned: stage=apply
  type: dict
restarted:
  description: With O(stage=apply), the interfaces that were (or would be) restarted.
  returned: stage=apply
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
