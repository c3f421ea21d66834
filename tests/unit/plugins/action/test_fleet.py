"""The fleet action plugin end to end on the controller, with fake task_vars
(hostvars, groups, the prepare step's registered results) and a real key
store in a temporary directory: what it returns, what it writes (and with
which modes), and what it refuses."""

from __future__ import annotations

import hashlib
import json
import os
import stat

import pytest
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from action_harness import make_action
from ansible_collections.fleetnet.wireguard.plugins.action.fleet import ActionModule
from ansible_collections.fleetnet.wireguard.plugins.filter.host_plan import host_plan
from ansible_collections.fleetnet.wireguard.plugins.filter.host_plan import host_plan
from ansible_collections.fleetnet.wireguard.plugins.module_utils import host_args, preshared_keys, wg_keys

# vps1 and vps2 on the backbone, laptop a spoke of vps1, phone (a device) a spoke of vps2
INVENTORY = {
    "vps1": {"wireguard_address": "10.10.0.1", "wireguard_endpoint": "192.0.2.1", "wireguard_network": "10.10.0.0/24"},
    "vps2": {"wireguard_address": "10.10.0.2", "wireguard_endpoint": "192.0.2.2", "wireguard_network": "10.10.0.0/24",
             "wireguard_gateway": True},
    "laptop": {"wireguard_address": "10.10.0.3", "wireguard_hub": "vps1", "wireguard_network": "10.10.0.0/24",
               "wireguard_dns": ["10.10.0.1"]},
    "phone": {"wireguard_address": "10.10.0.4", "wireguard_hub": "vps2", "wireguard_network": "10.10.0.0/24",
              "wireguard_unmanaged": True},
}
MANAGED = ("laptop", "vps1", "vps2")


def public_key(host, ifname="wg0"):
    return wg_keys.public_key(wg_keys.encode_key(hashlib.sha256(("%s/%s" % (ifname, host)).encode()).digest()))


def prepared(host, fingerprints=None):
    """What the role's prepare step registers for a host."""
    return {"public_keys": {"wg0": public_key(host)}, "rekeyed": False,
            "platform": {"preshared_key_fingerprints": {"wg0": fingerprints or {}}, "managed_interfaces": ["wg0"]}}


def task_vars(inventory=None, registered=None, play=MANAGED):
    inventory = INVENTORY if inventory is None else inventory
    registered = {h: prepared(h) for h in play} if registered is None else registered
    hostvars = {h: dict({"ansible_connection": "local"}, inventory_hostname=h, wireguard__host=registered.get(h), **v)
                for h, v in inventory.items()}
    return {"hostvars": hostvars, "groups": {"wireguard": sorted(inventory)}, "ansible_play_hosts_all": list(play)}


def run(args, check=False, **kwargs):
    plugin = make_action(ActionModule, args, check=check)
    return plugin.run(task_vars=task_vars(**kwargs)), plugin


def tree(root):
    """{relative path: octal mode} of everything under root."""
    out = {}
    for directory, dirnames, names in os.walk(root):
        for name in dirnames + names:
            path = os.path.join(directory, name)
            out[os.path.relpath(path, root)] = oct(stat.S_IMODE(os.stat(path).st_mode))
    return out


@pytest.fixture
def key_dir(tmp_path):
    return str(tmp_path / "store")


def test_validate_returns_the_fleet_and_writes_nothing(key_dir):
    result, dummy = run({"stage": "validate", "key_dir": key_dir})
    assert not result.get("failed") and not result.get("changed")
    assert result["members"] == {"wg0": ["laptop", "phone", "vps1", "vps2"]}
    assert result["interfaces"]["laptop"] == ["wg0"]
    assert result["firewall_hosts"] == ["vps2"] and result["dns_hosts"] == ["laptop"]
    assert result["unmanaged"] == {"wg0": ["phone"]}
    assert "plan" not in result
    assert not os.path.exists(key_dir)


# each case breaks the inventory one way; the stage that must catch it; the (host, variable) named
BROKEN = [
    ("validate", {"vps2": dict(INVENTORY["vps2"], wireguard_address="10.10.0.1")}, None, ("vps2", "wireguard_address")),
    ("validate", {"laptop": dict(INVENTORY["laptop"], wireguard_hub="nowhere")}, None, ("laptop", "wireguard_hub")),
    # the controller's path (ansible_host) inside a prefix routed into the tunnel: a check on peers, at validate
    ("validate", {"laptop": dict(INVENTORY["laptop"], ansible_host="10.20.0.5", ansible_connection="ssh",
                                 wireguard_via_hub="10.20.0.0/16")}, None, ("laptop", "wireguard_via_hub")),
    # two backbone members claim the same LAN: twice in a third member's peer list, at validate
    ("validate", {"vps1": dict(INVENTORY["vps1"], wireguard_allowed_ips="192.168.1.0/24"),
                  "vps2": dict(INVENTORY["vps2"], wireguard_allowed_ips="192.168.1.0/24"),
                  "vps3": {"wireguard_address": "10.10.0.5", "wireguard_endpoint": "192.0.2.5", "wireguard_network": "10.10.0.0/24"}},
     None, ("vps3", "wireguard_allowed_ips")),
    # the inventory names a key the host does not have: found when the host reports its own
    ("plan", {"vps1": dict(INVENTORY["vps1"], wireguard_public_key=public_key("other"))}, None, ("vps1", "wireguard_public_key")),
    # a cloned image: two hosts report the same key
    ("plan", {}, dict({h: prepared(h) for h in MANAGED}, vps2=prepared("vps1")), ("vps2", "wireguard_public_key")),
]


@pytest.mark.parametrize("stage, changes, registered, named", BROKEN,
                         ids=["duplicate-address", "unknown-hub", "management-path", "prefix-twice", "key-differs", "cloned-key"])
def test_problems_fail_the_task_and_nothing_is_written(key_dir, stage, changes, registered, named):
    inventory = dict(INVENTORY, **changes)
    for run_stage in ("validate", "plan"):
        if run_stage == "plan" and stage == "validate":
            continue
        result, dummy = run({"stage": run_stage, "key_dir": key_dir}, inventory=inventory, registered=registered)
        if run_stage == stage:
            assert result["failed"], result
            assert named in [(p["host"], p["variable"]) for p in result["problems"]]
            assert "nothing was changed" in result["msg"] and "Fix: " in result["msg"]
            assert "plan" not in result
        else:
            assert not result.get("failed"), result
    assert not os.path.exists(key_dir)


def test_plan_stores_keys_and_hands_each_host_its_module_arguments(key_dir):
    result, plugin = run({"stage": "plan", "key_dir": key_dir})
    assert result["changed"] and not result.get("failed")
    # every public key stored, the device's private key made, its config and QR codes written, the secrets git-ignored
    assert tree(key_dir) == {
        ".gitignore": "0o644", "public": "0o755", "public/wg0": "0o755",
        **{"public/wg0/%s.pub" % h: "0o644" for h in MANAGED},
        "private": "0o700", "private/wg0": "0o700", "private/wg0/phone.key": "0o600",
        "export": "0o700", "export/wg0": "0o700",
        **{"export/wg0/phone.%s" % ext: "0o600" for ext in ("conf", "png", "qr.txt")},
    }
    phone_key = wg_keys.public_key(open(os.path.join(key_dir, "private/wg0/phone.key")).read().strip())
    # the plan is the interface module's arguments, exactly: the module's own spec accepts each one
    for host, by_if in result["plan"].items():
        for args in by_if.values():
            assert ArgumentSpecValidator(host_args.INTERFACE).validate(args).error_messages == [], (host, args)
    assert result["plan"]["vps2"]["wg0"]["peers"][1] == {
        "name": "phone", "public_key": phone_key, "endpoint": None, "allowed_ips": ["10.10.0.4/32"], "persistent_keepalive": None}
    assert result["plan"]["laptop"]["wg0"]["dns"] == ["10.10.0.1"]
    for host, entries in result["routing"].items():
        assert ArgumentSpecValidator(host_args.ROUTING).validate({"interfaces": entries}).error_messages == []
    assert result["routing"]["vps2"] == [{"name": "wg0", "port": 51820, "forwarding": True, "gateway": True, "prefixes": ["10.10.0.0/24"]}]
    assert "phone" not in result["routing"]  # nothing runs on a device
    assert result["exports"] == {"phone": {"wg0": {k: os.path.join(key_dir, "export/wg0/phone." + e)
                                                   for k, e in (("conf", "conf"), ("png", "png"), ("txt", "qr.txt"))}}}
    assert "phone: config and QR code written" in plugin._display.display.call_args[0][0]
    assert result["preshared_keys"] == {} and "_ansible_no_log" not in result
    # the same run again changes nothing on the controller, and plans the same
    again, dummy = run({"stage": "plan", "key_dir": key_dir})
    assert not again["changed"] and again["plan"] == result["plan"]


def test_check_mode_writes_nothing_and_leaves_out_peers_without_a_key(key_dir):
    result, dummy = run({"stage": "plan", "key_dir": key_dir}, check=True)
    assert result["changed"]  # keys and exports would be written
    assert not os.path.exists(key_dir)
    assert [p["name"] for p in result["plan"]["vps2"]["wg0"]["peers"]] == ["vps1"]  # the phone has no key yet
    assert result["exports"] == {}


def test_a_limited_run_reads_the_keys_of_hosts_outside_it(key_dir):
    run({"stage": "plan", "key_dir": key_dir})
    result, dummy = run({"stage": "plan", "key_dir": key_dir}, play=("laptop",))
    assert not result["changed"]
    assert result["plan"]["vps1"]["wg0"]["peers"][0]["public_key"] == public_key("vps2")


def test_preshared_keys_reach_both_ends_in_the_interface_modules_shape_and_are_never_shown(key_dir):
    inventory = {h: dict(v, wireguard_preshared_keys=True) for h, v in INVENTORY.items()}
    result, dummy = run({"stage": "plan", "key_dir": key_dir}, inventory=inventory)
    assert result["_ansible_no_log"] is True
    vps1 = result["preshared_keys"]["vps1"]["wg0"]
    vps2 = result["preshared_keys"]["vps2"]["wg0"]
    assert sorted(vps1) == ["keep_fingerprints", "keep_preshared_keys", "preshared_keys"]
    assert vps1["keep_preshared_keys"] == [] and vps1["keep_fingerprints"] == {}
    assert vps1["preshared_keys"][public_key("vps2")] == vps2["preshared_keys"][public_key("vps1")]
    assert "phone" not in result["preshared_keys"]  # the device's keys go into its config, on the controller
    stored = os.listdir(os.path.join(key_dir, "private/wg0/phone.psk.d"))
    assert stored == [preshared_keys.file_name(public_key("vps2"))]
    device_psk = open(os.path.join(key_dir, "private/wg0/phone.psk.d", stored[0])).read().strip()
    assert vps2["preshared_keys"][phone_key(key_dir)] == device_psk
    assert "PresharedKey = %s" % device_psk in open(os.path.join(key_dir, "export/wg0/phone.conf")).read()
    # next run: each host reports the fingerprints it holds; every pair keeps its key, nothing secret travels
    fingerprints = {h: {peer: preshared_keys.fingerprint(k) for peer, k in result["preshared_keys"][h]["wg0"]["preshared_keys"].items()}
                    for h in MANAGED}
    again, dummy = run({"stage": "plan", "key_dir": key_dir}, inventory=inventory,
                       registered={h: prepared(h, fingerprints[h]) for h in MANAGED})
    assert "_ansible_no_log" not in again and not again["changed"]
    kept = sorted([public_key("vps1"), phone_key(key_dir)])
    assert again["preshared_keys"]["vps2"]["wg0"] == {"preshared_keys": {}, "keep_preshared_keys": kept,
                                                      "keep_fingerprints": {p: fingerprints["vps2"][p] for p in kept}}
    # rotation: vps1's pairs get new keys, the others keep theirs
    rotated, dummy = run({"stage": "plan", "key_dir": key_dir, "rotate_preshared_keys": ["vps1"]}, inventory=inventory,
                         registered={h: prepared(h, fingerprints[h]) for h in MANAGED})
    assert rotated["_ansible_no_log"] is True
    assert sorted(rotated["preshared_keys"]["vps1"]["wg0"]["preshared_keys"]) == sorted([public_key("vps2"), public_key("laptop")])
    assert rotated["preshared_keys"]["vps2"]["wg0"]["keep_preshared_keys"] == [phone_key(key_dir)]


def phone_key(key_dir):
    return wg_keys.public_key(open(os.path.join(key_dir, "private/wg0/phone.key")).read().strip())


def test_as_json_gives_one_string_per_host(key_dir):
    data, dummy = run({"stage": "plan", "key_dir": key_dir})
    strings, dummy = run({"stage": "plan", "key_dir": key_dir, "as_json": True})
    for key in ("plan", "routing", "preshared_keys"):
        assert all(isinstance(v, str) for v in strings[key].values())
    for key in ("routing", "preshared_keys"):
        assert {h: json.loads(v) for h, v in strings[key].items()} == data[key]
    # the plan's peers are lines of the table; the role's filter gives each host its plan whole
    assert all(isinstance(i, int) for v in strings["plan"].values() for args in json.loads(v).values() for i in args["peers"])
    assert {h: json.loads(host_plan(strings, h)) for h in strings["plan"]} == data["plan"]
    assert host_plan(strings, "nowhere") == "{}"


def test_a_keypair_task_looped_over_interfaces_is_read_too(key_dir):
    registered = {h: {"results": [{"item": "wg0", "public_key": public_key(h)}, {"item": "wg9", "skipped": True}]} for h in MANAGED}
    result, dummy = run({"stage": "plan", "key_dir": key_dir, "register": "looped"})
    assert result["failed"] and "no public key known for laptop on wg0" in result["msg"]  # nothing registered under that name
    hv = task_vars()
    for host in MANAGED:
        hv["hostvars"][host]["looped"] = registered[host]
    plugin = make_action(ActionModule, {"stage": "plan", "key_dir": key_dir, "register": "looped"})
    result = plugin.run(task_vars=hv)
    assert [p["public_key"] for p in result["plan"]["laptop"]["wg0"]["peers"]] == [public_key("vps1")]


@pytest.mark.parametrize("args, message", [
    ({"stage": "apply"}, "stage"),
    ({"stage": "plan"}, "key_dir"),
    ({"stage": "validate", "colour": "blue"}, "colour"),
    ({"stage": "validate", "as_json": "sometimes"}, "as_json"),
    ({"stage": "validate", "removal_limit": "many"}, "removal_limit: 'many' is not a whole number"),
], ids=["unknown-stage", "plan-without-key-dir", "unknown-option", "not-a-bool", "limit-not-a-number"])
def test_arguments_are_checked_by_the_argument_spec(args, message):
    with pytest.raises(AnsibleActionFail, match=message):
        run(args)


def test_a_missing_group_is_named():
    plugin = make_action(ActionModule, {"stage": "validate", "group": "vpn"})
    with pytest.raises(AnsibleActionFail, match="no group 'vpn'"):
        plugin.run(task_vars=task_vars())


def test_validate_names_what_the_run_removes_and_stops_when_it_is_many(key_dir):
    run({"stage": "plan", "key_dir": key_dir})  # the store now knows every member
    fewer = {h: v for h, v in INVENTORY.items() if h != "laptop"}
    result, plugin = run({"stage": "validate", "key_dir": key_dir}, inventory=fewer, play=("vps1", "vps2"))
    assert not result.get("failed") and result["removals"] == {"peers": {"wg0": ["laptop"]}, "interfaces": {}}
    assert "laptop is gone from the inventory" in plugin._display.display.call_args[0][0]
    # half the fleet gone looks like a partial inventory: stop, unless confirmed
    half = {h: v for h, v in INVENTORY.items() if h in ("vps1", "phone")}
    half["phone"] = dict(half["phone"], wireguard_hub="vps1")
    refused, dummy = run({"stage": "validate", "key_dir": key_dir}, inventory=half, play=("vps1",))
    assert refused["failed"] and ("laptop", "wireguard_confirm_removal") in [(p["host"], p["variable"]) for p in refused["problems"]]
    confirmed, dummy = run({"stage": "validate", "key_dir": key_dir, "confirm_removal": "laptop,vps2"}, inventory=half, play=("vps1",))
    assert not confirmed.get("failed")
    # a run of the whole group forgets the removed members' keys; a limited one keeps them
    run({"stage": "plan", "key_dir": key_dir}, inventory=fewer, play=("vps1",))
    assert os.path.exists(os.path.join(key_dir, "public/wg0/laptop.pub"))
    run({"stage": "plan", "key_dir": key_dir}, inventory=fewer, play=("vps1", "vps2"))
    assert not os.path.exists(os.path.join(key_dir, "public/wg0/laptop.pub"))


def test_a_member_never_provisioned_outside_the_run_is_left_out_with_a_warning(key_dir):
    result, plugin = run({"stage": "plan", "key_dir": key_dir}, play=("vps1", "vps2"))
    assert not result.get("failed")
    assert [p["name"] for p in result["plan"]["vps1"]["wg0"]["peers"]] == ["vps2"]  # laptop has no key yet
    assert any("laptop has no key yet" in c[0][0] for c in plugin._display.warning.call_args_list)
    # in the run without a key (the prepare step reported none): an error
    registered = dict({h: prepared(h) for h in MANAGED}, laptop={"public_keys": {}, "platform": {}})
    result, dummy = run({"stage": "plan", "key_dir": key_dir}, registered=registered)
    assert result["failed"] and "no public key known for laptop on wg0" in result["msg"]


# every kind of warning the fleet action shows: (changes to INVENTORY, the hosts in the run, a text of the warning)
WARNING_KINDS = {
    "device-option": ({"phone": dict(INVENTORY["phone"], wireguard_table="100")}, MANAGED,
                      "host phone: wireguard_table: phone on wg0 is an unmanaged device"),
    "shared-endpoint-host": ({"vps2": dict(INVENTORY["vps2"], wireguard_endpoint="192.0.2.1:51821", wireguard_port=51821)},
                             MANAGED, "host vps2: wireguard_endpoint: vps2 shares the endpoint host 192.0.2.1"),
    "via-hub-ignored": ({"vps1": dict(INVENTORY["vps1"], wireguard_via_hub=["192.168.7.0/24"])}, MANAGED,
                        "host vps1: wireguard_via_hub: vps1 has no hub on wg0"),
    "no-endpoint-either": ({"vps3": {"wireguard_address": "10.10.0.5", "wireguard_network": "10.10.0.0/24"},
                            "vps4": {"wireguard_address": "10.10.0.6", "wireguard_network": "10.10.0.0/24"}},
                           MANAGED + ("vps3", "vps4"), "host vps3: wireguard_endpoint: vps3 and vps4 on wg0 both lack an endpoint"),
    "site-only": ({"vps3": {"wireguard_address": "10.10.0.5", "wireguard_network": "10.10.0.0/24", "wireguard_site": "lab",
                            "wireguard_site_endpoint": "192.168.50.5"},
                   "vps4": {"wireguard_address": "10.10.0.6", "wireguard_network": "10.10.0.0/24"}},
                  MANAGED + ("vps3", "vps4"), "host vps3: wireguard_site_endpoint: vps3 is reachable only inside site lab"),
    # plan stage only: a member outside the run (--limit) with no key yet
    "no-key-yet": ({}, ("vps1", "vps2"), "host laptop: wireguard_public_key: laptop has no key yet on wg0"),
}


def shown(plugin, text):
    return [c[0][0] for c in plugin._display.warning.call_args_list if text in c[0][0]]


@pytest.mark.parametrize("check", [False, True], ids=["run", "check-mode"])
@pytest.mark.parametrize("kind", sorted(WARNING_KINDS))
def test_each_warning_is_shown_once_per_run(key_dir, kind, check):
    """The role runs the validate stage (its preflight), then the plan stage,
    which repeats the checks: a warning is shown by the first stage that
    finds it, and by the plan stage alone when only that runs (the status
    playbook, a user's own play)."""
    changes, play, text = WARNING_KINDS[kind]
    inventory = dict(INVENTORY, **changes)
    validated, first = run({"stage": "validate", "key_dir": key_dir}, check=check, inventory=inventory, play=play)
    planned, second = run({"stage": "plan", "key_dir": key_dir, "shown_warnings": validated["inventory_warnings"]},
                          check=check, inventory=inventory, play=play)
    assert not validated.get("failed") and not planned.get("failed"), (validated, planned)
    assert len(shown(first, text) + shown(second, text)) == 1, (shown(first, text), shown(second, text))
    assert [w for w in planned["inventory_warnings"] if text in w]  # found by the plan stage too, not lost
    alone, plugin = run({"stage": "plan", "key_dir": key_dir}, check=True, inventory=inventory, play=play)
    assert len(shown(plugin, text)) == 1


# ------------------------------------------ one call per host: planning from the store

def test_validate_lists_the_hosts_to_prepare_first_only_those_the_store_cannot_plan(key_dir):
    """(preshared keys: see test_preshared_keys_are_planned_from_the_store_s_record)"""
    result, dummy = run({"stage": "validate", "key_dir": key_dir})
    assert result["prepare"] == list(MANAGED)  # an empty store: every managed host, never the device
    run({"stage": "plan", "key_dir": key_dir})
    result, dummy = run({"stage": "validate", "key_dir": key_dir})
    assert result["prepare"] == []  # every key stored: each host is planned from the store
    # a new member, and a host of the run with preshared keys (and so its peers), need the prepare step
    inventory = dict(INVENTORY, vps3={"wireguard_address": "10.10.0.5", "wireguard_endpoint": "192.0.2.3",
                                      "wireguard_network": "10.10.0.0/24"})
    result, dummy = run({"stage": "validate", "key_dir": key_dir}, inventory=inventory, play=MANAGED + ("vps3",))
    assert result["prepare"] == ["vps3"]
    # a host outside the run is never listed
    result, dummy = run({"stage": "validate", "key_dir": key_dir}, inventory=inventory, play=("vps1", "vps3"))
    assert result["prepare"] == ["vps3"]


def test_a_plan_from_the_store_alone_gives_each_host_the_keys_it_must_hold(key_dir):
    run({"stage": "plan", "key_dir": key_dir})
    # nobody prepared in this run: the registered results are skipped tasks'
    result, dummy = run({"stage": "plan", "key_dir": key_dir, "as_json": True},
                        registered={h: {"skipped": True, "changed": False} for h in MANAGED})
    assert not result["changed"] and not result.get("failed")
    assert {h: json.loads(v) for h, v in result["public_keys"].items()} == {h: {"wg0": public_key(h)} for h in MANAGED}
    peers = json.loads(host_plan(result, "vps1"))["wg0"]["peers"]
    assert [p["public_key"] for p in peers] == [public_key("vps2"), public_key("laptop")]


def test_the_fallback_s_looped_prepare_results_win_over_what_hosts_registered(key_dir):
    """The role's fallback prepares hosts again in a loop with delegate_to:
    the results come as a list, each naming its host as ``item``; a skipped
    or failed one does not count."""
    run({"stage": "plan", "key_dir": key_dir})
    new_key = public_key("vps1", "rekeyed by hand")
    tv = task_vars()
    for h in MANAGED:
        tv["hostvars"][h]["wireguard__host"] = {"skipped": True}
    looped = [dict(prepared("vps1"), public_keys={"wg0": new_key}, item="vps1"),
              dict(prepared("vps2"), public_keys={"wg0": public_key("vps2", "failed")}, item="vps2", failed=True),
              {"skipped": True, "item": "laptop"}]
    args = {"stage": "plan", "key_dir": key_dir, "register": ["wireguard__host"], "prepared_again": looped}
    result = make_action(ActionModule, args).run(task_vars=tv)
    assert not result.get("failed") and result["changed"]
    assert result["public_keys"]["vps1"] == {"wg0": new_key}
    assert result["public_keys"]["vps2"] == {"wg0": public_key("vps2")}
    assert result["plan"]["vps2"]["wg0"]["peers"][0]["public_key"] == new_key
    assert open(os.path.join(key_dir, "public/wg0/vps1.pub")).read().strip() == new_key


def test_preshared_keys_are_planned_from_the_store_s_record(key_dir):
    """Preshared keys turned on: every host is prepared once (it reports the
    fingerprints of the keys it holds); the plan records what each host then
    holds, as fingerprints in public/ (no key), so the next run plans from
    the store and each host's apply checks the fingerprints. Turned off, the
    record goes."""
    run({"stage": "plan", "key_dir": key_dir})
    inventory = {h: dict(v, wireguard_preshared_keys=True) for h, v in INVENTORY.items()}
    assert run({"stage": "validate", "key_dir": key_dir}, inventory=inventory)[0]["prepare"] == list(MANAGED)
    first, dummy = run({"stage": "plan", "key_dir": key_dir}, inventory=inventory)
    given = {h: first["preshared_keys"][h]["wg0"]["preshared_keys"] for h in MANAGED}
    for host in MANAGED:
        record = open(os.path.join(key_dir, "public/wg0/%s.psk" % host)).read()
        assert record == "".join("%s %s\n" % (p, preshared_keys.fingerprint(k)) for p, k in sorted(given[host].items()))
        assert all(k not in record for k in given[host].values())
        assert tree(key_dir)["public/wg0/%s.psk" % host] == "0o644"
    assert run({"stage": "validate", "key_dir": key_dir}, inventory=inventory)[0]["prepare"] == []
    # nobody prepared: every pair keeps its key, with the fingerprint each host must hold
    skipped = {h: {"skipped": True} for h in MANAGED}
    again, dummy = run({"stage": "plan", "key_dir": key_dir}, inventory=inventory, registered=skipped)
    assert not again["changed"] and "_ansible_no_log" not in again
    for host in MANAGED:
        share = again["preshared_keys"][host]["wg0"]
        assert share["preshared_keys"] == {} and share["keep_preshared_keys"] == sorted(given[host])
        assert share["keep_fingerprints"] == {p: preshared_keys.fingerprint(k) for p, k in given[host].items()}
    # rotation needs no prepare step either: vps1's pairs get new keys, and the record follows
    rotated, dummy = run({"stage": "plan", "key_dir": key_dir, "rotate_preshared_keys": ["vps1"]}, inventory=inventory,
                         registered=skipped)
    new = rotated["preshared_keys"]["vps1"]["wg0"]["preshared_keys"]
    assert sorted(new) == sorted([public_key("vps2"), public_key("laptop")]) and rotated["_ansible_no_log"] is True
    assert "%s %s\n" % (public_key("vps1"), preshared_keys.fingerprint(new[public_key("vps2")])) in \
        open(os.path.join(key_dir, "public/wg0/vps2.psk")).read()
    # turned off: the records go
    run({"stage": "plan", "key_dir": key_dir}, registered=skipped)
    assert [p for p in tree(key_dir) if p.endswith(".psk")] == []
