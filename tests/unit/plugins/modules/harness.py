"""Run a module's main() from a YAML table of cases, with only its edges
mocked: run_command (each expected command, in order, with its rc and
output), get_bin_path (which tools are installed) and the file system (a
tmp dir; fixed host paths are pointed into it by `patch`).

A case:
  id: what it shows
  params: {...}                 # the module's arguments; "{tmp}" is the case's tmp dir
  check_mode: false             # and diff_mode: false
  bins: {ufw: /usr/sbin/ufw}    # tools get_bin_path finds; the others are missing
  patch: {module_utils.nat.UNIT_PATH: "{tmp}/nat.service"}
  dirs: [etc]                   # directories under tmp, before the run ({etc: "0700"} sets modes)
  files: {wg0.key: "...", x: {content: "...", mode: "0600"}}   # under tmp, before the run
  run_command:                  # exactly these commands, in this order
    - {command: "ip -d -j link show dev wg0", rc: 1, out: "", err: "..."}
  result: {changed: true, ...}  # these keys of the result, exactly
  failed: false                 # and msg: "..." (exact) or msg_contains: "..."
  warnings: ["..."]             # substrings of the warnings, in order
  files_after: {wg0.conf: "..." | null | {mode: "0600", content: "...", contains: ["..."]}}
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import shlex
import stat
from pathlib import Path
from unittest import mock

import pytest
import yaml
from ansible.module_utils import basic

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core before 2.19
    def patch_module_args(args):
        return mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode())

PLUGINS = "ansible_collections.fleetnet.wireguard.plugins."
CASES = Path(__file__).parent / "cases"


class Exit(Exception):
    def __init__(self, failed, result):
        super().__init__(result.get("msg", ""))
        self.failed = failed
        self.result = result


def load(name):
    """The cases of cases/<name>.yml, as pytest params named by their ids."""
    cases = yaml.safe_load((CASES / ("%s.yml" % name)).read_text())
    cases = cases["cases"] if isinstance(cases, dict) else cases  # a dict holds anchors under "fixtures"
    ids = [case["id"] for case in cases]
    assert len(ids) == len(set(ids)), "duplicate case ids in %s.yml" % name
    return [pytest.param(case, id=case["id"]) for case in cases]


def _subst(value, tmp):
    if isinstance(value, str):
        return value.replace("{tmp}", tmp)
    if isinstance(value, list):
        return [_subst(v, tmp) for v in value]
    if isinstance(value, dict):
        return {_subst(k, tmp): _subst(v, tmp) for k, v in value.items()}
    return value


def _argv(command):
    return shlex.split(command) if isinstance(command, str) else [str(w) for w in command]


class FakeHost:
    """run_command as the case expects it: each call must be the next expected command."""

    def __init__(self, expected):
        self.expected = list(expected)
        self.calls = []

    def run_command(self, args, **kwargs):
        argv = [str(a) for a in args]
        self.calls.append(argv)
        assert self.expected, "unexpected command %r (no more were expected)" % " ".join(argv)
        step = self.expected.pop(0)
        assert argv == _argv(step["command"]), "command %d: got %r, expected %r" % (
            len(self.calls), shlex.join(argv), shlex.join(_argv(step["command"])))
        return step.get("rc", 0), step.get("out", ""), step.get("err", "")


def _write_files(tmp, files):
    for rel, spec in (files or {}).items():
        spec = spec if isinstance(spec, dict) else {"content": spec}
        path = Path(tmp) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(spec["content"])
        os.chmod(path, int(spec.get("mode", "0644"), 8))


def _check_files(tmp, files_after):
    for rel, spec in (files_after or {}).items():
        path = Path(tmp) / rel
        if spec is None:
            assert not path.exists(), "%s should not exist" % rel
            continue
        spec = spec if isinstance(spec, dict) else {"content": spec}
        assert path.exists(), "%s should exist" % rel
        if "content" in spec:
            assert path.read_text() == spec["content"], rel
        for text in spec.get("contains", []):
            assert text in path.read_text(), (rel, text)
        if "mode" in spec:
            assert stat.S_IMODE(path.stat().st_mode) == int(spec["mode"], 8), rel


def run_case(module_name, case, tmp_path):
    """Run the module on a case -> (failed, result, commands run); asserts the case's expectations."""
    tmp = str(tmp_path)
    case = _subst(case, tmp)
    dirs = case.get("dirs", [])
    for rel in dirs:
        (Path(tmp) / rel).mkdir(parents=True, exist_ok=True)
        if isinstance(dirs, dict):
            os.chmod(Path(tmp) / rel, int(dirs[rel], 8))
    _write_files(tmp, case.get("files"))
    host = FakeHost(case.get("run_command", []))
    bins = case.get("bins", {})
    warnings = []
    args = dict(case.get("params", {}), _ansible_check_mode=case.get("check_mode", False),
                _ansible_diff=case.get("diff_mode", False))
    module = importlib.import_module(PLUGINS + "modules." + module_name)

    def exit_json(self, **result):
        raise Exit(False, result)

    def fail_json(self, msg, **result):
        raise Exit(True, dict(result, msg=msg))

    patches = [patch_module_args(args),
               mock.patch.object(basic.AnsibleModule, "run_command", lambda self, a, **kw: host.run_command(a, **kw)),
               mock.patch.object(basic.AnsibleModule, "get_bin_path", lambda self, name, *a, **kw: bins.get(name)),
               mock.patch.object(basic.AnsibleModule, "exit_json", exit_json),
               mock.patch.object(basic.AnsibleModule, "fail_json", fail_json),
               mock.patch.object(basic.AnsibleModule, "warn", lambda self, msg: warnings.append(msg))]
    for target, value in (case.get("patch") or {}).items():
        owner, attribute = target.rsplit(".", 1)
        patches.append(mock.patch.object(importlib.import_module(PLUGINS + owner), attribute, value))
    with contextlib.ExitStack() as stack:
        for p in patches:
            stack.enter_context(p)
        with pytest.raises(Exit) as caught:
            module.main()
    failed, result = caught.value.failed, caught.value.result
    assert failed == case.get("failed", False), result
    assert not host.expected, "commands expected but not run: %s" % [_argv(s["command"]) for s in host.expected]
    if "msg" in case:
        assert result["msg"] == case["msg"]
    if "msg_contains" in case:
        assert case["msg_contains"] in result["msg"], result["msg"]
    for key, value in (case.get("result") or {}).items():
        assert key in result, "%s missing from the result %s" % (key, result)
        assert result[key] == value, "%s: got %r, expected %r" % (key, result[key], value)
    for key in case.get("result_absent") or []:
        assert key not in result, "%s should not be in the result" % key
    assert len(warnings) == len(case.get("warnings", [])), warnings
    for got, want in zip(warnings, case.get("warnings", [])):
        assert want in got, (got, want)
    _check_files(tmp, case.get("files_after"))
    return failed, result, host.calls
