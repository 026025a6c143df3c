"""Fencing: a job belongs to one worker lease; a worker whose job was taken over writes and calls nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from justpush import pipeline, store
from justpush.config import Settings
from justpush.pipeline import DeploymentStatus, EventBroker, PipelineWorker
from justpush.pipeline._context import JobContext, LeaseLost, fence
from justpush.security import SecretBox

WORKER = "this-host:1"


async def _running_job(
    sessions: async_sessionmaker[AsyncSession], box: SecretBox, upload: store.Upload, kind: str
) -> store.DeploymentJob:
    """A job as a worker's claim leaves it (claiming the oldest queued one could pick another test's)."""
    async with sessions.begin() as session:
        job = await pipeline.submit_job(
            session, box, upload_id=upload.id, kind=kind, options={}, secret_options=None, user_id=None
        )
        job.status, job.worker_id, job.lease = "running", WORKER, 1
        job.started_at = job.heartbeat_at = store.utcnow()
        await session.flush()
        session.expunge(job)
        return job


def _context(job: store.DeploymentJob, sessions: Any, box: SecretBox, settings: Settings) -> JobContext:
    return JobContext(
        job_id=job.id,
        upload_id=job.upload_id,
        kind=job.kind,
        user_id=None,
        settings=settings,
        sessions=sessions,
        cipher=box,
        broker=EventBroker(),
        lease=job.lease,
    )


JobFactory = Callable[[str], Awaitable[tuple[store.DeploymentJob, JobContext]]]


@pytest.fixture
def running_job(
    sessions: async_sessionmaker[AsyncSession],
    box: SecretBox,
    upload: store.Upload,
    make_settings: Callable[..., Settings],
) -> JobFactory:
    """A running job of `upload` of the given kind, and the context its worker runs it in."""

    async def make(kind: str) -> tuple[store.DeploymentJob, JobContext]:
        job = await _running_job(sessions, box, upload, kind)
        return job, _context(job, sessions, box, make_settings())

    return make


async def _take_over(sessions: async_sessionmaker[AsyncSession], job: store.DeploymentJob) -> int | None:
    async with sessions.begin() as session:
        return await store.take_over_job(session, job.id, lease=job.lease, worker_id="other-host:2")


class Recorder:
    """Stands in for a client (registry, cluster, Kong) and records every call that reached it."""

    def __init__(self, block: asyncio.Event | None = None) -> None:
        self.calls: list[str] = []
        self.entered = asyncio.Event()
        self.block = block

    async def _call(self, name: str) -> None:
        self.calls.append(name)
        self.entered.set()
        if self.block is not None:
            await self.block.wait()

    async def delete(self, upload_id: str, **kwargs: Any) -> Any:
        await self._call("delete")

        class Deleted:
            deleted = 0

        return Deleted()


async def test_a_takeover_fences_every_write_of_the_old_holder(
    sessions: async_sessionmaker[AsyncSession], upload: store.Upload, running_job: JobFactory
) -> None:
    job, ctx = await running_job("deploy")
    await ctx.event("BUILDING", "progress", "before the takeover")
    assert await _take_over(sessions, job) == 2
    # A second takeover from the same reading loses the race: one worker holds the job.
    assert await _take_over(sessions, job) is None
    for write in (
        ctx.event("BUILDING", "progress", "after the takeover"),
        ctx.set_status(DeploymentStatus.SCANNING),
        ctx.update_record(docker_image="x"),
        ctx.heartbeat(),
    ):
        with pytest.raises(LeaseLost):
            await write
    assert ctx.lost and ctx.cancelled.is_set()
    with pytest.raises(LeaseLost):
        ctx.check_cancelled(DeploymentStatus.BUILDING)
    async with sessions() as session:
        messages = [e.message for e in await store.list_events(session, upload.id)]
        row = await store.get_job(session, job.id)
    assert "before the takeover" in messages and "after the takeover" not in messages
    assert (row.lease, row.worker_id) == (2, "other-host:2")


async def test_fenced_clients_are_not_called_once_the_lease_is_gone(
    sessions: async_sessionmaker[AsyncSession], upload: store.Upload, running_job: JobFactory
) -> None:
    job, ctx = await running_job("delete")
    cluster, registry, gateway = Recorder(), Recorder(), Recorder()
    services = fence(pipeline.Services(None, registry, cluster, gateway, None), ctx)  # type: ignore[arg-type]
    await services.cluster.delete(upload.id)
    await _take_over(sessions, job)
    for client in (services.cluster, services.registry, services.gateway):
        with pytest.raises(LeaseLost):
            await client.delete(upload.id)  # type: ignore[union-attr]
    assert (cluster.calls, registry.calls, gateway.calls) == (["delete"], [], [])


async def test_a_worker_whose_job_was_taken_over_abandons_it(
    sessions: async_sessionmaker[AsyncSession],
    box: SecretBox,
    upload: store.Upload,
    make_settings: Callable[..., Settings],
) -> None:
    """The worker is "paused" inside a cluster call; meanwhile another worker takes the job over."""
    job = await _running_job(sessions, box, upload, "delete")
    release = asyncio.Event()
    cluster, gateway, images = Recorder(release), Recorder(), Recorder()

    @asynccontextmanager
    async def services(settings: Settings) -> AsyncIterator[Any]:
        yield pipeline.Services(None, images, cluster, gateway, None)  # type: ignore[arg-type]

    worker = PipelineWorker(make_settings(), sessions, box, EventBroker(), services_factory=services)
    running = asyncio.create_task(worker.run(job))
    await asyncio.wait_for(cluster.entered.wait(), 10)
    assert await _take_over(sessions, job) == 2
    release.set()
    await asyncio.wait_for(running, 10)

    # Nothing after the takeover: no Kong call, no registry call, no event, no status, job untouched.
    assert (gateway.calls, images.calls) == ([], [])
    async with sessions() as session:
        row = await store.get_job(session, job.id)
        record = await store.get_analyze_result(session, upload.id)
        events = await store.list_events(session, upload.id)
    assert (row.status, row.lease, row.finished_at) == ("running", 2, None)
    assert record is not None and record.deployment_status == DeploymentStatus.DELETING
    assert not any("Kubernetes objects deleted" in e.message for e in events)


async def test_writes_inside_a_job_transaction_commit_together_and_wake_readers_after(
    sessions: async_sessionmaker[AsyncSession], upload: store.Upload, running_job: JobFactory
) -> None:
    _, ctx = await running_job("deploy")
    woken = asyncio.create_task(ctx.broker.wait(upload.id, timeout=10))
    await asyncio.sleep(0)

    async def stored() -> list[str]:
        async with sessions() as session:
            return [e.message for e in await store.list_events(session, upload.id) if e.kind != "status"]

    async with ctx.transaction():
        await ctx.event("SCANNING", "end", "scanned")
        ctx.log_sink("BUILDING")("a line")
        await ctx.flush_logs()
        await ctx.set_status(DeploymentStatus.SCANNING)
        assert not woken.done()
    assert woken.done() or await asyncio.wait_for(woken, 1) is None
    assert await stored() == ["scanned", "a line"]

    # A failure inside rolls back every write of the group, as one transaction would.
    with pytest.raises(RuntimeError):
        async with ctx.transaction():
            await ctx.event("BUILDING", "progress", "not kept")
            await ctx.update_record(docker_image="not kept")
            raise RuntimeError("stop")
    assert "not kept" not in await stored()
    async with sessions() as session:
        record = await store.get_analyze_result(session, upload.id)
    assert record is not None and record.docker_image != "not kept"
    assert record.deployment_status == DeploymentStatus.SCANNING


async def test_lease_checks_asked_for_at_once_share_one_transaction(
    sessions: async_sessionmaker[AsyncSession],
    upload: store.Upload,
    running_job: JobFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job, ctx = await running_job("delete")
    checks: list[int] = []
    hold = store.hold_lease

    async def counted(session: AsyncSession, job_id: str, lease: int) -> bool:
        checks.append(lease)
        return await hold(session, job_id, lease)

    monkeypatch.setattr(store, "hold_lease", counted)
    cluster = Recorder()
    services = fence(pipeline.Services(None, Recorder(), cluster, None, None), ctx)  # type: ignore[arg-type]
    await asyncio.gather(*(services.cluster.delete(upload.id) for _ in range(3)))
    assert (len(checks), cluster.calls) == (1, ["delete"] * 3)
    # One after the other, each call checks again.
    await services.cluster.delete(upload.id)
    assert len(checks) == 2
    # Inside a transaction of the job, the open transaction is the check (no second one to wait for).
    async with ctx.transaction():
        await services.cluster.delete(upload.id)
    assert len(checks) == 3
    # A lost lease fails every call that shared the check, and none reaches the cluster.
    await _take_over(sessions, job)
    results = await asyncio.gather(
        *(services.cluster.delete(upload.id) for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(r, LeaseLost) for r in results)
    assert cluster.calls == ["delete"] * 5


async def test_the_developer_key_is_read_once_a_job_and_kept_only_once_committed(
    sessions: async_sessionmaker[AsyncSession], upload: store.Upload, running_job: JobFactory, box: SecretBox
) -> None:
    _, ctx = await running_job("deploy")

    async def stored_key() -> str | None:
        async with sessions() as session:
            return store.developer_api_key(await store.ensure_analyze_result(session, upload.id), box)

    # Made inside a transaction that rolls back: neither stored nor kept.
    with pytest.raises(RuntimeError):
        async with ctx.transaction():
            await ctx.developer_key()
            raise RuntimeError("stop")
    assert await stored_key() is None
    key = (await ctx.developer_key()).get_secret_value()
    assert await stored_key() == key
    async with sessions.begin() as session:
        store.set_developer_api_key(await store.ensure_analyze_result(session, upload.id), "changed", box)
    # The Kong sync and the smoke test of one job use one key, read once.
    assert (await ctx.developer_key()).get_secret_value() == key
