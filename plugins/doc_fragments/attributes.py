# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attribute descriptions shared by this collection's modules."""

from __future__ import annotations


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
"""

    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This action does not modify state.
    description: Can run in check_mode and return changed status prediction without modifying target.
  diff_mode:
    support: N/A
    details:
      - This action does not modify state.
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
"""

    # the options of fleetnet.wireguard.prepare and fleetnet.wireguard.apply that
    # decide which packages the host needs (host_args.PACKAGES)
    PACKAGES = r"""
options:
  install:
    description:
      - Missing packages are installed by the prepare step (M(fleetnet.wireguard.converge) runs C(apt) after
        M(fleetnet.wireguard.prepare)); for M(fleetnet.wireguard.apply), a missing package then means V(prepare_needed).
    type: bool
    default: true
  firewall_tool:
    description: The host needs iptables or nftables (see M(fleetnet.wireguard.platform)).
    type: bool
    default: false
  dns:
    description: The host needs resolvconf (see M(fleetnet.wireguard.platform)).
    type: bool
    default: false
"""
