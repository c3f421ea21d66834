"""How a host runs WireGuard: one case per branch, including the ones CI
cannot run for real (Debian 10 with DKMS from backports)."""

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils import dkms, install_plan

BASE = dict(module_loaded=False, module_available=False, container=None, kernel_release="6.1.0-18-amd64",
            distribution="debian", distribution_major=12, installed=set(), dns=False)


@pytest.mark.parametrize("facts, method, packages, backports", [
    pytest.param({"module_loaded": True}, "kernel", ["wireguard-tools"], False, id="module-loaded"),
    pytest.param({"module_loaded": True, "container": "docker"}, "kernel", ["wireguard-tools"], False,
                 id="container-on-a-kernel-with-the-module-loaded"),
    pytest.param({"container": "docker"}, "userspace", ["wireguard-tools", "wireguard-go"], False, id="docker"),
    pytest.param({"container": "lxc"}, "userspace", ["wireguard-tools", "wireguard-go"], False, id="lxc-vps"),
    pytest.param({"container": "openvz", "kernel_release": "3.10.0"}, "userspace",
                 ["wireguard-tools", "wireguard-go"], False, id="openvz-old-kernel"),
    pytest.param({"module_available": True}, "kernel", ["wireguard-tools"], False, id="debian12-vm"),
    pytest.param({"kernel_release": "4.19.0-26-amd64", "distribution_major": 10}, "dkms",
                 ["wireguard-tools", "wireguard-dkms", "linux-headers-4.19.0-26-amd64"], True, id="debian10-backports"),
    pytest.param({"kernel_release": "5.4.0", "distribution_major": 11}, "dkms",
                 ["wireguard-tools", "wireguard-dkms", "linux-headers-5.4.0"], False, id="debian11-old-kernel"),
    pytest.param({"kernel_release": "6.1.0-custom"}, "userspace", ["wireguard-tools", "wireguard-go"], False,
                 id="new-kernel-built-without-wireguard"),
    pytest.param({"kernel_release": "4.15.0", "distribution": "ubuntu", "distribution_major": 18}, "userspace",
                 ["wireguard-tools", "wireguard-go"], False, id="old-kernel-not-debian"),
    pytest.param({"module_loaded": True, "dns": True}, "kernel", ["wireguard-tools", "openresolv"], False, id="dns-needs-resolvconf"),
    pytest.param({"module_loaded": True, "firewall_tool": True}, "kernel", ["wireguard-tools", "iptables"], False,
                 id="gateway-without-iptables"),
    pytest.param({"module_loaded": True, "firewall_tool": True, "has_firewall_tool": True}, "kernel", ["wireguard-tools"], False,
                 id="gateway-with-nftables"),
])
def test_decide(facts, method, packages, backports):
    decision = install_plan.decide(dict(BASE, **facts))
    assert (decision["method"], decision["packages"], decision["backports"]) == (method, packages, backports)
    assert decision["reason"]


def test_missing_is_what_is_not_installed():
    decision = install_plan.decide(dict(BASE, container="docker", installed={"wireguard-tools"}))
    assert decision["missing"] == ["wireguard-go"]


@pytest.mark.parametrize("text, expected", [
    ('ID=debian\nVERSION_ID="12"\n', ("debian", 12)),
    ('ID=debian\nVERSION_ID="10"\n', ("debian", 10)),
    ('ID=ubuntu\nVERSION_ID="22.04"\n', ("ubuntu", 22)),
    ('ID=debian\n', ("debian", 0)),  # testing/sid have no VERSION_ID
])
def test_parse_os_release(text, expected):
    assert install_plan.parse_os_release(text) == expected


def test_parse_dpkg_query():
    text = "wireguard-tools ii \nwireguard-go un \nopenresolv rc \n"
    assert install_plan.parse_dpkg_query(text) == {"wireguard-tools"}


@pytest.mark.parametrize("loaded, installed, pkgs, units, action, restart, clear", [
    pytest.param("1.0.20200413", "1.0.20200413", None, ["wg-quick@wg0.service"], "none", [], False, id="current"),
    pytest.param("1.0.20200401", "1.0.20200413", ["wireguard-dkms"], ["wg-quick@wg0.service"], "reload",
                 ["wg-quick@wg0.service"], True, id="talk-example-upgrade"),
    pytest.param("1.0.20200401", "1.0.20200413", ["wireguard-dkms", "linux-image-4.19.0-27-amd64"],
                 ["wg-quick@wg1.service", "wg-quick@wg0.service"], "reload",
                 ["wg-quick@wg0.service", "wg-quick@wg1.service"], False, id="kernel-also-wants-reboot"),
    pytest.param(None, "1.0.20200413", None, [], "load", [], False, id="installed-not-loaded"),
    pytest.param(None, None, None, [], "none", [], False, id="no-module"),
    pytest.param("1.0.20200413", "1.0.20200413", ["wireguard-dkms", ""], [], "none", [], True,
                 id="already-reloaded-flag-left-over"),
    pytest.param("1.0.20200413", "1.0.20200413", ["libc6"], [], "none", [], False, id="someone-else-wants-reboot"),
])
def test_dkms_plan(loaded, installed, pkgs, units, action, restart, clear):
    decision = dkms.plan(loaded, installed, pkgs, units)
    assert (decision["action"], decision["restart"], decision["clear_reboot_flag"]) == (action, restart, clear)
