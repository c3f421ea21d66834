#!/usr/bin/env bash
# One virtualenv per end of the ansible-core range meta/runtime.yml claims:
# .venv-core-oldest and .venv-core-newest, each from requirements-test.txt
# pinned by constraints/core-<which>.txt, on the Python that file names
# (taken from pyenv when it is not on PATH). Skips a venv that is up to date.
# FLEETNET_CORES picks which ("oldest newest" by default).
set -euo pipefail
cd "$(dirname "$0")/.."

interpreter() {
  local version=$1 found
  # a pyenv shim is on PATH even for a version it will refuse to run
  if command -v pyenv >/dev/null && found=$(pyenv latest "$version" 2>/dev/null); then
    found="$(pyenv root)/versions/$found/bin/python$version"
  else
    found=$(command -v "python$version" || true)
  fi
  "$found" -c '' 2>/dev/null || { echo "no Python $version (install it, e.g. with pyenv)" >&2; return 1; }
  echo "$found"
}

for which in ${FLEETNET_CORES:-oldest newest}; do
  constraints=constraints/core-$which.txt
  venv=.venv-core-$which
  python=$(sed -n 's/^# python: //p' "$constraints")
  want=$(cat requirements.txt requirements-test.txt "$constraints" | sha256sum | cut -d' ' -f1)
  if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.requirements.sha" 2>/dev/null)" = "$want" ]; then
    continue
  fi
  printf '\n== python %s: %s from %s\n' "$python" "$venv" "$constraints"
  rm -rf "$venv"
  "$(interpreter "$python")" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r requirements-test.txt -c "$constraints"
  echo "$want" >"$venv/.requirements.sha"
done
