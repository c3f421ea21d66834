"""Parse `wg show <if> dump`: the live state of an interface.

The first line carries the private key in clear: it is dropped here, at the
edge, and only whether one is set survives. Preshared keys likewise, plus a
fingerprint that tells whether the live key is the one on disk.
"""

from __future__ import annotations

from ansible_collections.fleetnet.wireguard.plugins.module_utils import wg_values
from ansible_collections.fleetnet.wireguard.plugins.module_utils.preshared_keys import fingerprint


def _none(value):
    return None if value in ("(none)", "off", "") else value


def parse_dump(text):
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return None
    head = lines[0].split("\t")
    if len(head) != 4:
        raise ValueError("unexpected first line of wg show dump (%d fields)" % len(head))
    state = {
        "has_private_key": head[0] not in ("(none)", ""),
        "public_key": _none(head[1]),
        "listen_port": int(head[2]) if head[2].isdigit() else None,
        "fwmark": None if head[3] in ("off", "0") else head[3],
        "peers": {},
    }
    for line in lines[1:]:
        f = line.split("\t")
        if len(f) != 8:
            raise ValueError("unexpected peer line of wg show dump (%d fields)" % len(f))
        allowed = _none(f[3])
        state["peers"][f[0]] = {
            "public_key": f[0],
            "has_preshared_key": f[1] != "(none)",
            "preshared_key_fingerprint": None if f[1] == "(none)" else fingerprint(f[1]),
            "endpoint": _none(f[2]),
            "allowed_ips": allowed.split(",") if allowed else [],
            "latest_handshake": int(f[4]),
            "rx_bytes": int(f[5]),
            "tx_bytes": int(f[6]),
            "persistent_keepalive": wg_values.keepalive(f[7]) or None,
        }
    return state
