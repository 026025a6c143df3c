"""Engines and sessions from a database URL; nothing here is module-level state."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

from justpush.errors import ConfigError

logger = logging.getLogger(__name__)

# SQLite waits this long for another writer before "database is locked".
SQLITE_BUSY_TIMEOUT_SECONDS = 30
# The execution option that marks an engine's connections as reading only (see `reader_factory`).
_READ_ONLY = "justpush_read_only"


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"database.url is not a valid database URL: {exc}") from exc


def sync_url(url: str) -> str:
    """The URL for synchronous use (Alembic): `postgresql://` becomes psycopg 3, SQLite stays pysqlite."""
    parsed = _parse(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql" or parsed.drivername == "postgres":
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend == "sqlite":
        parsed = parsed.set(drivername="sqlite")
    else:
        raise ConfigError(f"database.url: unsupported database '{backend}' (use sqlite or postgresql)")
    return parsed.render_as_string(hide_password=False)


def async_url(url: str) -> str:
    """The URL for the async engine: psycopg 3 (async mode) or aiosqlite."""
    parsed = _parse(sync_url(url))
    if parsed.get_backend_name() == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed.render_as_string(hide_password=False)


def prepare_sqlite_file(url: str) -> None:
    """Create a SQLite file's folder (0700) and the file itself (0600) before SQLite opens it.

    SQLite creates its -wal and -shm files with the database file's mode, so they stay private too;
    an existing database from an older version is made private here.
    """
    parsed = _parse(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return
    path = Path(parsed.database)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600))
    for companion in (path, *(path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal"))):
        if not companion.exists():
            continue
        try:
            companion.chmod(0o600)
        except PermissionError as exc:
            logger.warning(
                "%s cannot be made private (mode 0600): %s",
                companion,
                exc.strerror,
                extra={"stage": "startup", "path": companion.as_posix()},
            )


def _configure_sqlite(engine: AsyncEngine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT and begins lazily; take control of BEGIN.
    # BEGIN IMMEDIATE serialises writers up front, so concurrent requests wait instead of failing.
    # Readers begin deferred: in WAL mode they read a snapshot, and neither wait for a writer nor make
    # one wait (a job's small commits used to queue behind every event stream read and cancel check).
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL syncs at checkpoints rather than on every commit: still crash-safe for the
        # database, and the pipeline's many small event commits stop waiting on fsync.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        read_only = connection.get_execution_options().get(_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine for `url` (any of sqlite://, postgresql://, postgresql+psycopg://)."""
    prepare_sqlite_file(url)
    target = async_url(url)
    # Bound parameters hold env values and other user data: never in a log line, whatever the level.
    if make_url(target).get_backend_name() == "sqlite":
        engine = create_async_engine(
            target,
            echo=echo,
            hide_parameters=True,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
        )
        _configure_sqlite(engine)
        return engine
    return create_async_engine(target, echo=echo, hide_parameters=True, pool_pre_ping=True)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded attributes after commit (routes convert rows after committing)."""
    return async_sessionmaker(engine, expire_on_commit=False)


class ReadOnlySession(Session):
    """The sync side of a reader: its transaction holds no write lock, so a flush of changes is refused."""

    def flush(self, objects: Sequence[Any] | None = None) -> None:
        if self.new or self.dirty or self.deleted:
            raise InvalidRequestError("a read-only session cannot write: use the job's or request's writer")
        super().flush(objects)


def reader_factory(sessions: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    """Sessions on the engine of `sessions` for reads only: on SQLite they begin deferred."""
    engine = sessions.kw["bind"]
    return async_sessionmaker(
        engine.execution_options(**{_READ_ONLY: True}),
        expire_on_commit=False,
        sync_session_class=ReadOnlySession,
    )
