"""A WireGuard interface on a live host (module_utils/live_host.py), read
through the one command runner: the exact commands it runs, what it makes of
their output, and how a failure reads. Only run_command is replaced, by a
host that answers from a script and records every call."""

from __future__ import annotations

import json
import socket

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils import live_host, wg_keys
from ansible_collections.fleetnet.wireguard.plugins.module_utils.live_host import LiveHost
from ansible_collections.fleetnet.wireguard.plugins.module_utils.runner import CommandError, Runner

PRIVATE = wg_keys.encode_key(bytes([64]) + bytes(range(1, 31)) + bytes([64]))
ME = wg_keys.public_key(PRIVATE)
PEER = wg_keys.public_key(wg_keys.encode_key(bytes([72]) + bytes(range(2, 32)) + bytes([65])))
LINK = ["ip", "-d", "-j", "link", "show", "dev", "wg0"]
WG_SHOW = ["wg", "show", "wg0"]


class ScriptedHost:
    """run_command that answers each argv from a table, as (rc, stdout, stderr)."""

    def __init__(self, answers):
        self.answers = {tuple(argv): answer for argv, answer in answers}
        self.calls = []

    def __call__(self, argv):
        self.calls.append(list(argv))
        return self.answers[tuple(argv)]


def interface(answers, ifname="wg0"):
    host = ScriptedHost(answers)
    return LiveHost(Runner(host), ifname), host


def link_json(kind):
    info = {"linkinfo": {"info_kind": kind}} if kind else {}
    return json.dumps([dict({"ifindex": 5, "ifname": "wg0", "flags": ["POINTOPOINT", "NOARP", "UP"], "mtu": 1420}, **info)])


def test_the_unit_is_wg_quicks():
    assert interface([], "wg1")[0].unit == "wg-quick@wg1"


@pytest.mark.parametrize("answers, kind", [
    pytest.param([(LINK, (1, "", 'Device "wg0" does not exist.\n'))], None, id="no link"),
    pytest.param([(LINK, (0, link_json("wireguard"), ""))], "wireguard", id="kernel WireGuard"),
    # wireguard-go runs on a tun device: it is ours when wg knows it
    pytest.param([(LINK, (0, link_json("tun"), "")), (WG_SHOW, (0, "interface: wg0\n", ""))], "wireguard", id="wireguard-go"),
    pytest.param([(LINK, (0, link_json("tun"), "")), (WG_SHOW, (1, "", "Unable to access interface: Protocol not supported\n"))],
                 "tun", id="a tun that is not WireGuard"),
    pytest.param([(LINK, (0, link_json("bridge"), "")), (WG_SHOW, (1, "", "Unable to access interface\n"))], "bridge", id="a bridge"),
    pytest.param([(LINK, (0, link_json(None), "")), (WG_SHOW, (1, "", ""))], "device", id="a plain device"),
])
def test_link(answers, kind):
    iface, host = interface(answers)
    assert iface.link() == kind
    assert host.calls == [argv for argv, dummy in answers]


@pytest.mark.parametrize("answers, exists", [
    ([(LINK, (1, "", ""))], False),
    ([(LINK, (0, link_json("wireguard"), ""))], True),
])
def test_link_exists_and_is_ours(answers, exists):
    assert interface(answers)[0].link_exists() is exists
    assert interface(answers)[0].our_link() is exists


def test_a_link_that_is_not_wireguard_is_refused_before_anything_changes():
    iface, host = interface([(LINK, (0, link_json("bridge"), "")), (WG_SHOW, (1, "", ""))])
    with pytest.raises(ValueError, match="the interface name wg0 is taken by an existing bridge link that is not WireGuard; nothing was changed"):
        iface.our_link()
    assert host.calls == [LINK, WG_SHOW], "only reads"


@pytest.mark.parametrize("verb, rc, out, state", [
    ("is-active", 0, "active\n", "active"),
    ("is-active", 3, "inactive\n", "inactive"),
    ("is-enabled", 0, "enabled\n", "enabled"),
    ("is-enabled", 1, "disabled\n", "disabled"),
])
def test_unit_state(verb, rc, out, state):
    iface, host = interface([(["systemctl", verb, "wg-quick@wg0"], (rc, out, ""))])
    assert iface.unit_state(verb) == state
    assert host.calls == [["systemctl", verb, "wg-quick@wg0"]]


def test_live_reads_the_interface_once_per_command():
    dump = "%s\t%s\t51820\toff\n%s\t(none)\t172.30.50.12:51820\t10.50.0.2/32\t1795572312\t220\t276\t25\n" % (PRIVATE, ME, PEER)
    addresses = json.dumps([{"ifname": "wg0", "addr_info": [{"family": "inet", "local": "10.50.0.1", "prefixlen": 24, "scope": "global"}]}])
    routes4 = json.dumps([{"dst": "10.50.0.0/24", "protocol": "kernel", "scope": "link"}])
    answers = [
        (["wg", "show", "wg0", "dump"], (0, dump, "")),
        (["ip", "-j", "address", "show", "dev", "wg0"], (0, addresses, "")),
        (["ip", "-4", "-j", "route", "show", "table", "all", "dev", "wg0"], (0, routes4, "")),
        (["ip", "-6", "-j", "route", "show", "table", "all", "dev", "wg0"], (0, "[]", "")),
        (LINK, (0, link_json("wireguard"), "")),
    ]
    iface, host = interface(answers)
    state, addrs, routes, mtu = iface.live()
    assert sorted(host.calls) == sorted(argv for argv, dummy in answers)
    assert PRIVATE not in repr(state)
    assert state["public_key"] == ME and state["has_private_key"] is True
    assert state["peers"][PEER]["persistent_keepalive"] == 25
    assert (addrs, routes, mtu) == (["10.50.0.1/24"], [{"dst": "10.50.0.0/24", "table": "main", "kernel": True}], 1420)


def test_live_fails_when_the_interface_cannot_be_read():
    iface = interface([(["wg", "show", "wg0", "dump"], (1, "", "Unable to access interface: No such device\n"))])[0]
    with pytest.raises(CommandError) as info:
        iface.live()
    assert str(info.value) == "wg show wg0 dump failed (rc=1): Unable to access interface: No such device"


def test_journal():
    argv = ["journalctl", "-u", "wg-quick@wg0", "-n", "15", "--no-pager", "-o", "cat"]
    iface, host = interface([(argv, (0, "[#] ip link add wg0 type wireguard\nRTNETLINK answers: Operation not supported\n", ""))])
    assert iface.journal() == "[#] ip link add wg0 type wireguard\nRTNETLINK answers: Operation not supported"
    assert host.calls == [argv]


def test_journal_unavailable_is_empty():
    argv = ["journalctl", "-u", "wg-quick@wg0", "-n", "3", "--no-pager", "-o", "cat"]
    assert interface([(argv, (1, "No journal files were found.\n", ""))])[0].journal(lines=3) == ""


def test_resolve_an_address_needs_no_lookup():
    assert live_host.resolve("127.0.0.1") == ["127.0.0.1"]


def test_resolve_a_name_that_does_not_resolve(monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    monkeypatch.setattr(socket, "getaddrinfo", fail)
    assert live_host.resolve("vps9.example") == []


def test_resolve_gives_each_address_once_sorted(monkeypatch):
    answers = [(socket.AF_INET6, socket.SOCK_DGRAM, 17, "", ("2001:db8::1", 0, 0, 0)),
               (socket.AF_INET, socket.SOCK_DGRAM, 17, "", ("192.0.2.7", 0)),
               (socket.AF_INET, socket.SOCK_DGRAM, 17, "", ("192.0.2.7", 0))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda name, port, proto: answers)
    assert live_host.resolve("vps1.example") == ["192.0.2.7", "2001:db8::1"]
