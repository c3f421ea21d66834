"""The dkms_reload module, case by case (cases/dkms_reload.yml)."""

from __future__ import annotations

import pytest

from ansible_collections.fleetnet.wireguard.tests.unit.plugins.modules.harness import load, run_case


@pytest.mark.parametrize("case", load("dkms_reload"))
def test_dkms_reload(case, tmp_path):
    run_case("dkms_reload", case, tmp_path)
