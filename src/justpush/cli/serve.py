"""`justpush serve`: migrate the database to head, then run the API with uvicorn."""

from pathlib import Path

import typer

from ._app import load_settings


def serve(
    ctx: typer.Context,
    host: str | None = typer.Option(None, help="Interface to bind (default: server.host)."),
    port: int | None = typer.Option(None, help="Port to listen on (default: server.port)."),
    config: Path | None = typer.Option(None, "--config", help="Configuration file.", dir_okay=False),
) -> None:
    """Run the JustPush API server."""
    import uvicorn

    from justpush import store
    from justpush.logging import configure_logging
    from justpush.web import create_app, default_workers

    settings = load_settings(ctx, config)
    configure_logging(settings.server.log_level, settings.server.log_format)
    # Before binding the port, so a server that answers is always on the current schema.
    store.upgrade(settings.database_url)
    app = create_app(settings, workers=default_workers(settings), migrate=False)
    uvicorn.run(
        app,
        host=host or settings.server.host,
        port=port or settings.server.port,
        log_config=None,
        server_header=False,
    )


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
