"""The routing module, case by case (cases/routing.yml): forwarding, the
egress NAT unit and ufw rules, in normal, check and diff mode."""

from __future__ import annotations

import pytest

from ansible_collections.fleetnet.wireguard.tests.unit.plugins.modules.harness import load, run_case


@pytest.mark.parametrize("case", load("routing"))
def test_routing(case, tmp_path):
    run_case("routing", case, tmp_path)
