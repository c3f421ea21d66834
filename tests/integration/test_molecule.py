"""Run each molecule scenario end to end (create, converge, idempotence,
verify, destroy) on real systemd containers, as one test each.

SCENARIOS below is the list CI must run. The run fails when a listed
scenario is missing or renamed, when a scenario directory is not listed,
when a scenario has no testinfra tests, and when its verify did not pass
every test function of its tests/ (molecule's testinfra verifier itself
succeeds when it finds no tests).

The scenario's full log goes to tests/output/; a failure shows its tail.
FLEETNET_SCENARIOS limits which run (space separated, "suite:scenario" or
"scenario"; a name that is not listed is an error); FLEETNET_SUITES lists
the Debian releases of the default scenario, FLEETNET_VM_SUITES those of the
QEMU VM scenario (one run, a VM of each); FLEETNET_ONLY=containers|vms runs only one family.
"""

from __future__ import annotations

import ast
import os
import pathlib
import re
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "tests" / "output"
SUITES = os.environ.get("FLEETNET_SUITES", "bookworm").split()
BOOKWORM = ["bookworm"]
VM_SUITES = os.environ.get("FLEETNET_VM_SUITES", "bullseye bookworm trixie").split()
# one run of the vm scenario with a VM of each release ("bullseye+bookworm+trixie")
VM_MIX = ["+".join(VM_SUITES)]
VM_SCENARIOS = ["vm", "vm_nm"]  # QEMU VMs with kernel WireGuard; the others are containers
ONLY = os.environ.get("FLEETNET_ONLY", "")  # containers, vms, or both when empty

# Every molecule scenario CI runs, with the Debian releases it runs on.
# Adding a scenario is one line here.
SCENARIOS = {
    "default": SUITES,
    "star": BOOKWORM,
    "hybrid": BOOKWORM,
    "gateway": BOOKWORM,
    "changes": BOOKWORM,
    "diagnose": BOOKWORM,
    "secrets": BOOKWORM,
    "sites": BOOKWORM,
    # last: its images build in the background meanwhile (scripts/test.sh)
    "vm": VM_MIX,
    "vm_nm": BOOKWORM,  # NetworkManager 1.42 on a laptop spoke (docs/networkmanager.md)
}


def _cases():
    skipped_family = {"containers": "vms", "vms": "containers"}.get(ONLY)
    return ["%s:%s" % (suite, scenario) for scenario, suites in SCENARIOS.items() for suite in suites
            if ("vms" if scenario in VM_SCENARIOS else "containers") != skipped_family]


def _wanted():
    return os.environ.get("FLEETNET_SCENARIOS", "").split()


def _selected():
    wanted = _wanted()
    return [c for c in _cases() if not wanted or c in wanted or c.split(":")[1] in wanted]


def test_molecule_directory_holds_exactly_the_listed_scenarios():
    found = sorted(d.name for d in (ROOT / "molecule").iterdir() if (d / "molecule.yml").exists())
    assert found == sorted(SCENARIOS), "molecule/*/molecule.yml and SCENARIOS in %s differ" % __file__


def test_fleetnet_scenarios_names_only_listed_scenarios():
    cases = _cases()
    unknown = [w for w in _wanted() if w not in cases and w not in SCENARIOS]
    assert unknown == [], "FLEETNET_SCENARIOS names what is not listed: %s (listed: %s)" % (unknown, cases)


def scenario_test_functions(scenario):
    """The test functions of a scenario's testinfra files, by name."""
    names = []
    for path in sorted((ROOT / "molecule" / scenario / "tests").glob("test_*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in tree.body:
            bodies = [node] if not isinstance(node, ast.ClassDef) else node.body if node.name.startswith("Test") else []
            names += [f.name for f in bodies if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and f.name.startswith("test")]
    return names


def verified(log_text):
    """Verify's verdicts from the testinfra verifier's `-v` output: {test function: set of outcomes}."""
    outcomes = {}
    for name, outcome in re.findall(r"^\S+?\.py::(?:\w+::)?(test\w*)(?:\[[^\n]*\])? (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b",
                                    log_text, re.M):
        outcomes.setdefault(name, set()).add(outcome)
    return outcomes


@pytest.mark.parametrize("case", _selected())
def test_scenario(case):
    suite, scenario = case.split(":")
    assert (ROOT / "molecule" / scenario / "molecule.yml").exists(), "molecule/%s/molecule.yml is missing (renamed?)" % scenario
    expected = scenario_test_functions(scenario)
    assert expected, "molecule/%s/tests/ has no test functions" % scenario
    OUTPUT.mkdir(exist_ok=True)
    log = OUTPUT / ("molecule-%s-%s.log" % (scenario, suite))
    env = dict(os.environ, FLEETNET_SUITE=suite, ANSIBLE_FORCE_COLOR="0", PY_COLORS="0", NO_COLOR="1")
    env["PATH"] = "%s:%s" % (ROOT / ".venv" / "bin", env.get("PATH", ""))
    with open(log, "w") as handle:
        proc = subprocess.run(["molecule", "test", "-s", scenario], cwd=ROOT, env=env,
                              stdout=handle, stderr=subprocess.STDOUT, check=False)
    text = log.read_text(errors="replace")
    tail = "\n".join(text.splitlines()[-80:])
    assert proc.returncode == 0, "molecule test -s %s on %s failed (full log: %s):\n%s" % (scenario, suite, log, tail)
    outcomes = verified(text)
    # every function ran (needs the verifier's `v: true`) and passed each time
    assert {name: outcomes.get(name, {"did not run"}) for name in expected} == {name: {"PASSED"} for name in expected}, (
        "molecule test -s %s on %s: verify did not pass every test (full log: %s)" % (scenario, suite, log))
