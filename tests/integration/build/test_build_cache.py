"""A job removes its local image but keeps the layers under it: a later upload of the same files (a fresh
copy, so new file times) then builds to the same run digest, which the start check is keyed on. Removed
with its layers, the next build writes new ones and the digest differs: what the job must not do."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

import anyio
import pytest

from justpush.analysis import AnalysisOptions, analyze
from justpush.build import DockerBuilder, DockerfileOptions, prepare_dockerfile
from justpush.config import BuildSettings

pytestmark = pytest.mark.integration

APP = Path(__file__).resolve().parents[2] / "fixtures" / "pipeline-apps" / "python-inventory"


async def _build(
    builder: DockerBuilder, settings: BuildSettings, source: Path, upload_id: str
) -> tuple[str, str]:
    """Build a fresh copy of `source` as upload `upload_id`; returns its tag and run digest."""
    app = source.parent / f"copy-{upload_id}"
    shutil.copytree(source, app)
    profile = analyze(app, AnalysisOptions()).profile
    options = DockerfileOptions(
        base_images=settings.base_images, runtimes=settings.runtimes, upload_id=upload_id
    )
    generated = prepare_dockerfile(app, profile, options)
    tag = f"justpush-test/build-cache:{upload_id}"
    built = await builder.build(
        app,
        generated.dockerfile,
        tag,
        upload_id=upload_id,
        dockerignore=generated.dockerignore,
        files=generated.files,
    )
    return tag, built.run_digest


def test_kept_layers_make_a_rebuild_of_the_same_files_the_same_image(
    build_settings: BuildSettings, tmp_path: Path
) -> None:
    async def run() -> None:
        builder = DockerBuilder(build_settings)
        try:
            for keep_layers in (True, False):
                # Files no earlier build had, so no layers of another test or run are reused.
                source = tmp_path / f"app-{keep_layers}" / "src"
                shutil.copytree(APP, source)
                (source / "build-token.txt").write_text(secrets.token_hex(8))
                first_tag, first = await _build(builder, build_settings, source, f"it-cache-{keep_layers}-a")
                await builder.remove_image(first_tag, upload_id="it-cache", keep_layers=keep_layers)
                second_tag, second = await _build(
                    builder, build_settings, source, f"it-cache-{keep_layers}-b"
                )
                await builder.remove_image(second_tag, upload_id="it-cache")
                assert (first == second) is keep_layers, (keep_layers, first, second)
        finally:
            await builder.aclose()

    anyio.run(run)
