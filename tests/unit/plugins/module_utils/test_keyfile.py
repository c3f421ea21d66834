"""One private key file on a host (module_utils/keyfile.py, the keypair
module's logic) in a real directory: keep, generate, adopt from a hand-made
wg-quick file, modes, check mode, and no secret in any result."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils import keyfile, wg_keys

PRIVATE = wg_keys.encode_key(bytes([64]) + bytes(range(1, 31)) + bytes([64]))
OTHER = wg_keys.encode_key(bytes([72]) + bytes(range(2, 32)) + bytes([65]))


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def etc(tmp_path):
    directory = tmp_path / "wireguard"
    directory.mkdir(mode=0o700)
    os.chmod(directory, 0o700)
    return directory


def write(path, text, file_mode=0o600):
    path.write_text(text)
    os.chmod(path, file_mode)
    return str(path)


def no_secret_in(result, *secrets):
    text = repr(result)
    return not any(s in text for s in secrets)


@pytest.mark.parametrize("existing, regenerate, config, want", [
    pytest.param(PRIVATE, "never", None, ("keep", PRIVATE), id="a key: kept"),
    pytest.param(PRIVATE, "full_idempotence", None, ("keep", PRIVATE), id="a key, full_idempotence: kept"),
    pytest.param(PRIVATE, "always", None, ("generate", None), id="always: a new one"),
    pytest.param("garbage", "full_idempotence", None, ("generate", None), id="not a key, full_idempotence: replaced"),
    pytest.param(None, "never", "[Interface]\nPrivateKey = %s\nListenPort = 51820\n" % OTHER, ("adopt", OTHER),
                 id="hand-made wg-quick file: its key adopted"),
    pytest.param(None, "never", "[Interface]\nListenPort = 51820\n", ("generate", None), id="file without a key"),
    pytest.param(None, "never", "[Interface]\nPrivateKey = short\n", ("generate", None), id="file with a bad key"),
    pytest.param(None, "never", "[Interface\nPrivateKey = %s\n" % OTHER, ("generate", None), id="file that does not parse"),
    pytest.param(None, "never", None, ("generate", None), id="nothing yet"),
    # the existing key file wins over the wg-quick file's
    pytest.param(PRIVATE, "never", "[Interface]\nPrivateKey = %s\n" % OTHER, ("keep", PRIVATE), id="key file wins"),
])
def test_plan_key(etc, existing, regenerate, config, want):
    path = etc / "wg0.key"
    if existing is not None:
        write(path, existing + "\n")
    config_path = write(etc / "wg0.conf", config) if config is not None else str(etc / "wg0.conf")
    assert keyfile.plan_key(str(path), regenerate, config_path) == want


def test_plan_key_no_config_path(etc):
    assert keyfile.plan_key(str(etc / "wg0.key"), "never", "") == ("generate", None)
    assert keyfile.plan_key(str(etc / "wg0.key"), "never", None) == ("generate", None)


def test_plan_key_refuses_a_broken_file_with_never(etc):
    path = write(etc / "wg0.key", "garbage\n")
    with pytest.raises(keyfile.KeyFileError, match="is not a WireGuard private key"):
        keyfile.plan_key(path, "never")


def test_plan_key_refuses_an_unknown_policy(etc):
    with pytest.raises(keyfile.KeyFileError, match="regenerate must be one of never, full_idempotence, always"):
        keyfile.plan_key(str(etc / "wg0.key"), "sometimes")


def test_generate(tmp_path):
    path = tmp_path / "wireguard" / "wg0.key"
    result = keyfile.apply(str(path), "never")
    private = path.read_text().strip()
    assert wg_keys.is_valid_key(private)
    assert result == {"changed": True, "action": "generate", "path": str(path),
                      "public_key": wg_keys.public_key(private), "previous_public_key": None}
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    assert no_secret_in(result, private)
    assert [p.name for p in path.parent.iterdir()] == ["wg0.key"], "no temporary file left"


def test_keep_is_no_change(etc):
    path = write(etc / "wg0.key", PRIVATE + "\n")
    result = keyfile.apply(path, "never")
    assert result == {"changed": False, "action": "keep", "path": path,
                      "public_key": wg_keys.public_key(PRIVATE), "previous_public_key": None}
    assert open(path).read() == PRIVATE + "\n"


@pytest.mark.parametrize("file_mode, dir_mode", [(0o644, 0o700), (0o600, 0o755), (0o640, 0o750)])
def test_keep_tightens_modes(etc, file_mode, dir_mode):
    path = write(etc / "wg0.key", PRIVATE + "\n", file_mode)
    os.chmod(etc, dir_mode)
    result = keyfile.apply(path, "never")
    assert (result["changed"], result["action"]) == (True, "keep")
    assert (mode(path), mode(etc)) == (0o600, 0o700)
    assert open(path).read() == PRIVATE + "\n"


def test_always_rotates_and_tells_the_old_public_key(etc):
    path = write(etc / "wg0.key", PRIVATE + "\n")
    result = keyfile.apply(path, "always")
    new = open(path).read().strip()
    assert new != PRIVATE
    assert result["previous_public_key"] == wg_keys.public_key(PRIVATE)
    assert result["public_key"] == wg_keys.public_key(new)
    assert no_secret_in(result, PRIVATE, new)


def test_adopt_writes_the_file_key(etc):
    config = write(etc / "wg0.conf", "[Interface]\nPrivateKey = %s\n" % OTHER)
    result = keyfile.apply(str(etc / "wg0.key"), "never", config)
    assert (result["changed"], result["action"], result["public_key"]) == (True, "adopt", wg_keys.public_key(OTHER))
    assert (etc / "wg0.key").read_text() == OTHER + "\n"
    assert no_secret_in(result, OTHER)


def test_check_mode_changes_nothing(tmp_path):
    path = tmp_path / "wireguard" / "wg0.key"
    result = keyfile.apply(str(path), "never", check_mode=True)
    assert result == {"changed": True, "action": "generate", "path": str(path), "public_key": None, "previous_public_key": None}
    assert not path.parent.exists()


def test_check_mode_keeps_wrong_modes(etc):
    path = write(etc / "wg0.key", PRIVATE + "\n", 0o644)
    assert keyfile.apply(path, "never", check_mode=True)["changed"] is True
    assert mode(path) == 0o644


def test_check_mode_adopt_tells_the_public_key(etc):
    config = write(etc / "wg0.conf", "[Interface]\nPrivateKey = %s\n" % OTHER)
    result = keyfile.apply(str(etc / "wg0.key"), "never", config, check_mode=True)
    assert (result["action"], result["public_key"]) == ("adopt", wg_keys.public_key(OTHER))
    assert not (etc / "wg0.key").exists()
