"""ufw rules of ours (module_utils/ufw.py): which rules a host wants, which
of the rules ufw already holds are ours, and the exact arguments that add
and delete them. The texts are what ufw 0.36 prints."""

from __future__ import annotations

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils import ufw

TAG = " comment 'fleetnet-wireguard'"


@pytest.mark.parametrize("interfaces, uplink, want", [
    pytest.param([{"name": "wg0", "port": 51820}], None, ["allow 51820/udp"], id="plain member: its port"),
    pytest.param([{"name": "wg0", "port": "51820"}], None, ["allow 51820/udp"], id="port given as text"),
    pytest.param([{"name": "wg0", "port": None}], None, [], id="roaming spoke: no port, no rule"),
    pytest.param([{"name": "wg0", "port": 51820, "forwarding": True}], "eth0",
                 ["allow 51820/udp", "route allow in on wg0 out on wg0"], id="hub: peers through it"),
    pytest.param([{"name": "wg0", "port": 51820, "gateway": True}], "eth0",
                 ["allow 51820/udp", "route allow in on wg0 out on wg0", "route allow in on wg0 out on eth0"],
                 id="gateway: peers and the uplink"),
    pytest.param([{"name": "wg0", "port": 51820, "gateway": True}], None,
                 ["allow 51820/udp", "route allow in on wg0 out on wg0"], id="gateway without a known uplink"),
    pytest.param([{"name": "wg0", "port": 51820}, {"name": "wg1", "port": 51820, "forwarding": True}], None,
                 ["allow 51820/udp", "route allow in on wg1 out on wg1"], id="a port shared by two interfaces once"),
])
def test_desired_rules(interfaces, uplink, want):
    assert ufw.desired_rules(interfaces, uplink) == [rule + TAG for rule in want]


@pytest.mark.parametrize("text, active", [
    ("Status: active\n\nTo                         Action      From\n--                         ------      ----\n"
     "22/tcp                     ALLOW       Anywhere\n", True),
    ("Status: inactive\n", False),
    ("  status: ACTIVE\n", True),
    ("", False),
    (None, False),
    ("ERROR: You need to be root to run this script\n", False),
])
def test_is_active(text, active):
    assert ufw.is_active(text) is active


SHOW_ADDED = """Added user rules (see 'ufw status' for running firewall):
ufw allow 22/tcp
ufw allow 51820/udp comment 'fleetnet-wireguard'
ufw route allow in on wg0 out on wg0 comment 'fleetnet-wireguard'
ufw allow 60000/udp comment 'someone else'
ufw route allow in on wg0 out on eth0 comment 'fleetnet-wireguard'
"""


def test_current_rules_are_only_ours():
    assert ufw.current_rules(SHOW_ADDED) == [
        "allow 51820/udp" + TAG,
        "route allow in on wg0 out on wg0" + TAG,
        "route allow in on wg0 out on eth0" + TAG,
    ]


@pytest.mark.parametrize("text", ["Added user rules (see 'ufw status' for running firewall):\n(None)\n", "", None])
def test_current_rules_none(text):
    assert ufw.current_rules(text) == []


def test_plan_adds_the_missing_and_deletes_the_stale():
    wanted = ufw.desired_rules([{"name": "wg0", "port": 51821, "forwarding": True}], None)
    add, delete = ufw.plan(wanted, ufw.current_rules(SHOW_ADDED))
    assert add == ["allow 51821/udp" + TAG]
    assert delete == ["allow 51820/udp" + TAG, "route allow in on wg0 out on eth0" + TAG]


def test_plan_of_what_is_there_is_nothing():
    wanted = ufw.desired_rules([{"name": "wg0", "port": 51820, "gateway": True}], "eth0")
    assert ufw.plan(wanted, ufw.current_rules(SHOW_ADDED)) == ([], [])


@pytest.mark.parametrize("rule, argv", [
    ("allow 51820/udp" + TAG, ["delete", "allow", "51820/udp"]),
    # ufw only accepts routed rules' deletion as `ufw route delete ...`
    ("route allow in on wg0 out on eth0" + TAG, ["route", "delete", "allow", "in", "on", "wg0", "out", "on", "eth0"]),
    ("allow 51820/udp", ["delete", "allow", "51820/udp"]),
])
def test_delete_args(rule, argv):
    assert ufw.delete_args(rule) == argv
