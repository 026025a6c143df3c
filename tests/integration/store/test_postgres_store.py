"""PostgreSQL for real (testenv's JUSTPUSH_TEST_DATABASE_URL): migrations and the job uniqueness rule."""

from __future__ import annotations

import asyncio
import secrets

import anyio
import pytest
from sqlalchemy import text

from justpush import store
from justpush.errors import ConflictError
from justpush.security import SecretBox, generate_key

pytestmark = pytest.mark.integration


def test_migrations_up_down_up_without_drift(postgres_url: str) -> None:
    store.upgrade(postgres_url)
    assert store.schema_differences(postgres_url) == []
    store.downgrade(postgres_url, "base")
    assert store.current_revision(postgres_url) is None
    store.upgrade(postgres_url)
    assert store.current_revision(postgres_url) == store.head_revision()
    assert store.schema_differences(postgres_url) == []


async def test_partial_unique_index_under_concurrency(postgres_url: str) -> None:
    await anyio.to_thread.run_sync(store.upgrade, postgres_url)
    engine = store.create_engine(postgres_url)
    sessions = store.session_factory(engine)
    box = SecretBox(generate_key())
    try:
        async with sessions() as session:
            indexes = await session.execute(
                text(
                    "SELECT indexdef FROM pg_indexes"
                    " WHERE schemaname = current_schema() AND indexname = 'uq_deployment_jobs_active_upload'"
                )
            )
            assert "WHERE" in indexes.scalar_one()
            user = await store.create_user(session, f"pg-{secrets.token_hex(4)}")
            upload = await store.add_upload(
                session,
                upload_id="p" + secrets.token_hex(5),
                owner_id=user.id,
                source_kind="zip",
                workspace="/w",
                files=1,
                size_bytes=1,
            )
            await session.commit()

        async def attempt() -> bool:
            async with sessions() as own:
                try:
                    await store.enqueue_job(own, box, upload_id=upload.id, kind="deploy")
                    await own.commit()
                except ConflictError:
                    return False
                return True

        assert (await asyncio.gather(*(attempt() for _ in range(20)))).count(True) == 1
    finally:
        await engine.dispose()
