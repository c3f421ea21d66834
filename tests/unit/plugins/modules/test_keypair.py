"""The keypair module, case by case (cases/keypair.yml)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils import wg_keys
from ansible_collections.fleetnet.wireguard.tests.unit.plugins.modules.harness import load, run_case


@pytest.mark.parametrize("case", load("keypair"))
def test_keypair(case, tmp_path):
    run_case("keypair", case, tmp_path)


def test_a_generated_key_is_on_disk_only(tmp_path):
    """The new private key is in the 0600 file; the result, its diff included,
    holds the matching public key and nothing of the private one."""
    case = {"id": "generate", "params": {"interface": "wg0", "path": "{tmp}/wg0.key", "config_path": ""}, "diff_mode": True,
            "result": {"changed": True, "action": "generate"}, "files_after": {"wg0.key": {"mode": "0600"}}}
    dummy, result, dummy = run_case("keypair", case, tmp_path)
    private = (tmp_path / "wg0.key").read_text().strip()
    assert result["public_key"] == wg_keys.public_key(private)
    assert result["diff"]["after"] == "public_key: %s\n" % result["public_key"]
    assert private not in json.dumps(result)
