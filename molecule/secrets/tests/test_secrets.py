"""No private or preshared key reaches a callback plugin, the play's output,
a diff, or a temp file on the controller or a host, on every path a key
travels: the first full run (every key new: hosts' private keys, every pair's
preshared key, the phone's key made on the controller), a rotation, --check
--diff, and a run without pipelining, with the remote files kept, as a user
that becomes root with su and a password.

What is searched for is read from where the keys really are: the hosts'
/etc/wireguard (key files and preshared key files) and the controller's key
store (the phone's key and its pairs' preshared keys), before and after each
run. Every run records what callback plugins receive with
tests/callback_plugins/fleetnet_record.py (task arguments before and after
templating, results, items, diffs, play variables).
"""

import base64
import glob
import os
import shutil
import subprocess
import tempfile

import testinfra

from wgcheck import ping, private_keys, project_file

HOSTS = ("sec1", "sec2")
TUNNEL = {"sec1": "10.77.0.1", "sec2": "10.77.0.2"}
SITE = project_file("playbooks", "site.yml")
ROTATE = project_file("playbooks", "rotate.yml")
CONVERGE_RECORDS = project_file("tests", "output", "secrets-record")
# The only places a secret may be on a host: its destination files.
HOST_SECRET_FILES = ("/etc/wireguard/*.key", "/etc/wireguard/*.psk.d/*")
# Pseudo and device file systems hold no files a run could leave behind.
NOT_FILES = ("/proc", "/sys", "/dev")
BECOME = ["-e", "ansible_user=tester", "-e", "ansible_become=true", "-e", "ansible_become_method=su",
          "-e", "ansible_become_password=fleetnet-su"]
testinfra_hosts = []


def node(name):
    return testinfra.get_host("docker://" + name)


def key_store():
    return os.path.join(os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"]), ".wireguard")


def is_key(text):
    try:
        return len(base64.b64decode(text, validate=True)) == 32
    except ValueError:
        return False


def secrets():
    """Every private and preshared key there is now, on the hosts and in the
    controller's store."""
    hosts = [node(h) for h in HOSTS]
    found = set()
    for pattern in HOST_SECRET_FILES:
        found |= private_keys(hosts, pattern)
    for path in glob.glob(os.path.join(key_store(), "private", "**", "*"), recursive=True):
        if os.path.isfile(path):
            with open(path) as handle:
                found.add(handle.read().strip())
    assert all(is_key(k) for k in found), "a key file holds something that is not a key"
    return found


def play(playbook, *args, env=None):
    """Run a playbook against the scenario's inventory at -vvv with the
    recorder. -> (rc, output, record text)"""
    record = tempfile.mkdtemp(prefix="fleetnet-record-")
    full_env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=project_file(".collections"), ANSIBLE_FORCE_COLOR="0",
                    ANSIBLE_CALLBACK_PLUGINS=project_file("tests", "callback_plugins"),
                    ANSIBLE_CALLBACKS_ENABLED="fleetnet_record", FLEETNET_RECORD_DIR=record, ANSIBLE_PIPELINING="True")
    full_env.update(env or {})
    inventory = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
    proc = subprocess.run(["ansible-playbook", "-vvv", "-i", inventory, playbook] + list(args), cwd=project_file(),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=full_env, check=False)
    text = read_records(record)
    shutil.rmtree(record)  # a record may hold a key when a test plants one there
    return proc.returncode, proc.stdout, text


def read_records(directory):
    text = ""
    for path in sorted(glob.glob(os.path.join(directory, "*.jsonl"))):
        with open(path) as handle:
            text += handle.read()
    return text


def leaks(keys, **texts):
    """{where: [keys found there]} (the keys themselves are never printed)."""
    found = {}
    for where, text in texts.items():
        hits = [k for k in keys if k in text]
        if hits:
            found[where] = len(hits)
    return found


def assert_recorded_the_apply(record):
    """The record is not empty: the role's apply task and its arguments are in it."""
    assert '"preshared_keys_from": "wireguard__fleet"' in record, "the recorder did not see the apply task's arguments"
    assert '"action": "fleetnet.wireguard.fleet"' in record


def scan_host(name, keys):
    """Every file on the host holding one of ``keys``, except the keys' own
    destination files. The keys go to grep over stdin, never into a file."""
    allowed = set(node(name).check_output("ls -1d %s 2>/dev/null || true" % " ".join(HOST_SECRET_FILES)).split())
    excluded = " ".join("--exclude-dir=%s" % d.lstrip("/") for d in NOT_FILES)
    proc = subprocess.run(["docker", "exec", "-i", name, "sh", "-c", "cd / && grep -rlF -f - %s . 2>/dev/null; true" % excluded],
                          input="\n".join(sorted(keys)) + "\n", stdout=subprocess.PIPE, text=True, check=True)
    found = {"/" + line[2:] for line in proc.stdout.split("\n") if line.startswith("./")}
    return sorted(found - allowed)


def scan_dir(directory, keys):
    hits = []
    for root, dummy, names in os.walk(directory):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                data = handle.read()
            if any(k.encode() in data for k in keys):
                hits.append(path)
    return hits


def test_00_converge_and_idempotence_gave_no_callback_a_key():
    keys = secrets()
    # sec1 and sec2: a private key and a preshared key each for the other; sec1 one more for the
    # phone; the controller: the phone's private key and its pair's preshared key
    assert len(keys) >= 5, "too few keys to search for: %d" % len(keys)
    record = read_records(CONVERGE_RECORDS)
    assert_recorded_the_apply(record)
    assert leaks(keys, record=record) == {}


def test_01_the_recorder_sees_arguments_even_of_no_log_tasks():
    """Why keys must not be task arguments: no_log hides a result, not the
    arguments a callback receives. The same search finds a key put there."""
    phone_key = os.path.join(key_store(), "private", "wg0", "phone.key")
    playbook = os.path.join(tempfile.mkdtemp(prefix="fleetnet-leak-"), "leak.yml")
    with open(playbook, "w") as handle:
        handle.write("- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                     "    - ansible.builtin.debug: {msg: \"{{ lookup('ansible.builtin.file', '%s') }}\"}\n"
                     "      no_log: true\n" % phone_key)
    rc, output, record = play(playbook)
    assert rc == 0, output[-2000:]
    assert leaks(secrets(), output=output) == {}
    assert list(leaks(secrets(), record=record)) == ["record"]


def test_02_check_diff_runs_change_nothing_and_show_no_key():
    before = secrets()
    for playbook, args in ((SITE, []), (ROTATE, ["-e", "rotate_hosts=sec1"])):
        rc, output, record = play(playbook, "--check", "--diff", *args)
        assert rc == 0, output[-3000:]
        assert_recorded_the_apply(record)
        assert leaks(before, output=output, record=record) == {}
    assert secrets() == before


def test_03_rotation_sends_new_keys_to_both_ends_and_shows_none():
    before = secrets()
    rc, output, record = play(ROTATE, "--diff", "-e", "rotate_hosts=sec1")
    assert rc == 0, output[-3000:]
    after = secrets()
    # sec1's private key, the preshared keys of its pairs with sec2 and with the phone
    assert len(after - before) >= 3, "the rotation made no new private and preshared keys"
    assert_recorded_the_apply(record)
    assert leaks(before | after, output=output, record=record) == {}
    # both ends got the same new key: the new handshake (sec1 has a new private key) works
    assert ping(node("sec1"), TUNNEL["sec2"]) and ping(node("sec2"), TUNNEL["sec1"])
    for name in HOSTS:
        assert node(name).run("ls -a /etc/wireguard | grep -q 'psk.new'").rc != 0, "a staged key file was left on %s" % name


def test_04_without_pipelining_no_temp_file_holds_a_key_even_kept_ones():
    """Pipelining off and ANSIBLE_KEEP_REMOTE_FILES=1: every module file that
    would exist on the hosts stays there; the controller's temp files go to a
    directory of their own. A user that becomes root with su (a password
    prompt, then the keys on standard input) runs it."""
    before = secrets()
    local_tmp = tempfile.mkdtemp(prefix="fleetnet-local-tmp-")
    env = {"ANSIBLE_PIPELINING": "False", "ANSIBLE_KEEP_REMOTE_FILES": "1", "ANSIBLE_LOCAL_TEMP": local_tmp,
           "TMPDIR": local_tmp}
    canary = base64.b64encode(os.urandom(32)).decode()
    node("sec2").check_output("echo %s > /home/tester/.ansible-canary" % canary)  # the scan must find this one
    try:
        rc, output, record = play(ROTATE, "--diff", "-e", "rotate_hosts=sec1,sec2", *BECOME, env=env)
        assert rc == 0, output[-3000:]
        after = secrets()
        assert len(after - before) >= 4, "the rotation made no new keys"
        assert leaks(before | after, output=output, record=record) == {}
        for name in HOSTS:
            kept = node(name).check_output("grep -rl new_preshared_keys /home/tester/.ansible/tmp || true").split()
            assert any("AnsiballZ_apply" in path for path in kept), \
                "%s: no kept apply module file with its arguments: the scan would prove nothing" % name
        assert scan_host("sec2", {canary}) == ["/home/tester/.ansible-canary"]
        for name in HOSTS:
            assert scan_host(name, before | after) == [], "%s: files hold a private or preshared key" % name
        assert scan_dir(local_tmp, before | after) == []
        assert ping(node("sec1"), TUNNEL["sec2"]) and ping(node("sec2"), TUNNEL["sec1"])
    finally:
        for name in HOSTS:
            node(name).run("rm -rf /home/tester/.ansible/tmp /home/tester/.ansible-canary")


def test_05_key_store_secrets_are_private_and_ignored_by_git():
    store = key_store()
    for root, dirs, names in os.walk(os.path.join(store, "private")):
        assert os.stat(root).st_mode & 0o777 == 0o700
        assert all(os.stat(os.path.join(root, n)).st_mode & 0o777 == 0o600 for n in names)
    with open(os.path.join(store, ".gitignore")) as handle:
        rules = [line for line in handle.read().splitlines() if not line.startswith("#")]
    assert rules == ["/private/", "/export/"]


def test_06_a_loosened_store_is_repaired_with_a_warning():
    path = os.path.join(key_store(), "export", "wg0", "phone.conf")
    os.chmod(path, 0o644)
    rc, output, dummy = play(SITE, "--check")
    assert rc == 0 and "export/wg0/phone.conf (0644, would be 0600)" in output
    assert os.stat(path).st_mode & 0o777 == 0o644  # check mode changes nothing
    rc, output, dummy = play(SITE)
    assert rc == 0 and "export/wg0/phone.conf (0644, now 0600)" in output
    assert os.stat(path).st_mode & 0o777 == 0o600
