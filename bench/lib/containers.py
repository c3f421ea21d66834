"""Systemd containers that behave like small VPSes, driven with the docker CLI.

The run options are those of molecule/default/molecule.yml: systemd as PID 1
with named capabilities (--privileged fails on these machines), the host's
cgroups, and /dev/net/tun for wireguard-go.
"""

from __future__ import annotations

import ipaddress
import subprocess
from concurrent.futures import ThreadPoolExecutor

NETWORK = "fleetnet-bench"
SUBNET = ipaddress.ip_network("172.30.100.0/22")
BASE_IMAGE = "fleetnet/debian:bookworm"
WG_IMAGE = "fleetnet/debian-wg:bookworm"
# as a VPS whose WireGuard packages are already there; no Recommends, so no kernel image
WG_DOCKERFILE = """FROM %s
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wireguard-tools wireguard-go \\
 && rm -rf /var/lib/apt/lists/*
""" % BASE_IMAGE
RUN_OPTIONS = [
    "--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN", "--cap-add", "NET_RAW",
    "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
    "--tmpfs", "/run", "--tmpfs", "/run/lock",
    "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--cgroupns=host",
    "--device", "/dev/net/tun",
]


def docker(*args, check=True, input=None, timeout=120):
    proc = subprocess.run(["docker"] + list(args), input=input, capture_output=True, text=True, check=False, timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError("docker %s failed: %s" % (" ".join(args[:3]), (proc.stderr or proc.stdout).strip()))
    return proc


def name(index):
    return "bench-%d" % index


def address(index):
    """Underlay address of bench-<index>: .11, .12, ... of the bench network."""
    return str(SUBNET.network_address + 10 + index)


def ensure_image():
    """Build the packages-present image once; later runs reuse it."""
    if docker("image", "inspect", WG_IMAGE, check=False).returncode == 0:
        return False
    docker("build", "-t", WG_IMAGE, "-", input=WG_DOCKERFILE, timeout=900)
    return True


def ensure_network():
    if docker("network", "inspect", NETWORK, check=False).returncode != 0:
        docker("network", "create", "--subnet", str(SUBNET), NETWORK)


def remove_network():
    docker("network", "rm", NETWORK, check=False)


def remove(indices):
    names = [name(i) for i in indices]
    if names:
        docker("rm", "-f", "-v", *names, check=False)


def _wait_booted(index):
    # "degraded" is fine (some units of a container always fail); we only need systemd up
    docker("exec", name(index), "systemctl", "is-system-running", "--wait", check=False, timeout=120)


def start(indices, image):
    """Fresh containers bench-<i> for every index (any old one is removed first)."""
    remove(indices)
    ensure_network()
    for i in indices:
        docker("run", "-d", "--name", name(i), "--hostname", name(i), "--network", NETWORK, "--ip", address(i),
               *RUN_OPTIONS, image, "/lib/systemd/systemd")
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(_wait_booted, indices))
    for i in indices:
        # /proc/sys is read-only in these containers; a real VPS lets a hub set
        # ip_forward (molecule's prepare step does the same)
        docker("exec", name(i), "mount", "-o", "remount,rw", "/proc/sys")


def exec_out(index, *argv):
    return docker("exec", name(index), *argv).stdout


def packages(index):
    """The set of packages installed in bench-<index>."""
    out = exec_out(index, "dpkg-query", "-W", "-f", "${Package} ${db:Status-Abbrev}\\n")
    return {line.split()[0] for line in out.splitlines() if len(line.split()) > 1 and line.split()[1].startswith("ii")}
