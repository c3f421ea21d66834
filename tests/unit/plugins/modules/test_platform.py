"""The platform module, case by case (cases/platform.yml)."""

from __future__ import annotations

import pytest

from ansible_collections.fleetnet.wireguard.tests.unit.plugins.modules.harness import load, run_case


@pytest.mark.parametrize("case", load("platform"))
def test_platform(case, tmp_path):
    run_case("platform", case, tmp_path)
