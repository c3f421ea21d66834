"""The removal guard through the real site playbook: an inventory that lost
half of the hosts the key store knows (a dynamic source that answered with
part of the fleet) stops before any host is touched and names the hosts it
would have removed; a removal within the limit, or confirmed, goes on and is
shown first (in check mode too).

Hosts are on loopback port 1: a run the guard stopped shows no unreachable
host; a run it let through reaches the first host task and finds it
unreachable, which proves it got past the controller's checks."""

from __future__ import annotations

import hashlib
import os
import pathlib
import re
import subprocess
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / ".collections"))

from ansible_collections.fleetnet.wireguard.plugins.module_utils import wg_keys  # noqa: E402

FLEET = ["vps%d" % i for i in range(1, 7)]


def public_key(host):
    return wg_keys.public_key(wg_keys.encode_key(hashlib.sha256(host.encode()).digest()))


def setup(tmp_path, present):
    """A key store with the whole fleet, and an inventory with ``present`` only."""
    store = tmp_path / ".wireguard" / "public" / "wg0"
    store.mkdir(parents=True)
    for host in FLEET:
        (store / (host + ".pub")).write_text(public_key(host) + "\n")
    hosts = {h: {"ansible_host": "127.0.0.%d" % (10 + FLEET.index(h)), "wireguard_address": "10.10.0.%d" % (1 + FLEET.index(h)),
                 "wireguard_endpoint": "198.51.100.%d" % (1 + FLEET.index(h))} for h in present}
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"wireguard": {"vars": {"ansible_port": 1, "wireguard_network": ["10.10.0.0/24"]},
                                                       "hosts": hosts}}))
    return inventory, store


def play(inventory, *args):
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"), ANSIBLE_HOST_KEY_CHECKING="False")
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory),
                           str(ROOT / "playbooks" / "site.yml")] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, check=False)
    recap = re.findall(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)", proc.stdout, re.M)
    return proc.returncode, proc.stdout, {h: int(u) for h, _ok, _c, u in recap}


def test_half_the_fleet_gone_stops_before_any_host_and_names_them(tmp_path):
    inventory, store = setup(tmp_path, FLEET[:3])
    rc, out, unreachable = play(inventory)
    assert rc != 0, out
    line = next(line for line in out.splitlines() if line.startswith("host ") and "wireguard_confirm_removal" in line)
    assert "would remove 3 host(s)" in line, line
    assert "vps4 (gone from the inventory), vps5 (gone from the inventory), vps6 (gone from the inventory)" in line, line
    assert "-e wireguard_confirm_removal=vps4,vps5,vps6" in line, line
    assert all(count == 0 for count in unreachable.values()), unreachable  # no host was contacted
    assert sorted(p.stem for p in store.glob("*.pub")) == FLEET  # the store still knows them all


def test_more_than_the_limit_stops_even_when_most_hosts_remain(tmp_path):
    inventory, dummy = setup(tmp_path, FLEET[:3])
    rc, out, unreachable = play(inventory, "-e", "wireguard_removal_limit=5")  # 3 <= 5, but 3 of 6 is half the fleet
    assert rc != 0 and "3 of the 6 hosts in the key store" in out, out
    inventory, dummy = setup(tmp_path / "b", FLEET[:5] + [])
    (tmp_path / "b" / ".wireguard" / "public" / "wg0" / "vps7.pub").write_text(public_key("vps7") + "\n")
    (tmp_path / "b" / ".wireguard" / "public" / "wg0" / "vps8.pub").write_text(public_key("vps8") + "\n")
    rc, out, unreachable = play(inventory)  # vps6, vps7, vps8 gone: 3 > 2 of 8
    assert rc != 0 and "more than wireguard_removal_limit (2)" in out and "vps8 (gone from the inventory)" in out, out
    assert all(count == 0 for count in unreachable.values()), unreachable


def test_a_removal_within_the_limit_is_shown_and_goes_on_in_check_mode(tmp_path):
    inventory, store = setup(tmp_path, FLEET[:5])
    rc, out, unreachable = play(inventory, "--check", "--diff")
    assert "fleetnet.wireguard: vps6 is gone from the inventory: its peer entry on wg0 is removed from every member" in out, out
    assert "wireguard_confirm_removal" not in out
    assert sum(unreachable.values()) > 0, out  # past the controller's checks, on to the hosts
    assert (store / "vps6.pub").exists()  # check mode forgets nothing


def test_a_confirmed_removal_goes_on(tmp_path):
    inventory, dummy = setup(tmp_path, FLEET[:3])
    rc, out, unreachable = play(inventory, "-e", "wireguard_confirm_removal=vps4,vps5,vps6")
    assert "wireguard_confirm_removal:" not in out, out
    assert "fleetnet.wireguard: vps5 is gone from the inventory" in out, out
    assert sum(unreachable.values()) > 0, out
