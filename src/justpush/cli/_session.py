"""Database access for commands that work in-process (no server): migrate, then one session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from justpush.config import Settings


@asynccontextmanager
async def session_scope(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A session on the configured database, migrated to head first; the caller commits."""
    import anyio

    from justpush import store
    from justpush.security import prepare_data_dir

    prepare_data_dir(settings.server.data_dir)
    await anyio.to_thread.run_sync(store.upgrade, settings.database_url)
    engine = store.create_engine(settings.database_url)
    try:
        async with store.session_factory(engine)() as session:
            yield session
    finally:
        await engine.dispose()
