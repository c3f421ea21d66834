#!/usr/bin/env python
"""Controller-side cost of a fleet: inventory -> validation -> keys -> peers ->
every host's wg-quick file, for a large full mesh and a large star; then the
role's controller stages (the preflight role's validate, the role's
fleetnet.wireguard.fleet tasks, read from the role's files) inside
ansible-playbook against the same inventory, with the controller CPU of
every process of the run and the largest process's peak RSS, beside
Ansible's floor (one task that does nothing) and, with --baseline, the
same stages of another commit, interleaved.

    python bench/controller.py                     # 1,000-host mesh, 10,000-spoke star
    python bench/controller.py --mesh 200 --star 2000 --repeat 1
    python bench/controller.py --star 0 --ansible-only --baseline main   # before/after at 1,000 hosts

Each scenario runs in a fresh interpreter so its peak RSS is its own: once
untraced for the wall time and ru_maxrss, once under tracemalloc for the peak
of Python allocations. Public keys are real X25519 keys, made once and cached
in bench/results/ (they cost about 1 ms each in pure Python; no private key is
kept). Results: a table on stdout, JSON in bench/results/controller.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "results")
sys.path.insert(0, os.path.join(REPO, ".collections"))
sys.path.insert(0, HERE)

from ansible_collections.fleetnet.wireguard.plugins.module_utils import interface_config, key_store, paths, pipeline, wg_keys  # noqa: E402
from lib import machine  # noqa: E402

TARGET_SECONDS = 10.0
TARGET_BYTES = 2 * 1024 ** 3


def public_keys(count):
    """``count`` distinct real public keys, cached across runs."""
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, "pubkeys.txt")
    keys = []
    if os.path.exists(path):
        with open(path) as handle:
            keys = [line.strip() for line in handle if line.strip()]
    if len(keys) < count:
        keys += [wg_keys.public_key(wg_keys.generate_private_key()) for _key in range(count - len(keys))]
        with open(path, "w") as handle:
            handle.write("\n".join(keys) + "\n")
    return keys[:count]


def address(index):
    """10.<hi>.<lo>.<n>: hosts 1.. inside 10.0.0.0/8, never .0 or .255."""
    index += 1
    return "10.%d.%d.%d" % (index // 62500, (index // 250) % 250, index % 250 + 1)


def underlay(index):
    """The host's public address, which Ansible reaches it at too (ansible_host)."""
    return "198.%d.%d.%d" % (18 + index // 62500, (index // 250) % 250, index % 250 + 1)


def mesh_inventory(n):
    return {"node%05d" % i: {"ansible_host": underlay(i), "wireguard_address": address(i),
                             "wireguard_endpoint": underlay(i), "wireguard_network": ["10.0.0.0/8"]} for i in range(n)}


def star_inventory(spokes):
    """A hub with a public endpoint; spokes behind NAT, reached by Ansible at their own address."""
    inventory = {"hub": {"ansible_host": underlay(0), "wireguard_address": address(0), "wireguard_endpoint": underlay(0),
                         "wireguard_network": ["10.0.0.0/8"]}}
    for i in range(1, spokes + 1):
        inventory["spoke%05d" % i] = {"ansible_host": underlay(i), "wireguard_address": address(i), "wireguard_hub": "hub",
                                      "wireguard_network": ["10.0.0.0/8"]}
    return inventory


SCENARIOS = {"mesh": mesh_inventory, "star": star_inventory}


def run_scenario(kind, size, traced):
    """One measurement in this process: -> dict."""
    inventory = SCENARIOS[kind](size)
    keys = public_keys(len(inventory))
    store = key_store.Snapshot.of({("wg0", host): keys[i] for i, host in enumerate(sorted(inventory))})
    if traced:
        tracemalloc.start()
    start = time.perf_counter()
    # the fleet action's own pipeline, plan stage, on a key store read into memory
    out = pipeline.run(inventory, store)
    planned = time.perf_counter()
    problems = out["problems"]
    if problems.errors:
        raise SystemExit("the synthetic inventory has problems: %r" % (problems.errors[:3],))
    result = out["plan"]
    peers = rendered = 0
    for host in result:
        for ifname, desired in result[host].items():
            peers += len(desired["peers"])
            # the host renders its own file; keeping a million peers' text is not the point
            rendered += len(interface_config.render(desired, paths.private_key_path(ifname)))
    end = time.perf_counter()
    out = {"kind": kind, "size": size, "hosts": len(inventory), "peer_entries": peers, "rendered_bytes": rendered,
           "plan_s": planned - start, "render_s": end - planned, "total_s": end - start,
           "warnings": len(problems.warnings)}
    if traced:
        out["tracemalloc_peak_bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    # ru_maxrss is in KiB on Linux
    out["maxrss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return out


def _fleet_tasks(tasks):
    """The role's tasks that run the fleet action (its controller stages), blocks opened."""
    found = []
    for task in tasks or []:
        if "block" in task:
            found += _fleet_tasks(task["block"])
        elif any(key in task for key in ("fleetnet.wireguard.fleet", "fleet")):
            found.append(dict(task))
    return found


def ansible_play(collection, per_host=False):
    """The role's controller stages alone, as the role runs them, read from
    ``collection``'s own files: the preflight role (validate), then every
    fleetnet.wireguard.fleet task of roles/wireguard/tasks/main.yml, with
    the role's defaults and the key store next to the inventory. No host is
    contacted. -> the play as YAML text"""
    roles = os.path.join(collection, "roles")
    with open(os.path.join(roles, "wireguard", "defaults", "main.yml")) as handle:
        play_vars = yaml.safe_load(handle) or {}
    play_vars["wireguard_controller_dir"] = "{{ inventory_dir }}/wireguard"
    role_vars = os.path.join(roles, "wireguard", "vars", "main.yml")
    if os.path.exists(role_vars):  # the role's internal variables (its fallback's gate)
        with open(role_vars) as handle:
            play_vars.update(yaml.safe_load(handle) or {})
    with open(os.path.join(roles, "wireguard", "tasks", "main.yml")) as handle:
        tasks = _fleet_tasks(yaml.safe_load(handle))
    if per_host:
        # what the apply task templates on the controller for each host before its round trip: its whole plan
        # (a baseline from before the packed plan reads its slice as it was)
        packed = os.path.exists(os.path.join(collection, "plugins", "filter", "host_plan.py"))
        plan = ("wireguard__fleet | fleetnet.wireguard.host_plan(inventory_hostname)" if packed
                else "wireguard__fleet.plan[inventory_hostname] | default('{}')")
        tasks.append({"name": "per-host slice", "ansible.builtin.debug": {"msg": "{{ %s | from_json | length }}" % plan}})
    play = {"name": "The role's controller stages alone, for every host of the inventory", "hosts": "wireguard",
            "gather_facts": False, "vars": play_vars, "roles": ["fleetnet.wireguard.preflight"], "tasks": tasks}
    return yaml.safe_dump([play], sort_keys=False)


# Ansible's own cost of a play over the same inventory: one run_once task that does nothing
FLOOR_PLAY = """- name: Ansible's floor
  hosts: wireguard
  gather_facts: false
  tasks:
    - name: nothing
      ansible.builtin.debug:
        msg: nothing
      run_once: true
"""
_TASK_TIME = re.compile(r"^(.+?) -+ ([0-9.]+)s$")


def run_in_ansible(kind, size, per_host, collection=REPO, floor=False):
    """The role's controller stages inside ansible-playbook, with the
    collection at ``collection``: hostvars, the key store (every key read
    from disk), validation, planning, and the result handed back to Ansible
    and registered for every host. -> dict"""
    inventory = SCENARIOS[kind](size)
    keys = public_keys(len(inventory))
    workdir = tempfile.mkdtemp(prefix="bench-controller-")
    try:
        store = os.path.join(workdir, "wireguard", "public", "wg0")
        os.makedirs(store)
        for i, host in enumerate(sorted(inventory)):
            with open(os.path.join(store, host + ".pub"), "w") as handle:
                handle.write(keys[i] + "\n")
        with open(os.path.join(workdir, "hosts.yml"), "w") as handle:
            json.dump({"all": {"children": {"wireguard": {"hosts": inventory}}}}, handle)
        with open(os.path.join(workdir, "play.yml"), "w") as handle:
            handle.write(FLOOR_PLAY if floor else ansible_play(collection, per_host))
        # the collection found by its FQCN under <collections>/ansible_collections/fleetnet/wireguard
        collections = os.path.join(workdir, "collections")
        os.makedirs(os.path.join(collections, "ansible_collections", "fleetnet"))
        os.symlink(collection, os.path.join(collections, "ansible_collections", "fleetnet", "wireguard"))
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                   ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_ROLES_PATH=os.path.join(collection, "roles"),
                   ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks")
        argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "hosts.yml", "play.yml"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(argv, cwd=workdir, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise SystemExit("ansible-playbook failed:\n%s\n%s" % (proc.stdout[-3000:], proc.stderr[-3000:]))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    tasks = {}
    for line in proc.stdout.splitlines():
        m = _TASK_TIME.match(line.strip())
        if m:
            tasks[m.group(1).split(" : ")[-1]] = float(m.group(2))
    return {"kind": kind, "size": size, "hosts": len(inventory), "wall_s": wall, "task_s": tasks,
            "cpu_s": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
            # the largest single process of the run (the playbook's main process or a worker)
            "maxrss_bytes": after.ru_maxrss * 1024}


def commit_of(tree):
    """The commit a tree holds, with +changes when it differs from it."""
    def git(*argv):
        return subprocess.run(["git", "-C", tree] + list(argv), capture_output=True, text=True, check=False).stdout.strip()
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def baseline_tree(ref):
    """``ref`` of this repository unpacked into a temporary directory -> (path, commit)."""
    commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", ref], capture_output=True, text=True, check=True).stdout.strip()
    path = tempfile.mkdtemp(prefix="bench-baseline-%s-" % commit)
    archive = subprocess.run(["git", "-C", REPO, "archive", ref], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", path], input=archive, check=True)
    return path, commit


QUIET = {"threshold": 0.7, "max_wait": 120}


def in_child(kind, size, traced=False, per_host=False, collection=None):
    waited, idle = machine.wait_quiet(QUIET["threshold"], QUIET["max_wait"]) if QUIET["max_wait"] else (0, None)
    argv = [sys.executable, os.path.abspath(__file__), "--child", kind, str(size)]
    argv += (["--traced"] if traced else []) + (["--per-host"] if per_host else [])
    argv += ["--collection", collection] if collection else []
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit("%s %d failed:\n%s" % (kind, size, proc.stderr))
    return dict(json.loads(proc.stdout), idle_before=idle, waited_s=waited)


def human_bytes(n):
    return "%.0f MiB" % (n / 1024 ** 2)


def in_ansible(kind, size, repeat, per_host, baseline):
    """The controller stages in ansible-playbook ``repeat`` times, each
    round also with the baseline tree (when given) and Ansible's floor, one
    after another so that the machine's load falls on all alike.
    -> {"this": summary, "baseline": summary or None, "floor": summary}"""
    runs = {"this": [], "baseline": [], "floor": []}
    for _round in range(max(1, repeat)):
        if baseline:
            runs["baseline"].append(in_child("ansible-" + kind, size, per_host=per_host, collection=baseline[0]))
        runs["this"].append(in_child("ansible-" + kind, size, per_host=per_host))
        runs["floor"].append(in_child("floor-" + kind, size))
    commits = {"this": commit_of(REPO), "baseline": baseline[1] if baseline else None, "floor": None}
    return {which: _summary(found, commits[which]) if found else None for which, found in runs.items()}


def _summary(runs, commit):
    out = {"commit": commit, "runs": runs}
    for key in ("wall_s", "cpu_s", "maxrss_bytes"):
        out[key] = statistics.median(r[key] for r in runs)
    out["task_s"] = {name: statistics.median(r["task_s"].get(name, 0.0) for r in runs) for name in runs[0]["task_s"]}
    return out


def _print_in_ansible(row, repeat):
    a = row["in_ansible"]
    print("%s, %d hosts, in ansible-playbook (median of %d; CPU of every process of the run, largest process):" % (
        row["kind"], row["hosts"], repeat))
    for which in ("baseline", "this", "floor"):
        m = a.get(which)
        if not m:
            continue
        label = {"this": "this tree %s" % m["commit"], "baseline": "baseline %s" % m["commit"], "floor": "Ansible's floor"}[which]
        print("  %-24s %6.2f s CPU %8s  %6.1f s wall  %s" % (
            label, m["cpu_s"], human_bytes(m["maxrss_bytes"]), m["wall_s"],
            ", ".join("%s %.1f s" % kv for kv in m["task_s"].items())))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mesh", type=int, default=1000, help="hosts in the full mesh (0 to skip)")
    parser.add_argument("--star", type=int, default=10000, help="spokes of the star (0 to skip)")
    parser.add_argument("--repeat", type=int, default=3, help="untraced runs per scenario (median reported)")
    parser.add_argument("--no-ansible", dest="ansible", action="store_false",
                        help="skip timing the role's controller stages inside ansible-playbook")
    parser.add_argument("--ansible-only", action="store_true",
                        help="time only the role's controller stages inside ansible-playbook")
    parser.add_argument("--ansible-repeat", type=int, default=3, help="ansible-playbook runs per scenario (median reported)")
    parser.add_argument("--baseline", metavar="REF",
                        help="also run the stages of the collection at git REF (such as main), interleaved with this tree's")
    parser.add_argument("--ansible-per-host", action="store_true",
                        help="for the mesh, add the per-host templating of each host's slice of the plan (slow: minutes)")
    parser.add_argument("--quiet-wait", type=int, default=QUIET["max_wait"],
                        help="before each run, wait up to this many seconds for the CPUs to be 70%% idle (0: never)")
    parser.add_argument("--json", default=os.path.join(RESULTS, "controller.json"))
    parser.add_argument("--child", nargs=2, metavar=("KIND", "SIZE"), help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--per-host", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--collection", default=REPO, help=argparse.SUPPRESS)
    args = parser.parse_args()
    QUIET["max_wait"] = args.quiet_wait
    if args.child:
        if args.child[0].startswith(("ansible-", "floor-")):
            which, kind = args.child[0].split("-", 1)
            print(json.dumps(run_in_ansible(kind, int(args.child[1]), args.per_host, args.collection, floor=which == "floor")))
        else:
            print(json.dumps(run_scenario(args.child[0], int(args.child[1]), args.traced)))
        return

    wall = time.perf_counter()
    public_keys(max(args.mesh, args.star + 1))  # made once, outside every timing
    baseline = baseline_tree(args.baseline) if args.ansible and args.baseline else None
    try:
        rows = _rows(args, baseline)
    finally:
        if baseline:
            shutil.rmtree(baseline[0], ignore_errors=True)
    if not args.ansible_only:
        _print_pure(rows)
    for r in rows:
        if r.get("in_ansible"):
            _print_in_ansible(r, args.ansible_repeat)
    report = {"benchmark": "controller", "python": platform.python_version(), "machine": platform.machine(),
              "cpus": os.cpu_count(), "repeat": args.repeat, "ansible_repeat": args.ansible_repeat,
              "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "rows": rows}
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as handle:
        json.dump(report, handle, indent=2)
    print("wrote %s in %.0f s" % (args.json, time.perf_counter() - wall))


def _rows(args, baseline):
    rows = []
    for kind, size in (("mesh", args.mesh), ("star", args.star)):
        if size <= 0:
            continue
        if args.ansible_only:
            rows.append({"kind": kind, "size": size, "hosts": len(SCENARIOS[kind](size)), "in_ansible": in_ansible(
                kind, size, args.ansible_repeat, args.ansible_per_host and kind == "mesh", baseline)})
            continue
        runs = [in_child(kind, size) for _run in range(max(1, args.repeat))]
        traced = in_child(kind, size, traced=True)
        row = dict(runs[0])
        for key in ("plan_s", "render_s", "total_s", "maxrss_bytes"):
            row[key] = statistics.median(r[key] for r in runs)
        row["runs_total_s"] = [round(r["total_s"], 3) for r in runs]
        row["tracemalloc_peak_bytes"] = traced["tracemalloc_peak_bytes"]
        row["meets_target"] = row["total_s"] < TARGET_SECONDS and row["maxrss_bytes"] < TARGET_BYTES
        if args.ansible:
            row["in_ansible"] = in_ansible(kind, size, args.ansible_repeat, args.ansible_per_host and kind == "mesh", baseline)
        rows.append(row)
    return rows


def _print_pure(rows):
    print("%-5s %7s %12s %9s %9s %9s %13s %13s  %s" % (
        "kind", "hosts", "peer entries", "plan s", "render s", "total s", "peak RSS", "py heap peak", "target (<10 s, <2 GiB)"))
    for r in rows:
        print("%-5s %7d %12d %9.2f %9.2f %9.2f %13s %13s  %s" % (
            r["kind"], r["hosts"], r["peer_entries"], r["plan_s"], r["render_s"], r["total_s"],
            human_bytes(r["maxrss_bytes"]), human_bytes(r["tracemalloc_peak_bytes"]), "met" if r["meets_target"] else "MISSED"))


if __name__ == "__main__":
    main()
