#!/usr/bin/env bash
# Every test: unit tests of the pure logic, then each molecule scenario on
# real systemd containers (FLEETNET_SUITES: the Debian releases of the default
# scenario; FLEETNET_SCENARIOS: run only these).
set -euo pipefail
cd "$(dirname "$0")/.."
export FLEETNET_SUITES=${FLEETNET_SUITES:-"bookworm trixie"}
# bullseye too: a Debian 11 container must be refused clearly (no wireguard-go there)
export FLEETNET_IMAGES=${FLEETNET_IMAGES:-"bullseye bookworm trixie"}
scripts/setup.sh
export PATH=$PWD/.venv/bin:$PATH
exec python -m pytest -ra tests/unit tests/integration "$@"
