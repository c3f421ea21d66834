"""Module calls per host, counted from Ansible's -vvv connection messages.

A run writes them to a log file (ANSIBLE_LOG_PATH with ANSIBLE_LOG_VERBOSITY=3)
instead of stdout: the console stays at its normal verbosity, the docker
connection does not look up the container's user as it does under -vvv, and
the callback prints no result dumps, so counting costs little of the timing.

Every command the connection runs on a host is one `<host> EXEC [...]` line,
every file copy one `<host> PUT ...` line. A module call is the EXEC that
starts the module's interpreter: with pipelining `/usr/bin/python3 && sleep 0` (`/usr/bin/python3` on
ansible-core 2.21)
(the module comes on stdin), without it `/usr/bin/python3 <tmp>/AnsiballZ_x.py`.
Interpreter discovery, mkdir, chmod and rm of the temp directory are round
trips but not module calls. An action that runs several modules in one task
(fleetnet.wireguard.converge) counts as as many calls as it starts.
"""

from __future__ import annotations

import re

# "<bench-1> EXEC ['/usr/bin/docker', b'exec', ...]" after the logger's prefix
_LINE = re.compile(r"<([^>\s]+)> (EXEC|PUT) (.*)$")
# the command ends with the interpreter, then either nothing (pipelined: the
# module on stdin) or an AnsiballZ file; ansible-core up to 2.20 appends
# " && sleep 0" to every command, 2.21 does not
_MODULE = re.compile(r"/python[0-9.]*(?: \S*AnsiballZ_[\w.]+\.py)?(?:\s*&& sleep 0)?['\"]*\]\s*$")
# printed once per module execution, without the host
_MODULE_FILE = re.compile(r"Using module file \S*/([\w.]+)\.py$")


def count(text):
    """Log text -> {host: {"module_calls": n, "execs": n, "puts": n}}."""
    hosts = {}
    for line in text.splitlines():
        m = _LINE.search(line)
        if not m:
            continue
        host, kind, rest = m.groups()
        c = hosts.setdefault(host, {"module_calls": 0, "execs": 0, "puts": 0})
        if kind == "PUT":
            c["puts"] += 1
            continue
        c["execs"] += 1
        if _MODULE.search(rest):
            c["module_calls"] += 1
    return hosts


def summarize(counts, hosts):
    """Per-host counts -> the figures of one run. Hosts of the inventory that
    saw no call at all (left out by the play) count as 0."""
    calls = [counts.get(h, {}).get("module_calls", 0) for h in hosts]
    trips = [counts.get(h, {}).get("execs", 0) + counts.get(h, {}).get("puts", 0) for h in hosts]
    if not calls:
        return {"module_calls": 0, "module_calls_per_host": 0, "module_calls_per_host_min": 0, "round_trips_per_host": 0}
    return {
        "module_calls": sum(calls),
        "module_calls_per_host": max(calls),
        "module_calls_per_host_min": min(calls),
        "round_trips_per_host": max(trips),
    }


def modules(text):
    """Log text -> {module name: executions} over all hosts (the log does not
    say which host a module file was for)."""
    names = {}
    for line in text.splitlines():
        m = _MODULE_FILE.search(line)
        if m:
            names[m.group(1)] = names.get(m.group(1), 0) + 1
    return names
