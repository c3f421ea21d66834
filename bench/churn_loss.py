"""Packets lost on an existing, unchanged tunnel while the mesh around it
changes: does a change cost downtime?

    python bench/churn_loss.py              # 3 rounds, about 10 minutes
    python bench/churn_loss.py --rounds 5 --keep

Uses the containers of the molecule scenario `changes` (chg1-chg4; nothing
else may be using them): `molecule converge -s changes` builds the chg1-chg3
mesh, then each round runs these changes with ansible-playbook while chg1
pings chg3 over wg0 at 20 packets/s (every 0.05 s), from 1 s before the
play until 6 s after it:

    no change (control)     the same play with nothing to change
    add node                chg4 joins the mesh
    AllowedIPs change       chg2 gets wireguard_allowed_ips 10.51.0.0/24
    remove node             chg4 leaves the inventory
    AllowedIPs change back  chg2 loses 10.51.0.0/24
    rotate other host       playbooks/rotate.yml -e rotate_hosts=chg2
    rotate pinged host      playbooks/rotate.yml -e rotate_hosts=chg3

A lost packet is a request sent and never answered, those after the last
answer included: the pinger (molecule/resources/tests/pinger.py) stops
sending when the stream stops and waits for the replies still on their way.
A stall is the longest time without any reply, up to the end of the stream:
it also counts packets WireGuard held back while a handshake was pending and
delivered late (not lost); the control row shows what a busy machine alone
does. Prints a table (median and worst over the rounds), writes
bench/results/churn_loss.json and destroys the containers (unless --keep).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "results")
sys.path.insert(0, os.path.join(REPO, "molecule", "resources", "tests"))

from wgcheck import PingStream, recap, write_inventory  # noqa: E402

CONTAINERS = ("chg1", "chg2", "chg3", "chg4")
PINGED = "10.50.0.3"  # chg1 -> chg3: a tunnel none of the changes is about
INTERVAL = 0.05
# the stream runs on this long after the play: past REKEY_TIMEOUT (5 s), so a
# handshake that has to be retried is counted against the change that caused it
SETTLE = 6
JOIN = {"wireguard": {"children": {"spare": {}}}}
LAN = {"wireguard": {"hosts": {"chg2": {"wireguard_allowed_ips": ["10.51.0.0/24"]}}}}
SITE = os.path.join(REPO, "playbooks", "site.yml")
ROTATE = os.path.join(REPO, "playbooks", "rotate.yml")
# (name, inventory additions after the change, playbook, extra args, whose key must change)
CHANGES = (
    # the control: the same play with nothing to change (what a run alone costs the ping)
    ("no change (control)", [], SITE, [], []),
    ("add node", [JOIN], SITE, [], []),
    ("AllowedIPs change", [JOIN, LAN], SITE, [], []),
    ("remove node", [LAN], SITE, [], []),
    ("AllowedIPs change back", [], SITE, [], []),
    ("rotate other host", [], ROTATE, ["-e", "rotate_hosts=chg2"], ["chg2"]),
    ("rotate pinged host", [], ROTATE, ["-e", "rotate_hosts=chg3"], ["chg3"]),
)
MESH = ("chg1", "chg2", "chg3")


class Result:
    def __init__(self, proc):
        self.rc, self.stdout = proc.returncode, proc.stdout


class DockerHost:
    """Just what PingStream needs, through `docker exec`."""

    def __init__(self, name):
        self.name = name

    def run(self, command):
        return Result(subprocess.run(["docker", "exec", self.name, "sh", "-c", command],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False))

    def check_output(self, command):
        result = self.run(command)
        if result.rc != 0:
            raise RuntimeError("%s: %s failed: %s" % (self.name, command, result.stdout))
        return result.stdout.strip()


def environment(ephemeral):
    env = dict(os.environ, MOLECULE_EPHEMERAL_DIRECTORY=ephemeral, ANSIBLE_FORCE_COLOR="0", PY_COLORS="0", NO_COLOR="1",
               ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".collections"))
    env["PATH"] = "%s:%s" % (os.path.join(REPO, ".venv", "bin"), env.get("PATH", ""))
    return env


def run(argv, env, log):
    with open(log, "a") as handle:
        handle.write("\n$ %s\n" % " ".join(argv))
        handle.flush()
        proc = subprocess.run(argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
        handle.write(proc.stdout)
    if proc.returncode != 0:
        sys.exit("%s failed (rc=%d); see %s" % (" ".join(argv[:3]), proc.returncode, log))
    return proc.stdout


def overlay_args(parts, path):
    if not parts:
        return []
    merged = {}
    for part in parts:
        for group, value in part.items():
            for kind, entries in value.items():
                merged.setdefault(group, {}).setdefault(kind, {}).update(entries)
    return ["-i", write_inventory(path, merged)]


def wg0(host, what):
    """`wg show wg0 public-key`, or wg0's ifindex (a restart makes a new one)."""
    if what == "ifindex":
        return DockerHost(host).check_output("cat /sys/class/net/wg0/ifindex")
    return DockerHost(host).check_output("wg show wg0 public-key")


def measure(change, inventory, overlay, env, log):
    name, parts, playbook, extra, rotated = change
    keys = {h: wg0(h, "key") for h in MESH}
    links = {h: wg0(h, "ifindex") for h in MESH}
    stream = PingStream(DockerHost("chg1"), PINGED, INTERVAL).start()
    time.sleep(1)
    started = time.time()
    output = run(["ansible-playbook", "-i", inventory] + overlay_args(parts, overlay) + [playbook] + extra, env, log)
    ended = time.time()
    time.sleep(SETTLE)
    result = stream.stop()
    # when the slowest reply came, from the end of the play (negative: during it)
    at = result.pop("max_rtt_at")
    result["max_rtt_after_play_s"] = None if at is None else round(at - ended, 2)
    changed = sorted(h for h, c in recap(output).items() if c.get("changed"))
    new_keys = sorted(h for h in MESH if wg0(h, "key") != keys[h])
    if new_keys != rotated:
        sys.exit("%s: expected new keys on %s, got %s" % (name, rotated, new_keys))
    restarted = sorted(h for h in MESH if wg0(h, "ifindex") != links[h])
    return dict(result, change=name, play_seconds=round(ended - started, 1), changed_hosts=changed,
                new_keys=new_keys, restarted=restarted)


def summarize(samples):
    by_change = {}
    for sample in samples:
        by_change.setdefault(sample["change"], []).append(sample)
    summary = {}
    for name in (change[0] for change in CHANGES):
        rows = by_change.get(name, [])
        lost = [r["lost"] for r in rows]
        stall = [r["longest_stall_s"] for r in rows]
        summary[name] = {
            "lost": lost, "median_lost": statistics.median(lost), "max_lost": max(lost),
            "longest_stall_s": stall, "median_longest_stall_s": statistics.median(stall), "max_longest_stall_s": max(stall),
            "max_rtt_ms": [r["max_rtt_ms"] for r in rows],
            "max_rtt_after_play_s": [r["max_rtt_after_play_s"] for r in rows],
            "sent": [r["sent"] for r in rows], "play_seconds": [r["play_seconds"] for r in rows],
            "restarted": sorted({h for r in rows for h in r["restarted"]}),
        }
    return summary


def print_table(summary, rounds):
    print("\nPackets lost chg1 -> chg3 at %d packets/s during each change (%d rounds; load average %.1f)\n" % (
        round(1 / INTERVAL), rounds, os.getloadavg()[0]))
    row = "%-24s %11s %8s %16s %13s %13s  %s"
    print(row % ("change", "median lost", "max lost", "stall (s) med", "stall (s) max", "play time (s)", "wg0 restarted"))
    for name, s in summary.items():
        print(row % (name, s["median_lost"], s["max_lost"], s["median_longest_stall_s"], s["max_longest_stall_s"],
                     statistics.median(s["play_seconds"]), ", ".join(s["restarted"]) or "none"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="leave the containers running")
    args = parser.parse_args()
    existing = subprocess.run(["docker", "ps", "-a", "--format", "{{.Names}}"], stdout=subprocess.PIPE, text=True,
                              check=True).stdout.split()
    busy = [c for c in CONTAINERS if c in existing]
    if busy:
        sys.exit("containers %s exist (molecule -s changes running?): wait for it or run `molecule destroy -s changes`"
                 % ", ".join(busy))
    os.makedirs(RESULTS, exist_ok=True)
    ephemeral = tempfile.mkdtemp(prefix="fleetnet-churn-")
    env = environment(ephemeral)
    log = os.path.join(RESULTS, "churn_loss.log")
    open(log, "w").close()
    inventory = os.path.join(ephemeral, "inventory")
    overlay = os.path.join(ephemeral, "changes.yml")
    samples = []
    try:
        print("converging chg1-chg3 (molecule converge -s changes) ...", flush=True)
        run(["molecule", "converge", "-s", "changes"], env, log)
        DockerHost("chg2").check_output("ip address add 10.51.0.1/32 dev lo")
        implementation = "userspace (wireguard-go)" if " tun " in DockerHost("chg1").check_output("ip -d link show wg0") \
            else "kernel"
        for number in range(1, args.rounds + 1):
            for change in CHANGES:
                sample = measure(change, inventory, overlay, env, log)
                sample["round"] = number
                samples.append(sample)
                print("round %d  %-24s lost %3d of %4d  longest stall %.2f s  max rtt %s ms (%+.1f s)  play %.1f s  new keys %s  restarted %s" % (
                    number, change[0], sample["lost"], sample["sent"], sample["longest_stall_s"], sample["max_rtt_ms"],
                    sample["max_rtt_after_play_s"] or 0,
                    sample["play_seconds"], sample["new_keys"] or "-", sample["restarted"] or "-"), flush=True)
    finally:
        if not args.keep:
            run(["molecule", "destroy", "-s", "changes"], env, log)
    summary = summarize(samples)
    print_table(summary, args.rounds)
    report = {
        "command": "python bench/churn_loss.py --rounds %d" % args.rounds,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"kernel": platform.release(), "cpus": os.cpu_count(), "load_average_at_end": list(os.getloadavg())},
        "wireguard": implementation,
        "ping": {"from": "chg1", "to": PINGED, "interval_s": INTERVAL, "after_play_s": SETTLE},
        "rounds": args.rounds,
        "summary": summary,
        "samples": samples,
    }
    path = os.path.join(RESULTS, "churn_loss.json")
    with open(path, "w") as handle:
        json.dump(report, handle, indent=1)
    print("\nJSON: %s (log of every play: %s)" % (os.path.relpath(path), os.path.relpath(log)))


if __name__ == "__main__":
    main()
