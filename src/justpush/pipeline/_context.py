"""What one running job holds, and the helpers its stages use to report."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from justpush import store
from justpush.config import Settings
from justpush.errors import JustPushError, StageFailed
from justpush.kong import generate_api_key
from justpush.store import AnalyzeResult, Cipher, DeploymentRevision, Upload

from ._events import EventBroker, record_event, transition
from ._status import TERMINAL, DeploymentStatus

T = TypeVar("T")


@dataclass
class JobContext:
    job_id: str
    upload_id: str
    kind: str
    user_id: int | None
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    cipher: Cipher
    broker: EventBroker
    # Set when someone cancels the job (in this process, or through the job row from any other).
    cancelled: anyio.Event = field(default_factory=anyio.Event)
    cancelled_by: str = ""
    warnings: list[str] = field(default_factory=list)
    _buffer: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def cancel(self, actor: str) -> None:
        if not self.cancelled.is_set():
            self.cancelled_by = actor
            self.cancelled.set()

    def cancel_message(self) -> str:
        return f"cancelled by {self.cancelled_by or 'someone'}"

    def check_cancelled(self, stage: DeploymentStatus) -> None:
        """The safe points between stages: a cancelled job stops here and its flow undoes what it made."""
        if self.cancelled.is_set():
            raise StageFailed(stage.value, self.cancel_message())

    async def cancellable(self, stage: DeploymentStatus, work: Awaitable[T]) -> T:
        """Await `work`, abandoning it with StageFailed as soon as the job is cancelled."""
        task = asyncio.ensure_future(work)
        watcher = asyncio.ensure_future(self.cancelled.wait())
        try:
            await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            task.cancel()
            raise
        finally:
            watcher.cancel()
        if task.done():
            return task.result()
        task.cancel()
        # Whatever the abandoned work says while it stops, the job's error is the cancellation.
        with contextlib.suppress(asyncio.CancelledError, JustPushError):
            await task
        raise StageFailed(stage.value, self.cancel_message())

    async def poll_cancel(self) -> None:
        """Pick up a cancel request written to the job row by another process."""
        if self.cancelled.is_set():
            return
        async with self.sessions() as session:
            actor = await store.job_cancel_requester(session, self.job_id)
        if actor is not None:
            self.cancel(actor)

    async def event(
        self, stage: str, kind: str, message: str = "", data: dict[str, Any] | None = None
    ) -> None:
        await record_event(
            self.sessions,
            self.broker,
            upload_id=self.upload_id,
            job_id=self.job_id,
            stage=stage,
            kind=kind,
            message=message,
            data=data,
        )

    def log_sink(self, stage: str) -> Callable[[str], None]:
        """A line callback (build and push logs; safe from any thread) buffering progress events.

        The worker writes the buffer every half second, so a chatty build costs a few transactions
        per second rather than one per line.
        """

        def emit(line: str) -> None:
            line = line.rstrip()
            if line:
                with self._lock:
                    self._buffer.append((stage, line))

        return emit

    async def flush_logs(self) -> None:
        with self._lock:
            lines, self._buffer = self._buffer, []
        if not lines:
            return
        async with self.sessions.begin() as session:
            for stage, line in lines:
                await store.add_event(
                    session,
                    upload_id=self.upload_id,
                    job_id=self.job_id,
                    stage=stage,
                    kind="progress",
                    message=line,
                )
        self.broker.notify(self.upload_id)

    async def warn(self, stage: str, message: str) -> None:
        self.warnings.append(message)
        await self.event(stage, "warning", message)

    async def set_status(self, status: DeploymentStatus, message: str = "", **fields: Any) -> None:
        """Transition the deployment status (and update record fields) in one transaction, then heartbeat."""
        async with self.sessions.begin() as session:
            result = await store.ensure_analyze_result(session, self.upload_id)
            for name, value in fields.items():
                setattr(result, name, value)
            await transition(session, result, status, job_id=self.job_id, message=message)
            job = await store.get_job(session, self.job_id)
            # The job keeps the stage it reached, so a failure says where it happened.
            await store.heartbeat_job(session, job, stage=None if status in TERMINAL else status.value)
        self.broker.notify(self.upload_id)

    async def update_record(self, **fields: Any) -> None:
        async with self.sessions.begin() as session:
            result = await store.ensure_analyze_result(session, self.upload_id)
            for name, value in fields.items():
                setattr(result, name, value)

    async def heartbeat(self) -> None:
        async with self.sessions.begin() as session:
            job = await store.get_job(session, self.job_id)
            await store.heartbeat_job(session, job)

    async def load_upload(self) -> tuple[Upload, AnalyzeResult | None]:
        async with self.sessions() as session:
            upload = await store.get_upload(session, self.upload_id, owner_id=None)
            record = await store.get_analyze_result(session, self.upload_id)
            session.expunge_all()
            return upload, record

    async def latest_revision(self) -> DeploymentRevision | None:
        async with self.sessions() as session:
            revision = await store.latest_revision(session, self.upload_id)
            session.expunge_all()
            return revision

    async def developer_key(self) -> SecretStr:
        """The upload's developer API key: the stored one, else a new one stored encrypted."""
        async with self.sessions.begin() as session:
            record = await store.ensure_analyze_result(session, self.upload_id)
            key = store.developer_api_key(record, self.cipher)
            if key is None:
                key = generate_api_key().get_secret_value()
                store.set_developer_api_key(record, key, self.cipher)
                record.api_key_revealed_at = None
        return SecretStr(key)
