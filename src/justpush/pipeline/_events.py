"""Stage events: stored in the database (the source of truth, read by SSE) and announced in-process."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy.ext.asyncio import AsyncSession

from justpush import store
from justpush.store import AnalyzeResult

from ._status import DeploymentStatus, check_transition


class EventBroker:
    """Wakes readers of an upload's event stream as soon as this process stores an event.

    Readers still poll the database on a timeout, so events written by another process (another
    API replica, a worker) reach them too — only a little later.
    """

    def __init__(self) -> None:
        self._waiters: dict[str, asyncio.Event] = {}

    def notify(self, upload_id: str) -> None:
        waiter = self._waiters.pop(upload_id, None)
        if waiter is not None:
            waiter.set()

    async def wait(self, upload_id: str, timeout: float) -> None:
        waiter = self._waiters.setdefault(upload_id, asyncio.Event())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(waiter.wait(), timeout)


async def transition(
    session: AsyncSession,
    result: AnalyzeResult,
    new: DeploymentStatus,
    *,
    job_id: str | None,
    message: str = "",
) -> None:
    """The only way a deployment status changes: checked, stored, and recorded as a `status` event."""
    current = DeploymentStatus(result.deployment_status) if result.deployment_status else None
    if current != new:
        check_transition(current, new)
    result.deployment_status = new.value
    await store.add_event(
        session,
        upload_id=result.upload_id,
        job_id=job_id,
        stage=new.value,
        kind="status",
        message=message or new.value,
        data={"from": current.value if current else None, "to": new.value},
    )
