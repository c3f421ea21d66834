"""IP forwarding on hosts that route (module_utils/forwarding.py): the one
sysctl.d file of ours, and which keys must be set live."""

from __future__ import annotations

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils import forwarding, runner

FILE = ("# Managed by fleetnet.wireguard: this host forwards tunnel traffic.\n"
        "net.ipv4.ip_forward = 1\n"
        "net.ipv6.conf.all.forwarding = 1\n")
BOTH_ON = {"net.ipv4.ip_forward": "1", "net.ipv6.conf.all.forwarding": "1"}


def test_render_is_the_file():
    assert forwarding.render() == FILE
    assert forwarding.SYSCTL_FILE == "/etc/sysctl.d/90-fleetnet-wireguard.conf"


@pytest.mark.parametrize("key, path", [
    ("net.ipv4.ip_forward", "/proc/sys/net/ipv4/ip_forward"),
    ("net.ipv6.conf.all.forwarding", "/proc/sys/net/ipv6/conf/all/forwarding"),
])
def test_a_key_is_read_and_set_at_its_proc_sys_path(key, path):
    assert runner.sysctl_path(key) == path  # the one declared path; routing and info use it


@pytest.mark.parametrize("enabled, file_text, live, want", [
    pytest.param(False, None, {}, (False, False, []), id="not routing, no file: nothing"),
    # off: only our file goes; the live value is left as it is (someone else may route)
    pytest.param(False, FILE, BOTH_ON, (False, True, []), id="not routing any more: remove our file"),
    pytest.param(True, None, {"net.ipv4.ip_forward": "0", "net.ipv6.conf.all.forwarding": "0"},
                 (True, False, ["net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"]), id="new hub: file and both keys"),
    pytest.param(True, FILE, BOTH_ON, (False, False, []), id="hub as it should be: nothing"),
    pytest.param(True, FILE, {"net.ipv4.ip_forward": "1", "net.ipv6.conf.all.forwarding": "0"},
                 (False, False, ["net.ipv6.conf.all.forwarding"]), id="a key turned off by hand"),
    pytest.param(True, "net.ipv4.ip_forward = 1\n", BOTH_ON, (True, False, []), id="file edited by hand: rewritten"),
    pytest.param(True, FILE, {}, (False, False, ["net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"]),
                 id="live values unreadable: set both"),
])
def test_plan(enabled, file_text, live, want):
    assert forwarding.plan(enabled, file_text, live) == want
