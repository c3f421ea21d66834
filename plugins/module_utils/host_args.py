"""The arguments the host side takes: the one contract between the
controller's plan and the modules it runs. fleetnet.wireguard.interface and
fleetnet.wireguard.routing take these specs as they are; the inventory reads
OPTIONS from wireguard_<option> variables and the plan hands them on
unchanged, so an option is added here once and nowhere else."""

from __future__ import annotations

PEER = dict(
    public_key=dict(type="str", required=True),
    name=dict(type="str"),
    endpoint=dict(type="str"),
    allowed_ips=dict(type="list", elements="str", default=[]),
    persistent_keepalive=dict(type="int"),
)

# wg-quick hooks: commands, each a whole line (a comma in one is no separator)
HOOKS = ("pre_up", "post_up", "pre_down", "post_down")

# wg-quick settings a host may set per interface, passed through from the inventory
OPTIONS = dict(
    mtu=dict(type="int"),
    dns=dict(type="list", elements="str"),
    table=dict(type="str"),
    fwmark=dict(type="str"),
    **{hook: dict(type="list", elements="str") for hook in HOOKS}
)

# the arguments that carry a host's preshared keys (see preshared_keys.py)
PRESHARED = dict(
    preshared_keys=dict(type="dict", default={}, no_log=True),
    keep_preshared_keys=dict(type="list", elements="str", default=[], no_log=False),
)

# beside them in a host's share of the plan: {peer public key: fingerprint} of
# the keys it keeps, which the converge action gives fleetnet.wireguard.apply
# to check (preshared_fingerprints), not to fleetnet.wireguard.interface
KEEP_FINGERPRINTS = "keep_fingerprints"

# how the converge action hands new preshared keys over instead: in a file it
# wrote over the connection's stdin, never as arguments (see preshared_keys.py)
STAGED_PRESHARED = dict(
    new_preshared_keys=dict(type="list", elements="str", default=[], no_log=False),
    preshared_keys_file=dict(type="path"),
)

# what keeps the interface: wg-quick@<name> (the default) or a NetworkManager connection
BACKENDS = ("wg-quick", "networkmanager")

INTERFACE = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    addresses=dict(type="list", elements="str", default=[]),
    listen_port=dict(type="int"),
    private_key_path=dict(type="path"),
    config_path=dict(type="path"),
    peers=dict(type="list", elements="dict", default=[], options=PEER),
    enabled=dict(type="bool", default=True),
    remove_key=dict(type="bool", default=False),
    backend=dict(type="str", default=BACKENDS[0], choices=list(BACKENDS)),
    **dict(OPTIONS, **PRESHARED, **STAGED_PRESHARED)
)

# one entry of fleetnet.wireguard.routing's interfaces: what one interface needs of the host's routing
ROUTING_INTERFACE = dict(
    name=dict(type="str", required=True),
    port=dict(type="int"),
    forwarding=dict(type="bool", default=False),
    gateway=dict(type="bool", default=False),
    prefixes=dict(type="list", elements="str", default=[]),
)

ROUTING = dict(
    interfaces=dict(type="list", elements="dict", required=True, options=ROUTING_INTERFACE),
    uplink=dict(type="str"),
    uplink6=dict(type="str"),
    ufw_active=dict(type="bool"),
)

# what decides the packages a host needs, as fleetnet.wireguard.prepare and
# fleetnet.wireguard.apply take it (the docs: the attributes fragment's PACKAGES)
PACKAGES = dict(
    install=dict(type="bool", default=True),
    firewall_tool=dict(type="bool", default=False),
    dns=dict(type="bool", default=False),
)
