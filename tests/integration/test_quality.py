"""The ecosystem's own checks, and the collection as users install it:
ansible-lint (production profile), ansible-test sanity, and a built tarball
that installs and runs by FQCN from a clean collections path."""

from __future__ import annotations

import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
# every module, the action plugins' documentation stubs (fleet, converge) included
MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__")
ACTIONS = sorted(p.stem for p in (ROOT / "plugins" / "action").glob("*.py") if p.stem != "__init__")


def run(argv, **kwargs):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", NO_COLOR="1", PY_COLORS="0", **kwargs.pop("env", {}))
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, check=False, **kwargs)


def test_ansible_lint_production_profile():
    proc = run(["ansible-lint", "--profile", "production"], cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "Profile 'production' was required, and it passed" in proc.stdout


def test_ansible_test_sanity():
    proc = run(["bash", str(ROOT / "scripts" / "sanity.sh")], cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-6000:]


def test_built_collection_installs_and_runs_by_fqcn(tmp_path):
    target = tmp_path / "collections"
    config = tmp_path / "ansible.cfg"
    # only the installed copy is on the path, not the repository's own link
    config.write_text("[defaults]\ncollections_path = %s\n" % target)
    env = {"ANSIBLE_COLLECTIONS_PATH": str(target), "ANSIBLE_CONFIG": str(config)}
    build = run(["ansible-galaxy", "collection", "build", "--output-path", str(tmp_path), str(ROOT)], env=env, cwd=tmp_path)
    assert build.returncode == 0, build.stdout
    (tarball,) = tmp_path.glob("fleetnet-wireguard-*.tar.gz")
    install = run(["ansible-galaxy", "collection", "install", "--offline", "-p", str(target), str(tarball)], env=env, cwd=tmp_path)
    assert install.returncode == 0, install.stdout
    assert (target / "ansible_collections" / "fleetnet" / "wireguard" / "MANIFEST.json").exists(), install.stdout
    for module in MODULES:
        doc = run(["ansible-doc", "fleetnet.wireguard.%s" % module], env=env, cwd=tmp_path)
        assert doc.returncode == 0 and "EXAMPLES" in doc.stdout, (module, doc.stdout[-2000:])
    doc = run(["ansible-doc", "-t", "filter", "fleetnet.wireguard.status_report"], env=env, cwd=tmp_path)
    assert doc.returncode == 0, doc.stdout[-2000:]
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("[wireguard]\nvps1 ansible_connection=local wireguard_address=10.10.0.1\n")
    for playbook in ("site", "status", "rotate"):
        check = run(["ansible-playbook", "-i", str(inventory), "fleetnet.wireguard.%s" % playbook, "--syntax-check"],
                    env=env, cwd=tmp_path)
        assert check.returncode == 0, check.stdout[-2000:]
    # what users do not need is not shipped
    listing = run(["tar", "-tzf", str(tarball)]).stdout
    assert ".venv" not in listing and "tests/output" not in listing and ".collections" not in listing


def _spec_of(options):
    """The parts of a documented option list that an argument spec states too."""
    out = {}
    for name, option in options.items():
        entry = {k: option[k] for k in ("type", "elements", "choices", "required") if option.get(k) not in (None, False)}
        if option.get("default") is not None:
            entry["default"] = option["default"]
        if "suboptions" in option:
            entry["options"] = _spec_of(option["suboptions"])
        out[name] = entry
    return out


def test_every_action_plugin_documents_exactly_its_argument_spec():
    """An action plugin's options live in two places (its ARGUMENT_SPEC, and
    the docs in plugins/modules/<name>.py): they must say the same."""
    import importlib
    import sys

    import yaml

    sys.path.insert(0, str(ROOT / ".collections"))
    assert ACTIONS and set(ACTIONS) <= set(MODULES)
    for name in ACTIONS:
        action = importlib.import_module("ansible_collections.fleetnet.wireguard.plugins.action.%s" % name)
        docs = importlib.import_module("ansible_collections.fleetnet.wireguard.plugins.modules.%s" % name)
        documented = _spec_of(yaml.safe_load(docs.DOCUMENTATION)["options"])
        # no_log is not documented; the rest must agree
        spec = {k: {a: b for a, b in v.items() if a != "no_log"} for k, v in action.ARGUMENT_SPEC.items()}
        for option in set(documented) | set(spec):
            assert documented.get(option) == spec.get(option), (name, option)


def test_wrong_value_is_refused_by_the_argument_spec_before_any_host(tmp_path):
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("[wireguard]\nvps1 ansible_host=127.0.0.11 ansible_port=1 wireguard_address=10.10.0.1\n")
    proc = run(["ansible-playbook", "-i", str(inventory), str(ROOT / "playbooks" / "site.yml"),
                "-e", "wireguard_regenerate_key=sometimes"],
               env={"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections")})
    assert proc.returncode != 0
    # the whole-fleet check (fleetnet.wireguard.preflight) reads the role's argument spec and runs first
    assert "host vps1: wireguard_regenerate_key: 'sometimes' is not one of never, full_idempotence, always" in proc.stdout, \
        proc.stdout[-2000:]
    assert "Prepare the host" not in proc.stdout and "unreachable=0" in proc.stdout  # stopped before any host task
