"""The info module's reads: which interfaces there are, and for each the
link, addresses, `wg show dump`, wg-quick file and service; for the host the
UDP sockets, forwarding sysctls and NAT rules. status_facts turns what was
read into facts. Read-only; a tool that is missing reads as nothing.

Host side: imports only host-side module_utils.
"""

from __future__ import annotations

import json
import os
import time

from ansible_collections.fleetnet.wireguard.plugins.module_utils import files, forwarding, nm_keyfile, paths, runner, status_facts
from ansible_collections.fleetnet.wireguard.plugins.module_utils.live_host import resolve
from ansible_collections.fleetnet.wireguard.plugins.module_utils.operation import Operation
from ansible_collections.fleetnet.wireguard.plugins.module_utils.runner import Runner


def read(run, name, **fields):
    """stdout of a declared read, or None when the tool is missing or fails."""
    rc, out = run(name, check=False, **fields)
    return out if rc == 0 else None


def read_json(run, name, default, **fields):
    out = read(run, name, **fields)
    return json.loads(out) if out else default


def sysctl_flag(key):
    value = runner.sysctl(key)
    return None if value is None else value == "1"


def discover(run, config_dir, wanted):
    """The interfaces asked for, those that exist and those with a file."""
    names = list(wanted)
    names += (read(run, "wg_interfaces") or "").split()
    try:
        names += [n for n in map(paths.interface_of, os.listdir(config_dir)) if n]
    except OSError:
        pass
    return sorted(set(names))


def networkmanager_connection(run, ifname):
    """The states of the NetworkManager connection this collection made for
    the interface (backend networkmanager) as a unit's would read, or None
    when there is none: autoconnect is what brings it back at boot."""
    try:
        text = files.read_text(nm_keyfile.path(ifname))
    except OSError:
        return None
    if text is None or not nm_keyfile.is_ours(ifname, text):
        return None
    state = (read(run, "nm_state", uuid=nm_keyfile.connection_uuid(ifname)) or "").strip()
    autoconnect = "autoconnect=false" not in text.splitlines()
    return {"unit": "NetworkManager connection %s" % ifname, "backend": "networkmanager",
            "enabled": "enabled" if autoconnect else "disabled",
            "active": "active" if state == "activated" else (state or "inactive")}


def service(run, ifname):
    """The states of the interface's unit (or of its NetworkManager
    connection), or None without systemd."""
    connection = networkmanager_connection(run, ifname)
    if connection:
        return connection
    if not run.has("systemctl"):
        return None
    unit = paths.unit(ifname)
    states = {}
    for verb, key in (("is-enabled", "enabled"), ("is-active", "active")):
        rc, out = run("unit", check=False, verb=verb, unit=unit)
        states[key] = out.strip() or ("unknown" if rc else "")
    return dict(unit=unit, **states)


def read_config(path):
    try:
        text = files.read_text(path)
    except OSError as exc:
        return {"exists": True, "error": "cannot read: %s" % exc.strerror, "path": path}
    return dict(status_facts.config_summary(text), path=path)


def interface(run, ifname, config_dir, sockets, now):
    link = read_json(run, "link", None, ifname=ifname)
    addresses = dump = None
    if link:
        addresses = read_json(run, "addresses", [], ifname=ifname)
        dump = read(run, "wg_dump", ifname=ifname)
    config = read_config(paths.config_path(ifname, config_dir))
    return status_facts.interface_facts(now, link, addresses, dump, config, service(run, ifname), sockets)


class Info(Operation):
    reports_actions = False

    def __init__(self, params, run, **kwargs):
        # a host half set up may lack any tool: each is looked up, and a missing one reads as nothing
        super().__init__(params, Runner(run.run_command, run.get_bin_path, look_up_all=True), **kwargs)

    def plan(self):
        run, config_dir = self.run, self.params["config_dir"]
        now = int(time.time())
        sockets = status_facts.parse_udp_sockets(read(run, "udp_sockets"))
        interfaces = {}
        try:
            for ifname in discover(run, config_dir, self.params["interfaces"]):
                interfaces[ifname] = interface(run, ifname, config_dir, sockets, now)
        except ValueError as exc:
            raise ValueError("cannot read the WireGuard state: %s" % exc)
        nat = {"iptables": read(run, "iptables_nat"), "ip6tables": read(run, "ip6tables_nat"), "nft": read(run, "nft_ruleset")}
        ipv4, ipv6 = forwarding.KEYS
        # by this host's resolver, as wg resolved them when it loaded the file
        resolved = {name: resolve(name) for name in status_facts.endpoint_names(interfaces)}
        self.result = status_facts.host_facts(now, interfaces, {"ipv4": sysctl_flag(ipv4), "ipv6": sysctl_flag(ipv6)}, nat, resolved)
