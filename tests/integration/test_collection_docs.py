"""antsibull-docs lint-collection-docs, the docs check collections in the
Ansible package are held to: module/plugin documentation, references between
them (M(), O(), RV()), changelog and links, all clean."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent


def test_antsibull_docs_lint_collection_docs_is_clean():
    # the tool wants the collection at ansible_collections/<namespace>/<name>
    collection = ROOT / ".collections" / "ansible_collections" / "fleetnet" / "wireguard"
    env = dict(os.environ, PATH="%s:%s" % (BIN, os.environ.get("PATH", "")), ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"))
    proc = subprocess.run([str(BIN / "antsibull-docs"), "lint-collection-docs", "--plugin-docs", "."], cwd=collection, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
