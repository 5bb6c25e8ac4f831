"""Who is at the other end of a request: the client's address, and whether it came by HTTPS.

The TCP peer is the client unless it is one of the configured trusted proxies
(``CAMPUSGATE_WEB__TRUSTED_PROXIES``, none by default, the demo included).  Only then
is ``X-Forwarded-For`` read, from the right, skipping the trusted hops: the first
address a trusted proxy did not vouch for is the client's (whatever a client writes
to the left of it is its own claim).  ``X-Forwarded-Proto`` is believed from a
trusted proxy only, as its last value (the one the nearest proxy set).

uvicorn must not rewrite the peer itself (``proxy_headers=False``, see
:mod:`services.web.serve`): by default it believes X-Forwarded-For from 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"
MAX_HOPS = 20  # a longer chain is a client's invention, never a proxy's


@dataclass(frozen=True, slots=True)
class Peer:
    address: str
    https: bool


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address: str, proxies: Sequence[IPNetwork]) -> bool:
    ip = _ip(address)
    if ip is None:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in proxies)


def _last_value(header: str | None) -> str:
    return header.split(",")[-1].strip().lower() if header else ""


def peer_of(
    *,
    host: str | None,
    scheme: str,
    forwarded_for: list[str],
    forwarded_proto: str | None,
    proxies: Sequence[IPNetwork],
) -> Peer:
    """The client's address and scheme from the TCP peer and the forwarding headers."""
    address = host or UNKNOWN
    https = scheme == "https"
    if not proxies or not _trusted(address, proxies):
        return Peer(address, https)
    hops = [hop.strip() for line in forwarded_for for hop in line.split(",") if hop.strip()]
    for hop in reversed(hops[-MAX_HOPS:]):
        ip = _ip(hop)
        if ip is None:
            break  # garbage: keep the last address a trusted hop vouched for
        address = str(ip)
        if not _trusted(address, proxies):
            break
    return Peer(address, https or _last_value(forwarded_proto) == "https")
