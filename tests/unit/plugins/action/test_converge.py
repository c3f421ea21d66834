"""The converge action plugin: which modules it runs on the host, with which
arguments, in which order, and what it returns, with _execute_module stubbed
(each case: the task's arguments, the modules' answers, the calls expected
and parts of the result). The modules themselves are tested on their own
(prepare and apply in tests/unit/plugins/modules/)."""

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


def prepare(args, **platform_changes):
    """The prepare module's answer: each interface's key kept (wg0 KEY_A, others KEY_B)."""
    keys = {i: KEY_A if i == "wg0" else KEY_B for i in args["interfaces"]}
    return {"changed": False, "platform": platform(**platform_changes), "public_keys": keys,
            "key_actions": {i: "keep" for i in keys}, "rekeyed": False,
            "steps": ["inspect the host: ok"] + ["private key of %s: ok" % i for i in keys]}


def on(**platform_changes):
    return lambda args: prepare(args, **platform_changes)


WG0 = {"name": "wg0", "addresses": ["10.0.0.1/24"], "listen_port": 51820,
       "peers": [{"name": "b", "public_key": KEY_B, "endpoint": "192.0.2.2:51820", "allowed_ips": ["10.0.0.2/32"],
                  "persistent_keepalive": None}]}
ROUTING = [{"name": "wg0", "port": 51820, "forwarding": False, "gateway": False, "prefixes": ["10.0.0.0/24"]}]
HUB_ROUTING = [dict(ROUTING[0], forwarding=True)]
PSK_WG0 = {"wg0": {"preshared_keys": {KEY_B: PSK}, "keep_preshared_keys": []}}

PREPARE = [
    ("kernel host with all packages: one module execution", {"interfaces": ["wg0"]}, {},
     ["prepare"], {"public_keys": {"wg0": KEY_A}, "key_actions": {"wg0": "keep"}, "rekeyed": False}),
    ("missing packages are installed after it", {"interfaces": ["wg0"]}, {"prepare": on(missing=["wireguard-tools"])},
     ["prepare", "ansible.builtin.apt"], {"rekeyed": False}),
    ("install: false leaves packages alone", {"interfaces": ["wg0"], "install": False},
     {"prepare": on(missing=["wireguard-tools"])}, ["prepare"], {}),
    ("Debian 10 takes them from backports", {"interfaces": []}, {"prepare": on(missing=["wireguard"], backports=True)},
     ["prepare", "ansible.builtin.apt_repository", "ansible.builtin.apt"], {"public_keys": {}}),
    ("a DKMS module installed now is loaded after the install", {"interfaces": ["wg0"]},
     {"prepare": on(method="dkms", missing=["wireguard-dkms"])}, ["prepare", "ansible.builtin.apt", "dkms_reload"], {}),
    ("with nothing to install, the module itself reloads DKMS", {"interfaces": ["wg0"]},
     {"prepare": on(method="dkms")}, ["prepare"], {}),
    ("a new key marks the host rekeyed", {"interfaces": ["wg0", "wg1"], "regenerate": "always"},
     {"prepare": lambda a: dict(prepare(a), changed=True, rekeyed=True, key_actions={"wg0": "generate", "wg1": "generate"})},
     ["prepare"], {"rekeyed": True, "public_keys": {"wg0": KEY_A, "wg1": KEY_B}}),
]


def short(name):
    return name.rsplit(".", 1)[-1] if name.startswith("fleetnet.") else name


def modules(answers):
    table = {"fleetnet.wireguard.prepare": prepare,
             "fleetnet.wireguard.apply": {"changed": False, "prepare_needed": False, "interface_results": {}, "restarted": [],
                                          "steps": ["apply wg0: ok"]}}
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
    assert result["steps"][0] == "inspect the host: ok"  # the module's own steps


def test_prepare_passes_its_flags_to_the_module():
    dummy, stub = converge({"stage": "prepare", "interfaces": ["wg0"], "firewall_tool": True, "dns": True, "regenerate": "always"},
                           {"prepare": on(missing=["resolvconf"], backports=True)})
    assert stub.args_of("fleetnet.wireguard.prepare") == [
        {"interfaces": ["wg0"], "regenerate": "always", "install": True, "firewall_tool": True, "dns": True}]
    assert stub.args_of("ansible.builtin.apt_repository") == [{"repo": BACKPORTS_REPO, "filename": "buster-backports"}]
    assert stub.args_of("ansible.builtin.apt")[0]["default_release"] == "buster-backports"


def test_an_unpackaged_release_stops_with_the_reason():
    result, stub = converge({"stage": "prepare", "interfaces": ["wg0"]},
                            {"prepare": lambda a: dict(prepare(a, unavailable=["wireguard-go"], missing=["wireguard-go"],
                                                               reason="Debian 11 has no wireguard-go"), public_keys={})})
    assert result["failed"] and result["step"] == "install WireGuard"
    assert "Debian 11 has no wireguard-go" in result["msg"] and "wireguard_install_packages: false" in result["msg"]
    assert [short(n) for n in stub.names()] == ["prepare"]


def prepared(**changes):
    return {"platform": platform(**changes), "public_keys": {"wg0": KEY_A}, "rekeyed": False}


def apply_args(interfaces=(), routing=(), **more):
    """The apply module's arguments, as the action builds them."""
    return dict({"interfaces": list(interfaces), "routing": list(routing), "public_keys": {"wg0": KEY_A},
                 "preshared_fingerprints": {}, "install": True, "firewall_tool": False, "dns": False, "backend": "wg-quick"}, **more)


APPLY = [
    ("a host prepared in this run hands its inspection over",
     {"plan": {"wg0": WG0}, "routing": ROUTING, "prepared": prepared()},
     apply_args([WG0], ROUTING, platform=platform())),
    ("a host planned from the store is inspected and checked by the module",
     {"plan": {"wg0": WG0}, "routing": ROUTING, "prepared": {"skipped": True}},
     apply_args([WG0], ROUTING)),
    ("the slices as JSON strings, as the role passes them",
     {"plan": json.dumps({"wg0": WG0}), "routing": json.dumps(ROUTING), "public_keys": json.dumps({"wg0": KEY_A})},
     apply_args([WG0], ROUTING)),
    ("a hub with its uplinks",
     {"plan": {"wg0": WG0}, "routing": HUB_ROUTING, "uplink": "eth0", "uplink6": "eth1"},
     apply_args([WG0], HUB_ROUTING, uplink="eth0", uplink6="eth1")),
    ("networkmanager: every interface and the module get the backend",
     {"plan": {"wg0": WG0}, "routing": ROUTING, "backend": "networkmanager"},
     apply_args([dict(WG0, backend="networkmanager")], ROUTING, backend="networkmanager")),
    ("interfaces in name order, flags passed on",
     {"plan": {"wg1": dict(WG0, name="wg1"), "wg0": WG0}, "routing": ROUTING, "install": False, "dns": True, "firewall_tool": True},
     apply_args([WG0, dict(WG0, name="wg1")], ROUTING, install=False, dns=True, firewall_tool=True)),
    ("wireguard_peer_names: the /etc/hosts lines go to the same module execution",
     {"plan": {"wg0": WG0}, "routing": ROUTING, "peer_names": "10.0.0.1 a.wg0\n10.0.0.2 b.wg0"},
     apply_args([WG0], ROUTING, peer_names="10.0.0.1 a.wg0\n10.0.0.2 b.wg0")),
    ("no lines for the host: passed on empty, which removes the block",
     {"plan": {"wg0": WG0}, "routing": ROUTING, "peer_names": ""},
     apply_args([WG0], ROUTING, peer_names="")),
]


@pytest.mark.parametrize("name, args, module_args", APPLY, ids=[c[0] for c in APPLY])
def test_apply_is_one_module_execution_with_the_plan_unchanged(name, args, module_args):
    args = dict({"stage": "apply", "public_keys": {"wg0": KEY_A}}, **args)
    result, stub = converge(args)
    assert not result.get("failed"), result
    assert [(short(n), a) for n, a in stub.calls] == [("apply", module_args)]


def test_apply_reports_changes_restarts_diffs_and_the_module_steps():
    diff = {"before": "old", "after": "new"}
    answer = {"changed": True, "prepare_needed": False, "interface_results": {"wg0": {"restarted": True}}, "restarted": ["wg0"],
              "diff": [diff], "steps": ["forwarding, NAT and ufw: ok", "apply wg0: changed"]}
    result, dummy = converge({"stage": "apply", "plan": {"wg0": WG0}, "routing": HUB_ROUTING}, {"apply": answer})
    assert result["changed"] and result["restarted"] == ["wg0"] and result["interface_results"] == {"wg0": {"restarted": True}}
    assert result["diff"] == [diff]
    assert result["steps"] == ["forwarding, NAT and ufw: ok", "apply wg0: changed"]
    assert "invocation" not in result


MISMATCH = {"changed": False, "prepare_needed": True, "steps": ["inspect the host: ok"],
            "prepare_reasons": ["wg0: the key in /etc/wireguard/wg0.key is not the one in the controller's key store"]}


def test_a_host_not_as_planned_is_reported_for_the_prepare_step_when_asked():
    result, stub = converge({"stage": "apply", "plan": {"wg0": WG0}, "routing": ROUTING, "report_prepare_needed": True},
                            {"apply": MISMATCH})
    assert not result.get("failed") and not result["changed"], result
    assert result["prepare_needed"] and result["prepare_reasons"] == MISMATCH["prepare_reasons"]
    assert [short(n) for n in stub.names()] == ["apply"]


@pytest.mark.parametrize("args", [
    {"report_prepare_needed": False},
    {"report_prepare_needed": True, "prepared": prepared()},
], ids=["not-asked-to-report", "prepared-in-this-run-already"])
def test_a_host_not_as_planned_fails_when_no_prepare_step_can_follow(args):
    result, dummy = converge(dict({"stage": "apply", "plan": {"wg0": WG0}, "routing": ROUTING}, **args), {"apply": MISMATCH})
    assert result["failed"] and result["step"] == "check the host"
    assert "nothing was changed" in result["msg"] and "not the one in the controller's key store" in result["msg"]


def test_a_failed_step_stops_the_task_and_is_named():
    failure = {"failed": True, "step": "forwarding, NAT and ufw", "msg": "forwarding, NAT and ufw: sysctl failed",
               "actions": ["forwarding on"]}
    result, stub = converge({"stage": "apply", "plan": {"wg0": WG0}, "routing": HUB_ROUTING}, {"apply": failure})
    assert result["failed"] and result["step"] == "forwarding, NAT and ufw"
    assert result["msg"] == "forwarding, NAT and ufw: sysctl failed" and result["actions"] == ["forwarding on"]


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
    assert stub.args_of("fleetnet.wireguard.apply")[0]["interfaces"] == [dict(WG0, keep_preshared_keys=[KEY_B])]
    assert commands == []


def test_the_fingerprints_of_kept_keys_go_to_the_host_s_check_not_to_the_interface():
    commands = []
    share = {"wg0": {"preshared_keys": {}, "keep_preshared_keys": [KEY_B], "keep_fingerprints": {KEY_B: "3f1c9a0b2d4e6f70"}}}
    result, stub = converge({"stage": "apply", "plan": {"wg0": WG0}, "routing": ROUTING, "preshared_keys_from": "wireguard__fleet"},
                            fleet=fleet_result(share), commands=commands)
    assert not result.get("failed"), result
    [args] = stub.args_of("fleetnet.wireguard.apply")
    assert args["interfaces"] == [dict(WG0, keep_preshared_keys=[KEY_B])]
    assert args["preshared_fingerprints"] == {"wg0": {KEY_B: "3f1c9a0b2d4e6f70"}}
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
    [args] = stub.args_of("fleetnet.wireguard.apply")
    assert args["interfaces"] == [dict(WG0, keep_preshared_keys=[], new_preshared_keys=[KEY_B], preshared_keys_file="/etc/wireguard/.wg0.psk.new")]
    assert PSK not in json.dumps(stub.calls) and PSK not in json.dumps(result)


def test_check_mode_stages_nothing_and_names_the_peers_that_would_change():
    commands = []
    result, stub = converge({"stage": "apply", "prepared": prepared(), "plan": {"wg0": WG0}, "routing": ROUTING,
                             "preshared_keys_from": "wireguard__fleet"},
                            check=True, fleet=fleet_result({"wg0": PSK_WG0["wg0"]}), commands=commands)
    assert not result.get("failed"), result
    assert commands == []
    assert stub.args_of("fleetnet.wireguard.apply")[0]["interfaces"] == [dict(WG0, keep_preshared_keys=[], new_preshared_keys=[KEY_B])]


def test_a_failed_apply_removes_the_staged_file_and_a_failed_staging_stops_before_the_module():
    commands = []
    result, dummy = converge({"stage": "apply", "prepared": prepared(), "plan": {"wg0": WG0}, "routing": ROUTING,
                              "preshared_keys_from": "wireguard__fleet"},
                             {"apply": {"failed": True, "msg": "module crashed"}},
                             fleet=fleet_result({"wg0": PSK_WG0["wg0"]}), commands=commands)
    assert result["failed"] and [c[0] for c in commands][1] == "rm -f /etc/wireguard/.wg0.psk.new"
    stub = modules({})
    plugin = make_action(ActionModule, {"stage": "apply", "prepared": prepared(), "plan": {"wg0": WG0}, "routing": ROUTING,
                                        "preshared_keys_from": "wireguard__fleet"}, modules=stub, action="fleetnet.wireguard.converge")
    plugin._low_level_execute_command = lambda *a, **k: {"rc": 1, "stdout": "", "stderr": "Permission denied"}
    result = plugin.run(task_vars={"inventory_hostname": "a", "wireguard__fleet": fleet_result({"wg0": PSK_WG0["wg0"]})})
    assert result["failed"] and result["step"] == "stage the preshared keys of wg0" and "Permission denied" in result["msg"]
    assert stub.args_of("fleetnet.wireguard.apply") == [] and PSK not in json.dumps(result)


def test_the_interpreter_ansible_discovered_is_kept_as_a_fact_for_the_next_task():
    """Ansible adds discovered_interpreter_python to a module's ansible_facts;
    an action that drops it makes every later task discover again (one more
    round trip per task and host)."""
    found = {"discovered_interpreter_python": "/usr/bin/python3.11"}
    result, dummy = converge({"stage": "prepare", "interfaces": ["wg0"]},
                             {"prepare": lambda a: dict(prepare(a), ansible_facts=found)})
    assert result["ansible_facts"] == found and "ansible_facts" not in result["platform"]
