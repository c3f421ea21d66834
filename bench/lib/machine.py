"""How busy the machine is: other work on a 2-core box moves wall times a lot,
so every run records the idle share seen just before it, and the benchmark
can wait for a quiet moment first."""

from __future__ import annotations

import os
import time


def _cpu_times():
    with open("/proc/stat") as handle:
        fields = [int(v) for v in handle.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return idle, sum(fields)


def idle_share(seconds=1.0):
    """Share of all CPUs idle over the next ``seconds`` (0..1)."""
    idle0, total0 = _cpu_times()
    time.sleep(seconds)
    idle1, total1 = _cpu_times()
    return (idle1 - idle0) / max(1, total1 - total0)


def wait_quiet(threshold, max_wait):
    """Sleep until the CPUs are at least ``threshold`` idle or ``max_wait`` s
    have passed. -> (seconds waited, idle share last seen)"""
    start = time.monotonic()
    idle = idle_share()
    while idle < threshold and time.monotonic() - start < max_wait:
        time.sleep(4)
        idle = idle_share()
    return round(time.monotonic() - start, 1), round(idle, 2)


def load_average():
    return os.getloadavg()[0]
