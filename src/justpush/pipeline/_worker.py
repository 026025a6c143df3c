"""The durable job runner: claims queued jobs, runs their flow, heartbeats, recovers after crashes.

Jobs are rows (`deployment_jobs`) written before anything runs; at most one queued or running job per
upload is enforced by a partial unique index. A claim raises the job's lease; the worker holds the job
only while the row carries that lease (`JobContext.transaction`, `fence`).

A job whose worker died (its process is gone, or its heartbeat is older than `stale_after`) is taken
over under a new lease — so the old worker, should it wake up, abandons it — and recovered by a task
of its own, independent of the jobs this worker runs: idempotent kinds (rollback, delete, gateway) are queued
again; a deploy or redeploy is undone (its local images and pushed tag removed, the previous revision
re-applied or the upload's objects removed) and marked FAILED with the reason, or
DEPLOYED_WITH_WARNINGS when the previous revision serves on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from justpush import store
from justpush.config import Settings
from justpush.errors import ConflictError, JustPushError
from justpush.store import Cipher, DeploymentJob

from . import flows
from ._context import JobContext, LeaseLost, fence
from ._events import EventBroker, transition
from ._options import DeployOptions, RedeployOptions, RollbackOptions
from ._services import Services, open_services
from ._status import TERMINAL, DeploymentStatus

logger = logging.getLogger(__name__)

ServicesFactory = Callable[[Settings], AbstractAsyncContextManager[Services]]
_RESUMABLE = frozenset({"rollback", "delete", "gateway"})
# Job kinds a running job of which stops on a cancel request (see `flows`).
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
        heartbeat_interval: float | None = None,
        stale_after: float | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.readers = store.reader_factory(sessions)
        self.cipher = cipher
        self.broker = broker
        self.services_factory = services_factory
        self.worker_id = this_worker_id()
        self.poll_interval = poll_interval
        self.stale_after = stale_after if stale_after is not None else settings.server.worker_stale_seconds
        # Several heartbeats fit in the stale window, so one slow round never looks like a dead worker.
        self.heartbeat_interval = (
            heartbeat_interval if heartbeat_interval is not None else min(5.0, self.stale_after / 4)
        )
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._current: dict[str, JobContext] = {}
        # Jobs of dead workers being recovered now, and whether the first look for them has finished.
        self.recovering: dict[str, DeploymentJob] = {}
        self.first_recovery_done = False
        # While the worker runs (`async with`), its jobs share one set of clients, opened for the first
        # job: opening them (TLS contexts, kubeconfig, first connections) costs ~0.2 s per job.
        self._kept: AsyncExitStack | None = None
        self._services: Services | None = None
        self._opening = asyncio.Lock()

    def wake(self) -> None:
        self._wake.set()

    async def __aenter__(self) -> PipelineWorker:
        self._kept = AsyncExitStack()
        # Recovery may take minutes (undoing rollouts): it runs beside the job loop, never before it.
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._recovery_loop(), name="justpush-pipeline-recovery"),
            loop.create_task(self._loop(), name="justpush-pipeline-worker"),
            loop.create_task(self._open_ahead(self._kept), name="justpush-pipeline-clients"),
        ]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._kept is not None:
            kept, self._kept, self._services = self._kept, None, None
            await kept.aclose()

    @contextlib.asynccontextmanager
    async def _job_services(self) -> AsyncIterator[Services]:
        """The clients a job uses: the worker's kept ones while it runs, else a set for this job alone."""
        if self._kept is None:
            async with self.services_factory(self.settings) as services:
                yield services
            return
        yield await self._kept_services(self._kept)

    async def _kept_services(self, kept: AsyncExitStack) -> Services:
        async with self._opening:
            if self._services is None:
                self._services = await kept.enter_async_context(self.services_factory(self.settings))
            return self._services

    async def _open_ahead(self, kept: AsyncExitStack) -> None:
        """Open the kept clients as the worker starts (about 0.2 s), so the first job need not wait.

        A failure here only costs that head start: the first job opens them again and reports why not.
        """
        try:
            await self._kept_services(kept)
        except Exception:
            logger.warning(
                "the pipeline's clients could not be opened ahead of the first job",
                exc_info=True,
                extra={"stage": "worker"},
            )

    def recovery_status(self) -> dict[str, Any]:
        """What /readyz reports: whether the first recovery pass ran, and the jobs being recovered."""
        return {
            "state": "recovering" if self.recovering or not self.first_recovery_done else "idle",
            "jobs": [
                {"job_id": job.id, "upload_id": job.upload_id, "kind": job.kind, "stage": job.stage}
                for job in self.recovering.values()
            ],
        }

    async def _recovery_loop(self) -> None:
        """Look for jobs of dead workers at start-up and then every quarter of the stale window.

        Each round also retries what Kong owes after jobs could not reach it (`settle_gateway_debts`).
        """
        while True:
            try:
                await self.recover()
                await self.settle_gateway_debts()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("recovery round failed", extra={"stage": "recovery"})
            finally:
                self.first_recovery_done = True
            await asyncio.sleep(max(self.stale_after / 4, 0.5))

    async def _loop(self) -> None:
        while True:
            try:
                ran = await self.run_next()
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

    def _context(self, job: DeploymentJob, lease: int) -> JobContext:
        return JobContext(
            job_id=job.id,
            upload_id=job.upload_id,
            kind=job.kind,
            user_id=job.created_by,
            settings=self.settings,
            sessions=self.sessions,
            cipher=self.cipher,
            broker=self.broker,
            lease=lease,
        )

    async def run(self, job: DeploymentJob) -> None:
        ctx = self._context(job, job.lease)
        self._current[job.id] = ctx
        ticker = asyncio.get_running_loop().create_task(self._tick(ctx))
        log_extra = {"stage": "job", "upload_id": job.upload_id, "job_id": job.id, "kind": job.kind}
        logger.info("job started", extra=log_extra)
        error: str | None = None
        try:
            async with self._job_services() as services:
                await self._dispatch(ctx, fence(services, ctx), job)
        except LeaseLost:
            pass
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
        try:
            await ctx.flush_logs()
            if error is not None:
                await ctx.event("FAILED", "error", error)
                await self._settle_failure(ctx, error)
            async with ctx.transaction() as session:
                row = await store.get_job(session, job.id)
                await store.finish_job(session, row, succeeded=error is None, error=error)
        except LeaseLost:
            # Another worker owns the job now; whatever this one did since is its to settle.
            logger.warning("job abandoned: its lease was taken over", extra=log_extra)
            return
        self.broker.notify(job.upload_id)
        logger.info("job finished", extra={**log_extra, "succeeded": error is None})

    async def _settle_failure(self, ctx: JobContext, error: str) -> None:
        """FAILED — unless an earlier revision of a deploy or redeploy serves on, untouched or restored
        (or a gateway job failed: it touches only Kong).

        Then the record says so (DEPLOYED_WITH_WARNINGS, the failure as the message); the job keeps
        the error. A failed rollback or delete, or an incomplete undo, leaves what serves unknown.
        """
        _, record = await ctx.load_upload()
        serving = (
            (ctx.kind in CANCELLABLE_KINDS or ctx.kind == "gateway")
            and not ctx.undo_incomplete
            and record is not None
            and record.k8s_deployment_info is not None
            and await ctx.latest_revision() is not None
        )
        if not serving:
            await ctx.set_status(DeploymentStatus.FAILED, error)
            return
        revision = await ctx.latest_revision()
        number = revision.revision if revision is not None else "?"
        await ctx.set_status(
            DeploymentStatus.DEPLOYED_WITH_WARNINGS,
            f"{ctx.kind} failed, revision {number} keeps serving: {error}",
        )

    async def _tick(self, ctx: JobContext) -> None:
        """Every half second: write buffered log lines; every second: look for a cancel request.

        A failed round (e.g. the database briefly busy) is logged and the next one tries again: a
        ticker that stopped would let the heartbeat go stale and another worker undo a live job. A lost
        lease ends the ticker (and, through `JobContext.lose`, the job's running work).
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
            except LeaseLost:
                return
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
        elif job.kind == "gateway":
            await flows.settle_gateway(ctx, services, job.options.get("before"))
        else:
            raise JustPushError(f"unknown job kind {job.kind!r}")

    # -- recovery -----------------------------------------------------------------------------------

    async def settle_gateway_debts(self) -> int:
        """Queue a `gateway` job for each upload Kong owes something (`_owed`), once Kong answers.

        The job carries the status the record had (its PENDING hides it): a serving upload gets the latest
        revision synced, any other its entities removed. As a job it never runs beside another job of its
        upload. Returns how many were queued.
        """
        async with self.readers() as session:
            owed = await store.gateway_debts(session)
        if not owed:
            return 0
        async with self.services_factory(self.settings) as services:
            if services.gateway is None:
                return 0
            try:
                await services.gateway.status()
            except JustPushError:
                return 0  # still down; the next round asks again
        queued = 0
        for upload_id in owed:
            try:
                async with self.sessions.begin() as session:
                    before = (await store.ensure_analyze_result(session, upload_id)).deployment_status
                    await submit_job(
                        session,
                        self.cipher,
                        upload_id=upload_id,
                        kind="gateway",
                        options={"before": before},
                        secret_options=None,
                        user_id=None,
                    )
            except ConflictError:
                continue  # a job of the upload was queued meanwhile; it settles the debt or keeps it
            queued += 1
            logger.info(
                "Kong answers again: queued what it owes",
                extra={"stage": "recovery", "upload_id": upload_id},
            )
        if queued:
            self.wake()
        return queued

    async def recover(self) -> int:
        """Settle jobs whose worker died; returns how many this worker took over."""
        cutoff = store.utcnow() - timedelta(seconds=self.stale_after)
        async with self.readers() as session:
            running = [j for j in await store.list_active_jobs(session) if j.status == "running"]
            session.expunge_all()
        # A job of this worker's own id that it neither runs nor recovers is one whose recovery failed
        # earlier: its heartbeat goes stale and the next round tries again.
        dead = [
            j
            for j in running
            if j.id not in self._current
            and j.id not in self.recovering
            and (_process_gone(j.worker_id) or (j.heartbeat_at is not None and j.heartbeat_at < cutoff))
        ]
        taken = 0
        for job in dead:
            async with self.sessions.begin() as session:
                lease = await store.take_over_job(session, job.id, lease=job.lease, worker_id=self.worker_id)
            if lease is None:
                continue  # another worker took it over first, or it finished after all
            taken += 1
            self.recovering[job.id] = job
            try:
                await self._recover_one(job, lease)
            except LeaseLost:
                pass
            except JustPushError as exc:
                # One job that cannot be settled must not keep the others (or the worker) from running.
                logger.error(
                    "recovery of job %s failed: %s",
                    job.id,
                    exc.message,
                    extra={"stage": "recovery", "upload_id": job.upload_id, "job_id": job.id},
                )
            finally:
                self.recovering.pop(job.id, None)
        return taken

    async def _recover_one(self, job: DeploymentJob, lease: int) -> None:
        reason = f"interrupted during {job.stage or 'start-up'}: worker {job.worker_id} stopped"
        logger.warning(reason, extra={"stage": "recovery", "upload_id": job.upload_id, "job_id": job.id})
        ctx = self._context(job, lease)
        _, record = await ctx.load_upload()
        settled = DeploymentStatus(record.deployment_status) if record and record.deployment_status else None
        if settled in TERMINAL and settled is not DeploymentStatus.PENDING:
            # The worker died after its job's last status and before closing the job: nothing to undo.
            async with ctx.transaction() as session:
                row = await store.get_job(session, job.id)
                failed = settled is DeploymentStatus.FAILED
                await store.finish_job(session, row, succeeded=not failed, error=reason if failed else None)
            return
        if job.kind in _RESUMABLE:
            await ctx.event("recovery", "progress", f"{reason}; resuming the {job.kind}")
            async with ctx.transaction() as session:
                await store.requeue_job(session, job.id)
            self.wake()
            return
        await ctx.event("recovery", "error", f"{reason}; undoing it")
        # The undo may take as long as a rollout: heartbeat meanwhile, so no other worker takes it over.
        ticker = asyncio.get_running_loop().create_task(self._tick(ctx))
        error = reason
        try:
            async with self.services_factory(self.settings) as services:
                namespace = job.options.get("namespace") if job.kind == "deploy" else None
                await flows.undo_interrupted(
                    ctx,
                    fence(services, ctx),
                    stage=job.stage,
                    namespace=namespace,
                    image=job.image,
                    local_image=job.local_image,
                )
        except JustPushError as exc:
            ctx.undo_incomplete = True
            error = f"{reason}; undo incomplete: {exc.message}"
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
        await self._settle_failure(ctx, error)
        async with ctx.transaction() as session:
            row = await store.get_job(session, job.id)
            await store.finish_job(session, row, succeeded=False, error=error)
