#!/usr/bin/env python
"""Before/after table of bench/fleet.py results, as markdown.

    python bench/compare.py --before b1.json b2.json --after a1.json a2.json

Rounds of the same topology and size are pooled over the files of each side
(fleet.py runs one (topology, N) block per invocation when the docker lock is
shared, and before/after blocks are interleaved), then summarized as fleet.py
does (lib/summary.py). Ratios are after / before of the medians; the issue's
targets are checked at N = 10: re-run <= 0.6, add a node <= 0.7 of before,
and at most one module call per host on a re-run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from lib import summary  # noqa: E402

TARGETS = {"rerun": 0.6, "add": 0.7}
TARGET_SIZE = 10


def pooled(paths):
    """JSON files -> ({topology: {N: summary}}, {topology: {N: [load before each run]}}, commits)."""
    rounds, commits = {}, []
    for path in paths:
        with open(path) as handle:
            data = json.load(handle)
        commits.append(data["environment"]["commit"] + ("+" if data["environment"].get("uncommitted_role_or_plugins") else ""))
        for topology in ("mesh", "star"):
            for size, entry in data.get(topology, {}).items():
                rounds.setdefault(topology, {}).setdefault(int(size), []).extend(entry["rounds"])
    summaries = {t: {n: summary.summarize(r) for n, r in by_size.items()} for t, by_size in rounds.items()}
    return summaries, sorted(set(commits))


def fmt_runs(s):
    return "%.2f (%s)" % (s["wall_s_median"], " / ".join("%.1f" % w for w in s["wall_s_runs"]))


def fmt_calls(s):
    if "module_calls_per_host" not in s:
        return "–"
    return "%d/%d (%d)" % (s["module_calls_per_host"], s["module_calls_per_host_min"], s["module_calls"])


def fmt_load(s):
    loads = [x for x in s["load_before"] if x is not None]
    return "%.1f–%.1f" % (min(loads), max(loads)) if loads else "–"


def table(before, after):
    lines = ["| topology | N | phase | before s (runs) | after s (runs) | wall after/before | before CPU s | after CPU s"
             " | CPU after/before | module calls per host before → after (most/fewest, total) | load before → after |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    checks = []
    for topology in ("mesh", "star"):
        sizes = sorted(set(before.get(topology, {})) | set(after.get(topology, {})))
        for size in sizes:
            for phase in summary.PHASES:
                b = before.get(topology, {}).get(size, {}).get(phase)
                a = after.get(topology, {}).get(size, {}).get(phase)
                if not b and not a:
                    continue
                wall = summary.ratio(a and a["wall_s_median"], b and b["wall_s_median"])
                cpu = summary.ratio(a and a["controller_cpu_s_median"], b and b["controller_cpu_s_median"])
                lines.append("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s → %s | %s → %s |" % (
                    topology, size, phase, fmt_runs(b) if b else "–", fmt_runs(a) if a else "–",
                    "**%.2f**" % wall if wall is not None else "–",
                    "%.1f" % b["controller_cpu_s_median"] if b else "–", "%.1f" % a["controller_cpu_s_median"] if a else "–",
                    "%.2f" % cpu if cpu is not None else "–", fmt_calls(b) if b else "–", fmt_calls(a) if a else "–",
                    fmt_load(b) if b else "–", fmt_load(a) if a else "–"))
                if size == TARGET_SIZE and phase in TARGETS and wall is not None:
                    checks.append("%s N=%d %s: wall %.2f of before (target <= %.1f: %s), controller CPU %.2f" % (
                        topology, size, phase, wall, TARGETS[phase], "met" if wall <= TARGETS[phase] else "MISSED", cpu))
                if phase == "rerun" and a and "module_calls_per_host" in a:
                    checks.append("%s N=%d rerun: %d module call(s) per host at most (target <= 1: %s)" % (
                        topology, size, a["module_calls_per_host"], "met" if a["module_calls_per_host"] <= 1 else "MISSED"))
    return lines, checks


def per_host_table(before, after):
    lines = ["| topology | sizes | phase | before: controller CPU s per added host | after |", "|---|---|---|---|---|"]
    for topology in ("mesh", "star"):
        b = {(r["from"], r["to"], r["phase"]): r["per_host"] for r in summary.per_added_host(before.get(topology, {}))}
        a = {(r["from"], r["to"], r["phase"]): r["per_host"] for r in summary.per_added_host(after.get(topology, {}))}
        for key in sorted(set(b) | set(a), key=lambda k: (k[0], k[1], summary.PHASES.index(k[2]))):
            lines.append("| %s | %d → %d | %s | %s | %s |" % (
                topology, key[0], key[1], key[2], "%.3f" % b[key] if key in b else "–", "%.3f" % a[key] if key in a else "–"))
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", nargs="+", required=True, help="fleet.py JSON files of the version before")
    parser.add_argument("--after", nargs="+", default=[], help="fleet.py JSON files of the version after")
    args = parser.parse_args()
    before, before_commits = pooled(args.before)
    after, after_commits = pooled(args.after) if args.after else ({}, [])
    print("before: %s; after: %s\n" % (", ".join(before_commits), ", ".join(after_commits) or "–"))
    lines, checks = table(before, after)
    print("\n".join(lines))
    print()
    print("\n".join(per_host_table(before, after)))
    print()
    for check in checks:
        print("- " + check)


if __name__ == "__main__":
    main()
