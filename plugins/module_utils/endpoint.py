"""The one parser of WireGuard endpoints (``host``, ``host:port``,
``[v6]:port``), used by the inventory check, the peer module, live
reconciliation and the status report alike, so they cannot disagree on what
an endpoint is.

Why strict: wg-quick takes an ``Endpoint =`` line as it is, so a URL, a path
or an unbracketed IPv6 address with a port becomes a peer that never
handshakes, and nothing says why.
"""

from __future__ import annotations

import ipaddress
import re

# a DNS name or an IPv4 address: labels of letters, digits, '-' and '_'
_NAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$")
FORMS = "write host, host:port or [v6]:port (such as vpn.example.org:51820 or [2001:db8::1]:51820)"


class EndpointError(ValueError):
    """Not an endpoint; the message says what is wrong with it."""


def _port(text, whole):
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise EndpointError("%r: port %r is not a number from 1 to 65535" % (whole, text))
    return int(text)


def parse(text, default_port=None):
    """'host', 'host:port' or '[v6]:port' -> (host, port or default_port).

    Raises EndpointError for anything wg-quick would not dial: a list, a
    URL scheme, a path, an unbracketed IPv6 address, an empty host or port."""
    if not isinstance(text, str):
        raise EndpointError("%r is a %s, not one endpoint" % (text, type(text).__name__))
    whole = text
    text = text.strip()
    if not text:
        raise EndpointError("the endpoint is empty")
    if "://" in text:
        raise EndpointError("%r has a URL scheme" % whole)
    if "/" in text:
        raise EndpointError("%r has a path or a prefix length" % whole)
    if any(c in text for c in " ,;"):
        raise EndpointError("%r is more than one value" % whole)
    if text.startswith("["):
        host, closed, rest = text[1:].partition("]")
        if not closed:
            raise EndpointError("%r has no closing ]" % whole)
        try:
            ipaddress.IPv6Address(host.split("%")[0])
        except ValueError:
            raise EndpointError("%r: %r in brackets is not an IPv6 address" % (whole, host))
        if not rest:
            return host, default_port
        if not rest.startswith(":"):
            raise EndpointError("%r: only :port may follow ]" % whole)
        return host, _port(rest[1:], whole)
    if text.count(":") > 1:
        try:
            return str(ipaddress.IPv6Address(text)), default_port  # a bare address, no port
        except ValueError:
            raise EndpointError("%r is an IPv6 address with a port but without brackets" % whole)
    host, colon, port = text.partition(":")
    if not _NAME.match(host):
        raise EndpointError("%r: %r is not a host name or an IP address" % (whole, host))
    if colon:
        return host, _port(port, whole)
    return host, default_port


def join(host, port):
    """The endpoint as wg writes it: IPv6 in brackets."""
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


def split_live(text):
    """An endpoint as wg or ss reports it ('1.2.3.4:51820', '[fe80::1%eth0]:51820',
    '*:51820') -> (host, port as text); port '' when there is none."""
    host, dummy, port = (text or "").rpartition(":")
    if not dummy:
        return text or "", ""
    return host.strip("[]"), port


def ip_of(host):
    """The host part as an ip_address, or None when it is a name."""
    try:
        return ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return None
