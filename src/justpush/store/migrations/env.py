"""Alembic environment: the URL comes from `config.attributes["url"]`, set by `justpush.store`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, pool

from justpush.store._orm import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    url = config.attributes["url"]
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(url, poolclass=pool.NullPool, hide_parameters=True)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables so later migrations work on both.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
