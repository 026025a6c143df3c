"""With `gitops.enabled`, each stored revision of a deploy, redeploy or rollback is committed to the
configured branch; a refused commit is a warning of the job, never a failed deployment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from justpush import pipeline, store
from justpush.config import Settings
from justpush.pipeline import EventBroker
from justpush.pipeline._context import JobContext
from justpush.pipeline.flows._rollout import commit_gitops

from .gitserver import GitServer, git, git_server
from .revisions import add_revision, add_upload


@pytest.fixture
def server(tmp_path: Path) -> Iterator[GitServer]:
    with git_server(tmp_path / "git") as running:
        running.create("deploy")
        yield running


@pytest.fixture
def settings(make_settings: Any, server: GitServer) -> Settings:
    gitops = {
        "enabled": True,
        "repoUrl": server.repo_url("deploy"),
        "username": server.username,
        "token": server.password,
        "path": "envs/prod/{upload_id}",
        "tool": "flux",
        "schemes": ["http"],
        "allowedHosts": ["127.0.0.1/32"],
    }
    settings: Settings = make_settings(server={"worker": "none"}, gitops=gitops)
    return settings


async def _context(app: FastAPI, upload_id: str, settings: Settings) -> JobContext:
    state = app.state.justpush
    async with state.sessions.begin() as session:
        job = await pipeline.submit_job(
            session,
            state.secret_box,
            upload_id=upload_id,
            kind="redeploy",
            options={},
            secret_options=None,
            user_id=None,
        )
        job.status, job.worker_id, job.lease = "running", "test-host:1", 1
        job_id = job.id
    return JobContext(
        job_id=job_id,
        upload_id=upload_id,
        kind="redeploy",
        user_id=None,
        settings=settings,
        sessions=state.sessions,
        cipher=state.secret_box,
        broker=EventBroker(),
        lease=1,
    )


async def _events(app: FastAPI, upload_id: str) -> list[tuple[str, str]]:
    async with app.state.justpush.sessions() as session:
        return [(e.kind, e.message) for e in await store.list_events(session, upload_id)]


async def test_each_revision_is_committed_and_a_refusal_is_a_warning(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: dict[str, str],
    server: GitServer,
    settings: Settings,
    tmp_path: Path,
) -> None:
    upload_id = await add_upload(app, client, auth)
    ctx = await _context(app, upload_id, settings)

    first = await add_revision(app, upload_id, replicas=1)
    await commit_gitops(ctx, first, "VERIFYING")
    head = server.head("deploy")
    assert head and not ctx.warnings
    assert (
        "progress",
        f"committed revision 1 to main:envs/prod/{upload_id} as {head[:12]}",
    ) in await _events(app, upload_id)

    second = await add_revision(app, upload_id, replicas=2)
    await commit_gitops(ctx, second, "VERIFYING")
    clone = tmp_path / "clone"
    url = server.repo_url("deploy").replace("http://", f"http://{server.username}:{server.password}@")
    git("clone", "-q", url, str(clone))
    assert git("log", "--format=%s", cwd=clone).splitlines() == [
        f"justpush: orders upload {upload_id} revision 2",
        f"justpush: orders upload {upload_id} revision 1",
    ]
    assert (clone / "envs" / "prod" / upload_id / "flux" / "sync.yaml").is_file()

    # The token is revoked: the job warns and goes on; the branch is untouched.
    revoked = settings.gitops.model_copy(update={"token": SecretStr("revoked")})
    ctx.settings = settings.model_copy(update={"gitops": revoked})
    third = await add_revision(app, upload_id, replicas=1)
    await commit_gitops(ctx, third, "VERIFYING")
    assert len(ctx.warnings) == 1 and "GitOps commit failed" in ctx.warnings[0]
    assert "refused the credentials" in ctx.warnings[0] and "revoked" not in ctx.warnings[0]
    assert server.head("deploy") == git("rev-parse", "HEAD", cwd=clone).strip()
