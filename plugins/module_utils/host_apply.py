"""The apply module's work, in one execution on the host: check that the
host is what the plan assumed (its private keys derive to the public keys
the controller planned with, WireGuard's packages are there, the preshared
keys the plan keeps are stored), then routing, each planned interface, the
removal of interfaces the plan dropped and, with wireguard_peer_names, the
block of /etc/hosts naming the members of the host's networks.

When a check fails nothing is changed: the result says ``prepare_needed``
with the reasons, and the role prepares the host (new key, install) and
plans again. So a host whose key is in the controller's store costs one
module execution per run. Imports no Ansible."""

from __future__ import annotations

import os

from ansible_collections.fleetnet.wireguard.plugins.module_utils import (
    files, host_args, host_prepare, interface_apply, nm_apply, paths, platform_facts, preshared_keys, wg_keys,
)
from ansible_collections.fleetnet.wireguard.plugins.module_utils.dkms_apply import DkmsReload
from ansible_collections.fleetnet.wireguard.plugins.module_utils.interface_apply import interface_files
from ansible_collections.fleetnet.wireguard.plugins.module_utils.peer_names_apply import PeerNames
from ansible_collections.fleetnet.wireguard.plugins.module_utils.routing_apply import Routing


def key_mismatch(ifname, path, expected):
    """Why the interface's key file is not the one planned, or None."""
    text = files.read_text(path)
    if text is None:
        return "%s: no private key in %s" % (ifname, path)
    if not wg_keys.is_valid_key(text.strip()):
        return "%s: %s is not a WireGuard private key" % (ifname, path)
    if files.mode_of(path) != 0o600 or files.mode_of(os.path.dirname(path)) != 0o700:
        return "%s: %s or its directory has the wrong mode (0600, 0700)" % (ifname, path)
    if not expected:
        return "%s: the plan has no public key for this host" % ifname
    if wg_keys.public_key(text.strip()) != expected:
        return "%s: the key in %s is not the one in the controller's key store" % (ifname, path)
    return None


def mismatches(params, platform):
    """Every reason the host needs its prepare step first; [] when none."""
    reasons = []
    if host_prepare.installs(params, platform):
        reasons.append("WireGuard's packages are missing: %s" % ", ".join(platform["missing"]))
    for p in params["interfaces"]:
        if p["state"] != "present":
            continue
        reason = key_mismatch(p["name"], interface_files(p)[0], params["public_keys"].get(p["name"]))
        if reason:
            reasons.append(reason)
        reasons += kept_key_mismatches(p, params["preshared_fingerprints"].get(p["name"]) or {})
    return reasons


def kept_key_mismatches(p, expected):
    """Why a preshared key the plan keeps is not the one it recorded
    (``expected``: {peer: fingerprint}), or is not there; [] when all are."""
    stored = preshared_keys.read_dir(preshared_keys.directory(os.path.dirname(interface_files(p)[1]), p["name"]))
    missing = [peer for peer in p["keep_preshared_keys"] if peer not in stored]
    other = [peer for peer in p["keep_preshared_keys"]
             if peer in stored and peer in expected and preshared_keys.fingerprint(stored[peer]) != expected[peer]]
    reasons = []
    if missing:
        reasons.append("%s: no preshared key is stored for peer %s" % (p["name"], ", ".join(missing)))
    if other:
        reasons.append("%s: the preshared key stored for peer %s is not the one the key store recorded" % (p["name"], ", ".join(other)))
    return reasons


def routing_needed(routing, platform):
    """Forwarding, NAT or ufw is involved (a host with none of them is left alone)."""
    return bool(any(r["forwarding"] or r["gateway"] for r in routing) or platform.get("ufw_active")
                or platform.get("routing_managed"))


ABSENT = dict({k: spec.get("default") for k, spec in host_args.INTERFACE.items()}, state="absent")
# what the inspection reports of each backend: the interfaces this collection made with it
MADE_WITH = {"wg-quick": "managed_interfaces", "networkmanager": "networkmanager_interfaces"}


def operation(params, run, **kwargs):
    """The interface module's operation for the interface's backend."""
    backend = nm_apply if params["backend"] == "networkmanager" else interface_apply
    return backend.operation(params, run, **kwargs)


def absent(ifname, backend):
    """The interface module's arguments that remove an interface made with
    ``backend``, at the files the inspection found it by."""
    return dict(ABSENT, name=ifname, backend=backend, config_path=paths.config_path(ifname, platform_facts.CONFIG_DIR),
                private_key_path=paths.private_key_path(ifname, platform_facts.CONFIG_DIR))


class Apply(host_prepare.Prepare):
    def execute(self):
        """-> the module's result: prepare_needed (and prepare_reasons), or the
        results of each step, by interface (and routing), and what restarted."""
        return apply(self.params, self.steps)


def apply(params, steps):
    platform = params["platform"]
    # a host prepared in this run hands its inspection over (ufw is asked once
    # per run) and was checked by it; any other is inspected and checked here
    inspected = not platform
    if inspected:
        platform = host_prepare.inspect(steps, params)
    reasons = mismatches(params, platform) if inspected else []
    if reasons:
        return steps.report(prepare_needed=True, prepare_reasons=reasons)
    if inspected and platform["method"] == "dkms":
        steps("load a rebuilt DKMS module", DkmsReload, {})
    results = {}
    if routing_needed(params["routing"], platform):
        results["routing"] = steps("forwarding, NAT and ufw", Routing, {
            "interfaces": params["routing"], "uplink": params["uplink"], "uplink6": params["uplink6"],
            # read once per run, by the inspection
            "ufw_active": bool(platform.get("ufw_active"))})
    planned = {p["name"] for p in params["interfaces"]}
    # an interface the host keeps with the other backend goes first (the link name is the same); its key stays
    for other in sorted(set(MADE_WITH) - {params["backend"]}):
        for ifname in sorted(set(platform.get(MADE_WITH[other]) or []) & planned):
            results[ifname] = steps("remove %s from %s" % (ifname, other), operation, absent(ifname, other))
    for p in sorted(params["interfaces"], key=lambda p: p["name"]):
        results[p["name"]] = steps("apply %s" % p["name"], operation, p)
    for backend in sorted(MADE_WITH):
        for ifname in sorted(set(platform.get(MADE_WITH[backend]) or []) - planned):
            results[ifname] = steps("remove %s" % ifname, operation, absent(ifname, backend))
    if params.get("peer_names") is not None:  # None: the feature is off, a block written before stays
        steps("peer names in /etc/hosts", PeerNames, {"block": params["peer_names"]})
    # not "results": Ansible takes a module's dict under that key for a loop's and renames it, with a warning
    return steps.report(prepare_needed=False, interface_results=results,
                        restarted=sorted(i for i, r in results.items() if r.get("restarted")))
