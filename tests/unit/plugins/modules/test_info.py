"""The info module, case by case (cases/info.yml), on a fixed clock so
handshake ages are exact."""

from __future__ import annotations

from unittest import mock

import pytest

from ansible_collections.fleetnet.wireguard.tests.unit.plugins.modules.harness import load, run_case

NOW = 1700000100


@pytest.mark.parametrize("case", load("info"))
def test_info(case, tmp_path):
    with mock.patch("time.time", return_value=NOW + 0.5):
        run_case("info", case, tmp_path)
