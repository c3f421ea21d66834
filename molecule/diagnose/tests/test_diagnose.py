"""The status playbook on a real network: silent while it is healthy, then
each fault broken in on purpose is named on the right link or host.

diag1 and diag2 are on the backbone, diag3 is a spoke of diag1 (so diag1 is a
hub). The faults: diag2 drops UDP 51820 in, diag1 stops forwarding, diag3's
interface is stopped. The tests run in file order.
"""

import os
import re
import xml.etree.ElementTree as ET

import pytest
import testinfra

from wgcheck import private_keys, project_file, run_playbook, status_files

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
HOSTS = ("diag1", "diag2", "diag3")
STATUS = project_file("playbooks", "status.yml")
DROP = "INPUT -p udp --dport 51820 -j DROP"


def node(name):
    return testinfra.get_host(name, ansible_inventory=INVENTORY, connection="ansible")


def run_status(*args):
    return run_playbook(STATUS, "-e", "wireguard_status_fail_on_fault=true", *args)


def links(document):
    return {tuple(link["hosts"]): link for link in document["links"]}


def faults(document):
    return {(d["kind"], d["host"], tuple(d["link"]) if d["link"] else None) for d in document["diagnoses"]}


@pytest.fixture(scope="module")
def healthy():
    """The network as the role left it. prepare.yml turned forwarding off on
    every host (a VPS's default; a container inherits the machine's), so the
    hub forwards because the role made it."""
    assert node("diag1").check_output("sysctl -n net.ipv4.ip_forward") == "1"
    assert node("diag3").check_output("sysctl -n net.ipv4.ip_forward") == "0"  # a spoke routes for nobody
    rc, output = run_status()
    return rc, output


@pytest.fixture(scope="module")
def broken(healthy):
    """Break the network three ways, read it, and mend it again afterwards."""
    node("diag2").check_output("iptables -A %s" % DROP)
    node("diag1").check_output("mount -o remount,rw /proc/sys && sysctl -qw net.ipv4.ip_forward=0")
    node("diag3").check_output("systemctl stop wg-quick@wg0")
    try:
        yield run_status()
    finally:
        node("diag2").run("iptables -D %s" % DROP)
        node("diag1").run("sysctl -qw net.ipv4.ip_forward=1")
        node("diag3").run("systemctl start wg-quick@wg0")


def test_healthy_network_every_link_up_and_no_fault(healthy):
    rc, output = healthy
    assert rc == 0, output[-3000:]
    document = status_files("wg0")[0]
    assert {k: v["verdict"] for k, v in links(document).items()} == {("diag1", "diag2"): "up", ("diag1", "diag3"): "up"}
    assert document["diagnoses"] == []
    assert "no faults found" in output


def test_healthy_network_reports_what_runs(healthy):
    document = status_files("wg0")[0]
    hosts = document["hosts"]
    assert {h: hosts[h]["role"] for h in HOSTS} == {"diag1": "hub", "diag2": "backbone", "diag3": "spoke"}
    assert all(hosts[h]["up"] and hosts[h]["service"]["enabled"] == "enabled" for h in HOSTS)
    assert {hosts[h]["implementation"] for h in HOSTS} <= {"kernel", "userspace"}


def test_broken_network_fails_the_run_and_names_each_fault(broken):
    rc, output = broken
    assert rc != 0, "wireguard_status_fail_on_fault=true should fail on faults"
    assert "3 fault(s) found" in output
    for line in ("[firewall] wg0 diag1 - diag2 on diag2: diag1 sends to diag2 but diag2 receives nothing",
                 "[forwarding_off] wg0 on diag1: net.ipv4.ip_forward=0 but it routes for diag3",
                 "[interface_down] wg0 on diag3: wg0 is not there (wg-quick@wg0 is inactive)"):
        assert line in output, output[-4000:]


def test_broken_network_each_fault_on_its_link_or_host_and_nothing_else(broken):
    document = status_files("wg0")[0]
    assert faults(document) == {
        ("firewall", "diag2", ("diag1", "diag2")),
        ("forwarding_off", "diag1", None),
        ("interface_down", "diag3", None),
    }
    by_link = links(document)
    assert by_link[("diag1", "diag2")]["verdict"] == "one-way"
    assert by_link[("diag1", "diag2")]["lost"] == [["diag1", "diag2"]]
    assert by_link[("diag1", "diag3")]["verdict"] == "missing"
    assert by_link[("diag1", "diag3")]["note"] == "wg0 down on diag3"


def test_broken_network_table_and_picture(broken):
    output = broken[1]
    assert re.search(r"diag1 - diag2\s+one-way\s.*diag2 receives nothing from diag1", output)
    assert re.search(r"diag1 - diag3\s+missing\s.*wg0 down on diag3", output)
    svg = status_files("wg0")[1]
    root = ET.fromstring(svg.split("?>", 1)[1])
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert sorted(g.get("data-verdict") for g in root.iterfind("s:g[@class='link']", ns)) == ["missing", "one-way"]


def test_no_private_key_in_the_status_output(broken):
    output = broken[1]
    keys = private_keys([node(h) for h in HOSTS])
    assert len(keys) == len(HOSTS)
    assert [k for k in keys if k in output] == []
    document, svg = status_files("wg0")
    assert [k for k in keys if k in svg or k in str(document)] == []


def test_mended_network_is_healthy_again(broken):
    """After the faults are undone (the fixture's teardown ran when this test
    asks for a fresh run), the status is clean again: no fault sticks."""
    node("diag2").run("iptables -D %s" % DROP)
    node("diag1").check_output("sysctl -qw net.ipv4.ip_forward=1")
    node("diag3").check_output("systemctl start wg-quick@wg0")
    rc, output = run_status()
    assert rc == 0, output[-3000:]
    document = status_files("wg0")[0]
    assert document["diagnoses"] == []
