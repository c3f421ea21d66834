"""Checks shared by the molecule scenarios' testinfra tests: what a person
would look at on a WireGuard host, asked of the real host."""

from __future__ import annotations

import os
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
    for _ in range(tries):
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
