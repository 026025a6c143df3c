"""Recovering jobs whose worker died: resumable kinds are queued again, deploys end FAILED with a reason."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from justpush import pipeline, store
from justpush.config import Settings
from justpush.pipeline import DeploymentStatus, EventBroker, PipelineWorker
from justpush.security import SecretBox

DEAD_WORKER = "some-other-host:1"


@asynccontextmanager
async def no_services(settings: Settings) -> AsyncIterator[Any]:
    # Interrupted before DEPLOYING and before naming an image, nothing outside the database needs undoing.
    yield pipeline.Services(None, None, None, None, None)  # type: ignore[arg-type]


async def _interrupted_job(
    sessions: async_sessionmaker[AsyncSession], box: SecretBox, upload: store.Upload, kind: str, stage: str
) -> str:
    async with sessions.begin() as session:
        job = await pipeline.submit_job(
            session, box, upload_id=upload.id, kind=kind, options={}, secret_options=None, user_id=None
        )
        record = await store.ensure_analyze_result(session, upload.id)
        record.deployment_status = stage
        # As a worker's claim leaves it (other tests' jobs may be queued in a shared database).
        job.status, job.worker_id, job.stage = "running", DEAD_WORKER, stage
        job.started_at = job.heartbeat_at = store.utcnow()
        return job.id


def _worker(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], box: SecretBox, stale_after: float
) -> PipelineWorker:
    return PipelineWorker(
        settings, sessions, box, EventBroker(), services_factory=no_services, stale_after=stale_after
    )


async def test_interrupted_build_is_failed_with_the_reason(
    sessions: async_sessionmaker[AsyncSession],
    box: SecretBox,
    upload: store.Upload,
    make_settings: Callable[..., Settings],
) -> None:
    job_id = await _interrupted_job(sessions, box, upload, "deploy", "BUILDING")
    worker = _worker(make_settings(), sessions, box, stale_after=0)
    # Other tests' abandoned jobs in a shared database may be found too.
    assert await worker.recover() >= 1
    async with sessions() as session:
        job = await store.get_job(session, job_id)
        record = await store.get_analyze_result(session, upload.id)
        events = await store.list_events(session, upload.id)
    assert job.status == "failed" and "interrupted during BUILDING" in (job.error or "")
    assert record is not None and record.deployment_status == DeploymentStatus.FAILED
    assert any(e.stage == "recovery" and e.kind == "error" for e in events)


async def test_interrupted_delete_is_queued_again(
    sessions: async_sessionmaker[AsyncSession],
    box: SecretBox,
    upload: store.Upload,
    make_settings: Callable[..., Settings],
) -> None:
    job_id = await _interrupted_job(sessions, box, upload, "delete", "DELETING")
    worker = _worker(make_settings(), sessions, box, stale_after=0)
    # Other tests' abandoned jobs in a shared database may be found too.
    assert await worker.recover() >= 1
    async with sessions() as session:
        job = await store.get_job(session, job_id)
    assert (job.status, job.worker_id) == ("queued", None)


async def test_a_live_worker_is_left_alone(
    sessions: async_sessionmaker[AsyncSession],
    box: SecretBox,
    upload: store.Upload,
    make_settings: Callable[..., Settings],
) -> None:
    job_id = await _interrupted_job(sessions, box, upload, "deploy", "BUILDING")
    # Its heartbeat is fresh and its process is not known to be gone: it may still be running.
    worker = _worker(make_settings(), sessions, box, stale_after=3600)
    assert await worker.recover() == 0
    async with sessions() as session:
        assert (await store.get_job(session, job_id)).status == "running"


async def test_the_job_ticker_outlives_a_failed_round(
    sessions: async_sessionmaker[AsyncSession], box: SecretBox, make_settings: Callable[..., Settings]
) -> None:
    import asyncio

    class FlakyContext:
        upload_id, job_id = "u1", "j1"

        def __init__(self) -> None:
            self.flushes = 0
            self.heartbeats = 0

        async def flush_logs(self) -> None:
            self.flushes += 1
            if self.flushes == 1:
                raise OSError("database is locked")

        async def poll_cancel(self) -> None:
            pass

        async def heartbeat(self) -> None:
            self.heartbeats += 1

    worker = PipelineWorker(make_settings(), sessions, box, EventBroker(), heartbeat_interval=1.0)
    ctx = FlakyContext()
    ticker = asyncio.create_task(worker._tick(ctx))  # type: ignore[arg-type]
    try:
        for _ in range(100):
            if ctx.heartbeats:
                break
            await asyncio.sleep(0.1)
    finally:
        ticker.cancel()
    assert ctx.flushes >= 2 and ctx.heartbeats >= 1


async def test_interrupted_gateway_job_is_queued_again(
    sessions: async_sessionmaker[AsyncSession],
    box: SecretBox,
    upload: store.Upload,
    make_settings: Callable[..., Settings],
) -> None:
    # A sync of what Kong owes is idempotent: it starts over.
    job_id = await _interrupted_job(sessions, box, upload, "gateway", "CONFIGURING")
    worker = _worker(make_settings(), sessions, box, stale_after=0)
    assert await worker.recover() >= 1
    async with sessions() as session:
        job = await store.get_job(session, job_id)
    assert (job.status, job.worker_id) == ("queued", None)
