"""`justpush db upgrade|current`: database migrations."""

import typer
from rich.console import Console

from ._app import group, load_settings


def upgrade(
    ctx: typer.Context,
    revision: str = typer.Option("head", help="Target revision."),
) -> None:
    """Migrate the configured database (default: to the newest revision)."""
    from justpush import store

    settings = load_settings(ctx)
    store.upgrade(settings.database_url, revision)
    Console().print(f"database at revision {store.current_revision(settings.database_url)}")


def current(ctx: typer.Context) -> None:
    """Print the database's current revision and the newest one available."""
    from justpush import store

    settings = load_settings(ctx)
    Console().print(
        f"current: {store.current_revision(settings.database_url) or 'empty'}  head: {store.head_revision()}"
    )


def register(app: typer.Typer) -> None:
    db = group(app, "db")
    db.command("upgrade")(upgrade)
    db.command("current")(current)
