"""The prepare module, case by case (cases/prepare.yml): inspection, DKMS
reload and keys in one execution, in normal, check and diff mode; nothing is
made on a host that cannot run WireGuard."""

from __future__ import annotations

import json

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils import wg_keys
from ansible_collections.fleetnet.wireguard.tests.unit.plugins.modules.harness import load, run_case


@pytest.mark.parametrize("case", load("prepare"))
def test_prepare(case, tmp_path):
    run_case("prepare", case, tmp_path)


def test_a_new_key_is_on_disk_only(tmp_path):
    """The result, its diff included, holds the new public key and nothing of the private one."""
    case = next(c.values[0] for c in load("prepare") if c.id == "a_new_host_gets_its_key_0600_in_a_0700_directory")
    dummy, result, dummy = run_case("prepare", dict(case, diff_mode=True), tmp_path)
    private = (tmp_path / "etc" / "wg0.key").read_text().strip()
    assert result["public_keys"] == {"wg0": wg_keys.public_key(private)}
    assert oct((tmp_path / "etc").stat().st_mode & 0o777) == "0o700"
    assert private not in json.dumps(result)
