"""Alembic, driven programmatically from the package-local environment in `migrations/` (no alembic.ini)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool
from sqlalchemy.exc import SQLAlchemyError

from justpush.errors import ConfigError

from ._db import prepare_sqlite_file, sync_url
from ._orm import Base

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIR.as_posix())
    # Passed as an attribute, not an ini option: ini values go through % interpolation and passwords break it.
    config.attributes["url"] = sync_url(url)
    return config


def _run(action: str, url: str, revision: str) -> None:
    prepare_sqlite_file(url)
    config = alembic_config(url)
    logger.info("database %s to %s", action, revision, extra={"stage": "migrate", "revision": revision})
    try:
        if action == "upgrade":
            command.upgrade(config, revision)
        else:
            command.downgrade(config, revision)
    except SQLAlchemyError as exc:
        raise ConfigError(f"database {action} failed: {exc}") from exc


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` up to `revision` (blocking; call it in a thread from async code)."""
    _run("upgrade", url, revision)


def downgrade(url: str, revision: str = "base") -> None:
    _run("downgrade", url, revision)


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    if head is None:
        raise ConfigError("no database migrations are installed")
    return head


def current_revision(url: str) -> str | None:
    engine = create_engine(sync_url(url), poolclass=pool.NullPool, hide_parameters=True)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def schema_differences(url: str) -> list[Any]:
    """What `alembic revision --autogenerate` would emit; empty when the models match the migrations."""
    engine = create_engine(sync_url(url), poolclass=pool.NullPool, hide_parameters=True)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()
