"""New preshared keys reach the interface module through a staged file, never
as arguments (preshared_keys.staged_path/format_staged/take_staged, and the
interface module's reading of it), on a real directory."""

import os
import stat

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils import preshared_keys
from ansible_collections.fleetnet.wireguard.plugins.module_utils.interface_apply import NEW_IN_CHECK_MODE, wanted_preshared_keys

A, B = "ePOU/RjtO9LbHOM0NgbV1c6WCMCCaFxEd/R78uPP9zg=", "naWW/ku9qt1zSC9wJm7JMF+uuYyr38lagpGL5peW/1I="
PSK1, PSK2 = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=", "Gi5GrDfRCMhBOqgtPFu9BYgtrDWUwvaDTbzd97xBVNc="


def params(**over):
    p = {"name": "wg0", "preshared_keys": {}, "keep_preshared_keys": [], "new_preshared_keys": []}
    p.update(over)
    return p


def test_staged_file_sits_next_to_the_config_outside_the_key_directory():
    path = preshared_keys.staged_path("/etc/wireguard", "wg0")
    assert os.path.dirname(path) == "/etc/wireguard"
    assert not path.startswith(preshared_keys.directory("/etc/wireguard", "wg0") + "/")


def test_take_staged_reads_and_removes_at_once(tmp_path):
    path = tmp_path / ".wg0.psk.new"
    path.write_text(preshared_keys.format_staged({A: PSK1, B: PSK2}))
    assert preshared_keys.take_staged(str(path)) == {A: PSK1, B: PSK2}
    assert not path.exists()


def test_take_staged_says_what_is_wrong_without_the_key(tmp_path):
    path = tmp_path / ".wg0.psk.new"
    path.write_text("%s %s\n%s\n" % (A, PSK1, PSK2))
    with pytest.raises(ValueError, match="line 2") as exc:
        preshared_keys.take_staged(str(path))
    assert PSK1 not in str(exc.value) and PSK2 not in str(exc.value)
    assert not path.exists()  # a damaged file goes too
    with pytest.raises(ValueError, match="does not exist"):
        preshared_keys.take_staged(str(path))


def test_staged_keys_are_wanted_and_checked(tmp_path):
    directory = str(tmp_path / "wg0.psk.d")
    wanted, stored = wanted_preshared_keys(params(new_preshared_keys=[A], preshared_keys={A: PSK1}), directory, [A, B])
    assert wanted == {A: PSK1} and stored == {}
    with pytest.raises(ValueError, match="not a base64 32-byte key") as exc:
        wanted_preshared_keys(params(new_preshared_keys=[A], preshared_keys={A: "short"}), directory, [A, B])
    assert "short" not in str(exc.value)


def test_a_new_key_missing_from_the_file_fails_unless_check_mode(tmp_path):
    directory = str(tmp_path / "wg0.psk.d")
    with pytest.raises(ValueError, match="holds no key for peer %s" % A.replace("+", r"\+")):
        wanted_preshared_keys(params(new_preshared_keys=[A]), directory, [A, B])
    # check mode: nothing was staged, the peer counts as changing
    wanted, dummy = wanted_preshared_keys(params(new_preshared_keys=[A]), directory, [A, B], check_mode=True)
    assert wanted == {A: NEW_IN_CHECK_MODE}
    assert preshared_keys.fingerprint(NEW_IN_CHECK_MODE) not in (preshared_keys.fingerprint(PSK1),
                                                                 preshared_keys.fingerprint(PSK2))


def test_keep_and_new_together(tmp_path):
    directory = tmp_path / "wg0.psk.d"
    preshared_keys.write_dir(str(directory), {B: PSK2}, {}, parents=())
    wanted, stored = wanted_preshared_keys(params(keep_preshared_keys=[B], new_preshared_keys=[A], preshared_keys={A: PSK1}),
                                           str(directory), [A, B])
    assert wanted == {A: PSK1, B: PSK2} and stored == {B: PSK2}
    assert stat.S_IMODE(os.stat(str(directory)).st_mode) == 0o700
