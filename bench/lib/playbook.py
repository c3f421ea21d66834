"""One ansible-playbook run of playbooks/site.yml, timed, with its recap.

Wall time is the whole command, start-up included: that is what an operator
waits for. The log of every run is kept next to its inventory.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import time

from . import calls

# the tree whose role and ansible.cfg are measured; use_repo() points the
# same benchmark code at another worktree (a "before" of a change)
HERE_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TREE = {"repo": HERE_REPO}
# count module calls per host (calls.py) from a log beside each run's log
COUNT_CALLS = {"enabled": True}


def use_repo(path):
    TREE["repo"] = os.path.abspath(path)


def repo():
    return TREE["repo"]


def playbook_path():
    return os.path.join(repo(), "playbooks", "site.yml")


_RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+"
                    r"skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)")
_FIELDS = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")


def write_inventory(directory, hosts, group_vars):
    """hosts: [(name, vars)] -> path of a YAML (JSON) inventory of group wireguard.
    The role keeps its key store in <directory>/wireguard."""
    inventory = {"all": {"children": {"wireguard": {"hosts": dict(hosts), "vars": group_vars}}}}
    path = os.path.join(directory, "hosts.yml")
    with open(path, "w") as handle:
        json.dump(inventory, handle, indent=1)
    return path


def parse_recap(text):
    """PLAY RECAP lines -> {host: {ok, changed, ...}}."""
    recap = {}
    for line in text.split("PLAY RECAP", 1)[-1].splitlines():
        m = _RECAP.match(line.strip())
        if m:
            recap[m.group(1)] = dict(zip(_FIELDS, map(int, m.groups()[1:])))
    return recap


# extra environment for every run (fleet.py --env), e.g. ANSIBLE_PIPELINING=1
EXTRA_ENV = {}


def _env(calls_log=None):
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=os.path.join(repo(), "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=os.path.join(repo(), ".collections"),
        ANSIBLE_STDOUT_CALLBACK="default",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        PATH=os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""),
    )
    if calls_log:
        env.update(ANSIBLE_LOG_PATH=calls_log, ANSIBLE_LOG_VERBOSITY="3")
    env.update(EXTRA_ENV)
    return env


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(inventory, log_path, hosts=None):
    """-> {wall_s, controller_cpu_s, rc, recap, tasks_per_host, changed,
    module_calls_per_host, ..., log}; raises if a host failed. controller_cpu_s
    is the CPU time of ansible-playbook and everything it ran on the controller
    (workers, docker CLI). The per-host figures are over ``hosts`` (default:
    every host of the recap; the playbook's localhost play is not one of the fleet)."""
    argv = ["ansible-playbook", "-i", inventory, playbook_path()]
    calls_log = None
    if COUNT_CALLS["enabled"]:
        calls_log = os.path.splitext(log_path)[0] + ".calls.log"
        if os.path.exists(calls_log):
            os.unlink(calls_log)
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=repo(), env=_env(calls_log), capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    cpu = _children_cpu() - cpu
    with open(log_path, "w") as handle:
        handle.write(proc.stdout)
        handle.write(proc.stderr)
    recap = parse_recap(proc.stdout)
    bad = [h for h, s in recap.items() if s["failed"] or s["unreachable"]]
    if proc.returncode != 0 or bad or not recap:
        raise RuntimeError("ansible-playbook failed (rc=%d, hosts %s); log: %s" % (proc.returncode, bad, log_path))
    fleet = {h: recap.get(h, dict.fromkeys(_FIELDS, 0)) for h in (hosts or recap)}
    # a task the host went through, whether it ran or was skipped by its condition
    tasks = {h: s["ok"] + s["skipped"] + s["failed"] for h, s in fleet.items()}
    result = {
        "wall_s": round(wall, 3),
        "controller_cpu_s": round(cpu, 2),
        "rc": proc.returncode,
        "tasks_per_host": max(tasks.values()),
        "tasks_per_host_min": min(tasks.values()),
        "ran_per_host": max(s["ok"] for s in fleet.values()),
        "changed": sum(s["changed"] for s in fleet.values()),
        "changed_hosts": sum(1 for s in fleet.values() if s["changed"]),
        "recap": recap,
        "log": log_path,
        "repo": repo(),
    }
    if calls_log:
        with open(calls_log) as handle:
            text = handle.read()
        per_host = calls.count(text)
        result.update(calls.summarize(per_host, sorted(fleet)), calls_by_host=per_host, modules_run=calls.modules(text))
    return result
