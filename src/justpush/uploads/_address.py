"""Which hosts a git URL may reach: public addresses only, unless the operator allows a host.

A server-side clone is a request the server makes on the user's behalf, so `git_url` must not reach
loopback, private ranges, link-local (cloud metadata at 169.254.169.254), carrier-grade NAT,
multicast or reserved addresses. The host name is resolved here and every address it resolves to
must be public; the clone is then pinned to exactly those addresses (`http.curloptResolve`), so a
second DNS answer cannot point git somewhere else. `uploads.gitAllowedHosts` lists the exceptions
for internal git servers: host names (matched exactly, case-insensitively) or IP networks in CIDR
notation ("10.1.2.0/24", "127.0.0.1/32").
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from justpush.config import UploadSettings
from justpush.errors import UploadError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_DEFAULT_PORTS = {"https": 443, "http": 80, "ssh": 22, "git": 9418}


@dataclass(frozen=True)
class ResolvedHost:
    host: str
    port: int
    addresses: tuple[str, ...]
    # True when the operator allowed the host by name: git resolves it itself.
    allowed_by_name: bool = False


def unreachable(shown_url: str) -> UploadError:
    """The one error for every way a clone can fail to connect, so ports cannot be told apart."""
    return UploadError(
        f"git clone of {shown_url} failed: the repository cannot be reached, does not exist, "
        "needs credentials or took too long",
        details={"reason": "git_failed"},
    )


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address leads to: mapped, NAT64, 6to4, Teredo."""
    embedded = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    if address in _NAT64:
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [a for a in embedded if a is not None]


def _public(address: IPAddress) -> bool:
    if not address.is_global or address.is_multicast:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        return all(_public(inner) for inner in _embedded_ipv4(address))
    return True


def _allowed_networks(settings: UploadSettings) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for entry in settings.git_allowed_hosts:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue
    return networks


async def _resolve(host: str, port: int) -> list[IPAddress]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


async def resolve_git_host(url: str, shown_url: str, settings: UploadSettings) -> ResolvedHost | None:
    """The checked addresses of the URL's host; None for file:// (no host). UploadError if refused."""
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        return None
    scheme = parts.scheme.lower()
    port = parts.port or _DEFAULT_PORTS.get(scheme, 443)
    if host.lower() in {entry.lower() for entry in settings.git_allowed_hosts}:
        return ResolvedHost(host, port, (), allowed_by_name=True)
    try:
        addresses = await _resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise unreachable(shown_url) from exc
    if not addresses:
        raise unreachable(shown_url)
    networks = _allowed_networks(settings)
    for address in addresses:
        if not _public(address) and not any(address in network for network in networks):
            raise UploadError(
                f"git_url host '{host}' resolves to an internal address; an operator can allow "
                "internal git servers in uploads.gitAllowedHosts",
                details={"reason": "internal_address"},
            )
    return ResolvedHost(host, port, tuple(dict.fromkeys(str(a) for a in addresses)))


def curl_resolve_option(resolved: ResolvedHost) -> str:
    """`host:port:addr,…` for git's `http.curloptResolve`: curl connects only to the checked addresses."""
    listed = ",".join(f"[{a}]" if ":" in a else a for a in resolved.addresses)
    return f"{resolved.host}:{resolved.port}:{listed}"
