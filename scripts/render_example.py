#!/usr/bin/env python
"""Render every host's wg-quick file from an inventory, without any host.

    python scripts/render_example.py INVENTORY.yml OUTDIR/

INVENTORY.yml is an Ansible YAML inventory with one group ``wireguard``
(``vars`` and ``hosts``). Public keys come from each host's
``wireguard_public_key`` (and ``public_key`` of its ``wireguard_interfaces``
entries), since no host is asked for its key and there is no key store.

The files are what the role would write, from the same code: the plan of
pipeline.run() (what the fleet action calls), rendered by
interface_config.render() for managed hosts (the file of
/etc/wireguard/<if>.conf) and by device_config.build() for unmanaged devices
(the exported config), whose private key is shown as a placeholder: no
private key is ever printed. One file per host and interface:
OUTDIR/<host>-<interface>.conf.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".collections"))

from ansible_collections.fleetnet.wireguard.plugins.module_utils import (  # noqa: E402
    device_config, interface_config, paths, pipeline)
from ansible_collections.fleetnet.wireguard.plugins.module_utils.problems import format_problem  # noqa: E402

GROUP = "wireguard"
KEY_STORE = "<key store>"


def load_hostvars(path):
    """{host: group vars overlaid with host vars} of the wireguard group."""
    data = yaml.safe_load(Path(path).read_text()) or {}
    group = data.get(GROUP)
    if not isinstance(group, dict) or not group.get("hosts"):
        raise SystemExit("%s: expected a top-level group %r with hosts" % (path, GROUP))
    group_vars = group.get("vars") or {}
    return {host: dict(group_vars, **(own or {})) for host, own in group["hosts"].items()}


def device_key_placeholder(ifname, host):
    return "(kept in %s/private/%s/%s.key)" % (KEY_STORE, ifname, host)


def render_host(host, ifname, args, unmanaged):
    if unmanaged:
        return device_config.render(args, device_key_placeholder(ifname, host), host, ifname)
    return interface_config.render(args, paths.private_key_path(ifname))


def render_all(inventory_path):
    """-> ({file name: text}, warnings); exits with the problems on errors."""
    hostvars = load_hostvars(inventory_path)
    out = pipeline.run(hostvars, play_hosts=list(hostvars))  # as if every host were in the run: a missing key is an error
    problems = out["problems"]
    if problems.errors:
        raise SystemExit("the inventory has problems:\n" + "\n".join(format_problem(p) for p in problems.errors))
    files = {}
    for host in sorted(out["plan"]):
        for ifname, args in sorted(out["plan"][host].items()):
            files["%s-%s.conf" % (host, ifname)] = render_host(host, ifname, args, host in out["unmanaged"][ifname])
    return files, [format_problem(p) for p in problems.warnings]


def main(argv):
    if len(argv) != 3:
        raise SystemExit("usage: python scripts/render_example.py INVENTORY.yml OUTDIR/")
    files, warnings = render_all(argv[1])
    for warning in warnings:
        print("warning: " + warning, file=sys.stderr)
    os.makedirs(argv[2], exist_ok=True)
    for name, text in files.items():
        Path(argv[2], name).write_text(text)
        print(os.path.join(argv[2], name))


if __name__ == "__main__":
    main(sys.argv)
