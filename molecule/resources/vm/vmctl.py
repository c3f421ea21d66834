#!/usr/bin/env python
"""Start and stop the QEMU VMs of a molecule scenario (delegated driver).

    vmctl.py up   RUN_DIR SUITES PLATFORMS_JSON INSTANCE_CONFIG
    vmctl.py down RUN_DIR

SUITES: one Debian release for every VM (bookworm), or several joined by
"+" (bullseye+bookworm+trixie), dealt to the platforms in turn, so one run
holds VMs of different releases; a platform's own "suite" key wins.

up: each suite's image (scripts/build-vm-image.sh, cached), a fresh SSH key
for this run, a vde_switch on a unix socket in RUN_DIR as the scenario's only
network between the VMs (no tap, no host interface: its traffic never leaves
the switch), and per platform a copy-on-write overlay and a QEMU with two
NICs: QEMU's user network (SSH forwarded from 127.0.0.1, the Debian mirror)
and the switch. Waits until every VM answers SSH as the sudo user, then
writes molecule's instance config. KVM where the CPU really has vmx/svm,
TCG otherwise. down: stops what up started (by the pid files in RUN_DIR) and
removes RUN_DIR.

A platform: {"name": ..., "lan": "10.99.0.11/24", "memory": 512, "suite": optional}.
Only the standard library: it runs on the controller before any venv tool.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[3]
BOOT_TIMEOUT = int(os.environ.get("FLEETNET_VM_BOOT_TIMEOUT", "420"))
USER = "fleetnet"


def accelerator():
    """KVM only when the CPU advertises hardware virtualisation: a /dev/kvm
    without vmx/svm (nested setups) crashes a stock Debian kernel."""
    flags = pathlib.Path("/proc/cpuinfo").read_text()
    if os.access("/dev/kvm", os.R_OK | os.W_OK) and (" vmx" in flags or " svm" in flags):
        return ["-accel", "kvm", "-cpu", "host"]
    return ["-accel", "tcg,thread=multi,tb-size=64", "-cpu", "qemu64"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ssh_args(run, port):
    return ["ssh", "-i", str(run / "id_ed25519"), "-p", str(port), "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
            "-o", "ConnectTimeout=10", "%s@127.0.0.1" % USER]


def qemu_command(run, image, platform, index, port, public_key):
    name = platform["name"]
    append = " ".join([
        "root=/dev/vda", "rw", "console=ttyS0", "quiet", "net.ifnames=0", "systemd.hostname=%s" % name,
        "fleetnet.lan=%s" % platform["lan"], "fleetnet.ssh_key=%s" % ",".join(public_key.split()[:2]),
    ])
    return [
        "qemu-system-x86_64", "-name", name, "-nodefaults", "-no-user-config", "-display", "none",
        "-m", str(platform.get("memory", 512)), "-smp", "1", *accelerator(),
        "-kernel", str(image / "vmlinux"), "-initrd", str(image / "initrd.img"), "-append", append,
        "-drive", "file=%s,if=virtio,format=qcow2,cache=unsafe" % (run / (name + ".qcow2")),
        "-netdev", "user,id=up,hostfwd=tcp:127.0.0.1:%d-:22" % port,
        "-device", "virtio-net-pci,netdev=up,mac=52:54:00:0f:00:%02x,addr=0x3" % index,
        "-netdev", "vde,id=lan,sock=%s" % (run / "switch"),
        "-device", "virtio-net-pci,netdev=lan,mac=52:54:00:0f:01:%02x,addr=0x4" % index,
        "-device", "virtio-rng-pci",
        "-serial", "file:%s" % (run / (name + ".console")),
        "-pidfile", str(run / (name + ".pid")), "-daemonize",
    ]


def platform_suites(suites, platforms):
    """{platform name: its Debian release}: its own "suite", else the run's
    releases ("a+b+c") in turn."""
    dealt = [s for s in suites.replace("+", " ").split() if s]
    return {p["name"]: p.get("suite") or dealt[index % len(dealt)] for index, p in enumerate(platforms)}


def build_image(suite):
    """The suite's image directory (built once per machine, then cached)."""
    return pathlib.Path(subprocess.run([str(ROOT / "scripts" / "build-vm-image.sh"), suite], check=True,
                                       stdout=subprocess.PIPE, text=True).stdout.strip().splitlines()[-1])


def up(run, suites, platforms, instance_config):
    down(run)
    run.mkdir(parents=True)
    releases = platform_suites(suites, platforms)
    images = {suite: build_image(suite) for suite in sorted(set(releases.values()))}
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "fleetnet-vm-run", "-f",
                    str(run / "id_ed25519")], check=True)
    public_key = (run / "id_ed25519.pub").read_text().strip()
    subprocess.run(["vde_switch", "--sock", str(run / "switch"), "--pidfile", str(run / "switch.pid"),
                    "--daemon"], check=True)
    ports = {}
    for index, platform in enumerate(platforms, start=1):
        name = platform["name"]
        image = images[releases[name]]
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", str(image / "base.img"),
                        str(run / (name + ".qcow2"))], check=True)
        ports[name] = free_port()
        subprocess.run(qemu_command(run, image, platform, index, ports[name], public_key), check=True)
    started = time.monotonic()
    waiting = dict(ports)
    while waiting and time.monotonic() - started < BOOT_TIMEOUT:
        time.sleep(3)
        for name, port in list(waiting.items()):
            probe = subprocess.run(ssh_args(run, port) + ["sudo", "-n", "true"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, check=False)
            if probe.returncode == 0:
                print("%s (%s): SSH as %s with sudo after %.0f s" % (name, releases[name], USER, time.monotonic() - started))
                del waiting[name]
    if waiting:
        for name in waiting:
            console = (run / (name + ".console")).read_text(errors="replace").splitlines()[-40:]
            print("%s: no SSH after %d s; console:\n%s" % (name, BOOT_TIMEOUT, "\n".join(console)), file=sys.stderr)
        sys.exit(1)
    instances = [{"instance": name, "address": "127.0.0.1", "port": port, "user": USER,
                  "identity_file": str(run / "id_ed25519"), "become_method": "sudo"}
                 for name, port in ports.items()]
    pathlib.Path(instance_config).write_text(json.dumps(instances, indent=1) + "\n")


def down(run):
    """Stop the VMs and the switch of RUN_DIR (only those: by their pid files)."""
    if not run.exists():
        return
    pids = []
    for pidfile in run.glob("*.pid"):
        try:
            pid = int(pidfile.read_text().split()[0])
            os.kill(pid, signal.SIGTERM)
            pids.append(pid)
        except (ValueError, IndexError, ProcessLookupError):
            pass
    deadline = time.monotonic() + 20
    for pid in pids:
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    shutil.rmtree(run)


def main(argv):
    if len(argv) == 6 and argv[1] == "up":
        up(pathlib.Path(argv[2]), argv[3], json.loads(argv[4]), argv[5])
    elif len(argv) == 3 and argv[1] == "down":
        down(pathlib.Path(argv[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
