"""Every kind of exported device config, loaded for real: `wg-quick strip`
(which also refuses a file name that is not a valid interface name) and
`wg setconf` on a wireguard-go interface in a container; and checked against
the keys and value forms the WireGuard apps accept (docs/topologies/hybrid.md,
"What a device config holds", from the wireguard-android config parser),
with a checker written here from that list rather than from the code."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / ".collections"))

from ansible_collections.fleetnet.wireguard.plugins.module_utils import key_store, pipeline, wg_keys  # noqa: E402

IMAGE = "fleetnet/debian:bookworm"
NAME = "fleetnet-device-exports"
# the options that let a container run wireguard-go, as test_debian11_container's
from test_debian11_container import RUN_OPTIONS  # noqa: E402  pylint: disable=wrong-import-position

APP_KEYS = {"Interface": {"PrivateKey", "Address", "DNS", "MTU", "ListenPort", "ExcludedApplications", "IncludedApplications"},
            "Peer": {"PublicKey", "PresharedKey", "Endpoint", "AllowedIPs", "PersistentKeepalive"}}
URI_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$")

# fleets whose device configs cover every rule: endpoint and none, DNS in
# every form, options a device cannot use, names too long or not allowed
SERVERS = {"hub": {"wireguard_address": "10.60.0.1", "wireguard_endpoint": "hub.example.org"},
           "gw": {"wireguard_address": "10.60.0.2", "wireguard_endpoint": "203.0.113.2", "wireguard_gateway": True}}
DEVICES = {
    "phone": {"wireguard_hub": "hub", "wireguard_dns": "1.1.1.1 9.9.9.9"},
    "alice-pixel-8-pro": {"wireguard_hub": "hub", "wireguard_dns": ["1.1.1.1", "2606:4700:4700::1111, 9.9.9.9"],
                          "wireguard_via_hub": ["0.0.0.0/0", "::/0"], "wireguard_mtu": 1380},
    "alice-pixel-8-pro-2": {"wireguard_hub": "gw", "wireguard_table": "off", "wireguard_post_up": "echo no"},
    "tablet at home": {"wireguard_hub": "gw", "wireguard_endpoint": "198.51.100.7", "wireguard_port": 51900, "wireguard_preshared_keys": True},
}


def key(host):
    return wg_keys.encode_key(hashlib.sha256(("test/%s" % host).encode()).digest())


def exports(tmp_path):
    """The fleet action's pipeline on these fleets, its files written as the
    action writes them -> {host: (conf path, interface arguments)}."""
    hosts = dict(SERVERS)
    for n, (host, hv) in enumerate(sorted(DEVICES.items())):
        hosts[host] = dict(hv, wireguard_unmanaged=True, wireguard_address="10.60.0.%d" % (30 + n))
    hostvars = {h: dict(hv, wireguard_network="10.60.0.0/24") for h, hv in hosts.items()}
    keys = {("wg0", h): wg_keys.public_key(key(h)) for h in hosts}
    store = key_store.Snapshot.of(keys, {k: key(k[1]) for k in keys if k[1] in DEVICES})
    out = pipeline.run(hostvars, store, play_hosts=list(SERVERS))
    assert out["problems"].errors == [], out["problems"].errors
    for change in out["files"]:
        path = tmp_path / change["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        content = change["content"]
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return {host: (str(tmp_path / out["exports"][host]["wg0"]["conf"]), out["plan"][host]["wg0"]) for host in DEVICES}


def app_problems(path, text):
    """What the apps would refuse in this file, per the documented list."""
    found = []
    stem = path.rsplit("/", 1)[-1][:-len(".conf")]
    if not re.match(r"^[a-zA-Z0-9_=+.-]{1,15}$", stem):
        found.append("file name %r" % stem)
    section = None
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            section = line.strip("[]")
            found += [] if section in APP_KEYS else ["section %s" % section]
            continue
        k, v = (x.strip() for x in line.split("=", 1))
        if k not in APP_KEYS.get(section, ()):
            found.append("key %s in %s" % (k, section))
        items = v.split(",")
        if k in ("Address", "AllowedIPs"):
            for item in items:
                ipaddress.ip_network(item.strip(), strict=False)
        elif k == "DNS":
            for item in items:
                ipaddress.ip_address(item.strip())  # "1.1.1.1 9.9.9.9" raises
        elif k in ("ListenPort", "MTU", "PersistentKeepalive"):
            found += [] if v.isdigit() and int(v) <= 65535 else ["%s %r" % (k, v)]
        elif k in ("PrivateKey", "PublicKey", "PresharedKey"):
            found += [] if len(base64.b64decode(v, validate=True)) == 32 else ["%s length" % k]
        elif k == "Endpoint":
            host = v.rsplit(":", 1)[0]
            try:
                ipaddress.ip_address(host.strip("[]"))
            except ValueError:
                labels = host.rstrip(".").split(".")
                if not all(URI_LABEL.match(label) for label in labels) or not labels[-1][0].isalpha():
                    found.append("endpoint host %r" % host)
    return found


def _docker(*args, check=True, stdin=None):
    return subprocess.run(["docker"] + list(args), input=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, check=check)


@pytest.fixture(scope="module")
def box():
    if _docker("image", "inspect", IMAGE, check=False).returncode != 0:
        pytest.fail("%s is missing: scripts/setup.sh builds it" % IMAGE)
    _docker("rm", "-f", NAME, check=False)
    _docker("run", "-d", "--name", NAME, *RUN_OPTIONS, IMAGE)
    try:
        proc = _docker("exec", "-e", "DEBIAN_FRONTEND=noninteractive", NAME, "sh", "-c",
                       "apt-get update -qq && apt-get install -y -qq --no-install-recommends wireguard-tools wireguard-go",
                       check=False)
        assert proc.returncode == 0, proc.stdout[-2000:]
        # wg resolves an endpoint's name when it loads it: the test's name
        # points at loopback (the interface stays down: nothing is sent)
        _docker("exec", NAME, "sh", "-c", "echo '127.0.0.1 hub.example.org' >> /etc/hosts")
        yield NAME
    finally:
        _docker("rm", "-f", NAME, check=False)


def test_every_export_is_what_the_apps_accept(tmp_path):
    made = exports(tmp_path)
    for host, (path, dummy) in made.items():
        assert app_problems(path, open(path).read()) == [], host


def test_the_checker_refuses_what_the_apps_refuse():
    good = "[Interface]\nPrivateKey = %s\nDNS = 1.1.1.1, 9.9.9.9\n" % key("x")
    assert app_problems("/x/phone.conf", good) == []
    assert app_problems("/x/alice-pixel-8-pro.conf", good) == ["file name 'alice-pixel-8-pro'"]
    assert app_problems("/x/p.conf", good + "Table = off\n") == ["key Table in Interface"]
    assert app_problems("/x/p.conf", good + "[Peer]\nEndpoint = hub_1.example.org:51820\n") == ["endpoint host 'hub_1.example.org'"]
    with pytest.raises(ValueError):
        app_problems("/x/p.conf", good.replace("1.1.1.1, 9.9.9.9", "1.1.1.1 9.9.9.9"))


def test_every_export_loads_in_wg_quick_and_wireguard_go(box, tmp_path):
    made = exports(tmp_path)
    for host, (path, desired) in sorted(made.items()):
        stem = path.rsplit("/", 1)[-1]
        _docker("exec", box, "mkdir", "-p", "/etc/wireguard")
        _docker("exec", "-i", box, "sh", "-c", "umask 077 && cat > /etc/wireguard/%s" % stem, stdin=open(path).read())
        iface = stem[:-len(".conf")]
        strip = _docker("exec", box, "wg-quick", "strip", iface, check=False)
        assert strip.returncode == 0, (host, strip.stdout)
        # wg-quick's own keys (Address, DNS, MTU) are stripped; the rest is what wg takes
        assert "DNS" not in strip.stdout and "Address" not in strip.stdout
        load = _docker("exec", box, "sh", "-c",
                       # the daemon answers on its socket a moment after it forks, and the
                       # previous one needs a moment to go
                       "while pgrep -x wireguard-go >/dev/null; do sleep 0.2; done; "
                       "wireguard-go wgx >/dev/null 2>&1 && sleep 1 && "
                       "wg-quick strip %s > /run/wgx.conf && wg setconf wgx /run/wgx.conf && rm -f /run/wgx.conf && "
                       "wg show wgx listen-port && wg show wgx peers && wg show wgx public-key" % iface, check=False)
        assert load.returncode == 0, (host, load.stdout)
        lines = load.stdout.split()
        port, peers, public = lines[0], sorted(lines[1:-1]), lines[-1]
        assert public == wg_keys.public_key(key(host))
        assert peers == sorted(p["public_key"] for p in desired["peers"])
        if desired.get("listen_port"):
            assert port == str(desired["listen_port"]), host
        _docker("exec", box, "sh", "-c", "ip link del wgx; pkill -x wireguard-go; rm -f /etc/wireguard/%s" % stem)
