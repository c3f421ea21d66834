"""Debian 11 packages no wireguard-go, and a container cannot load the kernel
module: the role must say so clearly and change nothing (changed=0; the same
packages, links, routes and units), rather than fail in apt or leave
a half-made interface. (On a Debian 11 VM its 5.10 kernel has
WireGuard; that path is the one the unit tests cover.)"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
IMAGE = "fleetnet/debian:bullseye"
NAME = "fleetnet-bullseye-probe"
RUN_OPTIONS = ["--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN", "--cap-add", "NET_RAW",
               "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
               "--tmpfs", "/run", "--tmpfs", "/run/lock", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
               "--cgroupns=host", "--device", "/dev/net/tun"]


def _docker(*args, check=True):
    return subprocess.run(["docker"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=check)


@pytest.fixture
def bullseye():
    if _docker("image", "inspect", IMAGE, check=False).returncode != 0:
        pytest.fail("%s is missing: scripts/setup.sh builds it (FLEETNET_IMAGES)" % IMAGE)
    _docker("rm", "-f", NAME, check=False)
    _docker("run", "-d", "--name", NAME, *RUN_OPTIONS, IMAGE)
    yield NAME
    _docker("rm", "-f", NAME, check=False)


# what a run could change on the host, read before and after
SNAPSHOT = """
dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\\n'
ip -o link; ip -o address; ip route show table all; ip -6 route show table all; ip rule; ip -6 rule
sysctl -a 2>/dev/null | grep -E 'forwarding|ip_forward'
systemctl list-unit-files --no-legend --no-pager | sort
ls -la /etc/wireguard /etc/sysctl.d /etc/systemd/system 2>&1 || true
"""


def test_debian11_container_is_refused_clearly(bullseye, tmp_path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "wireguard:\n  hosts:\n"
        "    %s: {ansible_connection: community.docker.docker, wireguard_address: 10.11.0.1, wireguard_endpoint: 192.0.2.1}\n"
        "    peer: {ansible_connection: local, wireguard_unmanaged: true, wireguard_address: 10.11.0.2, wireguard_hub: %s}\n"
        % (bullseye, bullseye))
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"))
    # a booting container still changes by itself
    _docker("exec", bullseye, "sh", "-c", "for i in $(seq 60); do systemctl list-units >/dev/null 2>&1 && break; sleep 0.5; done; "
            "systemctl is-system-running --wait || true")
    before = _docker("exec", bullseye, "sh", "-c", SNAPSHOT).stdout
    proc = subprocess.run(["ansible-playbook", "-i", str(inventory), str(ROOT / "playbooks" / "site.yml")],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, check=False)
    assert proc.returncode != 0
    assert "host %s: WireGuard needs wireguard-go" % bullseye in proc.stdout, proc.stdout[-3000:]
    assert "which this release does not package" in proc.stdout
    # nothing changed: no task reported a change, the packages, the network
    # and the units are as they were
    recap = re.search(r"^%s\s+:\s+ok=\d+\s+changed=(\d+)" % bullseye, proc.stdout, re.M)
    assert recap and recap.group(1) == "0", proc.stdout[-3000:]
    assert _docker("exec", bullseye, "sh", "-c", SNAPSHOT).stdout == before
    assert _docker("exec", bullseye, "ls", "/etc/wireguard", check=False).returncode != 0
