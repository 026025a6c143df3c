"""Which TCP ports a running app listens on, read from the kernel's socket tables (`/proc/net/tcp`,
`/proc/net/tcp6`, which gVisor serves too), and what that means for the port traffic is sent to."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

_LISTEN = "0A"


@dataclass(frozen=True)
class ListeningSocket:
    address: str
    port: int

    @property
    def loopback(self) -> bool:
        return ipaddress.ip_address(self.address).is_loopback


def _address(hex_address: str) -> str:
    """The kernel prints addresses as 32-bit words in host (little-endian) order."""
    raw = bytes.fromhex(hex_address)
    swapped = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    address = ipaddress.ip_address(swapped)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def listening_sockets(tables: str) -> tuple[ListeningSocket, ...]:
    """The listening sockets in the text of `/proc/net/tcp` and `/proc/net/tcp6` (headers included)."""
    found: set[ListeningSocket] = set()
    for line in tables.splitlines():
        fields = line.split()
        if len(fields) < 4 or fields[3] != _LISTEN or ":" not in fields[1]:
            continue
        hex_address, hex_port = fields[1].rsplit(":", 1)
        try:
            found.add(ListeningSocket(_address(hex_address), int(hex_port, 16)))
        except ValueError:
            continue
    return tuple(sorted(found, key=lambda s: (s.port, s.address)))


def port_problem(port: int, sockets: tuple[ListeningSocket, ...]) -> str | None:
    """Why traffic to `port` would not reach the app, or None when it would (or nothing can be said: an
    app that listens on nothing yet may still be starting)."""
    if not sockets:
        return None
    on_port = [s for s in sockets if s.port == port]
    if on_port and all(s.loopback for s in on_port):
        return (
            f"the app listens on port {port} only on {', '.join(s.address for s in on_port)}, which other "
            f"pods cannot reach: make it listen on 0.0.0.0 (all interfaces)"
        )
    if on_port:
        return None
    reachable = sorted({s.port for s in sockets if not s.loopback})
    if not reachable:
        return None
    listed = ", ".join(str(p) for p in reachable)
    return (
        f"the app listens on port {listed}, not on {port}, where the deployment sends traffic: "
        f"deploy with the port it uses (--port {reachable[0]}, or the `port` override)"
    )


def served_port(port: int, sockets: tuple[ListeningSocket, ...]) -> int | None:
    """The one port other pods can reach the app on when it does not listen on `port` at all, or None
    (it does listen there, on nothing yet, or on several ports, where guessing would be wrong)."""
    if any(s.port == port for s in sockets):
        return None
    reachable = {s.port for s in sockets if not s.loopback}
    return reachable.pop() if len(reachable) == 1 else None
