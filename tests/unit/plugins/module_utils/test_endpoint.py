"""The one endpoint parser: what wg-quick can dial is accepted, nothing else."""

from __future__ import annotations

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils import endpoint


@pytest.mark.parametrize("text,expected", [
    ("vpn.example.org", ("vpn.example.org", 51820)),
    ("vpn.example.org:443", ("vpn.example.org", 443)),
    ("203.0.113.1", ("203.0.113.1", 51820)),
    ("203.0.113.1:51821", ("203.0.113.1", 51821)),
    ("[2001:db8::1]:51820", ("2001:db8::1", 51820)),
    ("[2001:db8::1]", ("2001:db8::1", 51820)),
    ("2001:db8::1", ("2001:db8::1", 51820)),
    (" host-1.example.net. ", ("host-1.example.net.", 51820)),
])
def test_accepted(text, expected):
    assert endpoint.parse(text, 51820) == expected


@pytest.mark.parametrize("text,why", [
    ("udp://203.0.113.1:51820", "URL scheme"),
    ("https://vpn.example.org", "URL scheme"),
    ("vpn.example.org/wg", "path"),
    ("203.0.113.1/32", "path or a prefix length"),
    ("2001:db8::1:51820", "without brackets"),
    ("[2001:db8::1]51820", "only :port"),
    ("[2001:db8::1", "no closing ]"),
    ("[vpn.example.org]:1", "not an IPv6 address"),
    ("203.0.113.1:0", "not a number from 1 to 65535"),
    ("203.0.113.1:70000", "not a number from 1 to 65535"),
    ("203.0.113.1:", "not a number"),
    ("203.0.113.1:http", "not a number"),
    ("a.example.org, b.example.org", "more than one value"),
    ("a.example.org b.example.org", "more than one value"),
    ("", "empty"),
    ("bad_host!:1", "not a host name"),
    (["203.0.113.1"], "not one endpoint"),
    (51820, "not one endpoint"),
])
def test_refused(text, why):
    with pytest.raises(endpoint.EndpointError, match=why):
        endpoint.parse(text, 51820)


@pytest.mark.parametrize("host,port,text", [("203.0.113.1", 1, "203.0.113.1:1"), ("2001:db8::1", 2, "[2001:db8::1]:2")])
def test_join_writes_what_parse_reads(host, port, text):
    assert endpoint.join(host, port) == text
    assert endpoint.parse(text) == (host, port)


@pytest.mark.parametrize("text,expected", [
    ("1.2.3.4:51820", ("1.2.3.4", "51820")), ("[fe80::1%eth0]:51820", ("fe80::1%eth0", "51820")),
    ("*:51820", ("*", "51820")), ("[::]:51820", ("::", "51820")), ("", ("", "")),
])
def test_split_live_reads_what_wg_and_ss_print(text, expected):
    assert endpoint.split_live(text) == expected
