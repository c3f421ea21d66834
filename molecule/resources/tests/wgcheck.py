"""Checks shared by the molecule scenarios' testinfra tests: what a person
would look at on a WireGuard host, asked of the real host."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time

# the project's root: the benchmark's call counting is the one implementation
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
from bench.lib import calls  # noqa: E402  pylint: disable=wrong-import-position


def wg_dump(host, ifname="wg0"):
    """Peers of the live interface: {public key: (endpoint, allowed ips, handshake)}.
    The first line (the private key) is never kept."""
    out = host.check_output("wg show %s dump" % ifname)
    peers = {}
    for line in out.splitlines()[1:]:
        f = line.split("\t")
        peers[f[0]] = {"endpoint": f[2], "allowed_ips": f[3].split(","), "handshake": int(f[4]),
                       "rx": int(f[5]), "tx": int(f[6])}
    return peers


def ping(host, address, count=1, wait=2, tries=5):
    """Ping over the tunnel; the first packets may wait for a handshake."""
    for dummy in range(tries):
        if host.run("ping -c %d -W %d %s" % (count, wait, address)).rc == 0:
            return True
        time.sleep(1)
    return False


def ping_each(host, addresses, wait=2, tries=5):
    """ping() of several addresses in one command on the host (one round trip
    where each costs seconds, as on a VM under emulation): {address: bool}."""
    script = ('for a in %s; do ok=no; for i in $(seq %d); do '
              'ping -c 1 -W %d "$a" >/dev/null 2>&1 && { ok=yes; break; }; sleep 1; done; echo "$a $ok"; done'
              % (" ".join(shlex.quote(a) for a in addresses), tries, wait))
    out = host.check_output(script)
    return {a: ok == "yes" for a, ok in (line.split() for line in out.splitlines())}


def private_keys(hosts, pattern="/etc/wireguard/*.key"):
    keys = set()
    for host in hosts:
        out = host.run("cat %s 2>/dev/null" % pattern).stdout
        keys.update(line.strip() for line in out.splitlines() if line.strip())
    return keys


def run_playbook(playbook, *args):
    """Run a playbook against the scenario's inventory, as molecule does; -> (rc, output)."""
    inventory = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(env["MOLECULE_PROJECT_DIRECTORY"], ".collections")
    env["ANSIBLE_FORCE_COLOR"] = "0"
    proc = subprocess.run(["ansible-playbook", "-i", inventory, playbook] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, check=False)
    return proc.returncode, proc.stdout


def project_file(*parts):
    return os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], *parts)


def run_adhoc(pattern, module, module_args, *args):
    """Run one module ad hoc (`ansible PATTERN -m MODULE -a ARGS`) against the
    scenario's inventory; -> (rc, output)."""
    inventory = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(env["MOLECULE_PROJECT_DIRECTORY"], ".collections")
    env["ANSIBLE_FORCE_COLOR"] = "0"
    proc = subprocess.run(["ansible", "-i", inventory, pattern, "-m", module, "-a", module_args] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, check=False)
    return proc.returncode, proc.stdout


def write_inventory(path, data):
    """An extra inventory source (YAML is a superset of JSON) to pass as a
    second `-i`: it adds groups or host variables on top of the scenario's."""
    with open(path, "w") as handle:
        json.dump(data, handle, indent=1)
    return path


# Interpreter discovery runs Python itself on some ansible-core versions: the
# playbook arguments that make every Python run on a host one module call.
COUNT_MODULES = ("-e", "ansible_python_interpreter=/usr/bin/python3")


def module_executions(output):
    """{host: module executions on it} in a play's -vvv output, counted as the
    benchmark counts them (bench/lib/calls.py: the EXEC lines that start an
    interpreter; staging preshared keys with cat is none)."""
    return {h: c["module_calls"] for h, c in calls.count(output).items() if c["module_calls"]}


def recap(output):
    """PLAY RECAP counters per host: {host: {'ok': n, 'changed': n, ...}}."""
    hosts = {}
    for name, counters in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", output, re.M):
        hosts[name] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counters)}
    return hosts


PINGER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pinger.py")


class PingStream:
    """A ping kept running on ``host`` (a testinfra host, or anything with its
    run/check_output) across a tunnel while something else changes; stop()
    tells what was lost. The pinger (pinger.py, copied to the host) drains:
    on stop it sends no more requests and waits for those still on their way,
    so every request it sent is either answered or lost."""

    def __init__(self, host, address, interval=0.05, log="/tmp/fleetnet-pingstream.log"):
        self.host, self.address, self.interval, self.log = host, address, interval, log
        self.pid = None

    def start(self):
        with open(PINGER) as handle:
            source = handle.read()
        self.pid = self.host.check_output("setsid nohup python3 -c %s %s %s >%s 2>&1 </dev/null & echo $!" % (
            shlex.quote(source), shlex.quote(self.address), self.interval, self.log))
        return self

    def stop(self):
        """-> ping_result() of the stream's log."""
        self.host.run("kill -INT %s" % self.pid)
        # the pinger waits at most 2 s for replies in flight, then prints its summary
        for dummy in range(40):
            if self.host.run("kill -0 %s 2>/dev/null" % self.pid).rc != 0:
                break
            time.sleep(0.1)
        return ping_result(self.host.check_output("cat %s" % self.log), self.interval)


def ping_result(log, interval):
    """What a `ping -D -n -i INTERVAL` log says was lost (pinger.py writes the same).

    Counted from what was sent: every sequence number from 1 to "N packets
    transmitted" without a reply is lost, those after the last reply too. A
    stall is the longest time without a reply arriving: from the first
    request to the first reply, between replies, and from the last reply to
    the end of the stream (the summary's time); a stream without any reply
    is one stall. Packets WireGuard held back during a handshake and
    delivered late are not lost but show as a stall.
    -> {'sent', 'lost', 'lost_seqs' (the first 20), 'longest_stall_s',
    'max_rtt_ms', 'max_rtt_at' (epoch s when that reply came)}"""
    summary = re.search(r"(\d+) packets transmitted, (\d+) received.*?time (\d+)ms", log)
    if not summary:
        raise ValueError("no summary in the ping log (the stream did not stop cleanly):\n%s" % log[-2000:])
    sent, duration = int(summary.group(1)), int(summary.group(3)) / 1000.0
    replies = [(int(seq), float(rtt), float(at)) for at, seq, rtt in
               re.findall(r"\[([\d.]+)\][^\n]*icmp_seq=(\d+) ttl=\d+ time=([\d.]+) ms", log)]
    answered = {reply[0] for reply in replies if reply[0] <= sent}
    lost_seqs = [seq for seq in range(1, sent + 1) if seq not in answered]
    result = {"sent": sent, "lost": len(lost_seqs), "lost_seqs": lost_seqs[:20], "longest_stall_s": round(duration, 2),
              "max_rtt_ms": None, "max_rtt_at": None}
    if replies:
        # when the first request left: any reply's arrival minus its round trip and (seq - 1) intervals
        first_sent = min(at - rtt / 1000.0 - (seq - 1) * interval for seq, rtt, at in replies)
        arrivals = sorted(reply[2] for reply in replies)
        ends = [first_sent] + arrivals
        silences = [b - a for a, b in zip(ends, arrivals)] + [first_sent + duration - arrivals[-1]]
        slowest = max(replies, key=lambda reply: reply[1])
        result.update(longest_stall_s=round(max(silences), 2), max_rtt_ms=slowest[1], max_rtt_at=slowest[2])
    return result


def inventory_dir():
    """The scenario's inventory directory (the key store and status files live under it)."""
    return os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])


def status_files(ifname="wg0"):
    """What the status playbook wrote for one network: (JSON document, SVG text)."""
    base = os.path.join(inventory_dir(), ".wireguard", "status", ifname)
    with open(base + ".json") as handle:
        document = json.load(handle)
    with open(base + ".svg") as handle:
        return document, handle.read()
