"""A deploy job with `root`: the stored analysis is reused for that folder, else the upload is re-analysed."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from justpush import pipeline, store
from justpush.config import Settings
from justpush.errors import InvalidRootError
from justpush.pipeline import EventBroker
from justpush.pipeline._context import JobContext
from justpush.pipeline.flows._deploy import _analysis
from justpush.security import SecretBox

MONOREPO = Path(__file__).resolve().parents[2] / "fixtures" / "apps" / "monorepo-react-spring"


@pytest.fixture
async def monorepo_upload(session: AsyncSession, tmp_path: Path) -> store.Upload:
    workspace = tmp_path / "workspace"
    shutil.copytree(MONOREPO, workspace)
    user = await store.create_user(session, f"owner-{secrets.token_hex(4)}")
    row = await store.add_upload(
        session,
        upload_id="u" + secrets.token_hex(5),
        owner_id=user.id,
        source_kind="zip",
        workspace=str(workspace),
        files=5,
        size_bytes=100,
    )
    await session.commit()
    return row


@pytest.fixture
async def ctx(
    sessions: async_sessionmaker[AsyncSession],
    box: SecretBox,
    monorepo_upload: store.Upload,
    make_settings: Callable[..., Settings],
) -> JobContext:
    async with sessions.begin() as session:
        job = await pipeline.submit_job(
            session,
            box,
            upload_id=monorepo_upload.id,
            kind="deploy",
            options={},
            secret_options=None,
            user_id=None,
        )
        # As a worker's claim leaves it: running under lease 1.
        job.status, job.worker_id, job.lease = "running", "test-host:1", 1
        job.started_at = job.heartbeat_at = store.utcnow()
        job_id = job.id
    return JobContext(
        job_id=job_id,
        upload_id=monorepo_upload.id,
        kind="deploy",
        user_id=None,
        settings=make_settings(),
        sessions=sessions,
        cipher=box,
        broker=EventBroker(),
        lease=1,
    )


async def test_root_reuses_or_replaces_the_stored_analysis(
    ctx: JobContext, monorepo_upload: store.Upload, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async def stored() -> store.AnalyzeResult | None:
        async with sessions() as session:
            return await store.get_analyze_result(session, monorepo_upload.id)

    profile, spec = await _analysis(ctx, monorepo_upload, await stored())
    assert profile.app_dir == "backend" and list(spec["paths"]) == ["/api/notes"]
    # The same folder named explicitly: the stored analysis is used as it is.
    again, _ = await _analysis(ctx, monorepo_upload, await stored(), "backend/")
    assert again == profile
    # Another folder: analysed afresh and stored for the next steps.
    root, _ = await _analysis(ctx, monorepo_upload, await stored(), ".")
    assert root.app_dir == "." and root.language == "node"
    record = await stored()
    assert record is not None and record.profile is not None and record.profile["appDir"] == "."
    with pytest.raises(InvalidRootError):
        await _analysis(ctx, monorepo_upload, record, "../elsewhere")
