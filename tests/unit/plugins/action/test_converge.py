"""The converge action plugin: which modules it runs on the host, with which
arguments, in which order, and what it returns, with _execute_module stubbed
(each case: the task's arguments, the modules' answers, the calls expected
and parts of the result). The modules themselves are tested on their own."""

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleActionFail

from action_harness import Modules, make_action
from ansible_collections.fleetnet.wireguard.plugins.action.converge import BACKPORTS_REPO, ActionModule

KEY_A = "ePOU/RjtO9LbHOM0NgbV1c6WCMCCaFxEd/R78uPP9zg="
KEY_B = "naWW/ku9qt1zSC9wJm7JMF+uuYyr38lagpGL5peW/1I="
PSK = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="

PLATFORM = {"method": "kernel", "unavailable": [], "missing": [], "backports": False, "reason": "",
            "ufw_active": False, "routing_managed": False, "managed_interfaces": ["wg0"], "preshared_key_fingerprints": {}}


def platform(**changes):
    return dict(PLATFORM, **changes)


def keypair(args):
    return {"changed": False, "public_key": KEY_A if args["interface"] == "wg0" else KEY_B, "action": "keep"}


WG0 = {"name": "wg0", "addresses": ["10.0.0.1/24"], "listen_port": 51820,
       "peers": [{"name": "b", "public_key": KEY_B, "endpoint": "192.0.2.2:51820", "allowed_ips": ["10.0.0.2/32"],
                  "persistent_keepalive": None}]}
ROUTING = [{"name": "wg0", "port": 51820, "forwarding": False, "gateway": False, "prefixes": ["10.0.0.0/24"]}]
HUB_ROUTING = [dict(ROUTING[0], forwarding=True)]
PSK_WG0 = {"wg0": {"preshared_keys": {KEY_B: PSK}, "keep_preshared_keys": []}}

PREPARE = [
    ("kernel host with all packages", {"interfaces": ["wg0"]}, {},
     ["platform", "keypair"], {"public_keys": {"wg0": KEY_A}, "key_actions": {"wg0": "keep"}, "rekeyed": False}),
    ("missing packages are installed", {"interfaces": ["wg0"]}, {"platform": platform(missing=["wireguard-tools"])},
     ["platform", "ansible.builtin.apt", "keypair"], {"rekeyed": False}),
    ("install: false leaves packages alone", {"interfaces": ["wg0"], "install": False}, {"platform": platform(missing=["wireguard-tools"])},
     ["platform", "keypair"], {}),
    ("Debian 10 takes them from backports", {"interfaces": []}, {"platform": platform(missing=["wireguard"], backports=True)},
     ["platform", "ansible.builtin.apt_repository", "ansible.builtin.apt"], {"public_keys": {}}),
    ("a DKMS module is reloaded", {"interfaces": ["wg0"]}, {"platform": platform(method="dkms")},
     ["platform", "dkms_reload", "keypair"], {}),
    ("a new key marks the host rekeyed", {"interfaces": ["wg0", "wg1"], "regenerate": "always"},
     {"keypair": lambda a: dict(keypair(a), changed=True, action="generate")},
     ["platform", "keypair", "keypair"], {"rekeyed": True, "public_keys": {"wg0": KEY_A, "wg1": KEY_B}}),
]


def short(name):
    return name.rsplit(".", 1)[-1] if name.startswith("fleetnet.") else name


def modules(answers):
    table = {"fleetnet.wireguard.platform": PLATFORM, "fleetnet.wireguard.keypair": keypair,
             "fleetnet.wireguard.interface": {"changed": False, "restarted": False},
             "fleetnet.wireguard.routing": {"changed": False}}
    table.update(("fleetnet.wireguard." + k if "." not in k else k, v) for k, v in answers.items())
    return Modules(table)


def converge(args, answers=None, check=False, fleet=None, commands=None):
    """fleet: the registered fleet result the role names in preshared_keys_from;
    commands: records _low_level_execute_command's calls (the connection is the edge)."""
    stub = modules(answers or {})
    plugin = make_action(ActionModule, args, check=check, modules=stub, action="fleetnet.wireguard.converge")
    if commands is not None:
        def execute(cmd, sudoable=True, in_data=None, **dummy):
            commands.append((cmd, sudoable, in_data))
            return {"rc": 0, "stdout": "", "stderr": ""}
        plugin._low_level_execute_command = execute
    task_vars = {"inventory_hostname": "a"}
    if fleet is not None:
        task_vars["wireguard__fleet"] = fleet
    return plugin.run(task_vars=task_vars), stub


@pytest.mark.parametrize("name, args, answers, calls, expected", PREPARE, ids=[c[0] for c in PREPARE])
def test_prepare(name, args, answers, calls, expected):
    result, stub = converge(dict(args, stage="prepare"), answers)
    assert [short(n) for n in stub.names()] == calls
    assert not result.get("failed"), result
    for key, value in expected.items():
        assert result[key] == value, key
    assert result["steps"][0] == "inspect the host: ok"


def test_prepare_passes_its_flags_to_the_modules():
    dummy, stub = converge({"stage": "prepare", "interfaces": ["wg0"], "firewall_tool": True, "dns": True, "regenerate": "always"},
                           {"platform": platform(missing=["resolvconf"], backports=True)})
    assert stub.args_of("fleetnet.wireguard.platform") == [{"firewall_tool": True, "dns": True}]
    assert stub.args_of("ansible.builtin.apt_repository") == [{"repo": BACKPORTS_REPO, "filename": "buster-backports"}]
    assert stub.args_of("ansible.builtin.apt")[0]["default_release"] == "buster-backports"
    assert stub.args_of("fleetnet.wireguard.keypair") == [{"interface": "wg0", "regenerate": "always"}]


def test_an_unpackaged_release_stops_with_the_reason_before_any_key():
    result, stub = converge({"stage": "prepare", "interfaces": ["wg0"]},
                            {"platform": platform(unavailable=["wireguard-go"], reason="Debian 11 has no wireguard-go")})
    assert result["failed"] and result["step"] == "install WireGuard"
    assert "Debian 11 has no wireguard-go" in result["msg"] and "wireguard_install_packages: false" in result["msg"]
    assert [short(n) for n in stub.names()] == ["platform"]


def prepared(**changes):
    return {"platform": platform(**changes), "public_keys": {"wg0": KEY_A}, "rekeyed": False}


APPLY = [
    ("a mesh member: its interface, no routing",
     {"plan": {"wg0": WG0}, "routing": ROUTING}, {}, [("interface", dict(WG0))]),
    ("the slices as JSON strings, as the role passes them",
     {"plan": json.dumps({"wg0": WG0}), "routing": json.dumps(ROUTING)}, {},
     [("interface", dict(WG0))]),
    ("a hub forwards: routing first, with the uplinks",
     {"plan": {"wg0": WG0}, "routing": HUB_ROUTING, "uplink": "eth0", "uplink6": "eth1"}, {},
     [("routing", {"interfaces": HUB_ROUTING, "uplink": "eth0", "uplink6": "eth1", "ufw_active": False}), ("interface", dict(WG0))]),
    ("no platform read in this run (apply alone): routing reads ufw itself",
     {"plan": {"wg0": WG0}, "routing": HUB_ROUTING, "prepared": {}}, {},
     [("routing", {"interfaces": HUB_ROUTING}), ("interface", dict(WG0))]),
    ("ufw active: routing opens the port even without forwarding",
     {"plan": {"wg0": WG0}, "routing": ROUTING, "prepared": prepared(ufw_active=True)}, {},
     [("routing", {"interfaces": ROUTING, "ufw_active": True}), ("interface", dict(WG0))]),
    ("an interface the inventory dropped is removed",
     {"plan": {}, "routing": [], "prepared": prepared(managed_interfaces=["wg0", "wg1"], routing_managed=True)}, {},
     [("routing", {"interfaces": [], "ufw_active": False}),
      ("interface", {"name": "wg0", "state": "absent"}), ("interface", {"name": "wg1", "state": "absent"})]),
    ("networkmanager: the interface module gets the backend",
     {"plan": {"wg0": WG0}, "routing": ROUTING, "backend": "networkmanager",
      "prepared": prepared(managed_interfaces=[], networkmanager_interfaces=["wg0"])}, {},
     [("interface", dict(WG0, backend="networkmanager"))]),
    ("a connection the inventory dropped is removed with its backend",
     {"plan": {}, "routing": [], "backend": "networkmanager",
      "prepared": prepared(managed_interfaces=[], networkmanager_interfaces=["wg0"])}, {},
     [("interface", {"name": "wg0", "state": "absent", "backend": "networkmanager"})]),
    ("wg-quick to networkmanager: the wg-quick interface goes first",
     {"plan": {"wg0": WG0}, "routing": ROUTING, "backend": "networkmanager", "prepared": prepared(managed_interfaces=["wg0"])}, {},
     [("interface", {"name": "wg0", "state": "absent"}), ("interface", dict(WG0, backend="networkmanager"))]),
    ("networkmanager to wg-quick: the connection goes first",
     {"plan": {"wg0": WG0}, "routing": ROUTING, "prepared": prepared(managed_interfaces=[], networkmanager_interfaces=["wg0"])}, {},
     [("interface", {"name": "wg0", "state": "absent", "backend": "networkmanager"}), ("interface", dict(WG0))]),
]


@pytest.mark.parametrize("name, args, answers, calls", APPLY, ids=[c[0] for c in APPLY])
def test_apply_hands_the_plan_on_unchanged(name, args, answers, calls):
    args = dict({"stage": "apply", "prepared": prepared()}, **args)
    result, stub = converge(args, answers)
    assert not result.get("failed"), result
    assert [(short(n), a) for n, a in stub.calls] == calls


def test_apply_reports_changes_restarts_and_diffs():
    diff = {"before": "old", "after": "new"}
    result, dummy = converge({"stage": "apply", "prepared": prepared(), "plan": {"wg0": WG0}, "routing": HUB_ROUTING},
                             {"interface": {"changed": True, "restarted": True, "diff": diff}, "routing": {"changed": False, "diff": diff}})
    assert result["changed"] and result["restarted"] == ["wg0"]
    assert result["diff"] == [diff]  # only the step that changed something
    assert result["steps"] == ["forwarding, NAT and ufw: ok", "apply wg0: changed"]
    assert "invocation" not in result["results"]["wg0"]


def test_a_failed_step_stops_the_task_and_is_named():
    result, stub = converge({"stage": "apply", "prepared": prepared(managed_interfaces=["wg0", "old"]), "plan": {"wg0": WG0},
                             "routing": HUB_ROUTING},
                            {"routing": {"failed": True, "msg": "sysctl failed", "actions": ["forwarding on"]}})
    assert result["failed"] and result["step"] == "forwarding, NAT and ufw"
    assert result["msg"] == "forwarding, NAT and ufw: sysctl failed" and result["actions"] == ["forwarding on"]
    assert [short(n) for n in stub.names()] == ["routing"]


@pytest.mark.parametrize("args, message", [
    ({"stage": "destroy"}, "stage"),
    ({}, "stage"),
    ({"stage": "prepare", "install": "maybe"}, "install"),
    ({"stage": "apply", "plans": {}}, "plans"),
], ids=["unknown-stage", "no-stage", "not-a-bool", "unknown-option"])
def test_arguments_are_checked_by_the_argument_spec(args, message):
    with pytest.raises(AnsibleActionFail, match=message):
        converge(args)


# ---------------------------------------------------- preshared keys: how they travel

def fleet_result(by_if):
    """The registered fleet result as the role's plan task leaves it (as_json)."""
    return {"preshared_keys": {"a": json.dumps(by_if), "b": json.dumps({"wg0": {"preshared_keys": {KEY_A: "other"}}})}}


def test_kept_preshared_keys_join_the_interface_arguments_and_nothing_is_staged():
    commands = []
    result, stub = converge({"stage": "apply", "prepared": prepared(), "plan": {"wg0": WG0}, "routing": ROUTING,
                             "preshared_keys_from": "wireguard__fleet"},
                            fleet=fleet_result({"wg0": {"preshared_keys": {}, "keep_preshared_keys": [KEY_B]}}), commands=commands)
    assert not result.get("failed"), result
    assert stub.args_of("fleetnet.wireguard.interface") == [dict(WG0, keep_preshared_keys=[KEY_B])]
    assert commands == []


def test_new_preshared_keys_go_over_stdin_into_a_private_file_never_into_arguments():
    commands = []
    result, stub = converge({"stage": "apply", "prepared": prepared(), "plan": {"wg0": WG0}, "routing": ROUTING,
                             "preshared_keys_from": "wireguard__fleet"},
                            fleet=fleet_result({"wg0": PSK_WG0["wg0"]}), commands=commands)
    assert not result.get("failed"), result
    [(cmd, sudoable, in_data)] = commands
    assert in_data == ("%s %s\n" % (KEY_B, PSK)).encode("ascii") and PSK not in cmd
    assert cmd.startswith("umask 077 && ") and cmd.endswith("cat > /etc/wireguard/.wg0.psk.new") and sudoable
    [args] = stub.args_of("fleetnet.wireguard.interface")
    assert args == dict(WG0, keep_preshared_keys=[], new_preshared_keys=[KEY_B], preshared_keys_file="/etc/wireguard/.wg0.psk.new")
    assert PSK not in json.dumps(stub.calls) and PSK not in json.dumps(result)


def test_check_mode_stages_nothing_and_names_the_peers_that_would_change():
    commands = []
    result, stub = converge({"stage": "apply", "prepared": prepared(), "plan": {"wg0": WG0}, "routing": ROUTING,
                             "preshared_keys_from": "wireguard__fleet"},
                            check=True, fleet=fleet_result({"wg0": PSK_WG0["wg0"]}), commands=commands)
    assert not result.get("failed"), result
    assert commands == []
    assert stub.args_of("fleetnet.wireguard.interface") == [dict(WG0, keep_preshared_keys=[], new_preshared_keys=[KEY_B])]


def test_a_failed_apply_removes_the_staged_file_and_a_failed_staging_stops_before_the_module():
    commands = []
    result, dummy = converge({"stage": "apply", "prepared": prepared(), "plan": {"wg0": WG0}, "routing": ROUTING,
                              "preshared_keys_from": "wireguard__fleet"},
                             {"interface": {"failed": True, "msg": "module crashed"}},
                             fleet=fleet_result({"wg0": PSK_WG0["wg0"]}), commands=commands)
    assert result["failed"] and [c[0] for c in commands][1] == "rm -f /etc/wireguard/.wg0.psk.new"
    stub = modules({})
    plugin = make_action(ActionModule, {"stage": "apply", "prepared": prepared(), "plan": {"wg0": WG0}, "routing": ROUTING,
                                        "preshared_keys_from": "wireguard__fleet"}, modules=stub, action="fleetnet.wireguard.converge")
    plugin._low_level_execute_command = lambda *a, **k: {"rc": 1, "stdout": "", "stderr": "Permission denied"}
    result = plugin.run(task_vars={"inventory_hostname": "a", "wireguard__fleet": fleet_result({"wg0": PSK_WG0["wg0"]})})
    assert result["failed"] and result["step"] == "stage the preshared keys of wg0" and "Permission denied" in result["msg"]
    assert stub.args_of("fleetnet.wireguard.interface") == [] and PSK not in json.dumps(result)
