#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: apply
short_description: Check a WireGuard host against its plan, then apply routing and every interface, in one call
version_added: 0.1.0
description:
  - What M(fleetnet.wireguard.routing) and M(fleetnet.wireguard.interface) (for each planned interface, and with
    O(fleetnet.wireguard.interface#module:state=absent) for each interface this collection wrote that the plan no longer
    has) do, in one module execution on the host, so a host whose key the controller already holds costs one round
    trip per run. M(fleetnet.wireguard.converge) runs it (with O(fleetnet.wireguard.converge#module:stage=apply)).
  - First, unless O(platform) is given (the host was prepared in this run), it inspects the host (as
    M(fleetnet.wireguard.platform)) and checks that the host is what the plan assumed - each interface's private key
    file exists, is valid, has mode C(0600) in a C(0700) directory and derives to the public key in O(public_keys);
    with O(install), no WireGuard package is missing; each peer in
    O(fleetnet.wireguard.interface#module:keep_preshared_keys) has a preshared key stored, the one
    O(preshared_fingerprints) names. If a check fails, nothing
    is changed and RV(prepare_needed) is returned with the reasons (the role then prepares the host and plans again).
  - Then, on a host that builds WireGuard with DKMS, loads a rebuilt module (as M(fleetnet.wireguard.dkms_reload));
    runs M(fleetnet.wireguard.routing) when forwarding, NAT or ufw is involved; applies each interface; removes the
    interfaces the plan dropped; writes O(peer_names) in C(/etc/hosts) if given. It stops at the first step that fails
    (that step rolls back as its module does); the result names the step.
  - New preshared keys are never arguments; M(fleetnet.wireguard.converge) stages them in files
    (O(fleetnet.wireguard.interface#module:preshared_keys_file)), which this module reads and removes before anything else.
author:
  - fleetnet.wireguard maintainers (@fleetnet)
extends_documentation_fragment:
  - fleetnet.wireguard.attributes
  - fleetnet.wireguard.attributes.packages
attributes:
  check_mode:
    support: full
    details:
      - Every step runs in check mode; the checks run as without it.
  diff_mode:
    support: full
    details:
      - The diffs of the steps that change something (such as the wg-quick files, secrets redacted, and C(/etc/hosts)).
  platform:
    platforms: debian
options:
  interfaces:
    description:
      - The planned interfaces, each a dict of the arguments of M(fleetnet.wireguard.interface), validated as that
        module validates them (the M(fleetnet.wireguard.fleet) plan's values).
    type: list
    elements: dict
    default: []
  routing:
    description:
      - The O(fleetnet.wireguard.routing#module:interfaces) of M(fleetnet.wireguard.routing), each entry validated as
        that module does (the M(fleetnet.wireguard.fleet) result's RV(fleetnet.wireguard.fleet#module:routing) for the host).
    type: list
    elements: dict
    default: []
  uplink:
    description: Passed to M(fleetnet.wireguard.routing).
    type: str
  uplink6:
    description: Passed to M(fleetnet.wireguard.routing).
    type: str
  public_keys:
    description: The public key the plan expects of each interface, by name (the controller's key store's).
    type: dict
    default: {}
  backend:
    description:
      - The backend the interfaces are kept with (O(fleetnet.wireguard.interface#module:backend)); an interface this
        collection made with the other backend is removed first, and interfaces the plan dropped are removed with the
        backend that made them.
    type: str
    choices: [wg-quick, networkmanager]
    default: wg-quick
  preshared_fingerprints:
    description:
      - For each interface, the fingerprint the key store recorded for each preshared key the plan keeps, by peer
        public key (16 hex digits of a SHA-256, see RV(fleetnet.wireguard.platform#module:preshared_key_fingerprints)).
        A kept key whose fingerprint differs means V(prepare_needed).
    type: dict
    default: {}
  peer_names:
    description:
      - Lines of C(/etc/hosts) (such as C(10.10.0.2 vps2.wg0)), kept in one block between the lines
        C(# BEGIN fleetnet.wireguard peer names) and C(# END fleetnet.wireguard peer names), as
        M(ansible.builtin.blockinfile) with that O(ansible.builtin.blockinfile#module:marker) writes them (so a block it
        wrote is found unchanged). The block replaces the one between the markers, or is added at the end of the file;
        the rest of the file is left alone. An empty string removes the block and its markers.
      - The file is rewritten in place, not renamed over (a container's C(/etc/hosts) is a bind mount), and only when
        the block differs. It must exist.
      - Omitted, C(/etc/hosts) is not touched.
    type: str
  platform:
    description:
      - What M(fleetnet.wireguard.prepare) reported as RV(fleetnet.wireguard.prepare#module:platform) when the host
        was prepared in this run; the host is then neither inspected again nor checked.
    type: dict
"""

EXAMPLES = r"""
- name: Apply wg0 as planned, if the host's key is the one in the store
  fleetnet.wireguard.apply:
    public_keys:
      wg0: xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=
    interfaces:
      - name: wg0
        addresses: [10.10.0.1/24]
        listen_port: 51820
        peers:
          - name: vps2
            public_key: HXuu2SFfqOSN2iifw3Mh7J6rDRMjIXAR3wQvkyYrKyA=
            endpoint: 198.51.100.2:51820
            allowed_ips: [10.10.0.2/32]
    routing:
      - {name: wg0, port: 51820}
  register: applied

- name: Prepare the host when its key or packages were not as planned
  fleetnet.wireguard.prepare:
    interfaces: [wg0]
  when: applied.prepare_needed
"""

RETURN = r"""
prepare_needed:
  description: The host is not what the plan assumed; nothing was changed. See RV(prepare_reasons).
  returned: success
  type: bool
prepare_reasons:
  description: Why the host needs its prepare step first, one line each (names interfaces and paths, never a key).
  returned: when prepare_needed
  type: list
  elements: str
  sample: ["wg0: the key in /etc/wireguard/wg0.key is not the one in the controller's key store"]
interface_results:
  description: The result of each step, by interface name (and V(routing)).
  returned: when not prepare_needed
  type: dict
restarted:
  description: The interfaces that were (or would be) restarted.
  returned: when not prepare_needed
  type: list
  elements: str
steps:
  description: Each step that ran, and whether it changed something.
  returned: always
  type: list
  elements: str
  sample: ["inspect the host: ok", "apply wg0: changed", "peer names in /etc/hosts: ok"]
step:
  description: The step that failed.
  returned: failure
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.fleetnet.wireguard.plugins.module_utils import host_args, preshared_keys
from ansible_collections.fleetnet.wireguard.plugins.module_utils.host_apply import Apply
from ansible_collections.fleetnet.wireguard.plugins.module_utils.operation import execute


def validated(module, option, spec):
    """Each entry of a list option validated against its module's spec, as that module would."""
    validator = ArgumentSpecValidator(spec)
    entries = []
    for index, entry in enumerate(module.params[option]):
        checked = validator.validate(entry)
        module.no_log_values.update(checked._no_log_values)
        if checked.error_messages:
            module.fail_json(msg="%s[%d]: %s" % (option, index, "; ".join(checked.error_messages)))
        entries.append(checked.validated_parameters)
    return entries


def take_staged(module):
    """First of all: the staged preshared keys, which must not outlive this task whatever fails next."""
    for entry in module.params["interfaces"]:
        if isinstance(entry, dict) and entry.get("preshared_keys_file"):
            try:
                staged = preshared_keys.take_staged(entry.pop("preshared_keys_file"))
            except (OSError, ValueError) as exc:
                module.fail_json(msg="%s: %s" % (entry.get("name"), exc))
            module.no_log_values.update(staged.values())  # masked in any output, as no_log arguments are
            entry["preshared_keys"] = dict(entry.get("preshared_keys") or {}, **staged)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            interfaces=dict(type="list", elements="dict", default=[]),
            routing=dict(type="list", elements="dict", default=[]),
            uplink=dict(type="str"),
            uplink6=dict(type="str"),
            public_keys=dict(type="dict", default={}),
            preshared_fingerprints=dict(type="dict", default={}),
            backend=host_args.INTERFACE["backend"],
            platform=dict(type="dict"),
            peer_names=dict(type="str"),
            **host_args.PACKAGES
        ),
        supports_check_mode=True,
    )
    take_staged(module)
    module.params["interfaces"] = validated(module, "interfaces", host_args.INTERFACE)
    module.params["routing"] = validated(module, "routing", host_args.ROUTING_INTERFACE)
    execute(module, Apply)


if __name__ == "__main__":
    main()
