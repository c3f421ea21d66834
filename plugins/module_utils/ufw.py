"""ufw rules for hosts where ufw is active: the listen port, routing between
tunnel peers on hubs, and from the tunnel to the uplink on gateways (the
talk's failure story 4: "ufw route" forgotten). Our rules carry a comment,
so stale ones can be found and removed without touching anybody else's."""

from __future__ import annotations

COMMENT = "fleetnet-wireguard"


def desired_rules(interfaces, uplink):
    """interfaces: [{name, port, forwarding, gateway}] -> ufw argument strings."""
    rules = []
    for i in interfaces:
        if i.get("port"):
            rules.append("allow %d/udp" % int(i["port"]))
        if i.get("forwarding") or i.get("gateway"):
            rules.append("route allow in on %s out on %s" % (i["name"], i["name"]))
        if i.get("gateway") and uplink:
            rules.append("route allow in on %s out on %s" % (i["name"], uplink))
    seen = []
    for rule in rules:
        if rule not in seen:
            seen.append(rule)
    return ["%s comment '%s'" % (rule, COMMENT) for rule in seen]


def is_active(status_text):
    return (status_text or "").strip().lower().startswith("status: active")


def current_rules(show_added_text):
    """`ufw show added` -> our rules' argument strings."""
    out = []
    for line in (show_added_text or "").splitlines():
        line = line.strip()
        if line.startswith("ufw ") and ("comment '%s'" % COMMENT) in line:
            out.append(line[4:])
    return out


def plan(desired, current):
    """-> (rules to add, rules to delete)"""
    return [r for r in desired if r not in current], [r for r in current if r not in desired]


def delete_args(rule):
    """The argv (after `ufw`) that deletes a rule: without its comment, and
    `route delete ...` for routed rules, which is the only form ufw accepts."""
    words = rule.partition(" comment ")[0].split()
    if words[0] == "route":
        return ["route", "delete"] + words[1:]
    return ["delete"] + words


def add_args(rule):
    """The argv (after `ufw`) that adds a rule, keeping its comment one word."""
    head, sep, comment = rule.partition(" comment ")
    return head.split() + (["comment", comment.strip("'")] if sep else [])
