"""Module calls per host as bench/fleet.py counts them (bench/lib/calls.py)
from the docker connection's -vvv messages, and the figures it derives from
its rounds (bench/lib/summary.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from lib import calls, summary  # noqa: E402  pylint: disable=wrong-import-position

PREFIX = "2026-12-01 06:20:01,123 p=4242 u=root n=ansible INFO| "


def exec_line(host, command):
    """One EXEC message as community.docker's connection logs it."""
    return PREFIX + "<%s> EXEC ['/usr/bin/docker', b'exec', b'-i', '%s', '/bin/sh', '-c', %r]" % (host, host, command)


DISCOVERY = ("/bin/sh -c 'echo PLATFORM; uname; echo FOUND; command -v '\"'\"'python3.13'\"'\"'; "
             "command -v '\"'\"'/usr/bin/python3'\"'\"'; echo ENDFOUND && sleep 0'")
PIPELINED = "/bin/sh -c '/usr/bin/python3.11 && sleep 0'"
TMP = "/root/.ansible/tmp/ansible-tmp-1764570001.1-42-1"
NOT_PIPELINED = [
    "/bin/sh -c '( umask 77 && mkdir -p \"` echo /root/.ansible/tmp `\" && mkdir \"` echo %s `\" ) && sleep 0'" % TMP,
    "/bin/sh -c 'chmod u+x %s/ %s/AnsiballZ_converge.py && sleep 0'" % (TMP, TMP),
    "/bin/sh -c '/usr/bin/python3 %s/AnsiballZ_converge.py && sleep 0'" % TMP,
    "/bin/sh -c 'rm -f -r %s/ > /dev/null 2>&1 && sleep 0'" % TMP,
]


def test_pipelined_module_calls_are_counted_per_host_and_discovery_is_not():
    log = "\n".join([
        PREFIX + "<bench-1> ESTABLISH DOCKER CONNECTION FOR USER: ?",
        exec_line("bench-1", DISCOVERY),
        PREFIX + "Using module file /x/plugins/modules/converge.py",
        PREFIX + "Pipelining is enabled.",
        exec_line("bench-1", PIPELINED),
        exec_line("bench-2", DISCOVERY),
        exec_line("bench-2", PIPELINED),
        exec_line("bench-1", PIPELINED),
        PREFIX + "ok: [bench-1]",
    ])
    assert calls.count(log) == {
        "bench-1": {"module_calls": 2, "execs": 3, "puts": 0},
        "bench-2": {"module_calls": 1, "execs": 2, "puts": 0},
    }


def test_without_pipelining_one_module_call_is_five_execs_and_a_put():
    lines = [exec_line("bench-3", c) for c in NOT_PIPELINED[:1]]
    lines.append(PREFIX + "<bench-3> PUT /root/.ansible/tmp/xyz/tmpab TO %s/AnsiballZ_converge.py" % TMP)
    lines += [exec_line("bench-3", c) for c in NOT_PIPELINED[1:]]
    assert calls.count("\n".join(lines)) == {"bench-3": {"module_calls": 1, "execs": 4, "puts": 1}}


# ansible-core 2.21 no longer appends " && sleep 0" to the commands it runs
PIPELINED_221 = "/bin/sh -c /usr/bin/python3.11"
NOT_PIPELINED_221 = "/bin/sh -c '/usr/bin/python3.11 %s/AnsiballZ_ping.py'" % TMP
DISCOVERY_221 = ("/bin/sh -c 'echo FOUND; command -v '\"'\"'python3.13'\"'\"'; "
                 "command -v '\"'\"'/usr/bin/python3'\"'\"'; echo ENDFOUND'")


def test_ansible_core_2_21_commands_without_sleep_are_counted_the_same():
    commands = (DISCOVERY_221, PIPELINED_221, NOT_PIPELINED_221, "/bin/sh -c 'rm -f -r %s/ > /dev/null 2>&1'" % TMP)
    log = "\n".join(exec_line("h", c) for c in commands)
    assert calls.count(log) == {"h": {"module_calls": 2, "execs": 4, "puts": 0}}


def test_a_python_in_a_command_that_is_not_the_module_is_not_a_call():
    # the interpreter path inside a quoted discovery list, or as a file argument
    assert calls.count(exec_line("h", "/bin/sh -c 'ls /usr/bin/python3 /tmp/x && sleep 0'"))["h"]["module_calls"] == 0
    assert calls.count(exec_line("h", DISCOVERY))["h"]["module_calls"] == 0


def test_summarize_takes_the_busiest_and_quietest_host_and_counts_silent_hosts_as_zero():
    counts = {"a": {"module_calls": 2, "execs": 3, "puts": 0}, "b": {"module_calls": 1, "execs": 2, "puts": 0}}
    assert calls.summarize(counts, ["a", "b", "c"]) == {
        "module_calls": 3, "module_calls_per_host": 2, "module_calls_per_host_min": 0, "round_trips_per_host": 3}
    assert calls.summarize({}, [])["module_calls"] == 0


def run(wall, cpu, module_calls=None):
    r = {"wall_s": wall, "controller_cpu_s": cpu, "tasks_per_host": 5, "tasks_per_host_min": 4,
         "ran_per_host": 4, "changed": 0, "changed_hosts": 0, "load_before": 1.5, "idle_before": 0.4}
    if module_calls is not None:
        r.update(module_calls=module_calls * 3, module_calls_per_host=module_calls,
                 module_calls_per_host_min=module_calls, round_trips_per_host=module_calls + 1)
    return r


def test_summary_medians_and_worst_call_count_over_rounds():
    rounds = [{"rerun": run(3.0, 2.0, 2)}, {"rerun": run(5.0, 2.4, 2)}, {"rerun": run(4.0, 2.2, 3)}]
    s = summary.summarize(rounds)["rerun"]
    assert (s["wall_s_median"], s["controller_cpu_s_median"]) == (4.0, 2.2)
    assert s["wall_s_runs"] == [3.0, 5.0, 4.0]
    assert (s["module_calls_per_host"], s["module_calls_per_host_min"], s["module_calls"]) == (3, 2, 9)


def test_summary_without_counted_calls_has_no_call_figures():
    assert "module_calls_per_host" not in summary.summarize([{"rerun": run(3.0, 2.0)}])["rerun"]


def test_controller_cpu_per_added_host_between_consecutive_sizes():
    by_size = {"3": {"rerun": {"controller_cpu_s_median": 2.0}},
               "10": {"rerun": {"controller_cpu_s_median": 4.8}},
               "30": {"rerun": {"controller_cpu_s_median": 10.8}, "add": {"controller_cpu_s_median": 12.0}}}
    assert summary.per_added_host(by_size) == [
        {"from": 3, "to": 10, "phase": "rerun", "per_host": 0.4},
        {"from": 10, "to": 30, "phase": "rerun", "per_host": 0.3},
    ]


@pytest.mark.parametrize("after, before, expected", [(3.0, 6.0, 0.5), (None, 6.0, None), (3.0, 0, None)])
def test_ratio(after, before, expected):
    assert summary.ratio(after, before) == expected


def test_module_names_are_counted_over_all_hosts():
    log = "\n".join(PREFIX + "Using module file /c/ansible_collections/fleetnet/wireguard/plugins/modules/%s.py" % m
                    for m in ("platform", "keypair", "platform", "interface"))
    assert calls.modules(log) == {"platform": 2, "keypair": 1, "interface": 1}
