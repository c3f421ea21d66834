"""The peer names' block of /etc/hosts: the file's bytes with the lines
between the collection's markers replaced, exactly as
ansible.builtin.blockinfile (``marker: "# {mark} fleetnet.wireguard peer
names"``, inserting at the end of the file) writes them, so a block that
module wrote is found unchanged. Only the block is touched. Bytes in,
bytes out; imports no Ansible."""

from __future__ import annotations

BEGIN = b"# BEGIN fleetnet.wireguard peer names\n"
END = b"# END fleetnet.wireguard peer names\n"


def with_block(data, block):
    """data: the file's bytes; block: the lines to put between the markers
    (text, "" to remove the block with its markers) -> the file's new bytes.
    A file with both markers gets the block in their place; any other gets
    it at its end (a lone marker stays, as blockinfile leaves it)."""
    lines = data.splitlines(True)
    new = []
    if block:
        block = block.encode("utf-8")
        new = [BEGIN] + (block if block.endswith(b"\n") else block + b"\n").splitlines(True) + [END]
    begin = end = None
    for index, line in enumerate(lines):
        if line == BEGIN:
            begin = index
        if line == END:
            end = index
    if begin is None or end is None:
        at = len(lines)
    else:
        at = min(begin, end)
        del lines[at:max(begin, end) + 1]
    if at > 0 and not lines[at - 1].endswith(b"\n"):
        lines[at - 1] += b"\n"
    lines[at:at] = new
    return b"".join(lines)
