"""The info module, case by case (cases/info.yml), on a fixed clock so
handshake ages are exact."""

from __future__ import annotations

import copy
from unittest import mock

import pytest

from ansible_collections.fleetnet.wireguard.tests.unit.plugins.modules.harness import load, run_case

NOW = 1700000100


@pytest.mark.parametrize("case", load("info"))
def test_info(case, tmp_path):
    with mock.patch("time.time", return_value=NOW + 0.5):
        run_case("info", case, tmp_path)


@pytest.mark.parametrize("endpoint, answer, resolved", [
    ("198.51.100.2:51820", None, {}),  # an address: nothing to resolve
    ("vpn2.lab.example:51820", ["198.51.100.2", "2001:db8::2"], {"vpn2.lab.example": ["198.51.100.2", "2001:db8::2"]}),
    ("vpn2.lab.example", OSError("Name or service not known"), {"vpn2.lab.example": []}),
], ids=["address", "name", "name-that-does-not-resolve"])
def test_info_resolves_the_endpoint_names_of_its_files(endpoint, answer, resolved, tmp_path):
    """wg shows a peer's endpoint as an address: a name in the file is
    resolved on the host, so the status report can tell what it stands for."""
    case = copy.deepcopy(next(c.values[0] for c in load("info") if c.id == "an_up_kernel_interface_with_drift_and_nat"))
    case["files"]["wireguard/wg0.conf"] = case["files"]["wireguard/wg0.conf"].replace("198.51.100.2:51820", endpoint)
    case["result"] = {"resolved": resolved}
    asked = []

    def getaddrinfo(name, *args, **kwargs):
        asked.append(name)
        if isinstance(answer, Exception):
            raise answer
        return [(0, 0, 0, "", (a, 0)) for a in answer]

    with mock.patch("time.time", return_value=NOW + 0.5), mock.patch("socket.getaddrinfo", getaddrinfo):
        run_case("info", case, tmp_path)
    assert asked == list(resolved)
