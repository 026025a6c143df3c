"""When a sandboxed start check that passed before is skipped: the plan's inputs hash, and the store."""

from __future__ import annotations

import secrets
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from justpush import k8s, store
from justpush.config import SandboxSettings
from justpush.pipeline._start_check import GRACE_SECONDS, plan_start_check

DIGEST = "sha256:" + "c" * 64
SANDBOX = SandboxSettings(runtime="runsc", memory_mb=1024)
APP = k8s.AppDeployment(
    upload_id="u1",
    app_name="inventory",
    image="registry.test/inventory@sha256:" + "d" * 64,
    port=8000,
    env=(k8s.EnvEntry("LOG_LEVEL", "info"), k8s.EnvEntry("API_TOKEN", "s3cret", secret=True)),
)


def _hash(sandbox: SandboxSettings = SANDBOX, app: k8s.AppDeployment = APP) -> str:
    return plan_start_check(sandbox, app, DIGEST).inputs_hash()


def test_the_plan_runs_the_app_as_the_pod_would() -> None:
    plan = plan_start_check(SANDBOX, APP, DIGEST)
    assert plan.environment["LOG_LEVEL"] == "info" and plan.environment["API_TOKEN"] == "s3cret"
    assert "HOME" in plan.environment and "/tmp" in plan.writable_dirs
    assert (plan.runtime, plan.memory_mb, plan.grace_seconds) == ("runsc", 1024, GRACE_SECONDS)
    assert plan.skipped_message() == f"start check: passed before for {DIGEST}, skipped"
    assert "s3cret" not in repr(plan)


def test_the_plan_writes_where_the_pod_writes() -> None:
    # The pod's emptyDirs are empty folders of the check; its seeded app folder is a seeded one there too,
    # under a root that stays read-only.
    plan = plan_start_check(SANDBOX, replace(APP, writable_paths=(".", "media")), DIGEST)
    assert (plan.seeded_dirs, plan.writable_root) == (("/app",), False)
    assert "/app/media" in plan.writable_dirs and "/app" not in plan.writable_dirs
    plain = plan_start_check(SANDBOX, replace(APP, read_only_root=False), DIGEST)
    assert (plain.seeded_dirs, plain.writable_root) == ((), True)


def test_variable_values_and_replicas_do_not_change_the_inputs() -> None:
    values = (k8s.EnvEntry("LOG_LEVEL", "debug"), k8s.EnvEntry("API_TOKEN", "other", secret=True))
    assert _hash(app=replace(APP, env=values)) == _hash()
    assert _hash(app=replace(APP, replicas=3, image="registry.test/inventory:other")) == _hash()


def test_what_decides_the_outcome_changes_the_inputs() -> None:
    variants = [
        _hash(app=replace(APP, env=(*APP.env, k8s.EnvEntry("DATABASE_URL", "x")))),
        _hash(app=replace(APP, env=APP.env[:1])),
        _hash(app=replace(APP, port=9000)),
        _hash(app=replace(APP, writable_paths=("uploads",))),
        _hash(app=replace(APP, writable_paths=(".",))),
        _hash(app=replace(APP, read_only_root=False)),
        _hash(sandbox=SANDBOX.model_copy(update={"runtime": "runc"})),
        _hash(sandbox=SANDBOX.model_copy(update={"memory_mb": 256})),
        _hash(sandbox=SANDBOX.model_copy(update={"cpus": 0.5})),
        _hash(sandbox=SANDBOX.model_copy(update={"pids_limit": 64})),
    ]
    assert _hash() not in variants
    assert len(set(variants)) == len(variants)


async def test_a_recorded_pass_is_found_for_its_owner_digest_and_inputs_only(
    session: AsyncSession, sessions: async_sessionmaker[AsyncSession]
) -> None:
    owner = await store.create_user(session, f"u-{secrets.token_hex(4)}")
    other = await store.create_user(session, f"u-{secrets.token_hex(4)}")
    inputs = _hash()
    key = {"run_digest": DIGEST, "inputs_hash": inputs}
    assert not await store.start_check_passed(session, owner_id=owner.id, **key)
    await store.record_start_check(session, owner_id=owner.id, job_id="j1", **key)
    # A second job of the same image records it again: no error, one row.
    await store.record_start_check(session, owner_id=owner.id, job_id="j2", **key)
    await session.commit()
    async with sessions() as fresh:
        assert await store.start_check_passed(fresh, owner_id=owner.id, **key)
        assert not await store.start_check_passed(fresh, owner_id=other.id, **key)
        assert not await store.start_check_passed(
            fresh, owner_id=owner.id, run_digest="sha256:" + "e" * 64, inputs_hash=inputs
        )
        assert not await store.start_check_passed(
            fresh, owner_id=owner.id, run_digest=DIGEST, inputs_hash=_hash(app=replace(APP, port=1))
        )
        rows = (await fresh.execute(store.StartCheck.__table__.select())).all()
        assert len([r for r in rows if r.owner_id == owner.id]) == 1
