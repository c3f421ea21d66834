#!/usr/bin/env bash
# ansible-test sanity, offline-friendly: ansible-test wants the collection at
# ansible_collections/<namespace>/<name>, so the tracked files are copied
# there; and its pip bootstrap script comes from a host that is not always
# reachable, so tests/sanity/get_pip_shim.py (ensurepip + the package index)
# stands in for it in ansible-test's cache.
# SANITY_VENV: a venv with ansible-core whose ansible-test runs (default
# .venv-sanity, made here with constraints/ci.txt's ansible-core);
# SANITY_PYTHON: the Python version tested (default 3.11).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
venv=$ROOT/${SANITY_VENV:-.venv-sanity}
python=${SANITY_PYTHON:-3.11}
if [ ! -x "$venv/bin/ansible-test" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "$(grep -E '^ansible-core==' constraints/ci.txt)"
fi
pip_version=$("$venv/bin/python" -c '
import sys
from ansible_test._internal.python_requirements import get_venv_packages
from types import SimpleNamespace
print(get_venv_packages(SimpleNamespace(version=sys.argv[1]))["pip"])' "$python")
mkdir -p ~/.ansible/test/cache
cp tests/sanity/get_pip_shim.py ~/.ansible/test/cache/get_pip_"${pip_version//./_}".py
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest=$work/ansible_collections/fleetnet/wireguard
mkdir -p "$dest"
git ls-files -z | xargs -0 cp --parents -t "$dest"
cd "$dest"
git init -q && git add -A && git -c user.name=sanity -c user.email=sanity@localhost commit -qm sanity
"$venv/bin/ansible-test" sanity --local --requirements --python "$python" --color no "$@"
