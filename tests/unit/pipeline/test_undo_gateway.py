"""Undoing an interrupted job while Kong cannot answer: Kong's part is owed, not an incomplete undo."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from justpush import pipeline, store
from justpush.config import Settings
from justpush.errors import KongError
from justpush.pipeline.flows._undo import undo_gateway
from justpush.security import SecretBox
from tests.security.support import running_job


class Gateway:
    """Kong's Admin API answering `error` to every removal."""

    def __init__(self, error: KongError) -> None:
        self.error = error

    async def delete(self, upload_id: str) -> Any:
        raise self.error


@pytest.mark.parametrize(
    ("error", "owed"),
    [
        (KongError("DELETE /services/x: Kong Admin API unreachable (ConnectError)"), True),
        (KongError("DELETE /services/x: Kong answered HTTP 403", status=403), False),
    ],
)
async def test_kong_that_cannot_answer_owes_the_undo(
    sessions: async_sessionmaker[AsyncSession],
    box: SecretBox,
    upload: store.Upload,
    make_settings: Callable[..., Settings],
    error: KongError,
    owed: bool,
) -> None:
    ctx = await running_job(sessions, box, upload, make_settings())
    services = pipeline.Services(None, None, None, Gateway(error), None)  # type: ignore[arg-type]
    await undo_gateway(ctx, services, previous=None)
    _, record = await ctx.load_upload()
    assert record is not None
    if owed:
        assert f"upload:{upload.id}" in (record.gateway_owed or "") and not ctx.undo_incomplete
    else:
        # A refusal is no debt: what Kong holds is unknown, the undo incomplete.
        assert record.gateway_owed is None and ctx.undo_incomplete
    assert ctx.warnings
