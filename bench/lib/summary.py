"""Figures of fleet.py's rounds: medians per phase, controller CPU per added
host between sizes, and the ratio of two versions (before/after a change).
One implementation for fleet.py and compare.py; no docker, no Ansible."""

from __future__ import annotations

import statistics

PHASES = ("converge", "rerun", "add")


def _median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 2) if values else None


def summarize(rounds):
    """[{phase: run}] -> {phase: medians and per-round figures}."""
    summary = {}
    for phase in PHASES:
        runs = [r[phase] for r in rounds if phase in r]
        if not runs:
            continue
        summary[phase] = {
            "wall_s_median": _median(r["wall_s"] for r in runs),
            "wall_s_runs": [r["wall_s"] for r in runs],
            "controller_cpu_s_median": _median(r["controller_cpu_s"] for r in runs),
            "controller_cpu_s_runs": [r["controller_cpu_s"] for r in runs],
            "load_before": [r.get("load_before") for r in runs],
            "load_after": [r.get("load_after") for r in runs],
            "idle_before": [r.get("idle_before") for r in runs],
            "tasks_per_host": max(r["tasks_per_host"] for r in runs),
            "tasks_per_host_min": min(r["tasks_per_host_min"] for r in runs),
            "ran_per_host": max(r["ran_per_host"] for r in runs),
            "changed": statistics.median(r["changed"] for r in runs),
            "changed_hosts": statistics.median(r["changed_hosts"] for r in runs),
        }
        if all("module_calls" in r for r in runs):
            # the same every round unless the role misbehaves: report the worst
            summary[phase].update(
                module_calls=max(r["module_calls"] for r in runs),
                module_calls_per_host=max(r["module_calls_per_host"] for r in runs),
                module_calls_per_host_min=min(r["module_calls_per_host_min"] for r in runs),
                round_trips_per_host=max(r["round_trips_per_host"] for r in runs),
                modules_run=runs[-1].get("modules_run"),
            )
    return summary


def per_added_host(by_size, key="controller_cpu_s_median"):
    """{N: summary} of one topology -> [{from, to, phase, per_host}]: the
    growth of `key` per host between consecutive sizes."""
    by_size = {int(n): s for n, s in by_size.items()}  # JSON keys are strings
    sizes = sorted(by_size)
    rows = []
    for low, high in zip(sizes, sizes[1:]):
        for phase in PHASES:
            a = by_size[low].get(phase, {}).get(key)
            b = by_size[high].get(phase, {}).get(key)
            if a is None or b is None:
                continue
            rows.append({"from": low, "to": high, "phase": phase, "per_host": round((b - a) / (high - low), 3)})
    return rows


def ratio(after, before):
    """after / before, rounded; None when either is missing."""
    if after is None or not before:
        return None
    return round(after / before, 2)
