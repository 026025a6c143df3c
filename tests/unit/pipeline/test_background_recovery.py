"""Recovery runs beside the API and the job loop: /healthz answers at once, /readyz names what recovers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from justpush import pipeline, store
from justpush.config import Settings
from justpush.pipeline import PipelineWorker
from justpush.security import SecretBox
from justpush.web import create_app
from justpush.web._state import AppState


class SlowCluster:
    """A cluster whose delete of one upload's objects takes until the test releases it."""

    def __init__(self, upload_id: str) -> None:
        self.upload_id = upload_id
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def delete(self, upload_id: str, **kwargs: Any) -> None:
        if upload_id == self.upload_id:
            self.entered.set()
            await self.release.wait()


async def test_the_api_answers_while_an_interrupted_job_is_undone(
    sessions: async_sessionmaker[AsyncSession],
    box: SecretBox,
    upload: store.Upload,
    make_settings: Callable[..., Settings],
) -> None:
    async with sessions.begin() as session:
        job = await pipeline.submit_job(
            session, box, upload_id=upload.id, kind="deploy", options={}, secret_options=None, user_id=None
        )
        (await store.ensure_analyze_result(session, upload.id)).deployment_status = "DEPLOYING"
        # A worker that died an hour ago, during the rollout.
        job.status, job.worker_id, job.stage, job.lease = "running", "gone-host:1", "DEPLOYING", 1
        job.started_at = job.heartbeat_at = store.utcnow() - timedelta(hours=1)
        job_id = job.id
    cluster = SlowCluster(upload.id)

    @asynccontextmanager
    async def services(settings: Settings) -> AsyncIterator[Any]:
        yield pipeline.Services(None, None, cluster, None, None)  # type: ignore[arg-type]

    def worker(state: AppState) -> PipelineWorker:
        state.pipeline = PipelineWorker(
            state.settings, state.sessions, state.secret_box, state.broker, services_factory=services
        )
        return state.pipeline

    app = create_app(make_settings(), workers=[worker])
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://justpush.test") as client,
    ):
        await asyncio.wait_for(cluster.entered.wait(), 30)
        assert (await client.get("/healthz")).status_code == 200
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        recovery = ready.json()["recovery"]
        assert recovery["state"] == "recovering"
        assert {"job_id": job_id, "upload_id": upload.id, "kind": "deploy", "stage": "DEPLOYING"} in recovery[
            "jobs"
        ]

        cluster.release.set()
        for _ in range(100):
            recovery = (await client.get("/readyz")).json()["recovery"]
            if not any(j["job_id"] == job_id for j in recovery["jobs"]):
                break
            await asyncio.sleep(0.1)
    async with sessions() as session:
        row = await store.get_job(session, job_id)
    assert row.status == "failed" and "interrupted during DEPLOYING" in (row.error or "")


async def test_a_busy_worker_still_recovers_a_dead_workers_job(
    sessions: async_sessionmaker[AsyncSession],
    box: SecretBox,
    upload: store.Upload,
    make_settings: Callable[..., Settings],
) -> None:
    """The worker's own job hangs in the cluster; the dead worker's job is settled meanwhile."""
    cluster = SlowCluster(upload.id)

    @asynccontextmanager
    async def services(settings: Settings) -> AsyncIterator[Any]:
        yield pipeline.Services(None, None, cluster, None, None)  # type: ignore[arg-type]

    async with sessions.begin() as session:
        busy = await pipeline.submit_job(
            session, box, upload_id=upload.id, kind="delete", options={}, secret_options=None, user_id=None
        )
        other = await store.add_upload(
            session,
            upload_id=upload.id[:-1] + ("x" if upload.id[-1] != "x" else "y"),
            owner_id=upload.owner_id,
            source_kind="zip",
            workspace="/w",
            files=1,
            size_bytes=10,
        )
        other_id = other.id
    worker = PipelineWorker(
        make_settings(), sessions, box, pipeline.EventBroker(), services_factory=services, stale_after=2
    )
    async with worker:
        await asyncio.wait_for(cluster.entered.wait(), 60)
        async with sessions.begin() as session:
            dead = await pipeline.submit_job(
                session, box, upload_id=other_id, kind="deploy", options={}, secret_options=None, user_id=None
            )
            (await store.ensure_analyze_result(session, other_id)).deployment_status = "BUILDING"
            dead.status, dead.worker_id, dead.stage, dead.lease = "running", "gone-host:1", "BUILDING", 1
            dead.started_at = dead.heartbeat_at = store.utcnow() - timedelta(minutes=5)
            dead_id = dead.id
        for _ in range(100):
            async with sessions() as session:
                if (await store.get_job(session, dead_id)).status == "failed":
                    break
            await asyncio.sleep(0.1)
        async with sessions() as session:
            assert (await store.get_job(session, dead_id)).status == "failed"
            assert (await store.get_job(session, busy.id)).status == "running"
        cluster.release.set()


async def test_owed_kong_cleanup_is_queued_once_kong_answers(
    sessions: async_sessionmaker[AsyncSession],
    box: SecretBox,
    upload: store.Upload,
    make_settings: Callable[..., Settings],
) -> None:
    from justpush.errors import KongError

    class Gateway:
        up = False

        async def status(self) -> None:
            if not self.up:
                raise KongError("Kong Admin API unreachable")

    gateway = Gateway()

    @asynccontextmanager
    async def services(settings: Settings) -> AsyncIterator[Any]:
        yield pipeline.Services(None, None, None, gateway, None)  # type: ignore[arg-type]

    async with sessions.begin() as session:
        record = await store.ensure_analyze_result(session, upload.id)
        record.deployment_status = "DELETED"
        record.gateway_owed = f"Kong entities tagged upload:{upload.id} are still to be removed"
    worker = PipelineWorker(make_settings(), sessions, box, pipeline.EventBroker(), services_factory=services)
    assert await worker.settle_gateway_debts() == 0
    gateway.up = True
    assert await worker.settle_gateway_debts() >= 1
    async with sessions() as session:
        job = await store.active_job(session, upload.id)
    # One kind of job settles every debt; it knows the status the record had (DELETED: remove everything).
    assert job is not None and job.kind == "gateway" and job.options == {"before": "DELETED"}
    # A job of the upload is queued: the debt is its to settle, nothing is queued twice.
    assert upload.id not in await worker_debts(sessions)


async def worker_debts(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions() as session:
        return await store.gateway_debts(session)


async def test_the_worker_opens_its_clients_before_the_first_job_and_survives_a_failure(
    sessions: async_sessionmaker[AsyncSession],
    box: SecretBox,
    upload: store.Upload,
    make_settings: Callable[..., Settings],
    caplog: Any,
) -> None:
    opened: list[str] = []
    failures = [RuntimeError("the cluster's kubeconfig is unreadable")]

    @asynccontextmanager
    async def services(settings: Settings) -> AsyncIterator[Any]:
        if failures:
            raise failures.pop()
        opened.append("opened")
        yield pipeline.Services(None, None, None, None, None)  # type: ignore[arg-type]

    # The head start fails: the worker runs on, and a job opens the clients itself.
    async with PipelineWorker(
        make_settings(), sessions, box, pipeline.EventBroker(), services_factory=services
    ) as w:
        for _ in range(100):
            if "could not be opened ahead" in caplog.text:
                break
            await asyncio.sleep(0.01)
        assert "could not be opened ahead" in caplog.text and opened == []
        async with w._job_services():
            pass
        assert opened == ["opened"]
    # With nothing failing, they are open before any job asks, and jobs share that one set.
    async with PipelineWorker(
        make_settings(), sessions, box, pipeline.EventBroker(), services_factory=services
    ) as w:
        for _ in range(100):
            if opened == ["opened"] * 2:
                break
            await asyncio.sleep(0.01)
        assert opened == ["opened"] * 2
        async with w._job_services() as first, w._job_services() as second:
            assert first is second
        assert opened == ["opened"] * 2
