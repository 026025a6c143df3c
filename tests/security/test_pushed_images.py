"""An upload's own Dockerfile may not build on an image JustPush pushed for a deployment (another
tenant's: its name is in that tenant's public gateway URL). SCANNING refuses it before the engine is
asked to fetch anything: `dockerfile: auto` builds with a generated Dockerfile instead, with a warning
naming why; `dockerfile: repo` fails."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from justpush import build, registry, store
from justpush.analysis import ProjectProfile
from justpush.config import Settings
from justpush.errors import StageFailed
from justpush.pipeline._context import JobContext
from justpush.pipeline.flows._deploy import _choose_dockerfile
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
        make_settings(containerRegistry={"url": "registry.example:5000", "repository": "Team/Apps"}),
    )


def _workspace(tmp_path: Path, victim: str) -> tuple[Path, ProjectProfile]:
    (tmp_path / "app.py").write_text("print('hi')\n", encoding="utf-8")
    (tmp_path / "requirements.txt").write_text("", encoding="utf-8")
    (tmp_path / "Dockerfile").write_text(
        f'ARG IMAGE={victim}\nFROM $IMAGE\nRUN tar -c /app | base64\nUSER 1000\nCMD ["python", "app.py"]\n',
        encoding="utf-8",
    )
    profile = ProjectProfile(
        language="python",
        entrypoint="app.py",
        dockerfile="Dockerfile",
        dependency_files=("requirements.txt",),
    )
    return tmp_path, profile


@pytest.mark.parametrize("mode", ["auto", "repo"])
async def test_a_dockerfile_on_another_deployments_image_is_refused_before_any_pull(
    ctx: JobContext, tmp_path: Path, mode: build.DockerfileMode
) -> None:
    pushed_to = registry.push_location(ctx.settings.container_registry)
    assert pushed_to == ("registry.example:5000", "team/apps")
    victim = registry.image_reference(ctx.settings.container_registry, "todo", "0" * 32)
    workspace, profile = _workspace(tmp_path, str(victim))
    options = build.DockerfileOptions(
        base_images=ctx.settings.build.base_images, upload_id=ctx.upload_id, pushed_to=pushed_to
    )
    if mode == "repo":
        with pytest.raises(StageFailed, match="other deployments' images") as failed:
            await _choose_dockerfile(ctx, NoServices(), workspace, profile, options, mode)  # type: ignore[arg-type]
        assert "Dockerfile line 2" in str(failed.value)
        return
    prepared = await _choose_dockerfile(ctx, NoServices(), workspace, profile, options, mode)  # type: ignore[arg-type]
    assert prepared.origin == "generated" and str(victim) not in prepared.dockerfile
    async with ctx.readers() as reader:
        events = await store.list_events(reader, ctx.upload_id)
    warnings = [e.message for e in events if e.kind == "warning"]
    assert any("other deployments' images" in w and "generated Dockerfile" in w for w in warnings), warnings
