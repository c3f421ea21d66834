"""The plan as the role carries it through Ansible: one JSON string per host,
in which each peer entry is a line number in one table per interface.

In a full mesh of N hosts every host lists N - 1 peers, but most entries
are the same for every host that lists them (topology.peers_of shares
them): at 1,000 hosts the plan holds a million entries and 180 MB of
JSON, the table a thousand lines. The fleet action registers the packed
form, so Ansible receives, stores and forks with megabytes instead of
hundreds of them; each host's apply task expands its own plan
(fleetnet.wireguard.host_plan) to what it was: exactly the interface
module's arguments. Imports no Ansible.
"""

from __future__ import annotations

import json

_encode = json.JSONEncoder(sort_keys=True).encode


def pack(plan_by_host):
    """{host: {ifname: interface arguments}} -> ({host: JSON string, each
    peer an index}, {ifname: the distinct peer entries, one JSON object per
    line})."""
    tables, by_id, by_text = {}, {}, {}
    packed = {}
    for host in sorted(plan_by_host):
        out = {}
        for ifname, args in plan_by_host[host].items():
            lines = tables.setdefault(ifname, [])
            ids = by_id.setdefault(ifname, {})
            texts = by_text.setdefault(ifname, {})
            peers = args["peers"]
            refs = [ids.get(id(peer)) for peer in peers]
            for at, index in enumerate(refs):
                if index is None:
                    # a shared entry is encoded once; equal ones that are not shared get one line too
                    peer = peers[at]
                    text = _encode(peer)
                    index = texts.get(text)
                    if index is None:
                        index = texts[text] = len(lines)
                        lines.append(text)
                    refs[at] = ids[id(peer)] = index
            out[ifname] = dict(args, peers=refs)
        packed[host] = _encode(out)
    return packed, {ifname: "\n".join(lines) for ifname, lines in tables.items()}


def expand(text, tables):
    """One host's packed plan (a JSON string, or its data) and the tables
    -> the host's plan as a JSON string, {ifname: interface arguments}.
    The peer entries are copied as the table holds them, never parsed."""
    packed = json.loads(text) if isinstance(text, str) else dict(text or {})
    split = {}
    parts = []
    for ifname in sorted(packed):
        args = dict(packed[ifname])
        refs = args.pop("peers", None) or []
        if ifname not in split:
            split[ifname] = (tables.get(ifname) or "").split("\n")
        lines = split[ifname]
        head = _encode(args)
        peers = '"peers": [%s]' % ", ".join(lines[i] for i in refs)
        parts.append("%s: %s%s%s}" % (_encode(ifname), head[:-1], ", " if len(head) > 2 else "", peers))
    return "{%s}" % ", ".join(parts)


def unpack(text, tables):
    """One host's packed plan -> {ifname: interface arguments}."""
    return json.loads(expand(text, tables))
