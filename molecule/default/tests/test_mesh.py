"""A full mesh of three hosts: every node reaches every other over wg0."""

import os
import re

import pytest
import testinfra.utils.ansible_runner

from wgcheck import COUNT_MODULES, module_executions, ping, private_keys, project_file, recap, run_playbook, wg_dump

RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
HOSTS = sorted(RUNNER.get_hosts("wireguard"))
TUNNEL = {"mesh1": "10.10.0.1", "mesh2": "10.10.0.2", "mesh3": "10.10.0.3"}
testinfra_hosts = HOSTS


def test_every_node_pings_every_other(host):
    me = host.backend.get_hostname()
    unreachable = [peer for peer, address in TUNNEL.items() if peer != me and not ping(host, address)]
    assert unreachable == []


def test_one_peer_per_other_host_with_recent_handshake(host):
    now = int(host.check_output("date +%s"))
    peers = wg_dump(host)
    assert len(peers) == len(HOSTS) - 1
    # the pings above made every handshake; WireGuard rekeys every 120 s
    assert all(now - p["handshake"] < 180 for p in peers.values()), peers


def test_interface_is_userspace_or_kernel_wireguard_and_up(host):
    link = host.check_output("ip -d link show wg0")
    assert "UP" in link and re.search(r"\b(wireguard|tun)\b", link)


def test_service_enabled_at_boot(host):
    assert host.service("wg-quick@wg0").is_enabled
    assert host.service("wg-quick@wg0").is_running


def test_key_file_and_directory_are_private(host):
    key = host.file("/etc/wireguard/wg0.key")
    assert key.mode == 0o600 and key.user == "root"
    assert host.file("/etc/wireguard").mode == 0o700
    assert host.file("/etc/wireguard/wg0.conf").mode == 0o600


def test_config_holds_no_private_key(host):
    config = host.file("/etc/wireguard/wg0.conf").content_string
    key = host.file("/etc/wireguard/wg0.key").content_string.strip()
    assert key and key not in config
    assert not re.search(r"(?im)^\s*PrivateKey\s*=", config)


@pytest.mark.parametrize("verbosity", ["-vvv"])
def test_no_private_key_in_play_output_and_nothing_changes(verbosity):
    """Re-run the play at -vvv: no key on any host appears, nothing changes,
    and each host costs one module execution (its keys are in the store)."""
    hosts = [testinfra.get_host(h, ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"], connection="ansible") for h in HOSTS]
    keys = private_keys(hosts)
    assert len(keys) == len(HOSTS)
    rc, output = run_playbook(project_file("playbooks", "site.yml"), verbosity, "--diff", *COUNT_MODULES)
    assert rc == 0, output[-3000:]
    leaked = [k for k in keys if k in output]
    assert leaked == [], "a private key appeared in the play's output"
    assert re.search(r"changed=0\s", output) and not re.search(r"changed=[1-9]", output)
    assert module_executions(output) == {h: 1 for h in HOSTS}, output[-3000:]


def test_interface_comes_back_after_a_restart():
    """The talk's failure story 2: started but not enabled, gone after reboot."""
    import subprocess
    import time

    subprocess.run(["docker", "restart", "mesh2"], check=True, stdout=subprocess.DEVNULL)
    node = testinfra.get_host("mesh2", ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"], connection="ansible")
    for dummy in range(30):
        if node.run("wg show wg0 peers").rc == 0:
            break
        time.sleep(1)
    assert len(wg_dump(node)) == len(HOSTS) - 1
    assert ping(node, TUNNEL["mesh1"]) and ping(node, TUNNEL["mesh3"])


def test_failed_apply_restores_the_working_tunnel():
    """A PostUp that fails: the task fails with the reason, the old config
    comes back and the tunnel works again."""
    node = testinfra.get_host("mesh1", ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"], connection="ansible")
    before = node.check_output("sha256sum /etc/wireguard/wg0.conf")
    rc, output = run_playbook(project_file("playbooks", "site.yml"), "--limit", "mesh1",
                              "-e", '{"wireguard_post_up": ["false"]}')
    assert rc != 0
    assert "the previous config was restored" in output
    assert node.check_output("sha256sum /etc/wireguard/wg0.conf") == before
    assert ping(node, TUNNEL["mesh2"]) and ping(node, TUNNEL["mesh3"])


def test_a_key_replaced_by_hand_is_prepared_and_every_peer_follows_in_one_run():
    """mesh2's key file replaced by hand (a restore from an old backup, say):
    its apply finds the key is not the store's and changes nothing; the
    fallback prepares mesh2, plans again with its key and applies every host.
    One run later the mesh works and the next run is one call per host again."""
    node = testinfra.get_host("mesh2", ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"], connection="ansible")
    before = node.check_output("wg show wg0 public-key")
    node.check_output("umask 077 && wg genkey > /etc/wireguard/wg0.key.new && mv /etc/wireguard/wg0.key.new /etc/wireguard/wg0.key")
    replaced = node.check_output("wg pubkey < /etc/wireguard/wg0.key")
    assert replaced != before
    rc, output = run_playbook(project_file("playbooks", "site.yml"), "-vvv", *COUNT_MODULES)
    assert rc == 0, output[-3000:]
    # mesh2: apply (not as planned, nothing changed), prepare, apply; its peers: apply, apply again
    assert module_executions(output) == {"mesh1": 2, "mesh2": 3, "mesh3": 2}, output[-3000:]
    # (the YAML callback may wrap the line, and quotes the apostrophe that follows)
    assert "the key in /etc/wireguard/wg0.key is not the one in the controller" in " ".join(output.split())
    assert node.check_output("wg show wg0 public-key") == replaced
    for name in HOSTS:
        peer = testinfra.get_host(name, ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"], connection="ansible")
        if name != "mesh2":
            assert replaced in wg_dump(peer) and before not in wg_dump(peer), name
        unreachable = [p for p, address in TUNNEL.items() if p != name and not ping(peer, address)]
        assert unreachable == [], name
    rc, output = run_playbook(project_file("playbooks", "site.yml"), "-vvv", *COUNT_MODULES)
    assert rc == 0 and {h: c["changed"] for h, c in recap(output).items() if h in HOSTS} == {h: 0 for h in HOSTS}, output[-3000:]
    assert module_executions(output) == {h: 1 for h in HOSTS}
