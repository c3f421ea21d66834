"""Device exports, one test per rule of docs/topologies/hybrid.md's "What a
device config holds", through the real planner; and the QR codes decoded by
zbarimg (the terminal text drawn as a light and as a dark terminal would
draw it, and the PNG) back to the exact config text."""

import hashlib
import re
import shutil
import subprocess

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils import device_config, key_store, pipeline, wg_config, wg_keys
from ansible_collections.fleetnet.wireguard.plugins.module_utils.problems import format_problem

PRIVATE = "aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd28="
GROUP = {"wireguard_network": "10.40.0.0/24"}


def private(host):
    return wg_keys.encode_key(hashlib.sha256(host.encode()).digest())


def run(phone=None, hub=None, **more):
    """The fleet action's pipeline, plan stage, on a store holding every key."""
    hosts = {"hub": dict({"wireguard_address": "10.40.0.1", "wireguard_endpoint": "203.0.113.1"}, **(hub or {})),
             "phone": dict({"wireguard_address": "10.40.0.30", "wireguard_unmanaged": True, "wireguard_hub": "hub"}, **(phone or {}))}
    hosts.update(more)
    hostvars = {name: dict(GROUP, **hv) for name, hv in hosts.items()}
    keys = {("wg0", h): wg_keys.public_key(private(h)) for h in hosts}
    store = key_store.Snapshot.of(keys, {k: private(k[1]) for k in keys if hosts[k[1]].get("wireguard_unmanaged")})
    return pipeline.run(hostvars, store, play_hosts=[h for h in hosts if not hosts[h].get("wireguard_unmanaged")])


def fleet(**kwargs):
    out = run(**kwargs)
    return out.get("plan"), out["problems"]


def exported(host="phone", **kwargs):
    result, problems = fleet(**kwargs)
    assert problems.errors == [], problems.errors
    return device_config.render(result[host]["wg0"], PRIVATE, host, "wg0"), problems


def written(tmp_path, out):
    """Write the store's changes as the fleet action does; -> {kind: path} per device."""
    for change in out["files"]:
        path = tmp_path / change["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        content = change["content"]
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return {h: {k: str(tmp_path / p) for k, p in by_if["wg0"].items()} for h, by_if in out["exports"].items()}


def parsed(text):
    return wg_config.parse(text)


def test_a_device_with_an_endpoint_listens_where_its_peers_dial():
    text, dummy = exported(phone={"wireguard_endpoint": "198.51.100.7", "wireguard_port": 51900})
    assert parsed(text).interface.get("ListenPort") == "51900"
    text, dummy = exported(phone={"wireguard_endpoint": "198.51.100.7"})
    assert parsed(text).interface.get("ListenPort") == "51820"


def test_a_device_without_an_endpoint_picks_its_own_port():
    text, dummy = exported()
    assert parsed(text).interface.get("ListenPort") is None


@pytest.mark.parametrize("dns", [
    "1.1.1.1 9.9.9.9", "1.1.1.1, 9.9.9.9", "1.1.1.1,9.9.9.9", " 1.1.1.1 ,  9.9.9.9 ", ["1.1.1.1", "9.9.9.9"],
    ["1.1.1.1 9.9.9.9"], ["1.1.1.1, 9.9.9.9"], ["1.1.1.1", "9.9.9.9,"],
], ids=["spaces", "comma-space", "comma", "padded", "list", "list-of-one-spaced", "list-of-one-comma", "trailing-comma"])
def test_several_dns_servers_are_one_comma_separated_list(dns):
    text, dummy = exported(phone={"wireguard_dns": dns})
    assert re.search(r"(?m)^DNS = 1\.1\.1\.1, 9\.9\.9\.9$", text), text


@pytest.mark.parametrize("host", ["hub_1.example.org", "_dmarc.example.org", "hub.123", "hub-.example.org"])
def test_an_endpoint_host_the_apps_refuse_stops_the_run(host):
    result, problems = fleet(hub={"wireguard_endpoint": host})
    assert result is None
    [problem] = [p for p in problems.errors if p["variable"] == "wireguard_endpoint"]
    text = format_problem(problem)
    assert problem["host"] == "hub" and host in text and "phone" in text and "DNS name" in problem["fix"]


@pytest.mark.parametrize("host", ["hub.example.org", "203.0.113.1", "2001:db8::1", "h1.example.org.", "x-1.example"])
def test_an_endpoint_host_the_apps_take_passes(host):
    text, dummy = exported(hub={"wireguard_endpoint": host})
    assert "Endpoint = " in text


@pytest.mark.parametrize("var, value, key", [
    ("wireguard_table", "off", "Table"), ("wireguard_fwmark", "0x1234", "FwMark"),
    ("wireguard_post_up", "echo up", "PostUp"), ("wireguard_pre_up", "echo pre", "PreUp"),
    ("wireguard_pre_down", "echo pd", "PreDown"), ("wireguard_post_down", "echo down", "PostDown"),
])
def test_options_a_device_cannot_use_are_reported_not_dropped_silently(var, value, key):
    text, problems = exported(phone={var: value})
    [warning] = [p for p in problems.warnings if p["variable"] == var]
    assert warning["host"] == "phone" and key in warning["message"] and var in warning["fix"]
    assert key not in parsed(text).interface.keys()


def test_only_keys_the_apps_accept_and_names_as_comments():
    text, dummy = exported(phone={"wireguard_dns": "1.1.1.1", "wireguard_mtu": 1380, "wireguard_table": "off",
                                  "wireguard_endpoint": "198.51.100.7"})
    config = parsed(text)
    assert device_config.unsafe_keys(config) == []
    assert text.splitlines()[0].startswith("# phone on wg0")
    # every [Peer] names its host the way the Prometheus WireGuard exporter reads it
    assert text.count("[Peer]") == text.count("\n# friendly_name = ") == 1
    assert "[Peer]\n# friendly_name = hub\n" in text


@pytest.mark.parametrize("hosts, expected", [
    (["phone"], {"phone": "phone"}),
    (["a=b+c.d_e-f"], {"a=b+c.d_e-f": "a=b+c.d_e-f"}),
    (["exactly15chars_"], {"exactly15chars_": "exactly15chars_"}),
])
def test_valid_tunnel_names_are_kept(hosts, expected):
    assert device_config.tunnel_names(hosts) == expected


def test_long_or_invalid_names_become_valid_unique_tunnel_names():
    hosts = ["alice-pixel-8-pro", "alice-pixel-8-pro-2", "alice-pixel-8-pro-3", "bob's phone", "a" * 40, "ü", "phone"]
    names = device_config.tunnel_names(hosts)
    assert set(names) == set(hosts)
    assert all(device_config.TUNNEL_NAME.match(n) for n in names.values()), names
    assert len(set(names.values())) == len(hosts)
    assert names["phone"] == "phone"
    assert names == device_config.tunnel_names(list(reversed(hosts))) == device_config.tunnel_names(h for h in hosts)


def test_a_shortened_name_never_takes_an_existing_name():
    first = device_config.tunnel_names(["alice-pixel-8-pro"])["alice-pixel-8-pro"]
    names = device_config.tunnel_names(["alice-pixel-8-pro", first])
    assert names[first] == first and names["alice-pixel-8-pro"] != first


def test_export_writes_files_under_the_tunnel_name(tmp_path):
    out = run(phone={"wireguard_address": "10.40.0.31"}, **{"alice-pixel-8-pro": {
        "wireguard_address": "10.40.0.30", "wireguard_unmanaged": True, "wireguard_hub": "hub"}})
    assert out["problems"].errors == []
    paths = written(tmp_path, out)
    name = device_config.tunnel_names(["alice-pixel-8-pro"])["alice-pixel-8-pro"]
    assert paths["alice-pixel-8-pro"]["conf"].endswith("/export/wg0/%s.conf" % name)
    assert paths["phone"]["conf"].endswith("/export/wg0/phone.conf")
    assert open(paths["alice-pixel-8-pro"]["conf"]).read().startswith("# alice-pixel-8-pro on wg0")


# --- QR codes, decoded by zbarimg -------------------------------------------

BLACK, WHITE = 0, 255
_XTERM = {16: BLACK, 231: WHITE, 0: BLACK, 15: WHITE, 7: 229}


def draw_terminal(text, default_fg, default_bg):
    """The pixels a terminal shows for ``text``: one column per character
    cell, two rows per line (upper and lower half); SGR colours as xterm's
    256-colour table, the terminal's defaults where none is set."""
    rows = []
    for line in text.splitlines():
        fg, bg = default_fg, default_bg
        top, bottom = [], []
        for token in re.findall(r"\x1b\[[0-9;]*m|.", line):
            if token.startswith("\x1b["):
                codes = [int(c) if c else 0 for c in token[2:-1].split(";")]
                i = 0
                while i < len(codes):
                    c = codes[i]
                    if c == 0:
                        fg, bg = default_fg, default_bg
                    elif c in (38, 48) and codes[i + 1] == 5:
                        value = _XTERM.get(codes[i + 2], 128)
                        fg, bg = (value, bg) if c == 38 else (fg, value)
                        i += 2
                    elif c == 7:
                        fg, bg = bg, fg
                    elif 30 <= c <= 37:
                        fg = BLACK if c == 30 else WHITE
                    elif 40 <= c <= 47:
                        bg = BLACK if c == 40 else WHITE
                    i += 1
                continue
            upper = {"\u2580": fg, "\u2588": fg, "\u2584": bg}.get(token, bg)
            lower = {"\u2580": bg, "\u2588": fg, "\u2584": fg}.get(token, bg)
            top.append(upper)
            bottom.append(lower)
        rows += [top, bottom]
    return rows


def pgm(rows, path, scale=6, margin=8):
    """rows of grey values -> a binary PGM, scaled up, with a margin of the
    terminal's own background around it (as on a screen)."""
    width = max(len(r) for r in rows)
    edge = rows[0][0]
    pixels = [[edge] * (width + 2 * margin) for dummy in range(margin)]
    pixels += [[edge] * margin + r + [edge] * (width - len(r) + margin) for r in rows]
    pixels += [[edge] * (width + 2 * margin) for dummy in range(margin)]
    data = bytearray()
    for r in pixels:
        line = bytes(v for v in r for dummy in range(scale))
        data += line * scale
    path.write_bytes(b"P5 %d %d 255\n" % (len(pixels[0]) * scale, len(pixels) * scale) + bytes(data))
    return path


def zbar(path):
    out = subprocess.run(["zbarimg", "--raw", "-q", "-Sbinary", str(path)], capture_output=True, check=True)
    return out.stdout.decode()


needs_zbar = pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbarimg is installed by scripts/setup.sh")


@needs_zbar
@pytest.mark.parametrize("scheme", [("light", BLACK, WHITE), ("dark", WHITE, BLACK), ("solarized-dark", 229, 40)],
                         ids=lambda s: s[0])
def test_the_terminal_qr_decodes_to_the_exact_config_on_any_background(tmp_path, scheme):
    paths = written(tmp_path, run(phone={"wireguard_dns": "1.1.1.1 9.9.9.9"}))["phone"]
    conf = open(paths["conf"]).read()
    rows = draw_terminal(open(paths["txt"]).read(), scheme[1], scheme[2])
    assert zbar(pgm(rows, tmp_path / ("%s.pgm" % scheme[0]))) == conf


@needs_zbar
def test_the_png_qr_decodes_to_the_exact_config(tmp_path):
    paths = written(tmp_path, run(phone={"wireguard_endpoint": "198.51.100.7"}))["phone"]
    assert zbar(paths["png"]) == open(paths["conf"]).read()
