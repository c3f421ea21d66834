#!/usr/bin/env python
"""How long playbooks/site.yml takes across a fleet of local systemd containers.

    python bench/fleet.py                          # N = 3, 10, 30; mesh and star; one bare-image converge
    python bench/fleet.py --sizes 3 --repeat 5     # only N = 3, median of 5
    python bench/fleet.py --topologies mesh --no-bare
    python bench/fleet.py --repo ../before --sizes 10 --topologies mesh --no-bare   # another tree's role

For each topology and size N, a round is: N fresh containers (plus one spare,
outside the inventory) from an image with wireguard-tools and wireguard-go
already installed, then
  converge   the first run, no key anywhere yet;
  rerun      the same run again, nothing to change;
  add        the spare joins the inventory (a mesh member, or a spoke of the star).
Each phase's wall time is the whole ansible-playbook command; the median over
rounds is reported with the tasks each host went through (ok + skipped), the
changed count from the recap, and the module calls each host received
(lib/calls.py, from the connection's -vvv messages written to a log file;
--no-count-calls turns that off). Controller CPU per added host is the growth
of the median controller CPU between consecutive sizes. "bare" is one converge of a 3-node mesh from
the plain Debian image, which installs the packages (needs the Debian mirror),
and lists what it installed.

Needs the docker engine and the images of scripts/build-image.sh; builds
fleetnet/debian-wg:bookworm once. Containers are bench-<n> on the network
fleetnet-bench (172.30.100.0/22) and are removed at the end (--keep keeps them).
Writes bench/results/fleet.json and keeps every run's log under bench/results/runs/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from lib import containers, machine, playbook, summary  # noqa: E402

RESULTS = os.path.join(HERE, "results")
PHASES = summary.PHASES
NETWORK = "10.100.0.0/22"
# the most used WireGuard role, 3 and 10 Debian 12 containers, packages present (issue 8)
REFERENCE = {3: {"converge": 12.0, "rerun": 10.0, "add": 16.0, "tasks": 19}, 10: {"converge": 39.0, "rerun": 32.0, "add": 36.0}}
REFERENCE_BARE_3 = 96.0
DEFAULT_REPEATS = {3: 3, 10: 2, 30: 1}


def tunnel_address(index):
    return "10.100.%d.%d" % (index // 250, index % 250)


def host_vars(topology, index):
    v = {"ansible_connection": "community.docker.docker", "ansible_host": containers.name(index),
         "wireguard_address": tunnel_address(index)}
    if topology == "mesh" or index == 1:
        v["wireguard_endpoint"] = containers.address(index)
    else:
        # spokes behind NAT, as usual in a star: no endpoint, keepalive toward the hub
        v["wireguard_hub"] = containers.name(1)
    return v


def inventory(directory, topology, indices):
    hosts = [(containers.name(i), host_vars(topology, i)) for i in indices]
    return playbook.write_inventory(directory, hosts, {"wireguard_network": [NETWORK]})


def peer_count(index):
    return len(containers.exec_out(index, "wg", "show", "wg0", "peers").split())


def check_peers(topology, indices):
    """The converge really built the topology (a benchmark of a broken run is worthless)."""
    hub = indices[0]
    for i in indices:
        want = len(indices) - 1 if topology == "mesh" or i == hub else 1
        got = peer_count(i)
        if got != want:
            raise RuntimeError("%s has %d peers on wg0, expected %d" % (containers.name(i), got, want))


# wait for this idle share of the CPUs before each run (other work skews wall times)
QUIET = {"threshold": 0.7, "max_wait": 120}


def timed_run(inv, log_path, indices):
    waited, idle = machine.wait_quiet(QUIET["threshold"], QUIET["max_wait"]) if QUIET["max_wait"] else (0, None)
    load = round(machine.load_average(), 2)
    result = playbook.run(inv, log_path, [containers.name(i) for i in indices])
    result.update(idle_before=idle, waited_s=waited, load_before=load, load_after=round(machine.load_average(), 2))
    return result


def one_round(topology, size, run_dir):
    """One converge / rerun / add sequence on fresh containers -> {phase: run}."""
    indices = list(range(1, size + 2))
    members, spare = indices[:-1], indices[-1]
    containers.start(indices, containers.WG_IMAGE)
    os.makedirs(run_dir, exist_ok=True)
    inv = inventory(run_dir, topology, members)
    out = {"converge": timed_run(inv, os.path.join(run_dir, "converge.log"), members)}
    check_peers(topology, members)
    out["rerun"] = timed_run(inv, os.path.join(run_dir, "rerun.log"), members)
    inventory(run_dir, topology, members + [spare])
    out["add"] = timed_run(inv, os.path.join(run_dir, "add.log"), indices)
    check_peers(topology, indices)
    return out


def bare_round(size, run_dir):
    """A converge from the plain image: what does the role install?"""
    indices = list(range(1, size + 1))
    containers.start(indices, containers.BASE_IMAGE)
    os.makedirs(run_dir, exist_ok=True)
    before = containers.packages(1)
    result = timed_run(inventory(run_dir, "mesh", indices), os.path.join(run_dir, "converge.log"), indices)
    check_peers("mesh", indices)
    installed = sorted(containers.packages(1) - before)
    result["installed_packages"] = installed
    result["kernel_image_installed"] = any(p.startswith("linux-image") for p in installed)
    return result


def targets(results):
    """The issue's targets, as pass/fail with the measured value."""
    mesh3 = results.get("mesh", {}).get("3")
    checks = []
    if mesh3:
        s = mesh3["summary"]
        checks += [
            ("rerun, 3 nodes: <= 8 tasks per host", s["rerun"]["tasks_per_host"], s["rerun"]["tasks_per_host"] <= 8),
            ("rerun, 3 nodes: <= 5 s", s["rerun"]["wall_s_median"], s["rerun"]["wall_s_median"] <= 5.0),
            ("converge, 3 nodes: <= 6 s (half of 12 s)", s["converge"]["wall_s_median"], s["converge"]["wall_s_median"] <= 6.0),
            ("add a node, 3 nodes: <= 8 s (half of 16 s)", s["add"]["wall_s_median"], s["add"]["wall_s_median"] <= 8.0),
        ]
    bare = results.get("bare")
    if bare:
        checks.append(("bare image: no kernel image installed", ", ".join(bare["installed_packages"]) or "nothing",
                       not bare["kernel_image_installed"]))
    return [{"target": t, "measured": m, "met": ok} for t, m, ok in checks]


def print_table(results):
    print("\n%-5s %4s  %-9s %9s %15s %7s %8s %8s %9s %10s  %s" % (
        "topo", "N", "phase", "median s", "runs", "cpu s", "tasks/h", "changed", "calls/h", "reference", "ratio"))
    print("(runs: wall time of each round; cpu s: controller CPU, median; tasks/h: most/fewest tasks a host went through;"
          " calls/h: most/fewest module calls a host received, and their total)")
    for topology in ("mesh", "star"):
        for size, entry in sorted(results.get(topology, {}).items(), key=lambda kv: int(kv[0])):
            for phase in PHASES:
                s = entry["summary"][phase]
                ref = REFERENCE.get(int(size), {}).get(phase) if topology == "mesh" else None
                calls = "%d/%d %d" % (s["module_calls_per_host"], s["module_calls_per_host_min"], s["module_calls"]) if "module_calls" in s else "-"
                print("%-5s %4s  %-9s %9.2f %15s %7.1f %8s %8g %9s %10s  %s" % (
                    topology, size, phase, s["wall_s_median"], "/".join("%.1f" % w for w in s["wall_s_runs"]),
                    s["controller_cpu_s_median"], "%d/%d" % (s["tasks_per_host"], s["tasks_per_host_min"]), s["changed"], calls,
                    "%.0f s" % ref if ref else "-", "%.2f" % (s["wall_s_median"] / ref) if ref else "-"))
    for topology, rows in results.get("cpu_per_added_host", {}).items():
        for row in rows:
            print("%s N=%d->%d %s: %.3f s controller CPU per added host" % (topology, row["from"], row["to"], row["phase"], row["per_host"]))
    bare = results.get("bare")
    if bare:
        print("%-5s %4s  %-9s %9.2f %15s %7.1f %8s %8g %10s  %.2f" % (
            "bare", 3, "converge", bare["wall_s"], "%.1f" % bare["wall_s"], bare["controller_cpu_s"],
            "%d/%d" % (bare["tasks_per_host"], bare["tasks_per_host_min"]), bare["changed"],
            "%.0f s" % REFERENCE_BARE_3, bare["wall_s"] / REFERENCE_BARE_3))
        print("bare image installed: %s" % (", ".join(bare["installed_packages"]) or "nothing"))
    print()
    for t in results["targets"]:
        print("%-6s %s (measured: %s)" % ("met" if t["met"] else "MISSED", t["target"], t["measured"]))


def environment():
    def git(*args):
        return subprocess.run(["git"] + list(args), cwd=playbook.repo(), capture_output=True, text=True, check=False).stdout.strip()
    ansible = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible"), "--version"],
                             capture_output=True, text=True, check=False).stdout.splitlines()
    return {
        "repo": playbook.repo(),
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_role_or_plugins": bool(git("status", "--porcelain", "roles", "plugins", "playbooks")),
        "ansible": ansible[0] if ansible else None,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "image": containers.WG_IMAGE,
    }


def parse_sizes(text):
    return [int(s) for s in text.split(",") if s.strip()]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=parse_sizes, default=[3, 10, 30], help="comma-separated N (default 3,10,30)")
    parser.add_argument("--topologies", default="mesh,star", help="mesh, star or both (default)")
    parser.add_argument("--repeat", type=int, help="rounds per size (default: 3 for N<=3, 2 for N<=10, else 1)")
    parser.add_argument("--no-bare", dest="bare", action="store_false", help="skip the bare-image converge")
    parser.add_argument("--quiet-wait", type=int, default=QUIET["max_wait"],
                        help="before each run, wait up to this many seconds for the CPUs to be %d%%%% idle (0: never)" % (QUIET["threshold"] * 100))
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for ansible-playbook, to measure a setting (e.g. ANSIBLE_PIPELINING=1)")
    parser.add_argument("--keep", action="store_true", help="leave the containers running at the end")
    parser.add_argument("--repo", help="measure the role, playbooks and ansible.cfg of this tree (its .collections made by"
                                       " scripts/setup.sh); default: this one")
    parser.add_argument("--no-count-calls", dest="count_calls", action="store_false",
                        help="do not log the connection's messages to count module calls per host")
    parser.add_argument("--json", default=os.path.join(RESULTS, "fleet.json"))
    args = parser.parse_args()
    topologies = [t for t in args.topologies.split(",") if t]
    if set(topologies) - {"mesh", "star"}:
        parser.error("topologies are mesh and star")

    QUIET["max_wait"] = args.quiet_wait
    playbook.COUNT_CALLS["enabled"] = args.count_calls
    if args.repo:
        playbook.use_repo(args.repo)
    for item in args.env:
        key, sep, value = item.partition("=")
        if not sep:
            parser.error("--env takes NAME=VALUE")
        playbook.EXTRA_ENV[key] = value
    # a plain kill still removes the containers (the finally below)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    wall = time.perf_counter()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    runs_root = os.path.join(RESULTS, "runs", stamp)
    if containers.ensure_image():
        print("built %s" % containers.WG_IMAGE)
    results = {"benchmark": "fleet", "time": stamp, "environment": environment(), "command": " ".join(["python"] + sys.argv),
               "extra_env": playbook.EXTRA_ENV}
    used = set()
    try:
        for size in args.sizes:
            repeat = args.repeat or next((r for n, r in sorted(DEFAULT_REPEATS.items()) if size <= n), 1)
            used.update(range(1, size + 2))
            for topology in topologies:
                rounds = []
                for r in range(repeat):
                    print("%s N=%d round %d/%d ..." % (topology, size, r + 1, repeat), end=" ", flush=True)
                    rounds.append(one_round(topology, size, os.path.join(runs_root, "%s-%d-%d" % (topology, size, r + 1))))
                    print(", ".join("%s %.1f s" % (p, rounds[-1][p]["wall_s"]) for p in PHASES), flush=True)
                results.setdefault(topology, {})[str(size)] = {"repeat": repeat, "summary": summary.summarize(rounds), "rounds": rounds}
        if args.bare:
            print("bare image, mesh N=3 ...", end=" ", flush=True)
            used.update(range(1, 4))
            results["bare"] = bare_round(3, os.path.join(runs_root, "bare-3"))
            print("converge %.1f s" % results["bare"]["wall_s"], flush=True)
    finally:
        if not args.keep:
            containers.remove(sorted(used))
            containers.remove_network()
    results["cpu_per_added_host"] = {t: summary.per_added_host({n: e["summary"] for n, e in results[t].items()})
                                     for t in topologies if t in results}
    results["targets"] = targets(results)
    results["total_s"] = round(time.perf_counter() - wall, 1)
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as handle:
        json.dump(results, handle, indent=1)
    print_table(results)
    print("\nwrote %s; logs in %s; took %.0f s" % (args.json, runs_root, results["total_s"]))


if __name__ == "__main__":
    if not shutil.which("docker"):
        raise SystemExit("docker is not on PATH")
    main()
