"""Issue 11 item 4, inside the pipeline: a job whose stored options or revision name a namespace that
is not (or no longer) allowed, or another namespace than the deployment's, stops before it touches
the cluster — whatever the API let through earlier (queued jobs, revisions from before the operator
narrowed `kubernetes.allowedNamespaces`)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from justpush import store
from justpush.analysis import ProjectProfile
from justpush.config import Settings
from justpush.errors import StageFailed
from justpush.pipeline import DeployOptions
from justpush.pipeline._context import JobContext
from justpush.pipeline._release import Release
from justpush.pipeline.flows._rollout import check_namespace, roll_out
from justpush.security import SecretBox
from tests.security.support import NoServices, running_job

# The database fixtures of the unit suite, used here by name.
from tests.unit.conftest import box, engine, session, sessions, upload  # noqa: F401


@pytest.fixture
async def ctx(
    sessions: async_sessionmaker[AsyncSession],  # noqa: F811
    box: SecretBox,  # noqa: F811
    upload: store.Upload,  # noqa: F811
    make_settings: Callable[..., Settings],
) -> JobContext:
    return await running_job(
        sessions,
        box,
        upload,
        make_settings(kubernetes={"namespace": "justpush-apps", "allowedNamespaces": ["team-a"]}),
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
        await roll_out(ctx, NoServices(), release, previous=None)  # type: ignore[arg-type]
