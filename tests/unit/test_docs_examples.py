"""The documentation's example configs are what the code renders today, and
no document holds a private key."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.fleetnet.wireguard.plugins.module_utils import device_config, nat, wg_config

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
EXAMPLE = DOCS / "examples" / "seed-network"
# a WireGuard key: 32 bytes in base64 (the last character before "=" holds 4 bits)
KEY = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=")
SECRET_LINE = re.compile(r"(?im)^\s*#?\s*(PrivateKey|PresharedKey)\s*=\s*(.*)$")


def load_renderer():
    spec = importlib.util.spec_from_file_location("render_example", ROOT / "scripts" / "render_example.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render_example = load_renderer()


def inventory_public_keys(path):
    hosts = yaml.safe_load(path.read_text())["wireguard"]["hosts"]
    return {hv["wireguard_public_key"] for hv in hosts.values() if hv.get("wireguard_public_key")}


def test_committed_configs_are_what_the_script_renders(tmp_path):
    render_example.main(["render_example.py", str(EXAMPLE / "inventory.yml"), str(tmp_path)])
    rendered = {p.name: p.read_text() for p in tmp_path.glob("*.conf")}
    committed = {p.name: p.read_text() for p in (EXAMPLE / "configs").glob("*.conf")}
    assert sorted(rendered) == sorted(committed) == ["terminal2-wg0.conf", "vps1-wg0.conf", "vps3-wg0.conf"]
    stale = [name for name in committed if committed[name] != rendered[name]]
    assert stale == [], "re-run: python scripts/render_example.py %s %s" % (
        EXAMPLE.relative_to(ROOT) / "inventory.yml", EXAMPLE.relative_to(ROOT) / "configs/")


def test_the_readme_quotes_every_rendered_config_verbatim():
    readme = (EXAMPLE / "README.md").read_text()
    for path in sorted((EXAMPLE / "configs").glob("*.conf")):
        assert path.read_text() in readme, "%s is not quoted as rendered in README.md" % path.name


def test_the_readme_nat_rules_are_the_ones_the_gateway_gets():
    readme = (EXAMPLE / "README.md").read_text()
    quoted = [line.strip() for line in readme.splitlines() if re.match(r"\s+ip6?tables -w ", line)]
    script = nat.render_script("iptables", ["wg0"], ["10.10.0.0/24", "fd86:ea04:1111::/64"], "eth0", "eth0")
    start = [line.strip() for line in script.split("start)", 1)[1].split(";;", 1)[0].splitlines() if line.strip()]
    assert quoted == start


def test_the_readme_quotes_the_refusal_of_failure_story_6(tmp_path):
    inventory = yaml.safe_load((EXAMPLE / "inventory.yml").read_text())
    inventory["wireguard"]["hosts"]["vps3"]["wireguard_allowed_ips"] = ["10.10.0.2/32"]
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory))
    with pytest.raises(SystemExit) as refused:
        render_example.render_all(path)
    (line,) = [line for line in str(refused.value).splitlines() if line.startswith("host vps3:")]
    assert line in (EXAMPLE / "README.md").read_text()


def test_example_configs_hold_only_the_inventory_public_keys():
    public = inventory_public_keys(EXAMPLE / "inventory.yml")
    for path in sorted((EXAMPLE / "configs").glob("*.conf")):
        text = path.read_text()
        assert SECRET_LINE.findall(text) == [], path.name
        assert set(KEY.findall(text)) <= public, path.name
        wg_config.parse(text)


@pytest.mark.parametrize("path", sorted(DOCS.rglob("*.md")) + sorted(DOCS.rglob("*.conf")), ids=lambda p: str(p.relative_to(DOCS)))
def test_no_document_shows_a_private_key(path):
    """A PrivateKey or PresharedKey line in the docs holds a placeholder,
    never something shaped like a key."""
    for key, value in SECRET_LINE.findall(path.read_text()):
        assert not KEY.search(value), "%s: a %s value that looks like a real key" % (path.name, key)


def test_unmanaged_devices_get_an_app_config_with_a_placeholder_key(tmp_path):
    inventory = yaml.safe_load((EXAMPLE / "inventory.yml").read_text())
    inventory["wireguard"]["hosts"]["phone"] = {
        "wireguard_unmanaged": True, "wireguard_address": ["10.10.0.30", "fd86:ea04:1111::30"],
        "wireguard_hub": "vps1", "wireguard_via_hub": ["0.0.0.0/0", "::/0"],
        "wireguard_public_key": "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",
    }
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory))
    files = render_example.render_all(path)[0]
    assert "\nPrivateKey = (kept in <key store>/private/wg0/phone.key)\n" in files["phone-wg0.conf"]
    config = wg_config.parse(files["phone-wg0.conf"])
    assert device_config.unsafe_keys(config) == []
    assert config.peers[0].get("AllowedIPs")[-2:] == ["0.0.0.0/0", "::/0"]
    assert set(KEY.findall("".join(files.values()))) <= inventory_public_keys(path)
    # the hub has the phone as a peer; managed hosts still load their key from a file
    assert "10.10.0.30/32" in files["vps1-wg0.conf"]
    assert "PrivateKey" not in files["vps1-wg0.conf"]


def test_an_inventory_with_problems_is_refused_with_them(tmp_path):
    path = tmp_path / "inventory.yml"
    path.write_text((ROOT / "tests" / "inventories" / "broken" / "mdns-endpoint.yml").read_text())
    with pytest.raises(SystemExit, match=r"host raspi: wireguard_endpoint: raspi.local is an mDNS name"):
        render_example.render_all(path)


def test_getting_started_shows_the_laptop_and_phone_configs_as_rendered(tmp_path):
    inventory = yaml.safe_load((EXAMPLE / "inventory.yml").read_text())
    hosts = inventory["wireguard"]["hosts"]
    hosts["laptop"] = {"ansible_host": "192.0.2.20", "wireguard_address": "10.10.0.20", "wireguard_hub": "vps1",
                       "wireguard_public_key": "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="}
    hosts["phone"] = {"wireguard_unmanaged": True, "wireguard_address": ["10.10.0.30", "fd86:ea04:1111::30"],
                      "wireguard_hub": "vps1", "wireguard_via_hub": ["0.0.0.0/0", "::/0"],
                      "wireguard_public_key": "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0="}
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory))
    files = render_example.render_all(path)[0]
    page = (DOCS / "getting-started.md").read_text()
    for name in ("laptop-wg0.conf", "phone-wg0.conf"):
        shown = files[name].replace(hosts["vps1"]["wireguard_public_key"], "<VPS 1's public key>")
        assert shown in page, "%s is not shown as rendered in getting-started.md" % name
    assert "10.10.0.20/32" in files["vps1-wg0.conf"] and "10.10.0.20/32" in files["vps3-wg0.conf"]
