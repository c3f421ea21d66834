"""Packet loss as the molecule tests and the churn bench count it
(molecule/resources/tests/wgcheck.py, ping_result): from what was sent, so a
tunnel that drops and stays down until the stream stops loses every packet
from the drop on, and its stall runs to the end of the stream."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INTERVAL = 0.05
START = 1764554400.0


def load_wgcheck():
    spec = importlib.util.spec_from_file_location("wgcheck", ROOT / "molecule" / "resources" / "tests" / "wgcheck.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


wgcheck = load_wgcheck()


def ping_log(sent, answered, rtt_ms=0.5, late=None):
    """The output of `ping -D -n -i 0.05` that sent `sent` requests (every
    INTERVAL from START) and got a reply to the sequence numbers `answered`;
    `late` maps a sequence number to the seconds its reply was held back."""
    late = late or {}
    lines = ["PING 10.50.0.3 (10.50.0.3) 56(84) bytes of data."]
    replies = []
    for seq in answered:
        arrived = START + (seq - 1) * INTERVAL + rtt_ms / 1000.0 + late.get(seq, 0.0)
        replies.append((arrived, "[%.6f] 64 bytes from 10.50.0.3: icmp_seq=%d ttl=64 time=%.3f ms" % (
            arrived, seq, (arrived - START - (seq - 1) * INTERVAL) * 1000)))
    lines += [line for dummy, line in sorted(replies)]
    received = len(set(answered))
    lines += ["", "--- 10.50.0.3 ping statistics ---",
              "%d packets transmitted, %d received, %d%% packet loss, time %dms" % (
                  sent, received, 100 * (sent - received) // sent, (sent - 1) * INTERVAL * 1000),
              "rtt min/avg/max/mdev = 0.400/0.500/0.600/0.050 ms"]
    return "\n".join(lines) + "\n"


def test_known_good_stream_loses_nothing_and_never_stalls():
    result = wgcheck.ping_result(ping_log(200, range(1, 201)), INTERVAL)
    assert (result["sent"], result["lost"], result["lost_seqs"]) == (200, 0, [])
    assert result["longest_stall_s"] == pytest.approx(INTERVAL, abs=0.01)
    assert result["max_rtt_ms"] == pytest.approx(0.5)


def test_loss_in_the_middle_counts_each_missing_sequence_number():
    answered = [seq for seq in range(1, 201) if not 50 <= seq <= 59]
    result = wgcheck.ping_result(ping_log(200, answered), INTERVAL)
    assert (result["sent"], result["lost"], result["lost_seqs"]) == (200, 10, list(range(50, 60)))
    # from the reply to 49 to the reply to 60: eleven intervals without an answer
    assert result["longest_stall_s"] == pytest.approx(11 * INTERVAL, abs=0.01)


def test_loss_at_the_end_counts_the_tail_and_stalls_to_the_end_of_the_stream():
    # "200 packets transmitted, 40 received": the tunnel dropped after 40 and never came back
    log = ping_log(200, range(1, 41))
    assert "200 packets transmitted, 40 received" in log
    result = wgcheck.ping_result(log, INTERVAL)
    assert (result["sent"], result["lost"]) == (200, 160)
    assert result["lost_seqs"] == list(range(41, 61))  # the first 20 of them
    # from the reply to 40 (1.95 s) to the end of the stream (9.95 s)
    assert result["longest_stall_s"] == pytest.approx(8.0, abs=0.01)


def test_total_loss_loses_everything_and_the_whole_stream_is_one_stall():
    result = wgcheck.ping_result(ping_log(200, []), INTERVAL)
    assert (result["sent"], result["lost"], result["lost_seqs"]) == (200, 200, list(range(1, 21)))
    assert result["longest_stall_s"] == pytest.approx(9.95, abs=0.01)
    assert result["max_rtt_ms"] is None


def test_replies_held_back_are_not_lost_but_stall():
    # a pending handshake: 20..44 queued and all delivered at 2.2 s
    late = {seq: 2.2 - (seq - 1) * INTERVAL - 0.0005 for seq in range(20, 45)}
    result = wgcheck.ping_result(ping_log(200, range(1, 201), late=late), INTERVAL)
    assert result["lost"] == 0
    # from the reply to 19 (0.90 s) to the queue's delivery (2.2 s)
    assert result["longest_stall_s"] == pytest.approx(1.3, abs=0.01)
    assert result["max_rtt_ms"] == pytest.approx(1250, abs=0.1)


def test_duplicates_and_replies_beyond_what_was_sent_do_not_hide_a_loss():
    log = ping_log(10, list(range(1, 10)) + [9])
    result = wgcheck.ping_result(log, INTERVAL)
    assert (result["sent"], result["lost"], result["lost_seqs"]) == (10, 1, [10])


def test_a_log_without_its_summary_is_an_error_not_zero_loss():
    log = ping_log(200, range(1, 41)).split("\n\n--- ", maxsplit=1)[0]
    with pytest.raises(ValueError, match="no summary"):
        wgcheck.ping_result(log, INTERVAL)


def test_a_real_iputils_log_is_read():
    log = """PING 10.50.0.3 (10.50.0.3) 56(84) bytes of data.
[1764554400.101822] 64 bytes from 10.50.0.3: icmp_seq=1 ttl=64 time=0.612 ms
[1764554400.152301] 64 bytes from 10.50.0.3: icmp_seq=2 ttl=64 time=0.543 ms
[1764554400.353105] 64 bytes from 10.50.0.3: icmp_seq=6 ttl=64 time=0.577 ms

--- 10.50.0.3 ping statistics ---
8 packets transmitted, 3 received, 62.5% packet loss, time 352ms
rtt min/avg/max/mdev = 0.543/0.577/0.612/0.028 ms
"""
    result = wgcheck.ping_result(log, INTERVAL)
    assert (result["sent"], result["lost"], result["lost_seqs"]) == (8, 5, [3, 4, 5, 7, 8])
    assert result["longest_stall_s"] == pytest.approx(0.2, abs=0.01)
