"""The controller's run as one pure function, from the inventory's view to
everything the run needs:

    load      names and types against the role's argument spec, then every
              member's wireguard_* values alone and together
    keys      the hosts' reported keys, the store's, devices' (made here), all resolved
    peers     every check that needs a host's peer list
    removals  what the run removes (the store's members gone from the inventory), and a stop when it is many
    plan      per host and interface, the arguments the host side takes
    secrets   which pairs get a preshared key, and whether both ends keep theirs
    files     what the key store must hold afterwards (public keys, device keys and exports)

The fleet action plugin only reads the key store, calls run() and writes the
files it lists; the unit tests, bench/controller.py and
scripts/render_example.py call run() as well. Nothing here reads or writes a
file or imports Ansible; the one question for the machine (the controller's
own address toward a host) is a function the caller passes in.
"""

from __future__ import annotations

from ansible_collections.fleetnet.wireguard.plugins.module_utils import (
    contract, device_config, host_args, inventory, key_store, plan, preshared_keys, removals, topology, validation, wg_keys,
)
from ansible_collections.fleetnet.wireguard.plugins.module_utils.problems import Problems

STAGES = ("validate", "plan")


def run(hostvars, store=None, reported=None, stage="plan", check=False, rotate=(), play_hosts=None,
        options=None, controller_address=None, removal_limit=removals.DEFAULT_LIMIT, confirm_removal=()):
    """hostvars: {host: its wireguard_* variables (and ansible_host,
    ansible_connection)} for every host of the group; store: the key store
    as read (key_store.Snapshot); reported: {host: what the role's prepare
    step registered} for the hosts of this run; stage: "validate" (every
    check, before any host is touched) or "plan"; check: check mode (no key is
    made, peers without a key are left out); rotate: hosts whose pairs get new
    preshared keys; play_hosts: the hosts this run touches (default: those in
    ``reported``); options: the role's argument spec options, to check names
    and types against (None: not checked); controller_address: a function
    from a host's management address to the controller's own address toward
    it, or None (for the lockout guard); removal_limit, confirm_removal: the
    removal guard's (removals.check).

    -> dict with "problems" (a Problems); when there is no error also
    "members", "interfaces", "firewall_hosts", "dns_hosts", "unmanaged"; with
    stage "validate", "removals" (removals.planned); and
    with stage "plan": "plan" ({host: {ifname: interface arguments}}),
    "routing" ({host: [routing entries]}), "preshared_keys" ({host: {ifname:
    {"preshared_keys": ..., "keep_preshared_keys": ...}}}), "public_keys"
    ({host: {ifname: the public key its private key must derive to}}), "files" (the key
    store's changes, see key_store.Snapshot.change), "exports" ({device:
    {ifname: {conf, png, txt: path in the store}}}) and "new_secrets" (True
    when the result carries a new preshared key: it must never be shown).
    """
    if stage not in STAGES:
        raise ValueError("stage must be one of %s" % ", ".join(STAGES))
    store = store if store is not None else key_store.Snapshot()
    reported = reported or {}
    play = set(play_hosts) if play_hosts is not None else set(reported)
    interfaces, problems = load(hostvars, options)
    out = {"problems": problems}
    if problems.errors:
        return out
    annotate_controller_addresses(interfaces, controller_address)
    if stage == "validate":
        keys, files, device_private = _stored_keys(interfaces, store), [], {}
    else:
        keys, files, device_private = _keys(interfaces, store, reported, check, problems)
    resolve_keys(interfaces, keys, problems)
    if stage == "plan":
        validation.check_keyless(interfaces, play | {h for dummy, h in _devices(interfaces)}, check, problems)
    if problems.errors:
        return out
    topos = topology.build(interfaces)
    plan.check_peers(topos, problems)
    if problems.errors:
        return out
    if stage == "validate":
        out["removals"] = removal = removals.planned(store.members(), interfaces, set(hostvars))
        removals.check(removal, set(hostvars), store.members(), removal_limit, set(confirm_removal or ()), problems)
        if not problems.errors:
            out.update(_summary(interfaces), prepare=needs_prepare(interfaces, keys, store, play))
        return out
    out.update(_summary(interfaces))
    by_host, routing = _plan(topos)
    assignment, device_keys, recorded = _preshared(interfaces, by_host, store, reported, play, rotate)
    files += _fingerprint_files(interfaces, store, play, recorded)
    exports = {}
    names = {i: device_config.tunnel_names(h for j, h in _devices(interfaces) if j == i) for i in interfaces}
    for ifname, host in _devices(interfaces):
        files += _device_files(store, ifname, host, by_host[host][ifname], device_private.get((ifname, host)),
                               device_keys.get((ifname, host), {}), exports, names[ifname][host])
    devices = {h for dummy, h in _devices(interfaces)}
    managed = {h: {i: _host_preshared(v, recorded.get((i, h), {})) for i, v in by_if.items()}
               for h, by_if in assignment.items() if h not in devices}
    unmanaged = {h for members in interfaces.values() for h, m in members.items() if m["unmanaged"]}
    if not check and set(hostvars) <= play | unmanaged:
        # the whole group was in this run: forget the removed members, so the next run does not count them again
        gone = removals.planned(store.members(), interfaces, set(hostvars))["peers"]
        files += [c for c in (store.change(path(i, h), None, None) for i in sorted(gone) for h in gone[i]
                              for path in (key_store.public_path, key_store.psk_fingerprints_path)) if c]
    out.update(plan=by_host, routing=routing, preshared_keys=managed, files=files, exports=exports,
               new_secrets=preshared_keys.has_new_keys(assignment), public_keys=_managed_keys(interfaces))
    return out


def load(hostvars, options=None):
    """Every check that needs no key and no peer list: names and types
    against the role's argument spec ``options`` (when given; a wrong one
    stops here), each value alone, then the members of each interface
    together. -> (interfaces, Problems)"""
    problems = Problems()
    if options is not None and not contract.check(hostvars, options, problems):
        return {}, problems
    interfaces, problems = inventory.normalize(hostvars)
    validation.check_membership(hostvars, interfaces, problems)
    validation.check_members(interfaces, problems)
    return interfaces, problems


def annotate_controller_addresses(interfaces, controller_address):
    """Each member's ``controller_address``: the controller's own address
    toward its management address, asked once per address (None: unknown)."""
    cache = {}
    for members in interfaces.values():
        for member in members.values():
            address = member.get("management_address")
            if address and controller_address and address not in cache:
                cache[address] = controller_address(address)
            member["controller_address"] = cache.get(address)


def resolve_keys(interfaces, public_keys, problems):
    """Give each member its public key: an inventory override wins over the
    key store. ``public_keys`` maps (interface, host) to a key. A member
    without one is validation.check_keyless's to judge."""
    for ifname, members in interfaces.items():
        for host, m in members.items():
            m["public_key_resolved"] = m["public_key"] or public_keys.get((ifname, host))
    validation.check_public_keys(interfaces, problems)


def _summary(interfaces):
    members = sorted({h for ms in interfaces.values() for h in ms})
    return {
        "members": {i: sorted(m) for i, m in interfaces.items()},
        "interfaces": _interfaces_of(interfaces, members),
        "firewall_hosts": plan.firewall_hosts(interfaces),
        "dns_hosts": sorted({h for ms in interfaces.values() for h, m in ms.items() if m["options"].get("dns")}),
        "unmanaged": {i: sorted(h for h, m in ms.items() if m["unmanaged"]) for i, ms in interfaces.items()},
        # for the status report: which links should run over a site's network
        "sites": {i: {h: {"name": m["site"], "endpoint": m["site_endpoint"]} for h, m in ms.items() if m["site"]}
                  for i, ms in interfaces.items()},
    }


def _interfaces_of(interfaces, hosts):
    """{host: [its interfaces]}; hosts with the same interfaces share one
    list (at 10,000 hosts, one list each costs a megabyte; the result is
    read, never changed)."""
    shared, out = {}, {}
    for host in hosts:
        names = tuple(sorted(i for i in interfaces if host in interfaces[i]))
        out[host] = shared.setdefault(names, list(names))
    return out


def needs_prepare(interfaces, keys, store, play):
    """The managed members of this run that need the role's prepare step
    before the plan: one without a stored public key on an interface (a new
    host or interface), or, on an interface with preshared keys, without the
    store's record of the keys it holds (the plan then needs the host's own
    fingerprints). Every other host is planned from the store and checked by
    its one apply call, which asks for the prepare step when its keys are not
    the recorded ones. keys: {(ifname, host): public key} of the store.
    -> sorted hosts"""
    out = set()
    for ifname, members in interfaces.items():
        asking = any(m["preshared_keys"] for m in members.values())
        out.update(h for h, m in members.items() if h in play and not m["unmanaged"] and (
            (ifname, h) not in keys or (asking and store.preshared_fingerprints(ifname, h) is None)))
    return sorted(out)


def _managed_keys(interfaces):
    """{host: {ifname: public key}}: what each managed host's keys must derive to."""
    out = {}
    for ifname, members in interfaces.items():
        for host, m in members.items():
            if not m["unmanaged"] and m["public_key_resolved"]:
                out.setdefault(host, {})[ifname] = m["public_key_resolved"]
    return out


def _devices(interfaces):
    """Unmanaged members whose key the controller makes (none given in the inventory)."""
    return [(i, h) for i in sorted(interfaces) for h, m in sorted(interfaces[i].items()) if m["unmanaged"] and not m["public_key"]]


def _stored_keys(interfaces, store):
    keys = {}
    for ifname, members in interfaces.items():
        for host in members:
            key = store.public_key(ifname, host)
            if key:
                keys[(ifname, host)] = key
    return keys


def reported_keys(reported):
    """{(ifname, host): public key} from the registered results of the role's
    prepare step (public_keys by interface) or of a keypair task looped over
    interfaces."""
    keys = {}
    for host, registered in reported.items():
        registered = registered or {}
        found = dict(registered.get("public_keys") or {})
        for result in registered.get("results", []):
            if not result.get("skipped"):
                found[result["item"]] = result.get("public_key")
        keys.update(((ifname, host), key) for ifname, key in found.items() if key)
    return keys


def _keys(interfaces, store, reported, check, problems):
    """Every key known for the plan, and the store's changes that record
    them: -> ({(ifname, host): public key}, [change], {(ifname, device): private key})."""
    keys = _stored_keys(interfaces, store)
    files, device_private = [], {}
    for (ifname, host), key in reported_keys(reported).items():
        member = interfaces.get(ifname, {}).get(host)
        if member and member["public_key"] and member["public_key"] != key:
            problems.error(host, member["var_prefix"] + "public_key",
                           "says %s but the key on the host is %s" % (member["public_key"], key),
                           "remove it (the host's own key is used), or put the right key")
        files.append(store.change(key_store.public_path(ifname, host), key + "\n", key_store.PUBLIC_MODE))
        keys[(ifname, host)] = key
    for ifname, host in _devices(interfaces):
        private = store.device_key(ifname, host)
        if private is None:
            # made here, once; in check mode it is not made, and its peers wait for it
            private = wg_keys.generate_private_key()
            files.append(store.change(key_store.device_key_path(ifname, host), private + "\n", key_store.SECRET_MODE))
            if check:
                continue
        device_private[(ifname, host)] = private
        keys[(ifname, host)] = wg_keys.public_key(private)
    return keys, [f for f in files if f], device_private


def _plan(topos):
    """-> ({host: {ifname: interface arguments}}, {host: [routing entries]});
    devices have no routing (nothing runs on them)."""
    by_host, routing = {}, {}
    for ifname in sorted(topos):
        topo = topos[ifname]
        # a member with no key yet (check mode, or outside --limit before its first run) is no peer yet
        keyless = any(not m.get("public_key_resolved") for m in topo.members.values())
        for host in sorted(topo.members):
            args = plan.interface_args(topo, host)
            if keyless:
                args["peers"] = [p for p in args["peers"] if p["public_key"]]
            by_host.setdefault(host, {})[ifname] = args
            if not topo.members[host]["unmanaged"]:
                routing.setdefault(host, []).append(plan.routing_args(topo, host, args["listen_port"]))
    return by_host, routing


def _preshared(interfaces, by_host, store, reported, play, rotate):
    """Each pair that wants a preshared key gets one, or keeps its own.
    -> ({host: {ifname: {peer key: new key or KEEP}}},
        {(ifname, device): {peer key: key}} for device configs)"""
    wanted = set()
    # only interfaces where some member wants preshared keys (most have none: no need to walk every peer)
    asking = {i for i, members in interfaces.items() if any(m["preshared_keys"] for m in members.values())}
    for host, by_if in by_host.items():
        for ifname, args in by_if.items():
            if ifname not in asking:
                continue
            members = interfaces[ifname]
            for peer in args["peers"]:
                if peer["public_key"] and (members[host]["preshared_keys"] or members[peer["name"]]["preshared_keys"]):
                    wanted.add((ifname,) + tuple(sorted((host, peer["name"]))))
    if not wanted:
        return {}, {}, {}
    fingerprints, in_play = {}, set()
    for host, registered in reported.items():
        platform = (registered or {}).get("platform")
        if platform is not None and host in play:  # prepared in this run: it takes what we give it
            in_play.add(host)
            for ifname, found in (platform.get("preshared_key_fingerprints") or {}).items():
                fingerprints[(ifname, host)] = found
    for ifname in sorted(asking):
        for host, member in interfaces[ifname].items():
            recorded = store.preshared_fingerprints(ifname, host)
            if host in play and host not in in_play and not member["unmanaged"] and recorded is not None:
                # planned from the store: what the last plan gave it, which its apply checks
                in_play.add(host)
                fingerprints[(ifname, host)] = recorded
    stored = {}
    for ifname, host in _devices(interfaces):  # the controller holds the device's end
        in_play.add(host)
        stored[(ifname, host)] = store.device_preshared_keys(ifname, host)
        fingerprints[(ifname, host)] = {p: preshared_keys.fingerprint(k) for p, k in stored[(ifname, host)].items()}

    def key(ifname, host):
        return interfaces[ifname][host]["public_key_resolved"]

    pairs = [(i, a, key(i, a), b, key(i, b)) for i, a, b in sorted(wanted)]
    assignment = preshared_keys.assign(pairs, fingerprints, in_play, set(rotate or ()))
    device_keys = {}
    for (ifname, host), keys in stored.items():
        given = assignment.get(host, {}).get(ifname, {})
        device_keys[(ifname, host)] = {p: keys[p] if v == preshared_keys.KEEP else v for p, v in given.items()}
    recorded = {}
    for ifname in asking:
        for host in sorted(in_play & set(interfaces[ifname])):
            if not interfaces[ifname][host]["unmanaged"]:
                given = assignment.get(host, {}).get(ifname, {})
                recorded[(ifname, host)] = {p: fingerprints[(ifname, host)][p] if v == preshared_keys.KEEP
                                            else preshared_keys.fingerprint(v) for p, v in given.items()}
    return assignment, device_keys, recorded


def _fingerprint_files(interfaces, store, play, recorded):
    """The store's record of what each managed host of the run holds
    ({(ifname, host): {peer key: fingerprint}}); a record no longer wanted
    (preshared keys turned off) goes."""
    changes = []
    for ifname in sorted(interfaces):
        for host, member in sorted(interfaces[ifname].items()):
            if host in play and not member["unmanaged"]:
                fingerprints = recorded.get((ifname, host))
                text = None if fingerprints is None else preshared_keys.format_staged(fingerprints)
                changes.append(store.change(key_store.psk_fingerprints_path(ifname, host), text, key_store.PUBLIC_MODE))
    return [c for c in changes if c]


def _host_preshared(given, fingerprints):
    """A host's share of the assignment, as fleetnet.wireguard.interface takes
    it, and the fingerprints of the keys it keeps, for its apply to check."""
    new, keep = tuple(host_args.PRESHARED)
    kept = sorted(p for p, k in given.items() if k == preshared_keys.KEEP)
    return {new: {p: k for p, k in given.items() if k != preshared_keys.KEEP}, keep: kept,
            host_args.KEEP_FINGERPRINTS: {p: fingerprints[p] for p in kept if p in fingerprints}}


def _device_files(store, ifname, host, args, private, psk, exports, name):
    """The store's changes for a device: its preshared keys, and its config
    and QR codes when they changed (they hold its private key, which is None
    in check mode before it is made)."""
    changes = [store.change(key_store.device_psk_path(ifname, host, peer), value + "\n", key_store.SECRET_MODE)
               for peer, value in sorted(psk.items())]
    changes += [store.change(key_store.device_psk_path(ifname, host, peer), None, None)
                for peer in sorted(set(store.device_preshared_keys(ifname, host)) - set(psk))]
    if private:
        # the file name is the tunnel name the apps show: ``name`` fits them
        exports.setdefault(host, {})[ifname] = paths = key_store.export_paths(ifname, name)
        desired = dict(args, peers=[dict(p, preshared_key=psk.get(p["public_key"])) for p in args["peers"]])
        text = device_config.render(desired, private, host, ifname)
        conf = store.change(paths["conf"], text, key_store.SECRET_MODE)
        if conf or not all(store.exists(p) for p in paths.values()):
            qr = device_config.qr_codes(text)
            changes += [{"path": paths["conf"], "content": text, "mode": key_store.SECRET_MODE}]
            changes += [{"path": paths[kind], "content": qr[kind], "mode": key_store.SECRET_MODE} for kind in ("png", "txt")]
    return [c for c in changes if c]
