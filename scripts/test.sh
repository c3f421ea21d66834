#!/usr/bin/env bash
# Every test: unit tests of the pure logic, then each molecule scenario on
# real systemd containers (FLEETNET_SUITES: the Debian releases of the default
# scenario; FLEETNET_SCENARIOS: run only these), and the VM scenarios on QEMU
# VMs of FLEETNET_VM_SUITES (docs/testing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export FLEETNET_SUITES=${FLEETNET_SUITES:-"bookworm trixie"}
# bullseye too: a Debian 11 container must be refused clearly (no wireguard-go there)
export FLEETNET_IMAGES=${FLEETNET_IMAGES:-"bullseye bookworm trixie"}
# the Debian releases of the QEMU VM scenario (kernel WireGuard, SSH + sudo):
# one run with a VM of each
export FLEETNET_VM_SUITES=${FLEETNET_VM_SUITES:-"bullseye bookworm trixie"}
# the VM images build while the tests before the VM scenario run
FLEETNET_VM_IMAGES_BACKGROUND=1 scripts/setup.sh
export PATH=$PWD/.venv/bin:$PATH
# FLEETNET_ONLY=vms: only the QEMU VM scenarios; =containers: everything but them
if [ "${FLEETNET_ONLY:-}" = vms ]; then
  exec python -m pytest -ra tests/integration/test_molecule.py "$@"
fi
exec python -m pytest -ra tests/unit tests/integration "$@"
