"""The apply module's step for wireguard_peer_names: the block of
/etc/hosts naming the members of the host's networks (the lines the
controller made with peer_names.py), rewritten in place when it differs.
In place, because a container's /etc/hosts is a bind mount that cannot be
renamed over."""

from __future__ import annotations

from ansible_collections.fleetnet.wireguard.plugins.module_utils import files, hosts_block, paths
from ansible_collections.fleetnet.wireguard.plugins.module_utils.operation import Operation


def _text(data):
    return data.decode("utf-8", errors="replace")


class PeerNames(Operation):
    """params: {"block": the lines, "" to remove the block}."""

    reports_actions = False

    def plan(self):
        path = paths.HOSTS_FILE
        before = files.read_bytes(path)
        if before is None:
            if not self.params["block"]:
                return
            raise ValueError("%s does not exist, so wireguard_peer_names cannot name the members in it. Fix: create %s "
                             "(its localhost lines), or set wireguard_peer_names: false for this host." % (path, path))
        self.before = before
        self.after = hosts_block.with_block(before, self.params["block"])
        self.touched = self.after != before
        if self.touched:
            self.set_diff(path, _text(before), _text(self.after))

    def apply(self):
        files.write_in_place(paths.HOSTS_FILE, self.after)

    def rollback(self, error):
        try:
            files.write_in_place(paths.HOSTS_FILE, self.before)
            self.restored = True
        except OSError:
            self.restored = False
        return {}

    def failure_message(self, error):
        return "writing %s failed%s: %s" % (
            paths.HOSTS_FILE, ", the file as it was is restored" if self.restored else " and it may be cut short", error)
