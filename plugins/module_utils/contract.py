"""The names and types of the role's variables, checked on the controller
before any host is touched.

The list of names and their types is the role's argument spec
(roles/wireguard/meta/argument_specs.yml): the caller loads it and passes its
``options`` here, so the documented variables and the checked ones are one
list. Why stricter than Ansible's own argument validation: that converts a
list to its string form for a ``str`` option and accepts ``"yes"`` for a
bool, and it runs per host, so a typo on one host quietly leaves it out while
the others remove it as a peer. Here every wrong name or type of every host
is one error, and any error stops the whole fleet.
"""

from __future__ import annotations

import difflib

PREFIX = "wireguard_"
INTERNAL_PREFIX = "wireguard__"
TRUE_WORDS = ("true",)
FALSE_WORDS = ("false",)

# variables whose wrong value might be a key pasted in the wrong place
_SECRET_WORDS = ("public_key", "private", "preshared", "psk", "secret", "password")
_FIXES = {
    "str": "write one value (a string), not a list or a mapping",
    "path": "write one path (a string)",
    "int": "write a whole number, such as %s",
    "bool": "write true or false, unquoted",
    "list": "write a YAML list of strings, such as [a, b] (one string is taken as a one-item list)",
    "dict": "write a mapping of keys to values",
}


def _kind(value):
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, (list, tuple)):
        return "list"
    return type(value).__name__


def closest(name, known):
    """The known name a typo most likely meant, or None."""
    found = difflib.get_close_matches(name, known, n=1, cutoff=0.7)
    return found[0] if found else None


def _is_scalar(value):
    return isinstance(value, (str, int)) and not isinstance(value, bool)


def _shown(name, value):
    """The value as the message shows it: never for a key variable, where a
    private key pasted in the wrong place could be the value."""
    if any(word in name for word in _SECRET_WORDS):
        return ""
    text = repr(value)
    return " (%s)" % (text if len(text) <= 60 else text[:57] + "...")


def type_error(name, value, spec):
    """Why ``value`` of variable ``name`` does not fit ``spec`` (an argument
    spec option), or None."""
    kind = spec.get("type", "str")
    if value is None:
        return None
    if kind in ("str", "path", "raw") and isinstance(value, bool):
        return "is a bool%s, where one string belongs (YAML reads unquoted yes, no, on, off as a bool: quote it)" % _shown(name, value)
    if kind in ("str", "path"):
        if not _is_scalar(value):
            return "is a %s%s, where one string belongs" % (_kind(value), _shown(name, value))
    elif kind == "int":
        if not ((isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, str) and value.strip().isdigit())):
            return "is a %s%s, where a whole number belongs" % (_kind(value), _shown(name, value))
    elif kind == "bool":
        if not (isinstance(value, bool) or (isinstance(value, str) and value.strip().lower() in TRUE_WORDS + FALSE_WORDS)):
            return "is a %s%s, where true or false belongs" % (_kind(value), _shown(name, value))
    elif kind == "list":
        elements = spec.get("elements", "str")
        if elements == "dict":
            if not isinstance(value, (list, tuple)):
                return "is a %s%s, where a list of mappings belongs" % (_kind(value), _shown(name, value))
            for index, item in enumerate(value):
                if not isinstance(item, dict):
                    return "item %d is a %s%s, where a mapping belongs" % (index, _kind(item), _shown(name, item))
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                if not _is_scalar(item):
                    return "item %d is a %s%s, where a string belongs" % (index, _kind(item), _shown(name, item))
        elif not _is_scalar(value):
            return "is a %s%s, where a list of strings belongs" % (_kind(value), _shown(name, value))
    elif kind == "dict":
        if not isinstance(value, dict):
            return "is a %s%s, where a mapping belongs" % (_kind(value), _shown(name, value))
    elif kind == "raw":
        # raw options say in their spec what they take: scalar only here
        if not _is_scalar(value):
            return "is a %s%s, where one value belongs" % (_kind(value), _shown(name, value))
    choices = spec.get("choices")
    if choices and kind != "list" and str(value) not in [str(c) for c in choices]:
        return "%s is not one of %s" % (_shown(name, value).strip(" ()") or "the value", ", ".join(map(str, choices)))
    return None


def _fix(name, spec):
    kind = spec.get("type", "str")
    if spec.get("choices"):
        return "use one of %s" % ", ".join(map(str, spec["choices"]))
    if kind == "list" and spec.get("elements") == "dict":
        return "write a list of mappings, such as [{name: wg1, address: 10.20.0.1}]"
    fix = _FIXES.get(kind, "write one value")
    if kind == "int":
        fix = fix % (spec.get("default") if spec.get("default") is not None else 25)
    return fix


def _check_names(host, values, options, label, problems):
    """Unknown names (with the closest known one) and wrong types."""
    known = sorted(options)
    ok = True
    for name in sorted(values, key=str):
        variable = label(str(name))
        if name not in options:
            ok = False
            guess = closest(str(name), known)
            if guess:
                problems.error(host, variable, "unknown variable (did you mean %s?)" % label(guess),
                               "rename it to %s" % label(guess))
            else:
                problems.error(host, variable, "unknown variable of fleetnet.wireguard",
                               "remove it, or use a variable listed in docs/variables.md")
            continue
        why = type_error(name, values[name], options[name])
        if why:
            ok = False
            problems.error(host, variable, why, _fix(name, options[name]))
    return ok


def user_variables(hostvars):
    """The host's wireguard_* variables, without the role's internal wireguard__* ones."""
    return {k: v for k, v in hostvars.items() if k.startswith(PREFIX) and not k.startswith(INTERNAL_PREFIX)}


def check(hostvars_by_host, options, problems):
    """Every wireguard_* variable of every host (and each entry of
    wireguard_interfaces) has a known name and a value of its type.
    ``options`` is the argument spec's options. -> True when all are."""
    ok = True
    interfaces_spec = (options.get(PREFIX + "interfaces") or {}).get("options") or {}
    for host in sorted(hostvars_by_host):
        values = user_variables(hostvars_by_host[host])
        ok &= _check_names(host, values, options, lambda n: n, problems)
        entries = values.get(PREFIX + "interfaces")
        if not interfaces_spec or not isinstance(entries, (list, tuple)):
            continue
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                continue  # reported above as a type error
            prefix = "%sinterfaces[%d]." % (PREFIX, index)
            ok &= _check_names(host, entry, interfaces_spec, lambda n, p=prefix: p + n, problems)
            if entry.get("name") in (None, ""):
                ok = False
                problems.error(host, prefix + "name", "the entry has no interface name", "add name: wg1 (any name but the host's other interfaces')")
    return ok
