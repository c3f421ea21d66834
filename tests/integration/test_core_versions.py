"""The ends of the ansible-core range meta/runtime.yml claims, run for real:
the default molecule scenario and ansible-test sanity under the oldest
allowed ansible-core (.venv-core-oldest) and the newest release
(.venv-core-newest), both made by scripts/setup-cores.sh from constraints/.

FLEETNET_CORES picks the ends ("oldest newest"); FLEETNET_SCENARIOS, as in
test_molecule.py, deselects the scenario runs unless it names "default".
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "tests" / "output"
CORES = os.environ.get("FLEETNET_CORES", "oldest newest").split()


def _pins(end):
    text = (ROOT / "constraints" / ("core-%s.txt" % end)).read_text()
    python = re.search(r"^# python: (\S+)$", text, re.M).group(1)
    core = re.search(r"^ansible-core==(\S+)$", text, re.M).group(1)
    return python, core


def _scenario_cases():
    cases = ["core-%s:default" % end for end in CORES]
    wanted = os.environ.get("FLEETNET_SCENARIOS", "").split()
    if wanted:
        cases = [c for c in cases if "default" in wanted]
    return cases


def _env(end):
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", PY_COLORS="0", NO_COLOR="1", ANSIBLE_NOCOLOR="1")
    env["PATH"] = "%s:%s" % (ROOT / (".venv-core-%s" % end) / "bin", env.get("PATH", ""))
    env.pop("VIRTUAL_ENV", None)
    return env


def _run_logged(argv, log, env):
    OUTPUT.mkdir(exist_ok=True)
    with open(log, "w") as handle:
        proc = subprocess.run(argv, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, check=False)
    return proc.returncode, log.read_text(errors="replace")


@pytest.mark.parametrize("end", CORES)
def test_the_venv_runs_the_pinned_core(end):
    python, core = _pins(end)
    proc = subprocess.run(["ansible", "--version"], env=_env(end), cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=False)
    assert proc.returncode == 0, proc.stdout
    assert "[core %s]" % core in proc.stdout, proc.stdout
    assert re.search(r"python version = %s\.\d+" % re.escape(python), proc.stdout), proc.stdout


def test_requires_ansible_is_the_oldest_tested_core():
    runtime = (ROOT / "meta" / "runtime.yml").read_text()
    claimed = re.search(r'^requires_ansible: "?>=([0-9.]+)"?', runtime, re.M).group(1)
    assert claimed == _pins("oldest")[1]
    requirements = (ROOT / "requirements.txt").read_text()
    assert "ansible-core>=%s," % claimed in requirements
    newest = _pins("newest")[1]
    ceiling = re.search(r"^ansible-core>=[0-9.]+,<([0-9.]+)$", requirements, re.M).group(1)
    assert [int(n) for n in newest.split(".")[:2]] < [int(n) for n in ceiling.split(".")]


@pytest.mark.parametrize("case", _scenario_cases())
def test_default_scenario(case):
    end = case.split(":")[0].split("-")[1]
    env = _env(end)
    env["FLEETNET_SUITE"] = "bookworm"
    log = OUTPUT / ("molecule-default-core-%s.log" % end)
    code, text = _run_logged(["molecule", "test", "-s", "default"], log, env)
    tail = "\n".join(text.splitlines()[-80:])
    assert code == 0, "molecule test -s default under ansible-core %s failed (%s):\n%s" % (_pins(end)[1], log, tail)
    # molecule's testinfra verifier also succeeds when it collects no test
    assert re.search(r"^=+ \d+ passed", text, re.M), tail


@pytest.mark.parametrize("end", CORES)
def test_sanity(end):
    env = _env(end)
    env.update(SANITY_VENV=".venv-core-%s" % end, SANITY_PYTHON=_pins(end)[0])
    log = OUTPUT / ("sanity-core-%s.log" % end)
    code, text = _run_logged(["bash", str(ROOT / "scripts" / "sanity.sh")], log, env)
    assert code == 0, "ansible-test sanity under ansible-core %s failed (%s):\n%s" % (
        _pins(end)[1], log, "\n".join(text.splitlines()[-60:]))
