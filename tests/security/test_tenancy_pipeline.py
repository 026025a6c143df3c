"""Issue 11 item 4, inside the pipeline: a job whose stored options or revision name a namespace that
is not (or no longer) allowed, or another namespace than the deployment's, stops before it touches
the cluster — whatever the API let through earlier (queued jobs, revisions from before the operator
narrowed `kubernetes.allowedNamespaces`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from justpush import pipeline, store
from justpush.analysis import ProjectProfile
from justpush.config import Settings
from justpush.errors import StageFailed
from justpush.pipeline import DeployOptions, EventBroker
from justpush.pipeline._context import JobContext
from justpush.pipeline._release import Release
from justpush.pipeline.flows._rollout import check_namespace, roll_out
from justpush.security import SecretBox

# The database fixtures of the unit suite, used here by name.
from tests.unit.conftest import box, engine, session, sessions, upload  # noqa: F401


class _NoCluster:
    """Services whose every use fails the test: nothing may reach the cluster."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the pipeline used services.{name}")


@pytest.fixture
async def ctx(
    sessions: async_sessionmaker[AsyncSession],  # noqa: F811
    box: SecretBox,  # noqa: F811
    upload: store.Upload,  # noqa: F811
    make_settings: Callable[..., Settings],
) -> JobContext:
    async with sessions.begin() as opened:
        job = await pipeline.submit_job(
            opened, box, upload_id=upload.id, kind="deploy", options={}, secret_options=None, user_id=None
        )
        # As a worker's claim leaves it: running under lease 1.
        job.status, job.worker_id, job.lease = "running", "test-host:1", 1
        job.started_at = job.heartbeat_at = store.utcnow()
        job_id = job.id
    return JobContext(
        job_id=job_id,
        upload_id=upload.id,
        kind="deploy",
        user_id=None,
        settings=make_settings(kubernetes={"namespace": "justpush-apps", "allowedNamespaces": ["team-a"]}),
        sessions=sessions,
        cipher=box,
        broker=EventBroker(),
        lease=1,
    )


async def test_only_allowed_namespaces_and_no_moves(
    ctx: JobContext,
    sessions: async_sessionmaker[AsyncSession],  # noqa: F811
) -> None:
    check_namespace(ctx, "justpush-apps", "DEPLOYING", None)
    check_namespace(ctx, "team-a", "DEPLOYING", None)
    with pytest.raises(StageFailed, match="namespace 'kube-system' is not allowed"):
        check_namespace(ctx, "kube-system", "DEPLOYING", None)
    async with sessions.begin() as opened:
        record = await store.ensure_analyze_result(opened, ctx.upload_id)
        record.k8s_deployment_info = {"namespace": "team-a"}
    with pytest.raises(StageFailed, match="cannot move to 'justpush-apps'"):
        check_namespace(ctx, "justpush-apps", "ROLLING_BACK", record)
    check_namespace(ctx, "team-a", "ROLLING_BACK", record)


async def test_a_release_for_a_forbidden_namespace_never_reaches_the_cluster(ctx: JobContext) -> None:
    # As a queued job's stored options or an old revision could carry it.
    options = DeployOptions(namespace="kube-system")
    release = Release(
        app_name="todo",
        profile=ProjectProfile(language="python"),
        spec={},
        image="registry.example/todo@sha256:" + "0" * 64,
        options=options,
        upload_id=ctx.upload_id,
    )
    with pytest.raises(StageFailed, match="kube-system"):
        await roll_out(ctx, _NoCluster(), release, previous=None)  # type: ignore[arg-type]
