"""The ping stream the molecule tests and the churn bench use
(molecule/resources/tests/pinger.py, read by wgcheck.ping_result), run for
real in a network namespace of its own whose loopback the test takes down:
a loss in the middle, a loss that lasts to the end, and none. Needs root
(`unshare -n`, a raw socket), as scripts/test.sh has."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "molecule" / "resources" / "tests"))

from wgcheck import PINGER, ping_result  # noqa: E402  pylint: disable=wrong-import-position

INTERVAL = 0.05


def stream(steps):
    """Ping 127.0.0.1 in a new network namespace while `steps` (shell) run,
    then stop the pinger as PingStream does; -> ping_result()."""
    # the steps start once 10 replies came back, not after a fixed sleep: on a
    # loaded machine the pinger's interpreter can take a second to start
    script = """
ip link set lo up
out=$(mktemp)
python3 %s 127.0.0.1 %s > "$out" &
pid=$!
i=0
until [ "$(grep -c icmp_seq= "$out")" -ge 10 ] || [ $i -ge 600 ]; do sleep 0.05; i=$((i + 1)); done
%s
kill -INT $pid
wait $pid
cat "$out"
rm -f "$out"
""" % (PINGER, INTERVAL, steps)
    proc = subprocess.run(["unshare", "-n", "sh", "-ec", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, check=False, timeout=60)
    assert proc.returncode == 0, proc.stdout[-2000:]
    return ping_result(proc.stdout, INTERVAL), proc.stdout


@pytest.mark.parametrize("steps, where", [
    ("sleep 1", None),
    ("ip link set lo down; sleep 1; ip link set lo up; sleep 1", "middle"),
    ("ip link set lo down; sleep 1", "end"),
])
def test_pinger_counts_what_was_sent(steps, where):
    result, log = stream(steps)
    assert result["sent"] >= 15, log
    answered = {int(seq) for seq in re.findall(r"icmp_seq=(\d+) ttl", log)}
    assert result["lost"] == result["sent"] - len(answered), log
    if where is None:
        # the stop drains: a reply in flight when it stopped is still answered
        assert result["lost"] == 0, log
    else:
        assert result["lost"] >= 5, log
        last = max(result["lost_seqs"])
        if where == "end":
            assert last == result["sent"] and result["longest_stall_s"] >= 0.4, (result, log)
        else:
            assert last < result["sent"] and result["sent"] in answered, (result, log)
