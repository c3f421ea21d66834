"""Sites on real hosts: st1 and st2 share the site network (lab), st3 is on
the internet network only. Endpoints in `wg show` are site addresses between
site members and public ones otherwise; site traffic crosses the site
network's interface; the status report says which links run over the site
(st1's site endpoint is a DNS name only the site resolves: wg shows its
address); moving st2 out of the site is applied live (same wg0, no lost
request between st1 and st3) and a re-run changes nothing."""

import os
import tempfile
import time

import testinfra

from wgcheck import PingStream, ping, project_file, recap, run_playbook, status_files, wg_dump, write_inventory

TUNNEL = {"st1": "10.70.0.1", "st2": "10.70.0.2", "st3": "10.70.0.3"}
PUBLIC = {"st1": "172.30.70.11", "st2": "172.30.70.12", "st3": "172.30.70.13"}
SITE = {"st1": "172.30.71.11", "st2": "172.30.71.12"}
MOVED = {"wireguard": {"hosts": {"st2": {"wireguard_site": "elsewhere"}}}}
STATE = {"ifindex": {}}
testinfra_hosts = []


def node(name):
    return testinfra.get_host("docker://" + name)


def endpoints(me):
    """{peer host: endpoint} of the live interface, peers named by their keys."""
    keys = {node(h).check_output("wg show wg0 public-key"): h for h in TUNNEL}
    return {keys[k]: p["endpoint"] for k, p in wg_dump(node(me)).items()}


def ifindex(name):
    return node(name).check_output("cat /sys/class/net/wg0/ifindex")


def site_nic_tx(name):
    nic = node(name).check_output("ip -o -4 address show to %s | awk '{print $2}'" % SITE[name])
    return int(node(name).check_output("cat /sys/class/net/%s/statistics/tx_bytes" % nic))


def assert_pings():
    failed = [(a, b) for a in TUNNEL for b in TUNNEL if a != b and not ping(node(a), TUNNEL[b])]
    assert failed == [], failed


def test_00_site_members_dial_site_addresses_others_public():
    assert_pings()
    assert endpoints("st1") == {"st2": SITE["st2"] + ":51820", "st3": PUBLIC["st3"] + ":51820"}
    assert endpoints("st2") == {"st1": SITE["st1"] + ":51820", "st3": PUBLIC["st3"] + ":51820"}
    assert endpoints("st3") == {"st1": PUBLIC["st1"] + ":51820", "st2": PUBLIC["st2"] + ":51820"}
    STATE["ifindex"] = {h: ifindex(h) for h in TUNNEL}


def test_01_site_traffic_crosses_the_site_network():
    before = site_nic_tx("st1")
    assert node("st1").run("ping -q -c 50 -i 0.02 -s 1000 %s" % TUNNEL["st2"]).rc == 0
    grown = site_nic_tx("st1") - before
    # 50 requests of 1000 bytes, each in a WireGuard packet of more
    assert grown >= 50 * 1000, grown
    # and traffic to st3 does not: it goes out the internet network
    before = site_nic_tx("st1")
    assert node("st1").run("ping -q -c 50 -i 0.02 -s 1000 %s" % TUNNEL["st3"]).rc == 0
    assert site_nic_tx("st1") - before < 50 * 1000


def test_02_status_reports_the_site_path():
    rc, output = run_playbook(project_file("playbooks", "status.yml"))
    assert rc == 0, output[-3000:]
    document, dummy = status_files("wg0")
    paths = {tuple(link["hosts"]): link["path"] for link in document["links"]}
    assert paths == {("st1", "st2"): "site", ("st1", "st3"): "public", ("st2", "st3"): "public"}, paths
    assert [d for d in document["diagnoses"] if d["kind"] == "public_path_in_site"] == []


def test_03_moving_st2_out_of_the_site_is_live():
    overlay = write_inventory(os.path.join(tempfile.mkdtemp(prefix="fleetnet-sites-"), "moved.yml"), MOVED)
    stream = PingStream(node("st1"), TUNNEL["st3"]).start()
    try:
        rc, output = run_playbook(project_file("playbooks", "site.yml"), "-i", overlay)
        time.sleep(6)  # past WireGuard's handshake retry time: a re-keyed tunnel would stall here
    finally:
        result = stream.stop()
    assert rc == 0, output[-3000:]
    assert result["sent"] > 20 and result["lost"] == 0 and result["longest_stall_s"] < 1.5, result
    assert {h: ifindex(h) for h in TUNNEL} == STATE["ifindex"]
    assert endpoints("st1")["st2"] == PUBLIC["st2"] + ":51820"
    assert endpoints("st2")["st1"] == PUBLIC["st1"] + ":51820"
    assert endpoints("st1")["st3"] == PUBLIC["st3"] + ":51820"
    assert_pings()
    assert endpoints("st1")["st2"] == PUBLIC["st2"] + ":51820"  # st2 now dials publicly: no roaming back
    rc, output = run_playbook(project_file("playbooks", "site.yml"), "-i", overlay)
    assert rc == 0, output[-3000:]
    counters = recap(output)
    assert set(TUNNEL) <= set(counters)
    assert {h: c["changed"] for h, c in counters.items()} == {h: 0 for h in counters}, output[-3000:]
