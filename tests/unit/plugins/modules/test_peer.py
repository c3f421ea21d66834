"""The peer module, case by case (cases/peer.yml): add, change, remove,
down interface, refusals, restart and rollback, in normal, check and diff mode."""

from __future__ import annotations

import pytest

from ansible_collections.fleetnet.wireguard.tests.unit.plugins.modules.harness import load, run_case


@pytest.mark.parametrize("case", load("peer"))
def test_peer(case, tmp_path):
    run_case("peer", case, tmp_path)
