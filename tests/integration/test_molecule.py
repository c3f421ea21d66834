"""Run each molecule scenario end to end (create, converge, idempotence,
verify, destroy) on real systemd containers, as one test each.

The scenario's full log goes to tests/output/; a failure shows its tail.
FLEETNET_SCENARIOS limits which run (space separated, "suite:scenario" or
"scenario"); FLEETNET_SUITES lists the Debian releases of the default scenario.
"""

from __future__ import annotations

import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "tests" / "output"
SUITES = os.environ.get("FLEETNET_SUITES", "bookworm").split()
SCENARIOS = [d.name for d in sorted((ROOT / "molecule").iterdir()) if (d / "molecule.yml").exists()]


def _cases():
    cases = [("%s:default" % suite) for suite in SUITES if "default" in SCENARIOS]
    cases += [("bookworm:%s" % s) for s in SCENARIOS if s != "default"]
    wanted = os.environ.get("FLEETNET_SCENARIOS", "").split()
    if wanted:
        cases = [c for c in cases if c in wanted or c.split(":")[1] in wanted]
    return cases


@pytest.mark.parametrize("case", _cases())
def test_scenario(case):
    suite, scenario = case.split(":")
    OUTPUT.mkdir(exist_ok=True)
    log = OUTPUT / ("molecule-%s-%s.log" % (scenario, suite))
    env = dict(os.environ, FLEETNET_SUITE=suite, ANSIBLE_FORCE_COLOR="0", PY_COLORS="0", NO_COLOR="1")
    env["PATH"] = "%s:%s" % (ROOT / ".venv" / "bin", env.get("PATH", ""))
    with open(log, "w") as handle:
        proc = subprocess.run(["molecule", "test", "-s", scenario], cwd=ROOT, env=env,
                              stdout=handle, stderr=subprocess.STDOUT, check=False)
    tail = log.read_text(errors="replace").splitlines()[-80:]
    assert proc.returncode == 0, "molecule test -s %s on %s failed (full log: %s):\n%s" % (scenario, suite, log, "\n".join(tail))
