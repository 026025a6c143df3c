"""`justpush gc`: remove local images JustPush builds left in the Docker engine.

Deployments pull their image from the registry, so an engine copy is needed only while its upload's job
builds and pushes it. Jobs remove what they create; this collects what older versions, or workers that
died or lost their job, left behind: every image carrying JustPush's upload label whose upload has no
queued or running job.
"""

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from ._app import load_settings

if TYPE_CHECKING:
    from justpush import build

out = Console(highlight=False, soft_wrap=True)


def collectable(
    images: list["build.LocalImage"], *, busy: set[str], only: set[str]
) -> list["build.LocalImage"]:
    """The images no queued or running job needs (of the uploads in `only`, when given)."""
    return [
        image for image in images if image.upload_id not in busy and (not only or image.upload_id in only)
    ]


def gc(
    ctx: typer.Context,
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be removed; remove nothing."),
    upload: list[str] = typer.Option([], "--upload", help="Only images of this upload id (repeatable)."),
    config: Path | None = typer.Option(None, "--config", help="Configuration file.", dir_okay=False),
) -> None:
    """Remove local images of uploads with no queued or running job."""
    import anyio

    from justpush import build, store

    settings = load_settings(ctx, config)
    store.upgrade(settings.database_url)

    async def run() -> list[build.LocalImage]:
        engine = store.create_engine(settings.database_url)
        try:
            async with store.session_factory(engine)() as session:
                busy = {job.upload_id for job in await store.list_active_jobs(session)}
        finally:
            await engine.dispose()
        builder = build.DockerBuilder(settings.build)
        try:
            chosen = collectable(await builder.local_images(), busy=busy, only=set(upload))
            if not dry_run:
                for image in chosen:
                    await builder.remove_image(image.image_id, upload_id=image.upload_id)
        finally:
            await builder.aclose()
        return chosen

    chosen = anyio.run(run)
    verb = "would remove" if dry_run else "removed"
    for image in chosen:
        names = ", ".join(image.tags) or image.image_id[:19]
        out.print(f"{verb} {names} (upload {image.upload_id}, {image.size / 1e6:.1f} MB)")
    total = sum(image.size for image in chosen) / 1e6
    out.print(f"{verb} {len(chosen)} image(s), {total:.1f} MB")


def register(app: typer.Typer) -> None:
    app.command("gc")(gc)
