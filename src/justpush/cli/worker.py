"""`justpush worker`: run deployment jobs without serving the API.

With several API replicas, run them with `server.worker: none` and any number of these workers
against the same PostgreSQL database: each claims queued jobs with `FOR UPDATE SKIP LOCKED`, so a
job runs once; a worker that dies is noticed by its stale heartbeat and its job recovered.
"""

from pathlib import Path

import typer

from ._app import load_settings


def worker(
    ctx: typer.Context,
    config: Path | None = typer.Option(None, "--config", help="Configuration file.", dir_okay=False),
) -> None:
    """Run the pipeline worker until interrupted."""
    import anyio

    from justpush import pipeline, store
    from justpush.logging import configure_logging
    from justpush.security import load_secret_box, prepare_data_dir

    settings = load_settings(ctx, config)
    configure_logging(settings.server.log_level, settings.server.log_format)
    prepare_data_dir(settings.server.data_dir)
    store.upgrade(settings.database_url)

    async def run() -> None:
        engine = store.create_engine(settings.database_url)
        try:
            box = load_secret_box(settings.security, settings.server.data_dir)
            async with pipeline.PipelineWorker(
                settings, store.session_factory(engine), box, pipeline.EventBroker()
            ):
                await anyio.sleep_forever()
        finally:
            await engine.dispose()

    try:
        anyio.run(run)
    except KeyboardInterrupt:
        typer.echo("worker stopped", err=True)


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
