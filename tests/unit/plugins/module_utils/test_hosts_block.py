"""The peer names' block of /etc/hosts (module_utils/hosts_block.py) is
written byte for byte as ansible.builtin.blockinfile, the role's task before
the apply module took the block over, wrote it with the same marker: each
case runs the real blockinfile module on a real file and compares. So a host
whose block that task wrote finds it unchanged (changed=0 on the first run
after the upgrade)."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from ansible.module_utils import basic
from ansible.modules import blockinfile

from ansible_collections.fleetnet.wireguard.plugins.module_utils import hosts_block

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core before 2.19
    def patch_module_args(args):
        return mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode())

LOCAL = b"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n172.30.30.11\thyb-a\n"
BLOCK = "10.30.0.1 hyb-a.wg0\n10.30.0.2 hyb-b.wg0\nfd86:ea04:1111::1 hyb-a.wg0"
OLD_BLOCK = b"# BEGIN fleetnet.wireguard peer names\n10.30.0.1 hyb-a.wg0\n10.30.0.30 phone.wg0\n# END fleetnet.wireguard peer names\n"
OTHER_BLOCK = b"# BEGIN ANSIBLE MANAGED BLOCK\n192.0.2.1 other\n# END ANSIBLE MANAGED BLOCK\n"


class Exit(Exception):
    pass


def by_blockinfile(tmp_path, data, block):
    """What the role's old task (blockinfile, this marker, at the end) leaves of ``data``."""
    path = tmp_path / "hosts"
    path.write_bytes(data)
    args = {"path": str(path), "marker": "# {mark} fleetnet.wireguard peer names", "block": block, "unsafe_writes": True}

    def leave(self, **result):
        raise Exit(result)

    def fail(self, msg, **result):
        raise AssertionError(msg)

    with patch_module_args(args), mock.patch.object(basic.AnsibleModule, "exit_json", leave), \
            mock.patch.object(basic.AnsibleModule, "fail_json", fail):
        with pytest.raises(Exit) as done:
            blockinfile.main()
    assert done.value.args[0]["changed"] == (path.read_bytes() != data)
    return path.read_bytes()


CASES = [
    ("no block yet: at the end", LOCAL, BLOCK),
    ("no block, no newline at the end of the file", LOCAL.rstrip(b"\n"), BLOCK),
    ("an empty file", b"", BLOCK),
    ("the block with a newline of its own", LOCAL, BLOCK + "\n"),
    ("a block with other names is replaced in place", LOCAL + OLD_BLOCK + b"192.0.2.9 after\n", BLOCK),
    ("the same block is left as it is", LOCAL + OLD_BLOCK, "10.30.0.1 hyb-a.wg0\n10.30.0.30 phone.wg0"),
    ("another tool's block is not ours", OTHER_BLOCK + LOCAL, BLOCK),
    ("markers in the wrong order", LOCAL + OLD_BLOCK.replace(b"BEGIN", b"X").replace(b"END", b"BEGIN").replace(b"X", b"END"), BLOCK),
    ("a lone begin marker stays, the block goes at the end", LOCAL + OLD_BLOCK.splitlines(True)[0] + b"192.0.2.9 x\n", BLOCK),
    ("an empty block removes ours with its markers", LOCAL + OLD_BLOCK + b"192.0.2.9 after\n", ""),
    ("an empty block and no block: nothing", LOCAL, ""),
    ("CRLF lines elsewhere are kept", LOCAL.replace(b"\n", b"\r\n") + OLD_BLOCK, BLOCK),
    ("UTF-8 in a comment", "# café\n".encode("utf-8") + LOCAL + OLD_BLOCK, BLOCK),
]


@pytest.mark.parametrize("data, block", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_block_is_what_blockinfile_writes(tmp_path, data, block):
    assert hosts_block.with_block(data, block) == by_blockinfile(tmp_path, data, block)


def test_only_the_block_changes_and_a_second_pass_changes_nothing():
    data = OTHER_BLOCK + LOCAL + OLD_BLOCK + b"192.0.2.9 after\n"
    once = hosts_block.with_block(data, BLOCK)
    assert once == OTHER_BLOCK + LOCAL + hosts_block.BEGIN + (BLOCK + "\n").encode() + hosts_block.END + b"192.0.2.9 after\n"
    assert hosts_block.with_block(once, BLOCK) == once
    assert hosts_block.with_block(once, "") == OTHER_BLOCK + LOCAL + b"192.0.2.9 after\n"
