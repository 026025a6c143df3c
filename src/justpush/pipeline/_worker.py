"""The durable job runner: claims queued jobs, runs their flow, heartbeats, recovers after crashes.

Jobs are rows (`deployment_jobs`) written before anything runs; at most one queued or running job per
upload is enforced by a partial unique index. A job whose worker died (its process is gone, or its
heartbeat is older than `stale_after`) is recovered: idempotent kinds (rollback, delete) are queued
again; a deploy or redeploy is undone — the previous revision re-applied, or the upload's objects
removed — and marked FAILED with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from justpush import store
from justpush.config import Settings
from justpush.errors import ConflictError, JustPushError
from justpush.store import Cipher, DeploymentJob

from . import _flows as flows
from ._context import JobContext
from ._events import EventBroker, transition
from ._options import DeployOptions, RedeployOptions, RollbackOptions
from ._services import Services, open_services
from ._status import TERMINAL, DeploymentStatus

logger = logging.getLogger(__name__)

ServicesFactory = Callable[[Settings], AbstractAsyncContextManager[Services]]
_RESUMABLE = frozenset({"rollback", "delete"})
# Job kinds a running job of which stops on a cancel request (see `_flows`).
CANCELLABLE_KINDS = frozenset({"deploy", "redeploy"})


def this_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _process_gone(worker_id: str | None) -> bool:
    """True when worker_id names a process on this host that no longer runs."""
    if not worker_id or ":" not in worker_id:
        return False
    host, _, pid = worker_id.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def job_conflict(upload_id: str, running: DeploymentJob) -> ConflictError:
    """The 409 for a second pipeline of one upload, naming the job that runs."""
    stage = f", stage {running.stage}" if running.stage else ""
    return ConflictError(
        f"upload '{upload_id}' already has a {running.kind} job {running.id} ({running.status}{stage}); "
        "wait for it to finish",
        details={
            "job_id": running.id,
            "kind": running.kind,
            "status": running.status,
            "stage": running.stage,
        },
    )


async def submit_job(
    session: AsyncSession,
    cipher: Cipher,
    *,
    upload_id: str,
    kind: str,
    options: dict[str, Any],
    secret_options: dict[str, Any] | None,
    user_id: int | None,
) -> DeploymentJob:
    """Queue a job and move the deployment to PENDING in the caller's transaction.

    ConflictError (→ 409) names the job already queued or running for the upload.
    """
    try:
        job = await store.enqueue_job(
            session,
            cipher,
            upload_id=upload_id,
            kind=kind,
            options=options,
            secret_options=secret_options,
            created_by=user_id,
        )
    except ConflictError as exc:
        running = await store.active_job(session, upload_id)
        if running is None:
            raise
        raise job_conflict(upload_id, running) from exc
    record = await store.ensure_analyze_result(session, upload_id)
    current = DeploymentStatus(record.deployment_status) if record.deployment_status else None
    if current is not None and current not in TERMINAL and current is not DeploymentStatus.PENDING:
        # A status left mid-stage by a crash is settled by recovery; a new job waits behind it.
        raise ConflictError(f"upload '{upload_id}' is still {current}; wait for recovery to finish")
    await transition(session, record, DeploymentStatus.PENDING, job_id=job.id, message=f"{kind} queued")
    return job


class PipelineWorker:
    """The in-process worker: `async with PipelineWorker(...)` runs it for the server's lifetime."""

    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        broker: EventBroker,
        *,
        services_factory: ServicesFactory = open_services,
        poll_interval: float = 1.0,
        heartbeat_interval: float = 5.0,
        stale_after: float = 120.0,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.cipher = cipher
        self.broker = broker
        self.services_factory = services_factory
        self.worker_id = this_worker_id()
        self.poll_interval = poll_interval
        self.heartbeat_interval = heartbeat_interval
        self.stale_after = stale_after
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._current: dict[str, JobContext] = {}

    def wake(self) -> None:
        self._wake.set()

    async def __aenter__(self) -> PipelineWorker:
        await self.recover()
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="justpush-pipeline-worker")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        last_recovery = asyncio.get_running_loop().time()
        while True:
            try:
                ran = await self.run_next()
                if asyncio.get_running_loop().time() - last_recovery > self.stale_after / 2:
                    await self.recover()
                    last_recovery = asyncio.get_running_loop().time()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("pipeline worker iteration failed", extra={"stage": "worker"})
                ran = False
            if not ran:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_interval)
                self._wake.clear()

    async def run_next(self) -> bool:
        """Claim and run the oldest queued job; False when there was none."""
        async with self.sessions.begin() as session:
            job = await store.claim_next_job(session, worker_id=self.worker_id)
            if job is None:
                return False
            session.expunge(job)
        await self.run(job)
        return True

    async def run_until_idle(self) -> None:
        while await self.run_next():
            pass

    def cancel(self, job_id: str, actor: str) -> bool:
        """Stop a job this worker runs now, without waiting for its next look at the job row."""
        ctx = self._current.get(job_id)
        if ctx is None:
            return False
        ctx.cancel(actor)
        return True

    def _context(self, job: DeploymentJob) -> JobContext:
        return JobContext(
            job_id=job.id,
            upload_id=job.upload_id,
            kind=job.kind,
            user_id=job.created_by,
            settings=self.settings,
            sessions=self.sessions,
            cipher=self.cipher,
            broker=self.broker,
        )

    async def run(self, job: DeploymentJob) -> None:
        ctx = self._context(job)
        self._current[job.id] = ctx
        ticker = asyncio.get_running_loop().create_task(self._tick(ctx))
        log_extra = {"stage": "job", "upload_id": job.upload_id, "job_id": job.id, "kind": job.kind}
        logger.info("job started", extra=log_extra)
        error: str | None = None
        try:
            async with self.services_factory(self.settings) as services:
                await self._dispatch(ctx, services, job)
        except JustPushError as exc:
            error = exc.message
        except Exception as exc:
            logger.exception("job crashed", extra=log_extra)
            error = f"internal error: {type(exc).__name__}: {exc}"
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            self._current.pop(job.id, None)
        await ctx.flush_logs()
        if error is not None:
            await ctx.event("FAILED", "error", error)
            await ctx.set_status(DeploymentStatus.FAILED, error)
        async with self.sessions.begin() as session:
            row = await store.get_job(session, job.id)
            await store.finish_job(session, row, succeeded=error is None, error=error)
        self.broker.notify(job.upload_id)
        logger.info("job finished", extra={**log_extra, "succeeded": error is None})

    async def _tick(self, ctx: JobContext) -> None:
        """Every half second: write buffered log lines; every second: look for a cancel request.

        A failed round (e.g. the database briefly busy) is logged and the next one tries again: a
        ticker that stopped would let the heartbeat go stale and another worker undo a live job.
        """
        ticks = 0
        while True:
            await asyncio.sleep(0.5)
            ticks += 1
            try:
                await ctx.flush_logs()
                if ticks % 2 == 0:
                    await ctx.poll_cancel()
                if ticks * 0.5 >= self.heartbeat_interval:
                    await ctx.heartbeat()
                    ticks = 0
            except Exception:
                logger.warning(
                    "job bookkeeping failed, retrying",
                    exc_info=True,
                    extra={"stage": "job", "upload_id": ctx.upload_id, "job_id": ctx.job_id},
                )

    async def _dispatch(self, ctx: JobContext, services: Services, job: DeploymentJob) -> None:
        secrets = store.job_secret_options(job, self.cipher)
        if job.kind == "deploy":
            await flows.deploy(
                ctx, services, DeployOptions.from_stored(job.options, secrets.get("secrets", {}))
            )
        elif job.kind == "redeploy":
            await flows.redeploy(
                ctx,
                services,
                RedeployOptions.from_stored(job.options, secrets.get("secrets", {})),
            )
        elif job.kind == "rollback":
            await flows.rollback(ctx, services, RollbackOptions.model_validate(job.options))
        elif job.kind == "delete":
            await flows.delete(ctx, services)
        else:
            raise JustPushError(f"unknown job kind {job.kind!r}")

    # -- recovery -----------------------------------------------------------------------------------

    async def recover(self) -> int:
        """Settle jobs whose worker died; returns how many were found."""
        cutoff = store.utcnow() - timedelta(seconds=self.stale_after)
        async with self.sessions() as session:
            running = [j for j in await store.list_active_jobs(session) if j.status == "running"]
            session.expunge_all()
        dead = [
            j
            for j in running
            if j.worker_id != self.worker_id
            and (_process_gone(j.worker_id) or (j.heartbeat_at is not None and j.heartbeat_at < cutoff))
        ]
        for job in dead:
            try:
                await self._recover_one(job)
            except JustPushError as exc:
                # One job that cannot be settled must not keep the others (or the worker) from running.
                logger.error(
                    "recovery of job %s failed: %s",
                    job.id,
                    exc.message,
                    extra={"stage": "recovery", "upload_id": job.upload_id, "job_id": job.id},
                )
        return len(dead)

    async def _recover_one(self, job: DeploymentJob) -> None:
        reason = f"interrupted during {job.stage or 'start-up'}: worker {job.worker_id} stopped"
        logger.warning(reason, extra={"stage": "recovery", "upload_id": job.upload_id, "job_id": job.id})
        ctx = self._context(job)
        if job.kind in _RESUMABLE:
            async with self.sessions.begin() as session:
                await store.requeue_job(session, job.id)
            await ctx.event("recovery", "progress", f"{reason}; resuming the {job.kind}")
            self.wake()
            return
        await ctx.event("recovery", "error", f"{reason}; undoing it")
        error = reason
        try:
            async with self.services_factory(self.settings) as services:
                namespace = job.options.get("namespace") if job.kind == "deploy" else None
                await flows.undo_interrupted(ctx, services, stage=job.stage, namespace=namespace)
        except JustPushError as exc:
            error = f"{reason}; undo incomplete: {exc.message}"
        await ctx.set_status(DeploymentStatus.FAILED, error)
        async with self.sessions.begin() as session:
            row = await store.get_job(session, job.id)
            await store.finish_job(session, row, succeeded=False, error=error)
