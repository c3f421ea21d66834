"""The one way host-side modules run wg, ip, systemctl, ufw, sysctl and the
other tools: each command line is declared once in COMMANDS, by name, and
run through the module's run_command, so every module reads the host the
same way and fails with the same words. Imports no Ansible: the module
object comes in as two callables, which is also the edge tests mock.
"""

from __future__ import annotations

# name -> argv template. A word "{field}" takes one value, "{*field}" a list of
# words, so a value is never split again; the first word is the tool.
COMMANDS = {
    "link": "ip -d -j link show dev {ifname}",
    "link_delete": "ip link del dev {ifname}",
    "wg_show": "wg show {ifname}",
    "wg_dump": "wg show {ifname} dump",
    "addresses": "ip -j address show dev {ifname}",
    "routes4": "ip -4 -j route show table all dev {ifname}",
    "routes6": "ip -6 -j route show table all dev {ifname}",
    "default_route": "ip {family} -j route show default",
    "wg_quick_down": "wg-quick down {ifname}",
    "unit": "systemctl {verb} {unit}",
    "unit_now": "systemctl {verb} --now {unit}",
    "daemon_reload": "systemctl daemon-reload",
    "active_units": "systemctl list-units {pattern} --state=active --plain --no-legend",
    "journal": "journalctl -u {unit} -n {lines} --no-pager -o cat",
    "ufw_status": "ufw status",
    "ufw_added": "ufw show added",
    "ufw": "ufw {*args}",
    "modinfo_version": "modinfo -F version {module}",
    "rmmod": "rmmod {module}",
    "modprobe": "modprobe {module}",
    "detect_container": "systemd-detect-virt --container",
    "dpkg_status": "dpkg-query -W -f {format} {*packages}",
    "apt_policy": "apt-cache policy {package}",
    "wg_interfaces": "wg show interfaces",
    "udp_sockets": "ss -Hulnp",
    "iptables_nat": "iptables -t nat -S",
    "ip6tables_nat": "ip6tables -t nat -S",
    "nft_ruleset": "nft list ruleset",
    "nm_running": "nmcli -t -f RUNNING general",
    "nm_state": "nmcli -g GENERAL.STATE connection show {uuid}",
    "nm_load": "nmcli connection load {path}",
    "nm_up": "nmcli connection up {uuid}",
    "nm_reapply": "nmcli device reapply {ifname}",
    "nm_delete": "nmcli connection delete {uuid}",
}

# Kernel settings (sysctl keys) are read and written as their files under
# /proc/sys, deliberately not with the sysctl tool: that comes with procps,
# which minimal Debian images and containers lack, and /proc/sys is what it
# writes anyway. This is the one place that path is declared.
PROC_SYS = "/proc/sys/"

# tools found through the module's get_bin_path (sbin included), not $PATH
LOOKED_UP = ("ufw", "modinfo", "systemd-detect-virt", "nmcli")


class CommandError(Exception):
    """A command on the host failed (or a host step the module runs)."""


def argv(name, **fields):
    """The argv of a declared command line."""
    out = []
    for word in COMMANDS[name].split():
        if word.startswith("{*"):
            out.extend(str(v) for v in fields[word[2:-1]])
        elif word.startswith("{"):
            out.append(str(fields[word[1:-1]]))
        else:
            out.append(word)
    return out


def describe(words):
    """A failed command, shortened: what comes after the eighth word is more
    of a long list (peers' allowed IPs, say)."""
    return " ".join(words[:8])


def sysctl_path(key):
    """net.ipv4.ip_forward -> /proc/sys/net/ipv4/ip_forward"""
    return PROC_SYS + key.replace(".", "/")


def sysctl(key):
    """The live value of a kernel setting, stripped, or None when it cannot be read."""
    try:
        with open(sysctl_path(key)) as handle:
            return handle.read().strip()
    except OSError:
        return None


def set_sysctl(key, value):
    """Set a kernel setting now (not persisted)."""
    try:
        with open(sysctl_path(key), "w") as handle:
            handle.write("%s\n" % value)
    except OSError as exc:
        raise CommandError("cannot set %s: %s (is /proc/sys read-only, as in an unprivileged container?)" % (key, exc))


class Runner:
    def __init__(self, run_command, get_bin_path=None, look_up_all=False):
        self.run_command = run_command
        self.get_bin_path = get_bin_path
        # look up every tool, not only LOOKED_UP: for a module that reads a
        # host half set up, where any tool may be missing (run_command fails
        # the task on a missing executable; a read should find nothing)
        self.look_up_all = look_up_all
        self._found = {}

    def which(self, tool):
        """The path of a looked-up tool, or None when it is not installed."""
        if tool not in self._found:
            self._found[tool] = self.get_bin_path(tool) if self.get_bin_path else tool
        return self._found[tool]

    def has(self, tool):
        return bool(self.which(tool))

    def run(self, words, check=True):
        """Run an argv (planned by a pure core, or made by argv()) -> (rc, stdout)."""
        rc, out, err = self.run_command(words)
        if check and rc != 0:
            raise CommandError("%s failed (rc=%d): %s" % (describe(words), rc, (err or out).strip()))
        return rc, out

    def __call__(self, name, check=True, **fields):
        """Run the declared command ``name`` -> (rc, stdout)."""
        words = argv(name, **fields)
        if self.look_up_all or words[0] in LOOKED_UP:
            path = self.which(words[0])
            if not path:
                if not check:
                    return 127, ""  # as a shell says it: a read of a tool that is not there finds nothing
                raise CommandError("%s is not installed" % words[0])
            words[0] = path
        return self.run(words, check)

    def output(self, name, **fields):
        """Stripped stdout of a read that may fail (then '')."""
        rc, out = self(name, check=False, **fields)
        return out.strip() if rc == 0 else ""
