"""The apply module, case by case (cases/apply.yml): a host as planned costs
one execution with nothing changed; a key, package or preshared key not as
planned changes nothing and asks for the prepare step; routing, interfaces,
removals and a failed step, in normal, check and diff mode."""

from __future__ import annotations

import json

import pytest

from ansible_collections.fleetnet.wireguard.tests.unit.plugins.modules.harness import load, run_case


@pytest.mark.parametrize("case", load("apply"))
def test_apply(case, tmp_path):
    run_case("apply", case, tmp_path)


KEY = "EBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBA=\n"
PUBLIC = "eB+quQhDAVDazN1vnWxQhuNPc6k+u6onF2XlA27fxRk="
PEER = "BkU/zZzvWh9TrMT5QhBMDI6eJ9XHs39VB83NFigQWWM="
PSK = "VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU="
PREPARED = {"method": "kernel", "missing": [], "unavailable": [], "ufw_active": False, "routing_managed": False,
            "managed_interfaces": []}


@pytest.mark.parametrize("mismatch", [False, True])
def test_staged_preshared_keys_are_taken_first_and_never_shown(tmp_path, mismatch):
    """The staged file is gone after the run, whatever the checks found; the
    key is stored 0600 when applied and appears in no result."""
    staged = "{tmp}/etc/.wg0.psk.new"
    params = {"interfaces": [{"name": "wg0", "addresses": ["10.10.0.1/24"], "listen_port": 51820,
                              "private_key_path": "{tmp}/etc/wg0.key", "config_path": "{tmp}/etc/wg0.conf",
                              "peers": [{"name": "vps2", "public_key": PEER, "allowed_ips": ["10.10.0.2/32"]}],
                              "new_preshared_keys": [PEER], "preshared_keys_file": staged}],
              "public_keys": {"wg0": PUBLIC}}
    files = {"etc/wg0.key": {"content": KEY, "mode": "0600"}, "etc/.wg0.psk.new": {"content": "%s %s\n" % (PEER, PSK), "mode": "0600"}}
    if mismatch:  # inspected (no platform given) and its key is not the planned one
        params["public_keys"] = {"wg0": PEER}
        files.update({"os-release": "ID=debian\nVERSION_ID=\"12\"\n", "osrelease": "6.1.0-18-amd64\n"})
        commands = [{"command": ["dpkg-query", "-W", "-f", "${Package} ${db:Status-Abbrev}\n", "wireguard-tools", "wireguard-go",
                                 "wireguard-dkms", "openresolv"], "out": "wireguard-tools ii \n"},
                    {"command": "/usr/sbin/modinfo -F version wireguard", "out": "1.0.0\n"},
                    {"command": "/usr/bin/systemd-detect-virt --container", "rc": 1, "out": "none\n"}]
    else:
        params["platform"] = PREPARED
        commands = [{"command": "ip -d -j link show dev wg0", "rc": 1}, {"command": "systemctl is-enabled wg-quick@wg0", "rc": 1},
                    {"command": "systemctl start wg-quick@wg0"},
                    {"command": "ip -d -j link show dev wg0", "out": '[{"ifname":"wg0","linkinfo":{"info_kind":"wireguard"}}]'},
                    {"command": "systemctl enable wg-quick@wg0"}]
    case = {"id": "staged", "params": params, "dirs": {"etc": "0700"}, "files": files, "run_command": commands, "diff_mode": True,
            "bins": {"modinfo": "/usr/sbin/modinfo", "systemd-detect-virt": "/usr/bin/systemd-detect-virt"},
            "patch": {"module_utils.platform_facts.OS_RELEASE": "{tmp}/os-release",
                      "module_utils.platform_facts.KERNEL_RELEASE": "{tmp}/osrelease",
                      "module_utils.platform_facts.MODULE_DIR": "{tmp}/sys/module/wireguard",
                      "module_utils.platform_facts.CONFIG_DIR": "{tmp}/etc",
                      "module_utils.platform_facts.CONTAINER_MARKERS": [["{tmp}/.dockerenv", "docker"]]},
            "result": {"prepare_needed": mismatch, "changed": not mismatch},
            "files_after": {"etc/.wg0.psk.new": None}}
    dummy, result, dummy = run_case("apply", case, tmp_path)
    assert PSK not in json.dumps(result)
    stored = tmp_path / "etc" / "wg0.psk.d" / PEER.replace("/", "_").replace("+", "-")
    if mismatch:
        assert not stored.exists()
    else:
        assert stored.read_text() == PSK + "\n" and oct(stored.stat().st_mode & 0o777) == "0o600"
