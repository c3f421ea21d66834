"""Checks shared by the molecule scenarios' testinfra tests: what a person
would look at on a WireGuard host, asked of the real host."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time


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


def recap(output):
    """PLAY RECAP counters per host: {host: {'ok': n, 'changed': n, ...}}."""
    hosts = {}
    for name, counters in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", output, re.M):
        hosts[name] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counters)}
    return hosts


class PingStream:
    """A ping kept running on ``host`` (a testinfra host) across a tunnel
    while something else changes; stop() tells what was lost.

    Loss counts the sequence numbers never answered before the last answered
    one, so a reply still on its way when the stream stops is not a loss. A
    stall is the longest time without any reply arriving: it also catches
    packets that were held back (WireGuard queues them while a handshake is
    pending) and delivered late, which are not lost."""

    def __init__(self, host, address, interval=0.05, log="/tmp/fleetnet-pingstream.log"):
        self.host, self.address, self.interval, self.log = host, address, interval, log
        self.pid = None

    def start(self):
        self.pid = self.host.check_output(
            "setsid nohup ping -D -n -i %s %s >%s 2>&1 </dev/null & echo $!" % (self.interval, self.address, self.log))
        return self

    def stop(self):
        """-> {'sent': n, 'lost': n, 'longest_stall_s': s, 'max_rtt_ms': ms,
        'max_rtt_at': epoch s when that reply came}"""
        self.host.run("kill -INT %s" % self.pid)
        time.sleep(0.3)
        out = self.host.check_output("cat %s" % self.log)
        replies = [(int(seq), float(rtt), float(at)) for at, seq, rtt in
                   re.findall(r"\[([\d.]+)\][^\n]*icmp_seq=(\d+) ttl=\d+ time=([\d.]+) ms", out)]
        seqs = sorted({reply[0] for reply in replies})
        if not seqs:
            sent = int((re.findall(r"(\d+) packets transmitted", out) or ["0"])[0])
            return {"sent": sent, "lost": sent, "longest_stall_s": round(sent * self.interval, 2), "max_rtt_ms": None,
                    "max_rtt_at": None}
        arrivals = sorted(reply[2] for reply in replies)
        # when the first request left: any reply's send time minus (seq - 1) intervals
        first_sent = min(reply[2] - reply[1] / 1000.0 - (reply[0] - 1) * self.interval for reply in replies)
        silences = [b - a for a, b in zip([first_sent] + arrivals, arrivals)]
        slowest = max(replies, key=lambda reply: reply[1])
        return {"sent": seqs[-1], "lost": seqs[-1] - len(seqs), "longest_stall_s": round(max(silences), 2),
                "max_rtt_ms": slowest[1], "max_rtt_at": slowest[2]}


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
