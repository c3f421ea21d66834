#!/usr/bin/env bash
# Prepare this machine for the demo and the tests: host packages, a running
# Docker engine, the Python virtualenv, the collection on the collections
# path, and the Debian base images. Safe to run again: it skips what is done.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
IMAGES=${FLEETNET_IMAGES:-bookworm}

log() { printf '\n== %s\n' "$*"; }

# FLEETNET_ONLY=containers|vms: prepare only what that family of scenarios needs
ONLY=${FLEETNET_ONLY:-}
VM_SUITES=${FLEETNET_VM_SUITES:-"bullseye bookworm trixie"}

need_apt=()
[ "$ONLY" = vms ] || command -v dockerd >/dev/null || need_apt+=(docker.io)
if [ "$ONLY" != containers ]; then
  command -v qemu-system-x86_64 >/dev/null || need_apt+=(qemu-system-x86)
  command -v qemu-img >/dev/null || need_apt+=(qemu-utils)
  command -v vde_switch >/dev/null || need_apt+=(vde2)
  command -v zstd >/dev/null || need_apt+=(zstd)
  command -v xz >/dev/null || need_apt+=(xz-utils)
  command -v ssh-keygen >/dev/null || need_apt+=(openssh-client)
fi
command -v debootstrap >/dev/null || need_apt+=(debootstrap)
command -v zbarimg >/dev/null || need_apt+=(zbar-tools)
# ansible-test sanity skips its shellcheck test when the binary is missing
command -v shellcheck >/dev/null || need_apt+=(shellcheck)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt: installing ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# VM images (cached), started first: the suites together, mostly downloads
# and dpkg, alongside the Python and Docker set-up below
vm_builds=()
if [ "$ONLY" != containers ]; then
  log "VM images: $VM_SUITES"
  for suite in $VM_SUITES; do
    scripts/build-vm-image.sh "$suite" >/dev/null &
    vm_builds+=($!)
  done
fi

# every systemd container takes inotify instances; the default 128 per user
# stops the 20-node benchmark's containers from booting
if [ "$(sysctl -n fs.inotify.max_user_instances 2>/dev/null || echo 1024)" -lt 1024 ]; then
  sysctl -qw fs.inotify.max_user_instances=1024 || true
fi

if [ "$ONLY" != vms ] && ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  (setsid dockerd >/var/log/dockerd.log 2>&1 &)
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -20 /var/log/dockerd.log; exit 1; }
fi

stamp=.venv/.requirements.sha
want=$(cat requirements.txt requirements-test.txt requirements-dev.txt constraints/ci.txt | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "python: installing requirements into .venv"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt -c constraints/ci.txt
  echo "$want" >"$stamp"
fi
# the oldest and the newest ansible-core we claim, each in a venv of its own
scripts/setup-cores.sh

# Ansible finds the collection by its FQCN through this link (see ansible.cfg).
mkdir -p .collections/ansible_collections/fleetnet
ln -sfn "$ROOT" .collections/ansible_collections/fleetnet/wireguard

if [ "$ONLY" != vms ]; then
  for suite in $IMAGES; do
    scripts/build-image.sh "$suite"
  done
fi

# the VM images started above: wait for them, unless the caller lets them
# finish in the background (scripts/test.sh: the container tests run
# meanwhile, and the VM scenario's build-vm-image.sh waits on a suite's lock)
if [ ${#vm_builds[@]} -gt 0 ] && [ "${FLEETNET_VM_IMAGES_BACKGROUND:-}" != 1 ]; then
  for pid in "${vm_builds[@]}"; do wait "$pid"; done
fi
