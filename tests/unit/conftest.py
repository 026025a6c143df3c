"""Database fixtures for store and pipeline unit tests: a migrated engine, sessions, a key, an upload."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import anyio
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from justpush import store
from justpush.security import SecretBox, generate_key


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    await anyio.to_thread.run_sync(store.upgrade, db_url)
    created = store.create_engine(db_url)
    yield created
    await created.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return store.session_factory(engine)


@pytest.fixture
async def session(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessions() as opened:
        yield opened


@pytest.fixture
def box() -> SecretBox:
    return SecretBox(generate_key())


@pytest.fixture
async def upload(session: AsyncSession) -> store.Upload:
    """A committed user with one upload."""
    user = await store.create_user(session, f"owner-{secrets.token_hex(4)}")
    row = await store.add_upload(
        session,
        upload_id="u" + secrets.token_hex(5),
        owner_id=user.id,
        source_kind="zip",
        workspace="/w",
        files=1,
        size_bytes=10,
    )
    await session.commit()
    return row
