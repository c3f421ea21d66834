"""One spelling of each place the collection uses (module_utils/paths.py),
and the key store's default as the role and the status playbook get it
(plugins/lookup/key_store_dir.py)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.fleetnet.wireguard.plugins.lookup.key_store_dir import LookupModule
from ansible_collections.fleetnet.wireguard.plugins.module_utils import paths, preshared_keys


def test_host_paths():
    assert paths.config_path("wg0") == "/etc/wireguard/wg0.conf"
    assert paths.private_key_path("wg1") == "/etc/wireguard/wg1.key"
    assert paths.config_path("wg0", "/srv/wg") == "/srv/wg/wg0.conf"
    assert preshared_keys.directory(paths.CONFIG_DIR, "wg0") == "/etc/wireguard/wg0.psk.d"


def test_unit_names():
    assert paths.unit("wg0") == "wg-quick@wg0"
    assert paths.UNIT_PATTERN == "wg-quick@*"


@pytest.mark.parametrize("name, ifname", [
    ("wg0.conf", "wg0"), ("office-vpn.conf", "office-vpn"),
    ("wg0.key", None), ("wg0.psk.d", None), (".conf", None), ("wg0.conf.bak", None), (".wg0.conf.x1y2", None),
])
def test_interface_of(name, ifname):
    assert paths.interface_of(name) == ifname


@pytest.mark.parametrize("variables, want", [
    ({"inventory_dir": "/srv/inventory", "playbook_dir": "/srv/playbooks"}, "/srv/inventory/.wireguard"),
    # an inline host list has no inventory directory
    ({"inventory_dir": None, "playbook_dir": "/srv/playbooks"}, "/srv/playbooks/.wireguard"),
    ({"playbook_dir": "/srv/playbooks"}, "/srv/playbooks/.wireguard"),
])
def test_key_store_default(variables, want):
    assert LookupModule().run([], variables=variables) == [want]


def test_key_store_default_needs_a_directory():
    with pytest.raises(AnsibleLookupError, match="neither inventory_dir nor playbook_dir"):
        LookupModule().run([], variables={})
    with pytest.raises(AnsibleLookupError, match="takes no terms"):
        LookupModule().run(["x"], variables={"playbook_dir": "/srv"})
