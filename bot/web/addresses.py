"""Who is asking, as far as an address tells: the client address behind trusted proxies, and the key that
abuse limits count by (an IPv4 address, or an IPv6 /64 - one home or phone gets a whole /64).

Without TRUSTED_PROXIES the peer address is the client: X-Forwarded-For is then ignored, since anyone can
write it. With it, the rightmost address in X-Forwarded-For that is not a trusted proxy is the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_proxies(values: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip())


class ClientAddress:
    def __init__(self, trusted_proxies: Iterable[str] = ()) -> None:
        self.proxies = parse_proxies(trusted_proxies)

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.proxies)

    def of(self, request: web.Request) -> str:
        peer = request.remote or "unknown"
        if not self.proxies or not self._trusted(peer):
            return peer
        hops = [h.strip() for h in ",".join(request.headers.getall("X-Forwarded-For", [])).split(",") if h.strip()]
        for hop in reversed(hops):
            if not self._trusted(hop):
                return hop if _valid(hop) else peer
        return peer

    def key(self, request: web.Request) -> str:
        return address_key(self.of(request))


def address_key(address: str) -> str:
    """What limits count by: the IPv4 address itself, or the IPv6 /64 it belongs to."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True
