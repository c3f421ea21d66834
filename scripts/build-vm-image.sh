#!/usr/bin/env bash
# Build a bootable Debian VM from Debian's own packages, no cloud image and no
# bootloader: a minbase root with the suite's kernel, systemd, sshd, python3
# and sudo, as a raw ext4 image, plus the kernel (uncompressed, booted through
# its PVH entry: no decompression under TCG) and a small initrd for QEMU's
# -kernel/-initrd. Cached under FLEETNET_VM_CACHE, keyed by this script's
# hash, so a machine builds each suite once. Prints the image directory.
#
# At boot a unit of ours reads the kernel command line (fleetnet.ssh_key=,
# fleetnet.lan=) for the run's SSH key and the scenario network's address:
# keys are made per run, the image holds none.
set -euo pipefail
suite=${1:?usage: build-vm-image.sh bullseye|bookworm|trixie}
cache=${FLEETNET_VM_CACHE:-/var/cache/fleetnet/vm}
here=$(cd "$(dirname "$0")" && pwd)
version=$(sha256sum "$here/build-vm-image.sh" | cut -c1-12)
out=$cache/$suite-$version
mkdir -p "$cache"
# one build of a suite at a time: a second caller (vmctl.py while setup.sh's
# build still runs in the background) waits for it, then finds it done
exec 9>"$cache/$suite.lock"
flock 9
if [ -f "$out/done" ]; then echo "$out"; exit 0; fi

mirror=${FLEETNET_DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$cache/debs-$suite"
work=$(mktemp -d "$cache/build-$suite.XXXX")
root=$work/root
cleanup() { umount "$root/proc" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

log() { printf '== %s %s: %s\n' "$(date +%T)" "$suite" "$*" >&2; }
log "debootstrap from $mirror"
debootstrap --variant=minbase --cache-dir="$cache/debs-$suite" \
  --include=linux-image-amd64,initramfs-tools,systemd-sysv,udev,kmod,dbus,libnss-myhostname,openssh-server,python3,python3-apt,iproute2,iputils-ping,procps,sudo,nftables,ufw,zstd \
  "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -30 "$work/debootstrap.log" >&2; exit 1; }

in_root() { chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive "$@"; }
mount -t proc proc "$root/proc"

log "configure"
echo "deb $mirror $suite main" >"$root/etc/apt/sources.list"
echo "/dev/vda / ext4 rw,noatime 0 1" >"$root/etc/fstab"
echo localhost >"$root/etc/hostname"
# each VM makes its own machine id (and with it its DHCP/IPv6 identity) at first boot
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"

# the Ansible user: not root, sudo without a password, as on a VPS
in_root useradd --create-home --shell /bin/bash fleetnet
echo "fleetnet ALL=(ALL:ALL) NOPASSWD: ALL" >"$root/etc/sudoers.d/fleetnet"
chmod 0440 "$root/etc/sudoers.d/fleetnet"

# sshd: an ed25519 host key made at boot (RSA keys take long under TCG), keys only
rm -f "$root"/etc/ssh/ssh_host_*
cat >"$root/etc/ssh/sshd_config.d/fleetnet.conf" <<'EOF'
HostKey /etc/ssh/ssh_host_ed25519_key
PasswordAuthentication no
UseDNS no
EOF

cat >"$root/usr/local/sbin/fleetnet-vm-boot" <<'EOF'
#!/bin/sh
# Per boot: the run's SSH key and the addresses QEMU's command line gave.
# 52:54:00:0f:00:*: QEMU's user network (SSH port forward, the Debian mirror);
# 52:54:00:0f:01:*: the scenario's own network (a switch on a unix socket).
set -e
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -1; }
# the NIC with this MAC prefix (vmctl.py's), once udev has brought it up;
# under TCG on a busy machine that can take longer than a device unit waits
nic() {
  for _ in $(seq 1 300); do
    name=$(ip -o link | awk -v mac="$1" 'index($0, mac) {sub(":$", "", $2); print $2; exit}')
    [ -n "$name" ] && { echo "$name"; return 0; }
    sleep 1
  done
  echo "no network interface with MAC $1" >&2
  return 1
}
[ -f /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
key=$(arg fleetnet.ssh_key | tr ',' ' ')
if [ -n "$key" ]; then
  install -d -o fleetnet -g fleetnet -m 0700 /home/fleetnet/.ssh
  printf '%s\n' "$key" >/home/fleetnet/.ssh/authorized_keys
  chown fleetnet:fleetnet /home/fleetnet/.ssh/authorized_keys
  chmod 0600 /home/fleetnet/.ssh/authorized_keys
fi
ip link set lo up
up=$(nic 52:54:00:0f:00:)
ip link set "$up" up
ip addr replace 10.0.2.15/24 dev "$up"
ip route replace default via 10.0.2.2 dev "$up"
echo "nameserver 10.0.2.3" >/etc/resolv.conf
lan=$(arg fleetnet.lan)
if [ -n "$lan" ]; then
  dev=$(nic 52:54:00:0f:01:)
  ip link set "$dev" up
  ip addr replace "$lan" dev "$dev"
fi
EOF
chmod 0755 "$root/usr/local/sbin/fleetnet-vm-boot"
cat >"$root/etc/systemd/system/fleetnet-vm-boot.service" <<'EOF'
[Unit]
Description=fleetnet test VM: SSH key and addresses from the kernel command line
Wants=network.target
After=systemd-udev-trigger.service
Before=network.target ssh.service

[Service]
Type=oneshot
TimeoutStartSec=330
RemainAfterExit=yes
ExecStart=/usr/local/sbin/fleetnet-vm-boot

[Install]
WantedBy=multi-user.target
EOF
in_root systemctl enable fleetnet-vm-boot.service >/dev/null 2>&1
# boot savers under TCG: no consoles to log in on, no periodic jobs during a test
in_root systemctl mask getty.target serial-getty@ttyS0.service e2scrub_reap.service \
  apt-daily.timer apt-daily-upgrade.timer fstrim.timer man-db.timer >/dev/null 2>&1 || true

log "small initrd, uncompressed kernel"
echo "MODULES=list" >"$root/etc/initramfs-tools/conf.d/fleetnet"
printf '%s\n' virtio_pci virtio_blk ext4 crc32c_generic >>"$root/etc/initramfs-tools/modules"
in_root update-initramfs -u -k all >/dev/null 2>&1
kernel=$(find "$root/boot" -name 'vmlinuz-*' | sort | tail -1)
mkdir -p "$work/out"
python3 - "$kernel" "$work/out/vmlinux" <<'EOF'
# The compressed payload of a bzImage (xz up to bookworm, zstd in trixie),
# decompressed to the ELF vmlinux, as linux/scripts/extract-vmlinux does.
import subprocess, sys
data = open(sys.argv[1], "rb").read()
for magic, tool in ((b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zstd")):
    at = data.find(magic)
    while at >= 0:
        out = subprocess.run([tool, "-dcq"], input=data[at:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
        if out[:4] == b"\x7fELF":
            open(sys.argv[2], "wb").write(out)
            sys.exit(0)
        at = data.find(magic, at + 1)
sys.exit("no compressed ELF kernel in %s" % sys.argv[1])
EOF
cp "$root/boot/initrd.img-${kernel##*/vmlinuz-}" "$work/out/initrd.img"

log "apt lists, as a VPS has them"
in_root apt-get update -qq
in_root apt-get clean
umount "$root/proc"
rm -rf "$root"/var/log/* "$root"/tmp/*
# what the image holds, so a test can tell what a play installed
mkdir -p "$root/usr/share/fleetnet-vm"
# shellcheck disable=SC2016  # dpkg-query's own ${Package}, not the shell's
in_root dpkg-query -W -f '${Package}\n' >"$root/usr/share/fleetnet-vm/packages"

log "ext4 image"
mkfs.ext4 -q -F -L root -d "$root" "$work/out/base.img" 3G >/dev/null
echo "$suite ${kernel##*/vmlinuz-}" >"$work/out/done"
rm -rf "$out"
mv "$work/out" "$out"
# images of earlier versions of this script
find "$cache" -maxdepth 1 -name "$suite-*" ! -name "${out##*/}" -exec rm -rf {} +
log "built $out"
echo "$out"
