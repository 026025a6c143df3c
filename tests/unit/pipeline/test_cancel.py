"""Cancelling a running job: the request travels through the job row; stages stop at safe points."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from justpush import pipeline, store
from justpush.config import Settings
from justpush.errors import KubernetesError, StageFailed
from justpush.pipeline import DeploymentStatus, EventBroker
from justpush.pipeline._context import JobContext
from justpush.security import SecretBox


@pytest.fixture
async def ctx(
    sessions: async_sessionmaker[AsyncSession],
    box: SecretBox,
    upload: store.Upload,
    make_settings: Callable[..., Settings],
) -> JobContext:
    """The context of a queued deploy job of `upload`."""
    async with sessions.begin() as session:
        job = await pipeline.submit_job(
            session, box, upload_id=upload.id, kind="deploy", options={}, secret_options=None, user_id=None
        )
        job_id = job.id
    return JobContext(
        job_id=job_id,
        upload_id=upload.id,
        kind="deploy",
        user_id=None,
        settings=make_settings(),
        sessions=sessions,
        cipher=box,
        broker=EventBroker(),
    )


async def test_a_request_written_by_another_process_reaches_the_job(
    ctx: JobContext, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await ctx.poll_cancel()
    assert not ctx.cancelled.is_set()
    ctx.check_cancelled(DeploymentStatus.BUILDING)
    async with sessions.begin() as session:
        await store.request_job_cancel(session, await store.get_job(session, ctx.job_id), actor="alice")
    await ctx.poll_cancel()
    assert ctx.cancelled.is_set()
    with pytest.raises(StageFailed, match="DEPLOYING: cancelled by alice"):
        ctx.check_cancelled(DeploymentStatus.DEPLOYING)


async def test_cancellable_work_is_abandoned_at_once(ctx: JobContext) -> None:
    stopped = asyncio.Event()

    async def rollout_that_never_ends() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            stopped.set()

    asyncio.get_running_loop().call_later(0.05, ctx.cancel, "bob")
    with pytest.raises(StageFailed, match="DEPLOYING: cancelled by bob"):
        await asyncio.wait_for(ctx.cancellable(DeploymentStatus.DEPLOYING, rollout_that_never_ends()), 5)
    assert stopped.is_set()


async def test_cancellable_work_keeps_its_result_and_its_errors(ctx: JobContext) -> None:

    async def answer() -> int:
        return 42

    async def crash() -> None:
        raise KubernetesError("CrashLoopBackOff")

    assert await ctx.cancellable(DeploymentStatus.DEPLOYING, answer()) == 42
    with pytest.raises(KubernetesError, match="CrashLoopBackOff"):
        await ctx.cancellable(DeploymentStatus.DEPLOYING, crash())
