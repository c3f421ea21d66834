"""The execution environment for AWX / Automation Platform: ansible-builder
makes a build context from examples/execution-environment/ with the built
collection (no image is built: registries are not reachable here), and its
introspection, the step a build runs on the installed collections, finds the
Python and system requirements meta/execution-environment.yml declares."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "execution-environment"
BIN = pathlib.Path(sys.executable).parent


def run(argv, cwd):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", NO_COLOR="1")
    return subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)


def _tarball(tmp_path):
    build = run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(tmp_path), str(ROOT)], tmp_path)
    assert build.returncode == 0, build.stdout
    (tarball,) = tmp_path.glob("fleetnet-wireguard-*.tar.gz")
    return tarball


def test_ansible_builder_create_makes_a_build_context(tmp_path):
    tarball = _tarball(tmp_path)
    work = tmp_path / "ee"
    shutil.copytree(EXAMPLE, work)
    shutil.copy(tarball, work / "fleetnet-wireguard.tar.gz")
    proc = run([str(BIN / "ansible-builder"), "create", "-f", "execution-environment.yml", "-c", "context", "--output-filename", "Containerfile"], work)
    assert proc.returncode == 0, proc.stdout[-3000:]
    containerfile = (work / "context" / "Containerfile").read_text()
    assert 'EE_BASE_IMAGE="quay.io/fedora/fedora:41"' in containerfile
    assert "ansible-galaxy" in containerfile and "introspect" in containerfile
    assert (work / "context" / "_build" / "collections" / "fleetnet-wireguard.tar.gz").exists()
    assert "fleetnet-wireguard.tar.gz" in (work / "context" / "_build" / "requirements.yml").read_text()


def test_introspection_finds_the_collection_requirements(tmp_path):
    tarball = _tarball(tmp_path)
    target = tmp_path / "collections"
    install = run([str(BIN / "ansible-galaxy"), "collection", "install", "--offline", "-p", str(target), str(tarball)], tmp_path)
    assert install.returncode == 0, install.stdout
    from ansible_builder._target_scripts.introspect import process

    found = process(data_dir=str(target))
    assert found["python"]["fleetnet.wireguard"] == ["segno>=1.5"]
    assert found["system"]["fleetnet.wireguard"] == ["openssh-client [platform:dpkg]", "openssh-clients [platform:rpm]"]
