"""The interface module with backend: networkmanager, case by case
(cases/interface_nm.yml): a new connection, nothing to do, a peer change
reapplied live, an MTU change, rollbacks, absent; normal, check and diff
mode; NetworkManager missing or stopped; what is not ours left alone."""

from __future__ import annotations

import pytest

from ansible_collections.fleetnet.wireguard.tests.unit.plugins.modules.harness import load, run_case

KEY = "EBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBA="


@pytest.mark.parametrize("case", load("interface_nm"))
def test_interface_nm(case, tmp_path):
    dummy, result, calls = run_case("interface", case, tmp_path)
    # the private key is in the keyfile only: no command line, result or diff holds it
    assert not [c for c in calls if any(KEY in word for word in c)], calls
    assert KEY not in repr(result)
