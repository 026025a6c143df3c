"""Query functions against a real migrated database (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from justpush import security, store
from justpush.errors import ConflictError, NotFoundError
from justpush.security import SecretBox, authenticate, issue_token


async def test_token_authenticates_its_user_and_is_stored_hashed(session: AsyncSession) -> None:
    user = await store.create_user(session, f"u-{secrets.token_hex(4)}")
    token = await issue_token(session, user)
    await session.commit()
    assert (await authenticate(session, token)).id == user.id
    stored = (await session.execute(text("SELECT token_hash, prefix FROM api_tokens"))).all()
    assert all(token not in (row.token_hash, row.prefix) for row in stored)


async def test_duplicate_user_is_a_conflict(session: AsyncSession) -> None:
    name = f"u-{secrets.token_hex(4)}"
    await store.create_user(session, name)
    with pytest.raises(ConflictError):
        await store.create_user(session, name)


async def test_upload_of_another_owner_is_not_found(session: AsyncSession, upload: store.Upload) -> None:
    assert (await store.get_upload(session, upload.id, owner_id=upload.owner_id)).id == upload.id
    with pytest.raises(NotFoundError):
        await store.get_upload(session, upload.id, owner_id=upload.owner_id + 1000)
    assert await store.list_uploads(session, owner_id=upload.owner_id + 1000) == []


async def test_developer_api_key_is_encrypted_at_rest(
    session: AsyncSession, upload: store.Upload, box: SecretBox
) -> None:
    result = await store.ensure_analyze_result(session, upload.id)
    store.set_developer_api_key(result, "dev-key-123", box)
    await session.commit()
    raw = (
        await session.execute(
            text("SELECT developer_api_key FROM analyze_results WHERE upload_id = :id"), {"id": upload.id}
        )
    ).scalar_one()
    assert "dev-key-123" not in raw
    assert store.developer_api_key(result, box) == "dev-key-123"


async def test_revisions_are_numbered_hashed_and_secret_env_encrypted(
    session: AsyncSession, upload: store.Upload, box: SecretBox
) -> None:
    common = {
        "upload_id": upload.id,
        "image": "reg/app:1",
        "image_digest": "sha256:" + "a" * 64,
        "env": {"B": "2", "A": "1"},
        "replicas": 1,
        "resources": {},
        "kong_config": {"services": [{"name": "s"}]},
        "created_by": upload.owner_id,
    }
    first = await store.add_revision(
        session, box, secret_env={"DB_PASSWORD": "correct-horse-battery"}, manifests="a: 1\n", **common
    )
    second = await store.add_revision(session, box, secret_env={}, manifests="a: 2\n", **common)
    await session.commit()
    assert [r.revision for r in await store.list_revisions(session, upload.id)] == [1, 2]
    assert first.manifests_hash != second.manifests_hash
    assert (
        first.kong_config_hash == second.kong_config_hash == store.content_hash({"services": [{"name": "s"}]})
    )
    assert first.secret_env is not None and "correct-horse-battery" not in first.secret_env
    assert store.revision_secret_env(first, box) == {"DB_PASSWORD": "correct-horse-battery"}
    assert store.revision_secret_env(second, box) == {}
    assert list(first.env) == ["A", "B"]
    assert (await store.get_revision(session, upload.id, 2)).id == second.id
    with pytest.raises(NotFoundError):
        await store.get_revision(session, upload.id, 3)


async def test_events_after_last_event_id(session: AsyncSession, upload: store.Upload) -> None:
    ids = [
        (
            await store.add_event(
                session, upload_id=upload.id, stage="build", kind="progress", message=str(i)
            )
        ).id
        for i in range(3)
    ]
    await session.commit()
    assert ids == sorted(ids)
    after = await store.list_events(session, upload.id, after_id=ids[0])
    assert [e.message for e in after] == ["1", "2"]


async def test_progress_lines_are_stored_in_order_in_one_statement(
    session: AsyncSession, upload: store.Upload
) -> None:
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    engine = session.bind
    assert engine is not None
    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        lines = [("BUILDING", f"Step {i}") for i in range(1, 41)] + [("PUSHING", "pushed")]
        await store.add_progress(session, upload_id=upload.id, job_id=None, lines=lines)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    await session.commit()
    stored = await store.list_events(session, upload.id)
    assert [(e.stage, e.kind, e.message) for e in stored] == [(s, "progress", m) for s, m in lines]
    assert len([s for s in statements if s.lstrip().upper().startswith("INSERT")]) == 1


async def test_one_active_job_per_upload_and_session_survives_conflict(
    session: AsyncSession, upload: store.Upload, box: SecretBox
) -> None:
    job = await store.enqueue_job(
        session, box, upload_id=upload.id, kind="deploy", secret_options={"env": {"TOKEN": "t"}}
    )
    with pytest.raises(ConflictError):
        await store.enqueue_job(session, box, upload_id=upload.id, kind="redeploy")
    # The savepoint kept the first job and the transaction usable.
    await session.commit()
    assert (await store.active_job(session, upload.id)) is not None
    assert store.job_secret_options(job, box) == {"env": {"TOKEN": "t"}}
    assert job.secret_options is not None and "TOKEN" not in job.secret_options
    await store.finish_job(session, job, succeeded=True)
    await store.enqueue_job(session, box, upload_id=upload.id, kind="delete")
    await session.commit()
    assert [j.status for j in await store.list_jobs(session, upload.id)] == ["succeeded", "queued"]


async def test_twenty_concurrent_enqueues_make_exactly_one_job(
    sessions: async_sessionmaker[AsyncSession], upload: store.Upload, box: SecretBox
) -> None:
    async def attempt() -> bool:
        async with sessions() as own:
            try:
                await store.enqueue_job(own, box, upload_id=upload.id, kind="deploy")
                await own.commit()
            except ConflictError:
                return False
            return True

    results = await asyncio.gather(*(attempt() for _ in range(20)))
    assert results.count(True) == 1
    async with sessions() as check:
        assert len(await store.list_jobs(check, upload.id)) == 1


async def test_claim_heartbeat_list_and_requeue_jobs(
    session: AsyncSession, upload: store.Upload, box: SecretBox
) -> None:
    queued = await store.enqueue_job(session, box, upload_id=upload.id, kind="deploy")
    await session.commit()
    # On the shared PostgreSQL schema other tests' jobs may be queued too: claim until ours comes.
    claimed_ids = []
    while (claimed := await store.claim_next_job(session, worker_id="w1")) is not None:
        claimed_ids.append(claimed.id)
        if claimed.id == queued.id:
            break
    assert claimed is not None and claimed.id == queued.id and claimed.status == "running"
    await store.set_job_stage(session, claimed.id, "build")
    await session.commit()
    again = await store.claim_next_job(session, worker_id="w2")
    assert again is None or again.id not in [*claimed_ids, queued.id]
    await session.refresh(claimed)
    assert claimed.stage == "build" and claimed.heartbeat_at is not None
    assert queued.id in [j.id for j in await store.list_active_jobs(session)]
    await store.requeue_job(session, queued.id)
    await session.commit()
    await session.refresh(claimed)
    assert (claimed.status, claimed.worker_id, claimed.heartbeat_at) == ("queued", None, None)
    await store.finish_job(session, claimed, succeeded=False, error="done")
    await session.commit()
    assert queued.id not in [j.id for j in await store.list_active_jobs(session)]


async def test_deleting_upload_cascades(session: AsyncSession, upload: store.Upload, box: SecretBox) -> None:
    await store.add_event(session, upload_id=upload.id, stage="s", kind="start")
    await store.ensure_analyze_result(session, upload.id)
    await store.enqueue_job(session, box, upload_id=upload.id, kind="deploy")
    await session.commit()
    await store.delete_upload(session, upload)
    await session.commit()
    assert await store.list_events(session, upload.id) == []
    assert await store.get_analyze_result(session, upload.id) is None


async def test_audit_events(session: AsyncSession) -> None:
    target = f"upload:{secrets.token_hex(4)}"
    await store.add_audit_event(
        session, actor="alice", action="upload.create", target=target, result="success"
    )
    await session.commit()
    [event] = await store.list_audit_events(session, target=target)
    assert (event.actor, event.action, event.at.tzinfo is not None) == ("alice", "upload.create", True)


async def test_a_reader_neither_waits_for_an_open_write_nor_sees_it(
    sessions: async_sessionmaker[AsyncSession], upload: store.Upload
) -> None:
    readers = store.reader_factory(sessions)
    async with sessions.begin() as writer:
        (await store.ensure_analyze_result(writer, upload.id)).docker_image = "not yet committed"
        await writer.flush()
        # A reader that took the write lock would wait here for the writer, then fail as "database is locked".
        async with readers() as reader:
            record = await store.get_analyze_result(reader, upload.id)
        assert record is None or record.docker_image != "not yet committed"
    async with readers() as reader:
        record = await store.get_analyze_result(reader, upload.id)
    assert record is not None and record.docker_image == "not yet committed"


async def test_a_reader_refuses_to_write(
    sessions: async_sessionmaker[AsyncSession], upload: store.Upload
) -> None:
    async with sessions.begin() as writer:
        await store.ensure_analyze_result(writer, upload.id)
    async with store.reader_factory(sessions)() as reader:
        (await store.ensure_analyze_result(reader, upload.id)).docker_image = "written by a reader"
        with pytest.raises(InvalidRequestError, match="read-only"):
            await reader.flush()


async def test_a_tokens_use_is_written_at_most_once_a_minute(session: AsyncSession) -> None:
    user = await store.create_user(session, f"u-{secrets.token_hex(4)}")
    token = await issue_token(session, user)
    token_hash = security.hash_token(token)
    row = await store.get_live_token(session, token_hash)
    assert row is not None and row.last_used_at is None
    await security.authenticate(session, token)
    first = row.last_used_at
    assert first is not None
    # Within the minute: nothing written, by an authentication or a reader's later mark.
    await security.authenticate(session, token)
    await store.mark_token_used(session, token_hash)
    assert row.last_used_at == first
    # Identifying leaves the mark to its caller, and gives the row it read.
    row.last_used_at = first - store.TOKEN_USE_RESOLUTION
    await session.flush()
    identified, read = await security.identify(session, token)
    assert identified.id == user.id and read is row
    assert row.last_used_at == first - store.TOKEN_USE_RESOLUTION and store.token_use_stale(row)
    await store.mark_token_used(session, token_hash)
    assert row.last_used_at > first
