# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller's own address on the path to each host, for the lockout
guard: a tunnel prefix on the host that holds it would route the host's
replies to the controller into the tunnel, even when the host's own
management address is outside that prefix. The fleet action hands
source_address to pipeline.run, which asks it once per address."""

from __future__ import annotations

import ipaddress
import socket


def source_address(address):
    """The address this machine sends from to reach ``address``, or None.
    A UDP connect only asks the kernel for a route: no packet is sent."""
    ip = ipaddress.ip_address(address)
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect((str(ip), 9))
            return sock.getsockname()[0].split("%")[0]
    except OSError:
        return None
