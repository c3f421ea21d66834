"""Parse and render wg-quick configuration files.

Plain Python, no Ansible imports: modules, filters and unit tests share it.

The rules follow wireguard-tools (config.c) and wg-quick (linux.bash):
section and key names are case-insensitive, ``#`` starts a comment anywhere,
AllowedIPs / Address / DNS and the hooks accumulate over repeated lines while
any other repeated key keeps its last value.  Keys this model does not know
are kept as written so a hand-written file survives a parse/render round trip.
"""

from __future__ import annotations

import re

INTERFACE = "Interface"
PEER = "Peer"

# canonical spelling, in the order we render keys we generate ourselves
INTERFACE_KEYS = (
    "PrivateKey", "Address", "ListenPort", "FwMark", "MTU", "DNS", "Table",
    "PreUp", "PostUp", "PreDown", "PostDown", "SaveConfig",
)
PEER_KEYS = (
    "PublicKey", "PresharedKey", "Endpoint", "AllowedIPs", "PersistentKeepalive",
)
# keys that wg(8) itself reads; everything else is wg-quick's
WG_KEYS = frozenset((
    "PrivateKey", "ListenPort", "FwMark",
    "PublicKey", "PresharedKey", "AllowedIPs", "Endpoint", "PersistentKeepalive",
))
# comma lists that accumulate over repeated lines
LIST_KEYS = frozenset(("Address", "AllowedIPs", "DNS"))
# shell hooks: one command per line, repeated lines accumulate, spaces kept
HOOK_KEYS = frozenset(("PreUp", "PostUp", "PreDown", "PostDown"))
SECRET_KEYS = frozenset(("PrivateKey", "PresharedKey"))
REDACTED = "(redacted)"

_CANONICAL = {k.lower(): k for k in INTERFACE_KEYS + PEER_KEYS}
_SECTIONS = {INTERFACE.lower(): INTERFACE, PEER.lower(): PEER}


class ConfigError(ValueError):
    """A line that neither wg nor wg-quick would accept."""

    def __init__(self, lineno, message):
        super().__init__("line %d: %s" % (lineno, message))
        self.lineno = lineno


def canonical_key(key):
    return _CANONICAL.get(key.lower(), key)


class Section:
    """One [Interface] or [Peer] section: keys in first-seen order."""

    def __init__(self, kind, items=None, comment=None):
        self.kind = kind
        # a label rendered as "# comment" above the section; not part of equality
        self.comment = comment
        self.lineno = None
        self._values = {}
        for key, value in (items or {}).items():
            self.set(key, value)

    def __eq__(self, other):
        return isinstance(other, Section) and (self.kind, self._values) == (other.kind, other._values)

    def __repr__(self):
        return "Section(%r, %r)" % (self.kind, self._values)

    def keys(self):
        return list(self._values)

    def add(self, key, value):
        """Add one line's worth: lists and hooks accumulate, others replace."""
        key = canonical_key(key)
        if key in LIST_KEYS:
            # wg-quick splits on commas and blanks alike; the apps only on
            # commas, so "1.1.1.1 9.9.9.9" must become two items here
            items = [v for v in re.split(r"[\s,]+", str(value)) if v]
            self._values.setdefault(key, []).extend(items)
        elif key in HOOK_KEYS:
            self._values.setdefault(key, []).append(str(value))
        else:
            self._values[key] = str(value)

    def set(self, key, value):
        """Replace a key; None or an empty list removes it."""
        key = canonical_key(key)
        self._values.pop(key, None)
        if value is None or value == [] or value == "":
            return
        values = value if isinstance(value, (list, tuple)) else [value]
        if key in LIST_KEYS or key in HOOK_KEYS:
            for item in values:
                self.add(key, item)
        else:
            self._values[key] = str(values[-1])

    def get(self, key, default=None):
        return self._values.get(canonical_key(key), default)

    def as_dict(self):
        return {k: (list(v) if isinstance(v, list) else v) for k, v in self._values.items()}


class WgConfig:
    def __init__(self, interface=None, peers=None):
        self.interface = interface or Section(INTERFACE)
        self.peers = list(peers or [])

    def __eq__(self, other):
        return isinstance(other, WgConfig) and (self.interface, self.peers) == (other.interface, other.peers)

    def __repr__(self):
        return "WgConfig(%r, %r)" % (self.interface, self.peers)

    def peer(self, public_key):
        for peer in self.peers:
            if peer.get("PublicKey") == public_key:
                return peer
        return None


def _clean_value(key, raw):
    value = raw.strip()
    if key in WG_KEYS:
        # wg(8) drops every blank in a line, so "a, b" and "a,b" are one value
        value = "".join(value.split())
    return value


def parse(text):
    """Parse a wg-quick file into a WgConfig; raise ConfigError on bad lines."""
    config = WgConfig()
    current = None
    seen_interface = False
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            name = _SECTIONS.get(line[1:-1].strip().lower())
            if name is None:
                raise ConfigError(lineno, "unknown section %s" % line)
            if name == INTERFACE:
                if seen_interface:
                    raise ConfigError(lineno, "a second [Interface] section")
                seen_interface = True
                current = config.interface
            else:
                current = Section(PEER)
                current.lineno = lineno
                config.peers.append(current)
            continue
        if "=" not in line:
            raise ConfigError(lineno, "expected 'Key = Value', got %r" % line)
        if current is None:
            raise ConfigError(lineno, "a key before any [Interface] or [Peer] section")
        key, value = line.split("=", 1)
        key = canonical_key(key.strip())
        current.add(key, _clean_value(key, value))
    for peer in config.peers:
        if not peer.get("PublicKey"):
            raise ConfigError(peer.lineno, "a [Peer] without PublicKey")
    return config


def _render_section(section, redact):
    lines = ["# %s" % section.comment] if section.comment else []
    lines.append("[%s]" % section.kind)
    if section.kind == PEER and section.comment:
        # the Prometheus WireGuard exporter names a peer by this line inside
        # its section (the label above stays: the peer module reads it)
        lines.append("# friendly_name = %s" % section.comment)
    for key in section.keys():
        value = section.get(key)
        if key in SECRET_KEYS and redact:
            value = REDACTED
        if key in LIST_KEYS:
            lines.append("%s = %s" % (key, ", ".join(value)))
        elif key in HOOK_KEYS:
            lines.extend("%s = %s" % (key, v) for v in value)
        else:
            lines.append("%s = %s" % (key, value))
    return lines


def render(config, redact=False, header=None):
    """Render a WgConfig as wg-quick text. ``redact`` masks secret values."""
    lines = []
    if header:
        lines.extend("# " + h if h else "#" for h in header.splitlines())
    lines.extend(_render_section(config.interface, redact))
    for peer in config.peers:
        lines.append("")
        lines.extend(_render_section(peer, redact))
    return "\n".join(lines) + "\n"


# A line names a secret when its key, with case, spaces, dashes and
# underscores ignored, is one of these; ':' counts as a separator too, and a
# commented-out line is still a secret (a hand-edited file may hold anything).
_SECRET_NAMES = {"privatekey": "PrivateKey", "presharedkey": "PresharedKey", "psk": "PresharedKey"}
_KEY_TOKEN = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{43}=(?![A-Za-z0-9+/=])")
_SECRET_WORD = re.compile(r"private|preshared|psk", re.I)


def _secret_name(line):
    """The secret a line assigns, or None: its key is what comes before the
    first '=' or ':' (a key's own '=' padding aside), or without either, all
    but the last word."""
    body = _KEY_TOKEN.sub(" ", line).strip().lstrip("#;").strip()
    if "=" in body or ":" in body:
        name = re.split(r"[=:]", body, maxsplit=1)[0]
    else:
        words = body.split()
        name = " ".join(words[:-1] if len(words) > 1 else words)
    return _SECRET_NAMES.get(re.sub(r"[\s_-]", "", name).lower())


def redact_text(text):
    """Mask secret values in wg-quick text without parsing it (for diffs of
    files that may not even parse): a line whose key names a secret, however
    it is spelled or separated (``PrivateKey: ...``, ``Private Key = ...``),
    loses its value; any other line that mentions a private or preshared key
    loses every key-shaped token, and so does a line that is a key alone."""
    out = []
    for line in text.splitlines(True):
        ending = line[len(line.rstrip("\r\n")):]
        name = _secret_name(line)
        if name:
            out.append("%s = %s%s" % (name, REDACTED, ending))
        elif _SECRET_WORD.search(line) or _KEY_TOKEN.fullmatch(line.strip()):
            out.append(_KEY_TOKEN.sub(REDACTED, line))
        else:
            out.append(line)
    return "".join(out)


def strip(config):
    """Only the keys wg(8) reads, like `wg-quick strip`."""
    interface = Section(INTERFACE, {k: config.interface.get(k) for k in config.interface.keys() if k in WG_KEYS})
    peers = [Section(PEER, {k: p.get(k) for k in p.keys() if k in WG_KEYS}) for p in config.peers]
    return WgConfig(interface, peers)
