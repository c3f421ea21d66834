"""plan.check_peers computes peer lists only where a check can fail; it must
find exactly what running both checks on every host's full peer list finds.
Random fleets (seeded, so a failure reproduces) mix backbone members with
and without endpoints, spokes, LANs that collide, default routes through a
hub, address prefixes of their own, and management and controller addresses
inside and outside the tunnel's prefixes."""

from __future__ import annotations

import random

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils import inventory, pipeline, plan, topology, validation
from ansible_collections.fleetnet.wireguard.plugins.module_utils.problems import Problems

LANS = ["192.168.%d.0/24" % i for i in range(4)] + ["172.16.0.0/12", "192.168.0.0/16"]
VIA = ["0.0.0.0/0", "172.16.0.0/12", "::/0", "192.168.1.0/24"]


def random_fleet(rng, size):
    hosts = ["h%02d" % i for i in range(size)]
    backbone = hosts[: max(1, size // 3)]
    hostvars = {}
    for i, host in enumerate(hosts):
        hv = {"wireguard_address": "10.0.%d.%d%s" % (i // 200, i % 200 + 1, rng.choice(["", "", "/16", "/24"])),
              "wireguard_network": "10.0.0.0/16"}
        if host in backbone:
            if rng.random() < 0.7:
                hv["wireguard_endpoint"] = "198.51.100.%d" % (i + 1)
            if rng.random() < 0.3:
                hv["wireguard_allowed_ips"] = rng.sample(LANS, rng.randint(1, 2))
        else:
            hv["wireguard_hub"] = rng.choice([b for b in backbone if "wireguard_endpoint" in hostvars.get(b, {})] or backbone)
            if rng.random() < 0.3:
                hv["wireguard_allowed_ips"] = [rng.choice(LANS)]
            if rng.random() < 0.3:
                hv["wireguard_via_hub"] = [rng.choice(VIA)]
        roll = rng.random()
        if roll < 0.3:
            hv.update(ansible_host="192.168.1.%d" % (i + 10), ansible_connection="ssh")
        elif roll < 0.5:
            hv.update(ansible_host="10.0.0.%d" % rng.randint(1, size), ansible_connection="ssh")
        elif roll < 0.6:
            hv.update(ansible_host="172.16.%d.1" % i, ansible_connection="ssh", wireguard_keep_management_path=rng.random() < 0.5)
        if rng.random() < 0.1:
            hv["wireguard_table"] = rng.choice(["off", "1234", "main"])
        hostvars[host] = hv
    return hostvars


def controller(seed):
    """The controller's own address toward a host: in the tunnel's network for some, outside for others."""
    return lambda address: random.Random("%s/%s" % (seed, address)).choice([None, "192.0.2.1", "10.0.3.7", "192.168.1.99"])


def fleet_of(seed):
    rng = random.Random(seed)
    interfaces, problems = inventory.normalize(random_fleet(rng, rng.randint(2, 14)))
    assert problems.errors == []
    pipeline.annotate_controller_addresses(interfaces, controller(seed))
    return topology.build(interfaces)


def every_host(topos):
    problems = Problems()
    for ifname in sorted(topos):
        topo = topos[ifname]
        for host in sorted(topo.members):
            args = plan.interface_args(topo, host)
            validation.check_allowed_ips(host, ifname, args["peers"], problems)
            validation.check_management_path(topo.members[host], args, problems)
    return problems.items


@pytest.mark.parametrize("seed", range(60))
def test_check_peers_finds_what_checking_every_host_finds(seed):
    topos = fleet_of(seed)
    found = Problems()
    plan.check_peers(topos, found)
    assert found.items == every_host(topos)


def test_the_random_fleets_reach_every_branch():
    """Guard on the generator: some fleets fail each check, some pass both,
    and some take the fast path (no prefix claimed twice)."""
    seen = set()
    for seed in range(60):
        topos = fleet_of(seed)
        messages = [p["message"] for p in every_host(topos)]
        seen |= {"claimed twice" for m in messages if "claimed by both" in m}
        seen |= {"path captured" for m in messages if "captures" in m}
        seen |= {"on-link capture" for m in messages if "the controller's own address" in m}
        seen |= set() if messages else {"clean"}
        seen |= {"fast path" for t in topos.values() if not plan._claimed_twice(t)}
    assert seen == {"claimed twice", "path captured", "on-link capture", "clean", "fast path"}
