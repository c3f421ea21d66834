# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The /etc/hosts lines naming the members of a host's WireGuard networks.
The logic is in module_utils/peer_names.py; documentation in peer_names.yml."""

from __future__ import annotations

from ansible_collections.fleetnet.wireguard.plugins.module_utils import peer_names as names


def peer_names(plan, host, domain=None):
    return "\n".join(names.lines(plan, host, domain or None))


class FilterModule(object):
    def filters(self):
        return {"peer_names": peer_names}
