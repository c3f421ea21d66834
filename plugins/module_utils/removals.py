"""The removal guard: what a run is about to remove, known on the controller
before any host changes, and a stop when it is more than a few hosts.

Peers are computed from the inventory, so a host missing from it is removed
as a peer on every other host. That is right when the host was taken out on
purpose, and an outage when the inventory is partial (a dynamic inventory
source that answered with half the fleet, a sliced AWX/AAP job that sees only
its slice). The key store remembers every member the last run had, so the
difference is known before anything is touched.
"""

from __future__ import annotations

DEFAULT_LIMIT = 2


def planned(stored, interfaces, group_hosts):
    """What this run removes. ``stored``: {ifname: {host}} from the key store;
    ``interfaces``: {ifname: {host: member}} from the inventory;
    ``group_hosts``: every host of the group.
    -> {"peers": {ifname: [host gone from the inventory]},
        "interfaces": {host: [ifname the inventory dropped from it]}}"""
    peers, dropped = {}, {}
    for ifname in sorted(stored):
        members = interfaces.get(ifname, {})
        for host in sorted(stored[ifname]):
            if host in members:
                continue
            if host in group_hosts:
                dropped.setdefault(host, []).append(ifname)
            peers.setdefault(ifname, []).append(host)
    return {"peers": peers, "interfaces": dropped}


def hosts_removed(removal, group_hosts):
    """The hosts that leave the fleet entirely (gone from the inventory)."""
    return sorted({h for hosts in removal["peers"].values() for h in hosts if h not in group_hosts})


def describe(removal, group_hosts):
    """One line per removal, for the run's output (check mode and --diff too)."""
    lines = []
    for host in hosts_removed(removal, group_hosts):
        ifnames = sorted(i for i, hosts in removal["peers"].items() if host in hosts)
        lines.append("%s is gone from the inventory: its peer entry on %s is removed from every member" % (host, ", ".join(ifnames)))
    for host in sorted(removal["interfaces"]):
        lines.append("%s no longer has %s in the inventory: the interface is removed from it, and its peer entry from "
                     "every member" % (host, ", ".join(removal["interfaces"][host])))
    return lines


def check(removal, group_hosts, stored, limit, confirmed, problems):
    """Stop when the run would remove more than ``limit`` hosts (or at least
    half of the hosts the store knows) and not all of them are named in
    ``confirmed``."""
    gone = hosts_removed(removal, group_hosts)
    changed = sorted(set(gone) | set(removal["interfaces"]))
    unconfirmed = [h for h in changed if h not in confirmed]
    if not unconfirmed:
        return
    known = {h for hosts in stored.values() for h in hosts}
    too_many = len(changed) > limit
    most = bool(gone) and 2 * len(gone) >= len(known)
    if not (too_many or most):
        return
    why = ("more than wireguard_removal_limit (%d)" % limit) if too_many else \
        ("%d of the %d hosts in the key store" % (len(gone), len(known)))
    named = ["%s (%s)" % (h, "gone from the inventory" if h in gone else "%s dropped" % ", ".join(removal["interfaces"][h]))
             for h in changed]
    problems.error(unconfirmed[0], "wireguard_confirm_removal",
                   "this run would remove %d host(s) or their interfaces, %s: %s. A partial inventory (a dynamic source "
                   "that answered with part of the fleet, a sliced job) looks like this, and would cut them off the "
                   "network" % (len(changed), why, ", ".join(named)),
                   "if the inventory is complete and they are meant to go, confirm with -e wireguard_confirm_removal=%s "
                   "(or raise wireguard_removal_limit); otherwise fix the inventory" % ",".join(changed))
