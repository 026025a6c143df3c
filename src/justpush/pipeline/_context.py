"""What one running job holds, and the helpers its stages use to report.

A job runs under a lease (`deployment_jobs.lease`, raised by every claim and takeover). Every write of
the job goes through `JobContext.transaction()`, which checks the lease in the same transaction, and every
call to the registry, the cluster or Kong checks it first (`fence`). A worker that finds its lease gone
raises LeaseLost and abandons the job: it writes nothing more and touches nothing outside the database.

Writes made inside an open `transaction()` of the same job (events, status, record fields) join it, so
a stage hand-off that writes several rows costs one commit; readers are woken after that commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, cast

import anyio
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from justpush import store
from justpush.config import Settings
from justpush.errors import JustPushError, StageFailed
from justpush.kong import generate_api_key
from justpush.store import AnalyzeResult, Cipher, DeploymentRevision, Upload

from ._events import EventBroker, transition
from ._services import Services
from ._status import TERMINAL, DeploymentStatus

T = TypeVar("T")
logger = logging.getLogger(__name__)


@dataclass
class _Open:
    """The transaction a task of a job holds open, and whether its writes owe readers a wake-up."""

    ctx: JobContext
    session: AsyncSession
    announce: bool = False


# A context variable, not an attribute: only the task that opened the transaction (and nothing running
# beside it, such as the job's ticker or the Kong sync) writes into it.
_OPEN: contextvars.ContextVar[_Open | None] = contextvars.ContextVar("justpush_job_transaction", default=None)


class LeaseLost(Exception):
    """The job was taken over by another worker (or finished by it): stop, write and touch nothing.

    Deliberately outside JustPushError: no handler of stage errors may catch it and carry on undoing.
    """

    def __init__(self, job_id: str, lease: int) -> None:
        super().__init__(f"job {job_id} is no longer held under lease {lease}")
        self.job_id = job_id
        self.lease = lease


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
    lease: int = 0
    # Set once a lease check failed: the job belongs to another worker now.
    lost: bool = False
    # Set when someone cancels the job (in this process, or through the job row from any other).
    cancelled: anyio.Event = field(default_factory=anyio.Event)
    cancelled_by: str = ""
    warnings: list[str] = field(default_factory=list)
    # Set when undoing a failure left something behind: what serves is then unknown.
    undo_incomplete: bool = False
    _buffer: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # The lease check in flight: fenced calls made while it runs wait for it instead of starting another.
    _lease_check: asyncio.Future[None] | None = None
    # Read once: the Kong sync and the smoke test through the gateway use the same key.
    _developer_key: SecretStr | None = None
    # Sessions for reads outside the job's transactions: they never wait for a writer (store.reader_factory).
    readers: async_sessionmaker[AsyncSession] = field(init=False)

    def __post_init__(self) -> None:
        self.readers = store.reader_factory(self.sessions)

    def cancel(self, actor: str) -> None:
        if not self.cancelled.is_set():
            self.cancelled_by = actor
            self.cancelled.set()

    def cancel_message(self) -> str:
        return f"cancelled by {self.cancelled_by or 'someone'}"

    def lose(self) -> LeaseLost:
        """Mark the lease lost and stop running work at once (builds and rollouts watch `cancelled`)."""
        if not self.lost:
            self.lost = True
            logger.warning(
                "lease lost: job %s was taken over, abandoning it",
                self.job_id,
                extra={"stage": "job", "upload_id": self.upload_id, "job_id": self.job_id},
            )
        if not self.cancelled.is_set():
            self.cancelled_by = "lease lost"
            self.cancelled.set()
        return LeaseLost(self.job_id, self.lease)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A transaction that holds only while this worker still holds the job's lease (else LeaseLost).

        Inside another transaction of this job in the same task, it is that transaction: its writes are
        committed together with the outer ones.
        """
        held = self._held()
        if held is not None:
            yield held.session
            return
        if self.lost:
            raise LeaseLost(self.job_id, self.lease)
        async with self.sessions.begin() as session:
            if not await store.hold_lease(session, self.job_id, self.lease):
                raise self.lose()
            opened = _Open(self, session)
            token = _OPEN.set(opened)
            try:
                yield session
            finally:
                _OPEN.reset(token)
        if opened.announce:
            self.broker.notify(self.upload_id)

    def _held(self) -> _Open | None:
        """The transaction of this job the current task holds open, if any."""
        held = _OPEN.get()
        return held if held is not None and held.ctx is self else None

    def _announce(self) -> None:
        """Wake the upload's event readers once what was just written is committed."""
        held = self._held()
        if held is not None:
            held.announce = True
        else:
            self.broker.notify(self.upload_id)

    async def ensure_lease(self) -> None:
        """The check before an external step (and the heartbeat): LeaseLost once the job was taken over.

        Calls made while a check is under way wait for it instead of starting another. Its answer is no
        older than its commit, and a lease is taken over only from a worker whose process is gone or
        whose heartbeat (which that check renewed) went stale.
        """
        if self._held() is not None:
            return  # the open transaction checked it, and holds the job's row until it commits
        check = self._lease_check
        if check is None or check.done():
            check = self._lease_check = asyncio.ensure_future(self._hold_lease())
            # Read here too, so a failed check nobody waits for any more is not reported as unretrieved.
            check.add_done_callback(lambda done: done.cancelled() or done.exception())
        await asyncio.shield(check)

    async def _hold_lease(self) -> None:
        async with self.transaction():
            pass

    def check_cancelled(self, stage: DeploymentStatus) -> None:
        """The safe points between stages: a cancelled job stops here and its flow undoes what it made."""
        if self.lost:
            raise LeaseLost(self.job_id, self.lease)
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
        with contextlib.suppress(asyncio.CancelledError, JustPushError, LeaseLost):
            await task
        self.check_cancelled(stage)
        raise StageFailed(stage.value, self.cancel_message())

    async def poll_cancel(self) -> None:
        """Pick up a cancel request written to the job row by another process."""
        if self.cancelled.is_set():
            return
        async with self.readers() as session:
            actor = await store.job_cancel_requester(session, self.job_id)
        if actor is not None:
            self.cancel(actor)

    async def event(
        self, stage: str, kind: str, message: str = "", data: dict[str, Any] | None = None
    ) -> None:
        async with self.transaction() as session:
            await store.add_event(
                session,
                upload_id=self.upload_id,
                job_id=self.job_id,
                stage=stage,
                kind=kind,
                message=message,
                data=data,
            )
        self._announce()
        log = logger.warning if kind == "error" else logger.info
        log(
            message or kind,
            extra={"stage": stage, "upload_id": self.upload_id, "job_id": self.job_id, "event": kind},
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
        async with self.transaction() as session:
            await store.add_progress(session, upload_id=self.upload_id, job_id=self.job_id, lines=lines)
        self._announce()

    async def warn(self, stage: str, message: str) -> None:
        self.warnings.append(message)
        await self.event(stage, "warning", message)

    async def set_status(self, status: DeploymentStatus, message: str = "", **fields: Any) -> None:
        """Transition the deployment status (and update record fields) in one transaction."""
        async with self.transaction() as session:
            result = await store.ensure_analyze_result(session, self.upload_id)
            for name, value in fields.items():
                setattr(result, name, value)
            await transition(session, result, status, job_id=self.job_id, message=message)
            # The job keeps the stage it reached, so a failure says where it happened.
            if status not in TERMINAL:
                await store.set_job_stage(session, self.job_id, status.value)
        self._announce()

    async def update_record(self, **fields: Any) -> None:
        async with self.transaction() as session:
            result = await store.ensure_analyze_result(session, self.upload_id)
            for name, value in fields.items():
                setattr(result, name, value)

    async def record_artifacts(self, *, image: str, local_image: str) -> None:
        """Name on the job what it is about to create, before creating it, so recovery can remove it."""
        async with self.transaction() as session:
            job = await store.get_job(session, self.job_id)
            job.image, job.local_image = image, local_image

    async def heartbeat(self) -> None:
        await self.ensure_lease()

    async def load_upload(self) -> tuple[Upload, AnalyzeResult | None]:
        async with self.readers() as session:
            upload = await store.get_upload(session, self.upload_id, owner_id=None)
            record = await store.get_analyze_result(session, self.upload_id)
            session.expunge_all()
            return upload, record

    async def latest_revision(self) -> DeploymentRevision | None:
        async with self.readers() as session:
            revision = await store.latest_revision(session, self.upload_id)
            session.expunge_all()
            return revision

    async def developer_key(self) -> SecretStr:
        """The upload's developer API key: the stored one, else a new one stored encrypted.

        Only jobs write it, one at a time per upload, so the job reads it once.
        """
        if self._developer_key is not None:
            return self._developer_key
        # A key read inside a wider transaction is kept only once that one commits.
        keep = self._held() is None
        async with self.transaction() as session:
            record = await store.ensure_analyze_result(session, self.upload_id)
            key = store.developer_api_key(record, self.cipher)
            if key is None:
                key = generate_api_key().get_secret_value()
                store.set_developer_api_key(record, key, self.cipher)
                record.api_key_revealed_at = None
        if keep:
            self._developer_key = SecretStr(key)
        return SecretStr(key)


class _Fenced:
    """A client whose every coroutine method first checks the job's lease."""

    def __init__(self, target: object, check: Callable[[], Awaitable[None]]) -> None:
        self._target = target
        self._check = check

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute

        @functools.wraps(attribute)
        async def checked(*args: Any, **kwargs: Any) -> Any:
            await self._check()
            return await attribute(*args, **kwargs)

        return checked


def fence(services: Services, ctx: JobContext) -> Services:
    """`services` with the registry, the cluster and Kong behind the job's lease.

    The local Docker engine stays unfenced: a worker that lost its lease still removes the build tag
    only its own job created (`flows._undo` keeps shared tags for the job's new owner).
    """
    check = ctx.ensure_lease
    return replace(
        services,
        registry=cast(Any, _Fenced(services.registry, check)),
        cluster=cast(Any, _Fenced(services.cluster, check)),
        gateway=cast(Any, _Fenced(services.gateway, check)) if services.gateway is not None else None,
        gateway_http=cast(Any, _Fenced(services.gateway_http, check))
        if services.gateway_http is not None
        else None,
    )
