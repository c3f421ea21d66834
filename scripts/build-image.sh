#!/usr/bin/env bash
# Build a Debian base image that boots systemd, without a registry:
# debootstrap a minimal root, bake in fresh apt lists (as a real VPS has),
# and import it as fleetnet/debian:<suite>. Skips an image that exists.
set -euo pipefail
suite=${1:?usage: build-image.sh bullseye|bookworm|trixie}
image=fleetnet/debian:$suite
if docker image inspect "$image" >/dev/null 2>&1; then exit 0; fi

mirror=$( (grep -rhoE "https?://[^ ]+/debian/?( |\$)" /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null || true) | head -1 | tr -d " ")
mirror=${mirror:-http://deb.debian.org/debian}
root=$(mktemp -d /var/tmp/rootfs-"$suite".XXXX)
trap 'rm -rf "$root"' EXIT

echo "== building $image from $mirror"
debootstrap --variant=minbase \
  --include=systemd,systemd-sysv,python3,iproute2,iputils-ping,ca-certificates,procps,kmod \
  "$suite" "$root" "$mirror" >/dev/null
cp /etc/resolv.conf "$root/etc/resolv.conf"
chroot "$root" apt-get update -qq
# containers have no console login; keep boot quiet and fast
chroot "$root" systemctl mask getty.target systemd-logind.service console-getty.service >/dev/null 2>&1 || true
: >"$root/etc/resolv.conf"
tar -C "$root" -c . | docker import -c 'CMD ["/lib/systemd/systemd"]' - "$image" >/dev/null
echo "== built $image"
