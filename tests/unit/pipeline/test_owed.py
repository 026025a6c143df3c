"""What Kong owes after a job could not reach it: which failures are owed, what a debt says and asks for."""

from __future__ import annotations

import pytest

from justpush.errors import KongError
from justpush.pipeline._owed import caught_up_warnings, owed_cleanup, owed_sync, owes_sync, unreachable


@pytest.mark.parametrize(
    ("error", "owed"),
    [
        (KongError("GET /: Kong Admin API unreachable (ConnectError: refused)"), True),
        (KongError("GET /: Kong Admin API timed out"), True),
        (KongError("PUT /services/x: Kong answered HTTP 503", status=503), True),
        (KongError("PUT /services/x: Kong answered HTTP 500", status=500), True),
        # Kong answered and refused: the same request cannot succeed later.
        (KongError("PUT /routes/x: Kong answered HTTP 400 — schema violation", status=400), False),
        (KongError("GET /: Kong answered HTTP 401", status=401), False),
    ],
)
def test_only_a_kong_that_could_not_answer_is_owed(error: KongError, owed: bool) -> None:
    assert unreachable(error) is owed


def test_a_sync_debt_names_the_revision_the_tag_and_the_reason() -> None:
    text = owed_sync("u-1", 3, "PUT /services/x: Kong Admin API unreachable")
    assert "revision 3" in text and "upload:u-1" in text and "Kong Admin API unreachable" in text
    assert "routes, plugins and consumer" in text
    # The job's warning is the debt: a caught-up gateway drops it, and only it.
    assert caught_up_warnings([text]) == []


def test_a_cleanup_debt_names_the_tag() -> None:
    assert "upload:u-2" in owed_cleanup("u-2", "timed out")


@pytest.mark.parametrize(
    ("before", "info", "sync"),
    [
        ("DEPLOYED_WITH_WARNINGS", {"namespace": "apps"}, True),
        ("DEPLOYED", {"namespace": "apps"}, True),
        ("ROLLED_BACK", {"namespace": "apps"}, True),
        # Nothing serves: Kong owes the removal of everything tagged with the upload.
        ("DELETED", None, False),
        ("FAILED", {"namespace": "apps"}, False),
        ("DEPLOYED_WITH_WARNINGS", None, False),
        (None, None, False),
    ],
)
def test_what_is_owed_follows_what_serves(
    before: str | None, info: dict[str, object] | None, sync: bool
) -> None:
    assert owes_sync(before, info) is sync


def test_warnings_that_still_hold_once_kong_caught_up() -> None:
    writable = "the root filesystem is writable (read_only_root: false): files the app writes are lost"
    previous = [
        writable,
        owed_sync("u-1", 2, "timed out"),
        "Kong configuration failed, the app keeps running: HTTP 400",
        "smoke test via service: GET /items -> 500",
    ]
    assert caught_up_warnings(previous) == [writable]
