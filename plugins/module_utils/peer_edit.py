"""Add, change or remove one [Peer] of a wg-quick file, and plan the live
commands for that peer alone: the logic of fleetnet.wireguard.peer.

Only the edited peer's lines are rewritten. Everything else in the file
(other peers, comments, a hand-written layout) stays byte for byte, so a
file written by hand keeps its shape and one written by the role stays what
the role would write. Options left out (None) keep the peer's current value.
"""

from __future__ import annotations

from ansible_collections.fleetnet.wireguard.plugins.module_utils import endpoint, reconcile, wg_config, wg_keys, wg_values

DEFAULT_PORT = 51820


class PeerError(ValueError):
    pass


def _prefixes(values):
    out = []
    for value in values:
        for item in str(value).split(","):
            if item.strip():
                try:
                    out.append(wg_values.prefix(item))
                except ValueError:
                    raise PeerError("%r is not an IP prefix (write 10.0.0.9/32 or fd00::9/128)" % item.strip())
    return out


def _endpoint(text):
    try:
        host, port = endpoint.parse(text, DEFAULT_PORT)
    except endpoint.EndpointError as exc:
        raise PeerError("endpoint %r is not host:port: %s; %s" % (text, exc, endpoint.FORMS))
    return endpoint.join(host, port)


def request(public_key, allowed_ips=None, endpoint=None, persistent_keepalive=None, name=None):
    """Check and normalize the module's options. None means 'keep as is';
    an empty list, empty string or 0 removes the value."""
    if not wg_keys.is_valid_key(public_key or ""):
        raise PeerError("public_key %r is not a WireGuard key" % public_key)
    keepalive = None
    if persistent_keepalive is not None:
        try:
            keepalive = wg_values.keepalive(persistent_keepalive)
        except ValueError:
            raise PeerError("persistent_keepalive must be between 0 and 65535")
    return {
        "public_key": public_key,
        "allowed_ips": None if allowed_ips is None else _prefixes(allowed_ips),
        "endpoint": None if endpoint is None else (_endpoint(endpoint) if endpoint.strip() else ""),
        "persistent_keepalive": keepalive,
        "name": name,
    }


def _code(line):
    return line.split("#", 1)[0].strip()


def _is_header(line):
    code = _code(line)
    return code.startswith("[") and code.endswith("]")


def _is_comment(line):
    return line.strip().startswith("#")


def _peer_blocks(lines):
    """Per [Peer], in file order: (label_start, start, end). ``start`` is the
    [Peer] line, ``label_start`` the first of the comment lines right above it
    (its label), ``end`` one past its last line; blank and comment lines
    before the next section belong to that next section."""
    headers = [i for i, line in enumerate(lines) if _is_header(line)] + [len(lines)]
    blocks = []
    for start, following in zip(headers, headers[1:]):
        if _code(lines[start])[1:-1].strip().lower() != "peer":
            continue
        end = following
        while end > start + 1 and (not lines[end - 1].strip() or _is_comment(lines[end - 1])):
            end -= 1
        label_start = start
        while label_start > 0 and _is_comment(lines[label_start - 1]):
            label_start -= 1
        blocks.append((label_start, start, end))
    return blocks


def label_of(lines, block):
    label_start, start = block[0], block[1]
    if label_start == start:
        return None
    return lines[start - 1].strip().lstrip("#").strip() or None


def _desired_section(current, req):
    values = current.as_dict() if current is not None else {"PublicKey": req["public_key"]}
    if req["allowed_ips"] is not None:
        values["AllowedIPs"] = req["allowed_ips"]
    if req["endpoint"] is not None:
        values["Endpoint"] = req["endpoint"] or None
    if req["persistent_keepalive"] is not None:
        values["PersistentKeepalive"] = req["persistent_keepalive"] or None
    return wg_config.Section(wg_config.PEER, values)


def _same(a, b):
    """Equal as wg reads them: prefix order and spelling do not count."""
    def norm(section):
        d = section.as_dict()
        d["AllowedIPs"] = sorted(_prefixes(d.get("AllowedIPs", [])))
        d["PersistentKeepalive"] = wg_values.keepalive(d.get("PersistentKeepalive")) or None
        return {k: v for k, v in d.items() if v not in (None, [])}
    return norm(a) == norm(b)


def _key_lines(key, value):
    section = wg_config.Section(wg_config.PEER, {key: value})
    return [line + "\n" for line in wg_config._render_section(section, False)[1:]]  # pylint: disable=protected-access


def _line_key(line):
    code = _code(line)
    return wg_config.canonical_key(code.split("=", 1)[0].strip()) if "=" in code else None


def _edit_body(body, current, wanted):
    """Rewrite only the lines of keys whose value changes: comments, spacing
    and the lines of the other keys stay as they are."""
    changed = [k for k in wanted.keys() + current.keys()
               if not _same(wg_config.Section(wg_config.PEER, {k: current.get(k)}),
                            wg_config.Section(wg_config.PEER, {k: wanted.get(k)}))]
    out = [body[0]]
    placed = set()
    for line in body[1:]:
        key = _line_key(line)
        if key not in changed:
            out.append(line)
        elif key not in placed:
            placed.add(key)
            if wanted.get(key) is not None:
                out.extend(_key_lines(key, wanted.get(key)))
    for key in wanted.keys():
        if key in changed and key not in placed:
            # a new key goes where wg-quick files (and the role) usually have it
            rank = wg_config.PEER_KEYS.index(key) if key in wg_config.PEER_KEYS else len(wg_config.PEER_KEYS)
            at = len(out)
            for i, line in enumerate(out[1:], 1):
                other = _line_key(line)
                if other in wg_config.PEER_KEYS and wg_config.PEER_KEYS.index(other) > rank:
                    at = i
                    break
            out[at:at] = _key_lines(key, wanted.get(key))
    return out


def edit(text, req, state="present"):
    """-> (new text, what changed: 'added', 'updated', 'removed' or None).

    Raises PeerError when the file does not parse or holds the key twice."""
    try:
        config = wg_config.parse(text)
    except wg_config.ConfigError as exc:
        raise PeerError("the config does not parse (%s); fix it by hand first" % exc)
    key = req["public_key"]
    lines = text.splitlines(True)
    blocks = _peer_blocks(lines)
    found = [i for i, peer in enumerate(config.peers) if peer.get("PublicKey") == key]
    if len(found) > 1:
        raise PeerError("peer %s appears %d times in the file; merge them by hand first" % (key, len(found)))
    block = blocks[found[0]] if found else None
    if state == "absent":
        if block is None:
            return text, None
        label_start, end = block[0], block[2]
        if label_start > 0 and not lines[label_start - 1].strip():
            label_start -= 1  # the blank line that separated it
        return "".join(lines[:label_start] + lines[end:]), "removed"
    current = config.peers[found[0]] if found else None
    wanted = _desired_section(current, req)
    if block is None:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        if lines and lines[-1].strip():
            lines.append("\n")
        label = ["# %s\n" % req["name"]] if req["name"] else []
        head = ["[Peer]\n"] + (["# friendly_name = %s\n" % req["name"]] if req["name"] else [])  # as wg_config renders it
        return "".join(lines + label + _edit_body(head, wg_config.Section(wg_config.PEER), wanted)), "added"
    label_start, start, end = block
    label = lines[label_start:start]
    if req["name"] and label_of(lines, block) != req["name"]:
        label = label[:-1] + ["# %s\n" % req["name"]]
    body = _edit_body(lines[start:end], current, wanted)
    new_text = "".join(lines[:label_start] + label + body + lines[end:])
    return new_text, ("updated" if new_text != text else None)


def describe(text, public_key):
    """The peer as the module returns it (public values only), or None."""
    config = wg_config.parse(text)
    keys = [p.get("PublicKey") for p in config.peers]
    if public_key not in keys:
        return None
    index = keys.index(public_key)
    lines = text.splitlines(True)
    section = config.peers[index]
    return {
        "public_key": public_key,
        "name": label_of(lines, _peer_blocks(lines)[index]),
        "endpoint": section.get("Endpoint"),
        "allowed_ips": list(section.get("AllowedIPs", [])),
        "persistent_keepalive": wg_values.keepalive(section.get("PersistentKeepalive")),
    }


def conflicts(config, public_key, live=None):
    """Prefixes of this peer that another peer (in the file or live) routes
    exactly: wg would silently move them, so this is refused."""
    peer = config.peer(public_key)
    if peer is None:
        return []
    mine = set(_prefixes(peer.get("AllowedIPs", [])))
    owners = [(p.get("PublicKey"), p.get("AllowedIPs", [])) for p in config.peers]
    if live:
        owners += [(k, p["allowed_ips"]) for k, p in live["peers"].items()]
    found = []
    for key, prefixes in owners:
        if key == public_key:
            continue
        for prefix in sorted(mine.intersection(_prefixes(prefixes))):
            if (prefix, key) not in found:
                found.append((prefix, key))
    return found


def live_commands(ifname, live, routes, old_config, new_config, public_key, resolve=None):
    """The wg and ip commands that bring this one peer and its routes to
    ``new_config``, leaving every other peer and route alone."""
    current = live["peers"].get(public_key)
    one_live = dict(live, peers={public_key: current} if current else {})
    wanted = new_config.peer(public_key)
    one_new = wg_config.WgConfig(new_config.interface, [wanted] if wanted is not None else [])
    commands = reconcile.peer_commands(ifname, one_live, one_new, resolve)
    prefixes = set(current["allowed_ips"] if current else [])
    for config in (old_config, new_config):
        peer = config.peer(public_key)
        if peer is not None:
            prefixes.update(peer.get("AllowedIPs", []))
    return commands + reconcile.route_commands(ifname, routes, new_config, only=prefixes)
