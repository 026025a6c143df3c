"""`justpush gc` on the real Docker engine: images left by older versions go, a running job's image stays."""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import anyio
import docker
import pytest
import yaml
from typer.testing import CliRunner

from justpush import pipeline, store
from justpush.build import UPLOAD_LABEL
from justpush.cli import app
from justpush.config import Settings
from justpush.security import SecretBox, generate_key
from tests.integration.support import local_images, require

pytestmark = pytest.mark.integration


@pytest.fixture
def engine_client() -> Iterator[docker.DockerClient]:
    client = docker.DockerClient(base_url=require("DOCKER_HOST"))
    yield client
    client.close()


def _leftover(client: docker.DockerClient, upload_id: str) -> None:
    """An image as an older JustPush left it: the build tag and the engine's copy of the pushed tag."""
    base = json.loads(require("JUSTPUSH_TEST_BASE_IMAGES"))["busybox"]
    dockerfile = f"FROM {base}\nRUN echo {upload_id} > /id\n".encode()
    image, _ = client.images.build(
        fileobj=io.BytesIO(dockerfile), labels={UPLOAD_LABEL: upload_id}, tag=f"justpush-local/gc:{upload_id}"
    )
    image.tag("registry.example.com/justpush/gc", upload_id)


async def _with_running_job(settings: Settings, upload_id: str) -> None:
    store.upgrade(settings.database_url)
    engine = store.create_engine(settings.database_url)
    try:
        async with store.session_factory(engine).begin() as session:
            user = await store.create_user(session, f"gc-{secrets.token_hex(4)}")
            await store.add_upload(
                session,
                upload_id=upload_id,
                owner_id=user.id,
                source_kind="zip",
                workspace="/w",
                files=1,
                size_bytes=1,
            )
            job = await pipeline.submit_job(
                session,
                SecretBox(generate_key()),
                upload_id=upload_id,
                kind="deploy",
                options={},
                secret_options=None,
                user_id=user.id,
            )
            job.status = "running"
    finally:
        await engine.dispose()


def test_gc_removes_images_no_job_needs(
    make_settings: Callable[..., Settings], engine_client: docker.DockerClient, tmp_path: Path
) -> None:
    settings = make_settings(build={"dockerHost": require("DOCKER_HOST")})
    config = tmp_path / "app-config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "server": {"dataDir": str(settings.server.data_dir)},
                "database": {"url": settings.database.url},
                "build": {"dockerHost": require("DOCKER_HOST")},
            }
        )
    )
    orphan, busy = "gc" + secrets.token_hex(5), "gc" + secrets.token_hex(5)
    _leftover(engine_client, orphan)
    _leftover(engine_client, busy)
    anyio.run(_with_running_job, settings, busy)
    try:
        assert len(local_images(orphan)) == 2
        # Only these two uploads: other builds may share this engine.
        scope = ["--upload", orphan, "--upload", busy]
        runner = CliRunner()
        listed = runner.invoke(app, ["--config", str(config), "gc", "--dry-run", *scope])
        assert listed.exit_code == 0, listed.output
        assert f"would remove justpush-local/gc:{orphan}" in listed.output
        assert busy not in listed.output
        assert len(local_images(orphan)) == 2

        removed = runner.invoke(app, ["--config", str(config), "gc", *scope])
        assert removed.exit_code == 0, removed.output
        assert "removed 1 image(s)" in removed.output
        assert local_images(orphan) == []
        assert len(local_images(busy)) == 2
    finally:
        for tag in local_images(busy) + local_images(orphan):
            engine_client.images.remove(tag, force=True)
