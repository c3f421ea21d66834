"""The controller key store's secret trees stay private (module_utils/key_store_guard.py),
on a real directory tree."""

import os
import stat
import subprocess

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils import key_store, key_store_guard, wg_keys


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def store(tmp_path):
    """A key store as a run leaves it: a public key, a device key, its export."""
    root = tmp_path / ".wireguard"
    peer = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
    key_store.write(str(root), [
        {"path": key_store.public_path("wg0", "vps1"), "content": peer + "\n", "mode": key_store.PUBLIC_MODE},
        {"path": key_store.device_key_path("wg0", "phone"), "content": wg_keys.generate_private_key() + "\n",
         "mode": key_store.SECRET_MODE},
        {"path": key_store.device_psk_path("wg0", "phone", peer), "content": "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=\n",
         "mode": key_store.SECRET_MODE},
    ])
    export = root / "export" / "wg0"
    export.mkdir(parents=True, mode=0o700)
    (root / "export").chmod(0o700)
    (export / "phone.conf").write_text("[Interface]\n")
    (export / "phone.conf").chmod(0o600)
    return root


def secret_paths(root):
    out = []
    for tree in key_store_guard.SECRET_TREES:
        for directory, dummy, names in os.walk(root / tree):
            out.append(directory)
            out.extend(os.path.join(directory, n) for n in names)
    return out


def test_fresh_store_is_private_and_gets_its_gitignore(store):
    assert key_store_guard.loose(str(store)) == []
    changed, warning = key_store_guard.secure(str(store))
    assert changed and warning is None  # only the .gitignore was missing
    rules = [line for line in (store / ".gitignore").read_text().splitlines() if not line.startswith("#")]
    assert rules == ["/private/", "/export/"]
    assert key_store_guard.secure(str(store)) == (False, None)  # a second run changes nothing


@pytest.mark.parametrize("loosen", ["private", "private/wg0", "private/wg0/phone.key", "private/wg0/phone.psk.d",
                                    "export", "export/wg0/phone.conf"])
@pytest.mark.parametrize("loose_mode", [0o644, 0o755, 0o640, 0o604, 0o777])
def test_loose_path_is_repaired_with_a_warning(store, loosen, loose_mode):
    key_store_guard.secure(str(store))
    path = store / loosen
    path.chmod(loose_mode)
    changed, warning = key_store_guard.secure(str(store))
    assert changed
    assert loosen in warning and "%04o" % loose_mode in warning
    wanted = 0o700 if path.is_dir() else 0o600
    assert mode(path) == wanted
    assert all(mode(p) == (0o700 if os.path.isdir(p) else 0o600) for p in secret_paths(store))


def test_check_mode_reports_and_changes_nothing(store):
    (store / "private" / "wg0" / "phone.key").chmod(0o644)
    changed, warning = key_store_guard.secure(str(store), check_mode=True)
    assert changed and "would be 0600" in warning and "check mode changed nothing" in warning
    assert mode(store / "private" / "wg0" / "phone.key") == 0o644
    assert not (store / ".gitignore").exists()


def test_whole_tree_loosened_by_a_checkout(store):
    """git and tar restore 0644/0755 for everything: all of it comes back."""
    for path in secret_paths(store):
        os.chmod(path, 0o755 if os.path.isdir(path) else 0o644)
    found = key_store_guard.loose(str(store))
    assert len(found) == len(secret_paths(store))
    changed, warning = key_store_guard.secure(str(store))
    assert changed and all(os.path.relpath(path, str(store)) in warning for path, dummy, dummy in found)
    assert key_store_guard.loose(str(store)) == []


def test_warning_names_ten_paths_then_counts(tmp_path):
    found = [(str(tmp_path / "private" / ("k%d" % i)), 0o644, 0o600) for i in range(13)]
    warning = key_store_guard.describe(found, str(tmp_path), False)
    assert "k9 (0644, now 0600)" in warning and "k10" not in warning and "and 3 more" in warning


def test_stricter_modes_and_public_keys_are_left_alone(store):
    (store / "private" / "wg0" / "phone.key").chmod(0o400)
    key_store_guard.secure(str(store))
    assert mode(store / "private" / "wg0" / "phone.key") == 0o400
    assert mode(store / "public" / "wg0" / "vps1.pub") == 0o644


def test_symlinks_are_not_followed(store, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.write_text("not ours")
    outside.chmod(0o644)
    os.symlink(str(outside), str(store / "private" / "wg0" / "link"))
    key_store_guard.secure(str(store))
    assert mode(outside) == 0o644


def test_existing_gitignore_is_completed_not_replaced(store):
    (store / ".gitignore").write_text("status/\n/private/")
    changed, dummy = key_store_guard.secure(str(store))
    assert changed
    assert (store / ".gitignore").read_text() == "status/\n/private/\n/export/\n"


def test_git_ignores_the_secrets_and_keeps_the_public_keys(store, tmp_path):
    """Asked of git itself, with the store inside an inventory repository."""
    key_store_guard.secure(str(store))
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "add", "-A"], check=True)
    tracked = subprocess.run(["git", "-C", str(tmp_path), "ls-files"], check=True, stdout=subprocess.PIPE,
                             text=True).stdout.split()
    assert ".wireguard/public/wg0/vps1.pub" in tracked and ".wireguard/.gitignore" in tracked
    assert not [path for path in tracked if "/private/" in path or "/export/" in path]


def test_no_store_yet_creates_nothing(tmp_path):
    assert key_store_guard.secure(str(tmp_path / "absent")) == (False, None)
    assert not (tmp_path / "absent").exists()
