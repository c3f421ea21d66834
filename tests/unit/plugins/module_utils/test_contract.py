"""The inventory contract, table-driven: every variable of the role's
argument spec (and every key of a wireguard_interfaces entry) against every
wrong type a user could write, through the same pipeline entry the action
plugin calls (pipeline.load with the spec's options)."""

from __future__ import annotations

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils import contract, inventory, pipeline
from ansible_collections.fleetnet.wireguard.plugins.module_utils.problems import Problems
from ansible_collections.fleetnet.wireguard.plugins.plugin_utils import role_spec

OPTIONS = role_spec.options()
ENTRY = OPTIONS["wireguard_interfaces"]["options"]

# values of the wrong type for each kind of option; every one must be refused
WRONG = {
    "str": [["a", "b"], {"a": 1}, True, 1.5],
    "path": [["/a"], {"a": 1}, False],
    "int": [[51820], {"port": 1}, True, 1.5, "abc", "51820x", ""],
    "bool": ["yes", "no", "ture", "1", 1, 0, [True], {"a": True}, 1.5],
    "list:str": [{"a": 1}, True, 1.5, [["nested"]], [{"a": 1}], [True], [None]],
    "list:dict": ["wg1", {"name": "wg1"}, ["wg1"], [["wg1"]], True],
    "raw": [[25], {"a": 1}, True, 1.5],
}
# a value of the right type for each kind (the values checks may still refuse it, not the type check)
RIGHT = {"str": ["x", 7], "path": ["/tmp/x"], "int": [51820, "51820"], "bool": [True, False, "true", "False"],
         "list:str": [["a", "b"], "a", "a,b", [1]], "list:dict": [[{"name": "wg1"}], []], "raw": [25, "off"]}


def kind(spec):
    k = spec.get("type", "str")
    return "list:%s" % spec.get("elements", "str") if k == "list" else k


def wrong_cases(options, label="%s"):
    """(name, value) for every option without choices and every wrong value of its kind."""
    return [pytest.param(name, value, id="%s=%r" % (label % name, value))
            for name in sorted(options) if not options[name].get("choices")
            for value in WRONG[kind(options[name])]]


def host(**variables):
    return dict({"wireguard_address": "10.10.0.1"}, **variables)


def load(hostvars):
    """The action plugin's first step; never raises, whatever the inventory."""
    return pipeline.load(hostvars, OPTIONS)


def only_error(problems):
    assert len(problems.errors) == 1, problems.errors
    return problems.errors[0]


@pytest.mark.parametrize("name,value", wrong_cases(OPTIONS))
def test_every_top_level_variable_refuses_every_wrong_type(name, value):
    interfaces, problems = load({"vps1": host(**{name: value}), "vps2": {"wireguard_address": "10.10.0.2"}})
    error = only_error(problems)
    assert (error["host"], error["variable"]) == ("vps1", name)
    assert "where" in error["message"] and error["fix"]
    assert interfaces == {}  # nothing planned: the whole fleet stops, not only vps1


@pytest.mark.parametrize("name,value", wrong_cases(ENTRY, "interfaces[0].%s"))
def test_every_interface_entry_key_refuses_every_wrong_type(name, value):
    entry = {"name": "wg1", "address": "10.20.0.1", name: value}
    dummy, problems = load({"vps1": host(wireguard_interfaces=[entry])})
    error = only_error(problems)
    assert (error["host"], error["variable"]) == ("vps1", "wireguard_interfaces[0].%s" % name)


@pytest.mark.parametrize("name", sorted(n for n in OPTIONS if OPTIONS[n].get("choices")))
def test_choices_are_enforced(name):
    dummy, problems = load({"vps1": host(**{name: "bogus"})})
    error = only_error(problems)
    assert "is not one of" in error["message"] and error["variable"] == name


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_right_types_pass_the_type_check(name):
    spec = OPTIONS[name]
    values = spec.get("choices") or RIGHT[kind(spec)]
    for value in values:
        assert contract.type_error(name, value, spec) is None, (name, value)


@pytest.mark.parametrize("typo,meant", [
    ("wireguard_adress", "wireguard_address"), ("wireguard_endpiont", "wireguard_endpoint"),
    ("wireguard_allowedips", "wireguard_allowed_ips"), ("wireguard_post_upp", "wireguard_post_up"),
    ("wireguard_keepalive", None), ("wireguard_peers", None),
])
def test_unknown_names_say_the_closest_known_name(typo, meant):
    dummy, problems = load({"vps1": host(**{typo: "x"})})
    error = only_error(problems)
    assert error["variable"] == typo
    if meant:
        assert "did you mean %s?" % meant in error["message"]
    else:
        assert "unknown variable" in error["message"]


def test_unknown_keys_of_an_interface_entry_say_the_closest_key():
    dummy, problems = load({"vps1": host(wireguard_interfaces=[{"name": "wg1", "adress": "10.20.0.1"}])})
    error = problems.errors[0]
    assert error["variable"] == "wireguard_interfaces[0].adress"
    assert "did you mean wireguard_interfaces[0].address?" in error["message"]


def test_an_interface_entry_needs_a_name():
    dummy, problems = load({"vps1": host(wireguard_interfaces=[{"address": "10.20.0.1"}])})
    assert only_error(problems)["variable"] == "wireguard_interfaces[0].name"


def test_internal_and_non_wireguard_variables_are_not_checked():
    hv = host(wireguard__host={"x": 1}, ansible_host="192.0.2.1", ansible_port=22)
    dummy, problems = load({"vps1": hv})
    assert problems.errors == []


def test_every_wrong_host_is_reported_in_one_run():
    dummy, problems = load({"a": host(wireguard_port=[1]), "b": host(wireguard_gateway="yes"), "c": host(wireguard_hubb="a")})
    assert sorted(p["host"] for p in problems.errors) == ["a", "b", "c"]


def test_key_variables_never_show_their_value():
    secret = "x" * 43 + "="
    dummy, problems = load({"vps1": host(wireguard_public_key=[secret])})
    assert secret not in only_error(problems)["message"]


def test_the_spec_and_the_inventory_model_list_the_same_interface_keys():
    assert set(ENTRY) == set(inventory.MEMBER_KEYS) | {"name"}
    for key in inventory.MEMBER_KEYS:
        top = OPTIONS["wireguard_" + key]
        assert (kind(ENTRY[key]), ENTRY[key].get("choices")) == (kind(top), top.get("choices")), key


def test_the_role_defaults_are_variables_of_the_spec():
    import yaml
    with open(role_spec.SPEC_PATH.replace("meta/argument_specs.yml", "defaults/main.yml"), encoding="utf-8") as handle:
        defaults = yaml.safe_load(handle)
    for name, value in defaults.items():
        assert name in OPTIONS, name
        if "{{" not in str(value):
            assert contract.type_error(name, value, OPTIONS[name]) is None, name


def test_check_alone_reports_into_problems():
    problems = Problems()
    assert contract.check({"h": {"wireguard_port": "x"}}, OPTIONS, problems) is False
    assert problems.errors[0]["variable"] == "wireguard_port"


def test_an_entry_key_that_is_not_a_string_is_an_unknown_name():
    dummy, problems = load({"vps1": host(wireguard_interfaces=[{"name": "wg1", "address": "10.20.0.1", 2: "x", None: "y"}])})
    assert sorted(p["variable"] for p in problems.errors) == ["wireguard_interfaces[0].2", "wireguard_interfaces[0].None"]
