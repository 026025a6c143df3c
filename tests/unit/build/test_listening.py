"""The sockets an app listens on, read from /proc/net/tcp{,6}, and whether traffic to its port reaches it."""

from __future__ import annotations

import pytest

from justpush.build._listening import ListeningSocket, listening_sockets, port_problem, served_port

HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
HEADER6 = "  sl  local_address                         remote_address                        st\n"


def _row(local: str, state: str = "0A") -> str:
    return f"   0: {local} 00000000:0000 {state} 00000000:00000000 00:00000000 00000000     0        0 1\n"


def test_listening_sockets_of_both_tables() -> None:
    tables = (
        HEADER
        + _row("00000000:1B9F")  # 0.0.0.0:7071
        + _row("0100007F:0BB8")  # 127.0.0.1:3000
        + _row("0100007F:1F90", state="01")  # an established connection, not a listener
        + HEADER6
        + _row("00000000000000000000000000000000:1BA0")  # [::]:7072
        + _row("00000000000000000000000001000000:2328")  # [::1]:9000
        + _row("0000000000000000FFFF00000100007F:1F40")  # ::ffff:127.0.0.1:8000
    )
    assert listening_sockets(tables) == (
        ListeningSocket("127.0.0.1", 3000),
        ListeningSocket("0.0.0.0", 7071),
        ListeningSocket("::", 7072),
        ListeningSocket("127.0.0.1", 8000),
        ListeningSocket("::1", 9000),
    )


def test_garbage_lines_are_ignored() -> None:
    assert listening_sockets("no table here\n   0: zz:zz 0 0A\n") == ()


@pytest.mark.parametrize(
    ("sockets", "expected"),
    [
        ((ListeningSocket("0.0.0.0", 8000),), None),
        ((ListeningSocket("::", 8000), ListeningSocket("127.0.0.1", 9229)), None),
        ((), None),  # nothing bound yet: may still be starting, nothing to say
        ((ListeningSocket("127.0.0.1", 9229),), None),  # only a loopback helper: nothing to say
        ((ListeningSocket("0.0.0.0", 7071),), "listens on port 7071, not on 8000"),
        ((ListeningSocket("127.0.0.1", 8000),), "only on 127.0.0.1, which other pods cannot reach"),
        (
            (ListeningSocket("127.0.0.1", 8000), ListeningSocket("::1", 8000)),
            "only on 127.0.0.1, ::1, which other pods cannot reach",
        ),
    ],
)
def test_port_problem(sockets: tuple[ListeningSocket, ...], expected: str | None) -> None:
    problem = port_problem(8000, sockets)
    if expected is None:
        assert problem is None
    else:
        assert problem is not None and expected in problem


@pytest.mark.parametrize(
    ("sockets", "expected"),
    [
        ((ListeningSocket("0.0.0.0", 7071),), 7071),
        # A loopback-only helper beside it changes nothing: other pods cannot reach it anyway.
        ((ListeningSocket("::", 7071), ListeningSocket("127.0.0.1", 9229)), 7071),
        # The same port on IPv4 and IPv6 is one port.
        ((ListeningSocket("0.0.0.0", 7071), ListeningSocket("::", 7071)), 7071),
        ((ListeningSocket("0.0.0.0", 8000),), None),  # it listens where expected
        ((ListeningSocket("127.0.0.1", 8000), ListeningSocket("0.0.0.0", 7071)), None),  # on 8000, loopback
        ((ListeningSocket("0.0.0.0", 7071), ListeningSocket("0.0.0.0", 9090)), None),  # which one: unknown
        ((ListeningSocket("127.0.0.1", 7071),), None),
        ((), None),
    ],
)
def test_served_port(sockets: tuple[ListeningSocket, ...], expected: int | None) -> None:
    assert served_port(8000, sockets) == expected
