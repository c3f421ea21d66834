# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One host's plan out of the fleet action's packed result (as_json). The
logic is in module_utils/plan_json.py; documentation in host_plan.yml."""

from __future__ import annotations

from ansible_collections.fleetnet.wireguard.plugins.module_utils import plan_json


def host_plan(fleet, host):
    fleet = fleet or {}
    packed = (fleet.get("plan") or {}).get(host)
    if packed in (None, ""):
        return "{}"
    return plan_json.expand(packed, fleet.get("peer_table") or {})


class FilterModule(object):
    def filters(self):
        return {"host_plan": host_plan}
