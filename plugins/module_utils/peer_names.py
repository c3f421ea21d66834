"""Names for the members of each WireGuard network, as /etc/hosts lines:
``<address> <host>.<interface>`` for every member of every network the host
is on (itself included, devices too), and ``<host>.<domain>`` as well when
the user set a domain. Made from the plan alone, so a host removed from the
inventory disappears from every block on the next run."""

from __future__ import annotations

import json
import re

# a DNS label: what a resolver looks up; an inventory name that is not one
# (an underscore, a space) gets no name rather than a broken hosts line
_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def _loaded(value):
    return json.loads(value) if isinstance(value, str) else (value or {})


def lines(plan_by_host, host, domain=None):
    """plan_by_host: {host: {ifname: desired}} (values may be JSON strings,
    as the fleet action returns them) -> sorted hosts lines."""
    plans = {h: _loaded(v) for h, v in (plan_by_host or {}).items()}
    names, claimed = {}, set()
    # interfaces in name order: with a domain on several networks, the
    # first interface's address keeps <host>.<domain>
    for ifname in sorted(plans.get(host) or {}):
        for member in sorted(plans):
            desired = (plans[member] or {}).get(ifname)
            if not desired or not _LABEL.match(member):
                continue
            for address in desired.get("addresses") or []:
                ip = address.split("/")[0]
                wanted = ["%s.%s" % (member, ifname)] + (["%s.%s" % (member, domain.strip("."))] if domain else [])
                # a name once per family (an A and an AAAA record)
                fresh = [n for n in wanted if (":" in ip, n) not in claimed]
                claimed.update((":" in ip, n) for n in fresh)
                names.setdefault(ip, []).extend(fresh)
    return ["%s %s" % (ip, " ".join(names[ip])) for ip in sorted(names, key=lambda a: (":" in a, a)) if names[ip]]
