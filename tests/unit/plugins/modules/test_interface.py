"""The interface module, case by case (cases/interface.yml): start, restart,
live change, nothing to do, rollback, absent, in normal, check and diff mode;
and a name that belongs to a link that is not WireGuard is never touched."""

from __future__ import annotations

import json

import pytest

from ansible_collections.fleetnet.wireguard.tests.unit.plugins.modules.harness import load, run_case


@pytest.mark.parametrize("case", load("interface"))
def test_interface(case, tmp_path):
    run_case("interface", case, tmp_path)


KEY = "EBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBA=\n"
PEER = "BkU/zZzvWh9TrMT5QhBMDI6eJ9XHs39VB83NFigQWWM="
DESTRUCTIVE = (["ip", "link", "del"], ["ip", "link", "delete"], ["ip", "link", "set"], ["ip", "address"], ["ip", "route"],
               ["wg-quick", "down"], ["systemctl", "stop"], ["systemctl", "start"])


@pytest.mark.parametrize("kind", ["veth", "bridge", None])
@pytest.mark.parametrize("check_mode", [False, True])
def test_a_failed_apply_on_the_name_of_a_link_that_is_not_wireguard_removes_nothing(tmp_path, kind, check_mode):
    """Issue 13: with wireguard_interface: eth0 the rollback used to run
    `ip link del dev eth0`. Now the run fails before any change, names the
    interface and the fix, and only reads ran: no link, address, route or
    unit was touched, no file written."""
    link = {"ifname": "eth0", "mtu": 1500}
    if kind:
        link["linkinfo"] = {"info_kind": kind}
    case = {
        "id": "eth0",
        "params": {"name": "eth0", "addresses": ["10.10.0.1/24"], "private_key_path": "{tmp}/etc/eth0.key",
                   "config_path": "{tmp}/etc/eth0.conf", "peers": [{"public_key": PEER, "allowed_ips": ["10.10.0.2/32"]}]},
        "check_mode": check_mode,
        "files": {"etc/eth0.key": {"content": KEY, "mode": "0600"}},
        "run_command": [
            {"command": "ip -d -j link show dev eth0", "out": json.dumps([link])},
            {"command": "wg show eth0", "rc": 1, "err": "Unable to access interface: Operation not supported"},
        ],
        "failed": True,
        "msg_contains": "the interface name eth0 is taken by an existing %s link that is not WireGuard" % (kind or "device"),
        "files_after": {"etc/eth0.conf": None, "etc/eth0.psk.d": None},
    }
    dummy, result, calls = run_case("interface", case, tmp_path)
    assert "Set wireguard_interface" in result["msg"] and "nothing was changed" in result["msg"]
    assert not [c for c in calls if any(c[:len(d)] == d for d in DESTRUCTIVE)], calls
    assert sorted(p.name for p in (tmp_path / "etc").iterdir()) == ["eth0.key"]


def test_rollback_deletes_no_link_that_this_run_did_not_create(tmp_path):
    """A live change fails on an interface that was up before the run: the
    rollback restores the file and restarts the unit, and never deletes the
    link (this run did not create it)."""
    for case in load("interface"):
        if case.values[0]["id"] == "rollback_of_a_failed_live_change_restores_the_file_and_restarts_the_old_one":
            dummy, dummy, calls = run_case("interface", case.values[0], tmp_path)
            assert not [c for c in calls if c[:3] == ["ip", "link", "del"]], calls
            return
    raise AssertionError("case not found")
