"""A warning about the inventory is shown once per run, although the role's
plan stage repeats the checks of its preflight (validate) stage.

ansible-playbook runs the real preflight role and the role's own plan task
(read from roles/wireguard/tasks/main.yml, with the role's defaults) on the
controller; the host side between them is what the prepare step registers,
set here, since no host is needed to show a warning. Counted in the output
and in what a callback plugin receives (AWX job events, ARA and the like):
since ansible-core 2.19 each task's result carries the warnings it showed,
while the terminal merges repeated lines, which hid the second copy there."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "wireguard"
WARNING = "host phone: wireguard_table: phone on wg0 is an unmanaged device"
INVENTORY = {"wireguard": {"hosts": {
    "hub": {"ansible_connection": "local", "wireguard_address": "10.9.0.1", "wireguard_endpoint": "192.0.2.1",
            "wireguard_network": "10.9.0.0/24"},
    # a device option a phone's config cannot hold: warned, and left out of its config
    "phone": {"wireguard_address": "10.9.0.2", "wireguard_hub": "hub", "wireguard_network": "10.9.0.0/24",
              "wireguard_unmanaged": True, "wireguard_table": "100"},
}}}
HUB_KEY = "HXuu2SFfqOSN2iifw3Mh7J6rDRMjIXAR3wQvkyYrKyA="


def role_plan_task():
    # the plan (the fallback's plan again is in fallback.yml, a handler's)
    tasks = yaml.safe_load((ROLE / "tasks" / "main.yml").read_text())
    found = [t for t in tasks if (t.get("fleetnet.wireguard.fleet") or {}).get("stage") == "plan"]
    assert len(found) == 1, "the role's plan task is not where this test looks for it"
    return found[0]


def playbook():
    return [{
        "name": "The role's controller stages around a stand-in for its host side",
        "hosts": "wireguard", "gather_facts": False,
        "vars_files": [str(ROLE / "defaults" / "main.yml")],
        "roles": ["fleetnet.wireguard.preflight"],
        "tasks": [
            {"name": "What the role's prepare step registers on the hub", "ansible.builtin.set_fact": {
                "wireguard__host": {"public_keys": {"wg0": HUB_KEY}, "rekeyed": False, "platform": {}}},
             "when": "not (wireguard_unmanaged | default(false))"},
            role_plan_task(),
        ],
    }]


@pytest.mark.parametrize("check", [False, True], ids=["run", "check-mode"])
def test_a_device_option_warning_is_shown_once_per_run(tmp_path, check):
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(INVENTORY))
    (tmp_path / "play.yml").write_text(yaml.safe_dump(playbook(), sort_keys=False))
    record = tmp_path / "record"
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"), ANSIBLE_CALLBACK_PLUGINS=str(ROOT / "tests" / "callback_plugins"),
               ANSIBLE_CALLBACKS_ENABLED="fleetnet_record", FLEETNET_RECORD_DIR=str(record))
    proc = subprocess.run([str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", "hosts.yml", "play.yml"] + (["--check"] if check else []),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path, check=False)
    out = proc.stdout
    assert proc.returncode == 0, out
    assert "TASK [Store public keys and plan every host's peers]" in out, out  # the plan stage ran
    assert len([line for line in out.splitlines() if WARNING in line]) == 1, out
    carried = [event["task"] for path in record.iterdir() for event in map(json.loads, path.read_text().splitlines())
               if event["event"] in ("ok", "failed") and any(WARNING in str(w) for w in event["result"].get("warnings") or [])]
    assert len(carried) == 1, carried
    if not check:  # the plan went on, and the phone's config for the apps leaves the table out
        conf = (tmp_path / ".wireguard" / "export" / "wg0" / "phone.conf").read_text()
        assert "[Interface]" in conf and "Table" not in conf, conf
