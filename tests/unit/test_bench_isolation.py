"""bench/fleet.py's containers and network cannot collide with a molecule
scenario's: both run under the same docker lock, one after the other, but a
bench interrupted before its clean-up must not break the next scenario (and a
scenario's leftovers must not be removed by the bench)."""

from __future__ import annotations

import ipaddress
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from lib import containers  # noqa: E402  pylint: disable=wrong-import-position

# bench/fleet.py's largest default size is 30, plus a spare; leave room for more
LARGEST_INDEX = 200


def scenarios():
    for path in sorted((ROOT / "molecule").glob("*/molecule.yml")):
        with open(path) as handle:
            yield path.parent.name, yaml.safe_load(handle)


def scenario_names_and_networks():
    names, networks, subnets = set(), set(), []
    for scenario, config in scenarios():
        for platform in config.get("platforms") or []:
            names.add(platform["name"])
            for net in platform.get("docker_networks") or []:
                networks.add(net["name"])
                for ipam in net.get("ipam_config") or []:
                    if "subnet" in ipam:
                        subnets.append((scenario, ipaddress.ip_network(ipam["subnet"])))
    return names, networks, subnets


def test_there_are_scenarios_to_compare_with():
    names, networks, subnets = scenario_names_and_networks()
    assert {"mesh1", "star-hub", "chg1"} <= names
    assert networks and subnets


def test_bench_container_names_are_no_scenario_platform_or_test_container():
    names = scenario_names_and_networks()[0]
    for source in (ROOT / "tests" / "integration").glob("*.py"):
        names.update(re.findall(r'^NAME = "([^"]+)"', source.read_text(), re.M))
    bench = {containers.name(i) for i in range(1, LARGEST_INDEX + 1)}
    assert not bench & names


def test_bench_network_and_subnet_are_used_by_no_scenario():
    networks, subnets = scenario_names_and_networks()[1:]
    assert containers.NETWORK not in networks
    clashes = [(scenario, str(net)) for scenario, net in subnets if net.overlaps(containers.SUBNET)]
    assert not clashes
    # and every bench address fits its own subnet
    assert ipaddress.ip_address(containers.address(LARGEST_INDEX)) in containers.SUBNET
