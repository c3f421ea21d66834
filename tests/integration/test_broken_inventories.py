"""Each broken inventory in tests/inventories/broken/ stops the real site
playbook before any host is touched, with a message that names the host,
the variable and the fix (expected: tests/inventories/broken-expected.yml).

The hosts are on loopback port 1, so even a check that wrongly passed could
not reach anything: a late failure shows as an unreachable host."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "inventories" / "broken"
EXPECTED = yaml.safe_load((ROOT / "tests" / "inventories" / "broken-expected.yml").read_text())


def _play(case, tmp_path, playbook="site"):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text((CASES / (case + ".yml")).read_text())
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"), ANSIBLE_HOST_KEY_CHECKING="False")
    return subprocess.run(["ansible-playbook", "-i", str(inventory), str(ROOT / "playbooks" / (playbook + ".yml"))],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT, check=False)


@pytest.mark.parametrize("case", sorted(p.stem for p in CASES.glob("*.yml")))
def test_broken_inventory_is_refused_before_any_host_changes(case, tmp_path):
    expected = EXPECTED[case]
    proc = _play(case, tmp_path)
    out = proc.stdout
    assert proc.returncode != 0, out
    if "text" in expected:  # a problem of the inventory as a whole, such as its group
        assert expected["text"] in out and "Fix: " in out, out
    else:
        line = "host %s: %s: " % (expected["host"], expected["variable"])
        assert line in out, out
        problem = out[out.index(line):].splitlines()[0]
        assert expected["message"] in problem and "Fix: " in problem, problem
    assert "Traceback" not in out and "UNREACHABLE" not in out, out
    recap = re.findall(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)", out, re.M)
    assert recap, out
    assert all(changed == "0" and unreachable == "0" for _host, _ok, changed, unreachable in recap), recap
    # the key store was never written: nothing was done, not even on the controller
    assert not (tmp_path / ".wireguard").exists()


@pytest.mark.parametrize("playbook", ["rotate", "status"])
def test_a_misnamed_group_fails_every_playbook(playbook, tmp_path):
    """Not only site: rotate and status import check_group too."""
    proc = _play("misnamed-group", tmp_path, playbook)
    assert proc.returncode != 0 and EXPECTED["misnamed-group"]["text"] in proc.stdout, proc.stdout
