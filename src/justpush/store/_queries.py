"""Query functions: each takes a session and only flushes; the caller owns the transaction.

Functions that look a resource up for a user take `owner_id` and raise NotFoundError both when the
row is missing and when it belongs to someone else, so existence never leaks across users.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, Text, func, insert, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from justpush.errors import ConflictError, NotFoundError

from ._orm import (
    ACTIVE_JOB_STATUSES,
    AnalyzeResult,
    ApiToken,
    AuditEvent,
    DeploymentEvent,
    DeploymentJob,
    DeploymentRevision,
    StartCheck,
    Upload,
    User,
    utcnow,
)


class Cipher(Protocol):
    """Symmetric encryption of secrets at rest (`justpush.security.SecretBox`)."""

    def encrypt(self, plaintext: str) -> str: ...

    def decrypt(self, token: str) -> str: ...


def _seal(cipher: Cipher, values: dict[str, Any] | None) -> str | None:
    return cipher.encrypt(json.dumps(values, sort_keys=True)) if values else None


def _open(cipher: Cipher, sealed: str | None) -> dict[str, Any]:
    if not sealed:
        return {}
    opened: dict[str, Any] = json.loads(cipher.decrypt(sealed))
    return opened


async def _insert_or_conflict(session: AsyncSession, row: object, message: str, upload_id: str) -> None:
    """Insert in a savepoint: a unique violation becomes ConflictError; the caller's transaction lives on."""
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError as exc:
        raise ConflictError(message, details={"upload_id": upload_id}) from exc


def content_hash(value: str | dict[str, Any] | list[Any]) -> str:
    """sha256 of text, or of canonical JSON (sorted keys, no spaces) for structured values."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- users and tokens ---------------------------------------------------------------------------


async def create_user(session: AsyncSession, name: str, *, is_admin: bool = False) -> User:
    if await get_user_by_name(session, name) is not None:
        raise ConflictError(f"user '{name}' already exists", details={"name": name})
    user = User(name=name, is_admin=is_admin)
    session.add(user)
    await session.flush()
    return user


async def get_user_by_name(session: AsyncSession, name: str) -> User | None:
    return (await session.execute(select(User).where(User.name == name))).scalar_one_or_none()


async def list_users(session: AsyncSession) -> Sequence[User]:
    return (await session.execute(select(User).order_by(User.id))).scalars().all()


async def add_api_token(
    session: AsyncSession, user: User, *, prefix: str, token_hash: str, name: str = ""
) -> ApiToken:
    token = ApiToken(user_id=user.id, prefix=prefix, token_hash=token_hash, name=name)
    session.add(token)
    await session.flush()
    return token


# A token's last use is written at most this often: a client polling a status twice a second would
# otherwise write, and wait for the database's write lock, on every request.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


def token_use_stale(token: ApiToken) -> bool:
    """Whether the token's recorded last use is older than TOKEN_USE_RESOLUTION (or missing)."""
    return token.last_used_at is None or token.last_used_at <= utcnow() - TOKEN_USE_RESOLUTION


async def get_token_user(session: AsyncSession, token_hash: str) -> tuple[ApiToken, User] | None:
    """A live (not revoked) token and its user, without marking the token used (see use_token)."""
    token = await get_live_token(session, token_hash)
    if token is None:
        return None
    user = await session.get(User, token.user_id)
    return None if user is None else (token, user)


async def use_token(session: AsyncSession, token: ApiToken) -> None:
    """Record the token's use, when its recorded one is stale (see TOKEN_USE_RESOLUTION)."""
    if token_use_stale(token):
        token.last_used_at = utcnow()
        await session.flush()


async def mark_token_used(session: AsyncSession, token_hash: str) -> None:
    """`use_token` for the live token with this hash, loaded by `session` (a reader's row is read-only)."""
    token = await get_live_token(session, token_hash)
    if token is not None:
        await use_token(session, token)


async def get_live_token(session: AsyncSession, token_hash: str) -> ApiToken | None:
    """The live (not revoked) token with this hash, without marking it used."""
    query = select(ApiToken).where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
    return (await session.execute(query)).scalar_one_or_none()


async def revoke_token(session: AsyncSession, token_hash: str) -> bool:
    """Revoke one live token; False when there was none with that hash."""
    token = (
        await session.execute(
            select(ApiToken).where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
        )
    ).scalar_one_or_none()
    if token is None:
        return False
    token.revoked_at = utcnow()
    await session.flush()
    return True


async def revoke_user_tokens(session: AsyncSession, user: User) -> int:
    """Revoke every live token of `user`; how many there were."""
    tokens = (
        (
            await session.execute(
                select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            )
        )
        .scalars()
        .all()
    )
    now = utcnow()
    for token in tokens:
        token.revoked_at = now
    await session.flush()
    return len(tokens)


async def token_is_live(session: AsyncSession, token_hash: str) -> bool:
    """Whether a token with this hash exists and is not revoked (without marking it used)."""
    query = select(ApiToken.id).where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
    return (await session.execute(query)).first() is not None


# --- uploads ------------------------------------------------------------------------------------


async def add_upload(
    session: AsyncSession,
    *,
    upload_id: str,
    owner_id: int,
    source_kind: str,
    workspace: str,
    files: int,
    size_bytes: int,
    filename: str | None = None,
    git_url: str | None = None,
    git_ref: str | None = None,
    git_commit: str | None = None,
    status: str = "ready",
) -> Upload:
    upload = Upload(
        id=upload_id,
        owner_id=owner_id,
        source_kind=source_kind,
        workspace=workspace,
        files=files,
        bytes=size_bytes,
        filename=filename,
        git_url=git_url,
        git_ref=git_ref,
        git_commit=git_commit,
        status=status,
    )
    session.add(upload)
    await session.flush()
    return upload


async def get_upload(session: AsyncSession, upload_id: str, *, owner_id: int | None) -> Upload:
    """The upload, checked against `owner_id` (None skips the check, for the pipeline worker)."""
    upload = await session.get(Upload, upload_id)
    if upload is None or (owner_id is not None and upload.owner_id != owner_id):
        raise NotFoundError(f"upload '{upload_id}' not found", details={"upload_id": upload_id})
    return upload


async def list_uploads(session: AsyncSession, *, owner_id: int) -> Sequence[Upload]:
    query = select(Upload).where(Upload.owner_id == owner_id).order_by(Upload.created_at.desc(), Upload.id)
    return (await session.execute(query)).scalars().all()


async def delete_upload(session: AsyncSession, upload: Upload) -> None:
    """Delete the row and, by cascade, its analysis, revisions, events and jobs."""
    await session.delete(upload)
    await session.flush()


# --- analysis and the deployment record ---------------------------------------------------------


async def get_analyze_result(
    session: AsyncSession, upload_id: str, *, with_spec: bool = True
) -> AnalyzeResult | None:
    """The row; `with_spec=False` leaves the spec unloaded (read it with `get_spec_text`)."""
    options = [] if with_spec else [defer(AnalyzeResult.spec, raiseload=True)]
    return await session.get(AnalyzeResult, upload_id, options=options)


async def get_spec_text(session: AsyncSession, upload_id: str) -> str | None:
    """The stored spec as JSON text, not decoded: a spec may be megabytes, and decoding it here would
    happen on the event loop. None when there is no spec."""
    query = select(sql_cast(AnalyzeResult.spec, Text)).where(AnalyzeResult.upload_id == upload_id)
    text = (await session.execute(query)).scalar_one_or_none()
    return None if text is None or text == "null" else text


async def ensure_analyze_result(session: AsyncSession, upload_id: str) -> AnalyzeResult:
    """The upload's result row, created in status `pending` when missing."""
    result = await session.get(AnalyzeResult, upload_id)
    if result is None:
        result = AnalyzeResult(upload_id=upload_id, status="pending", warnings=[])
        session.add(result)
        await session.flush()
    return result


def record_analysis(result: AnalyzeResult, outcome: Mapping[str, Any]) -> None:
    """Store a successful analysis: `outcome` is `justpush.analysis.AnalysisResult.to_dict()`."""
    result.status = "succeeded"
    result.profile = outcome["profile"]
    result.spec = outcome["spec"]
    result.spec_source = outcome.get("specSource")
    result.spec_reason = outcome.get("specReason")
    result.warnings = list(outcome.get("warnings") or [])
    result.error = None
    result.analyzed_at = utcnow()


def set_developer_api_key(result: AnalyzeResult, key: str | None, cipher: Cipher) -> None:
    result.developer_api_key = cipher.encrypt(key) if key else None


def developer_api_key(result: AnalyzeResult, cipher: Cipher) -> str | None:
    return cipher.decrypt(result.developer_api_key) if result.developer_api_key else None


async def claim_key_reveal(session: AsyncSession, upload_id: str) -> bool:
    """Mark the upload's developer key as shown; True for the one caller that marked it (one
    conditional UPDATE, so two transactions side by side cannot both see it unshown)."""
    marked = await session.execute(
        update(AnalyzeResult)
        .where(AnalyzeResult.upload_id == upload_id, AnalyzeResult.api_key_revealed_at.is_(None))
        .values(api_key_revealed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return cast("CursorResult[Any]", marked).rowcount == 1


async def gateway_debts(session: AsyncSession) -> list[str]:
    """Uploads whose Kong cleanup is owed and that no queued or running job is settling."""
    active = select(DeploymentJob.upload_id).where(DeploymentJob.status.in_(ACTIVE_JOB_STATUSES))
    query = (
        select(AnalyzeResult.upload_id)
        .where(AnalyzeResult.gateway_owed.is_not(None), AnalyzeResult.upload_id.not_in(active))
        .order_by(AnalyzeResult.upload_id)
    )
    return list((await session.execute(query)).scalars().all())


# --- deployment revisions (append-only) ---------------------------------------------------------


async def add_revision(
    session: AsyncSession,
    cipher: Cipher,
    *,
    upload_id: str,
    image: str,
    image_digest: str,
    env: dict[str, str],
    secret_env: dict[str, str],
    replicas: int,
    resources: dict[str, Any],
    manifests: str,
    kong_config: dict[str, Any],
    created_by: int | None,
    release: dict[str, Any] | None = None,
    status: str = "applied",
) -> DeploymentRevision:
    """Append the next revision (1, 2, …); hashes are computed here so they always match the content."""
    latest = await session.execute(
        select(func.max(DeploymentRevision.revision)).where(DeploymentRevision.upload_id == upload_id)
    )
    revision = DeploymentRevision(
        upload_id=upload_id,
        revision=(latest.scalar_one_or_none() or 0) + 1,
        image=image,
        image_digest=image_digest,
        env=dict(sorted(env.items())),
        secret_env=_seal(cipher, secret_env),
        replicas=replicas,
        resources=resources,
        manifests=manifests,
        manifests_hash=content_hash(manifests),
        kong_config=kong_config,
        kong_config_hash=content_hash(kong_config),
        release=release,
        created_by=created_by,
        status=status,
    )
    await _insert_or_conflict(
        session, revision, f"another revision of upload '{upload_id}' was written concurrently", upload_id
    )
    return revision


def revision_secret_env(revision: DeploymentRevision, cipher: Cipher) -> dict[str, str]:
    return _open(cipher, revision.secret_env)


async def list_revisions(session: AsyncSession, upload_id: str) -> Sequence[DeploymentRevision]:
    query = (
        select(DeploymentRevision)
        .where(DeploymentRevision.upload_id == upload_id)
        .order_by(DeploymentRevision.revision)
    )
    return (await session.execute(query)).scalars().all()


async def get_revision(session: AsyncSession, upload_id: str, revision: int) -> DeploymentRevision:
    row = (
        await session.execute(
            select(DeploymentRevision).where(
                DeploymentRevision.upload_id == upload_id, DeploymentRevision.revision == revision
            )
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFoundError(
            f"upload '{upload_id}' has no revision {revision}",
            details={"upload_id": upload_id, "revision": revision},
        )
    return row


async def latest_revision(session: AsyncSession, upload_id: str) -> DeploymentRevision | None:
    query = (
        select(DeploymentRevision)
        .where(DeploymentRevision.upload_id == upload_id)
        .order_by(DeploymentRevision.revision.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


# --- sandboxed start checks ---------------------------------------------------------------------


async def start_check_passed(
    session: AsyncSession, *, owner_id: int, run_digest: str, inputs_hash: str
) -> bool:
    query = select(StartCheck.id).where(
        StartCheck.owner_id == owner_id,
        StartCheck.run_digest == run_digest,
        StartCheck.inputs_hash == inputs_hash,
    )
    return (await session.execute(query.limit(1))).first() is not None


async def record_start_check(
    session: AsyncSession, *, owner_id: int, run_digest: str, inputs_hash: str, job_id: str | None = None
) -> None:
    """Remember a passed check; one already recorded (another job of the same image) stays as it is."""
    row = StartCheck(owner_id=owner_id, run_digest=run_digest, inputs_hash=inputs_hash, job_id=job_id)
    # The savepoint's rollback drops the duplicate row; the caller's transaction lives on.
    with contextlib.suppress(IntegrityError):
        async with session.begin_nested():
            session.add(row)
            await session.flush()


# --- deployment events --------------------------------------------------------------------------


async def add_event(
    session: AsyncSession,
    *,
    upload_id: str,
    stage: str,
    kind: str,
    message: str = "",
    data: dict[str, Any] | None = None,
    job_id: str | None = None,
) -> DeploymentEvent:
    event = DeploymentEvent(
        upload_id=upload_id, job_id=job_id, stage=stage, kind=kind, message=message, data=data
    )
    session.add(event)
    await session.flush()
    return event


async def add_progress(
    session: AsyncSession, *, upload_id: str, job_id: str | None, lines: Sequence[tuple[str, str]]
) -> None:
    """Log lines, each a (stage, message), as `progress` events in order, written in one round trip."""
    if not lines:
        return
    # An ORM bulk insert: one executemany, no RETURNING of ids nobody reads.
    await session.execute(
        insert(DeploymentEvent),
        [
            {"upload_id": upload_id, "job_id": job_id, "stage": stage, "kind": "progress", "message": line}
            for stage, line in lines
        ],
    )


async def list_events(
    session: AsyncSession, upload_id: str, *, after_id: int = 0, limit: int | None = None
) -> Sequence[DeploymentEvent]:
    """Events in id order, strictly after `after_id` (an SSE Last-Event-ID)."""
    query = (
        select(DeploymentEvent)
        .where(DeploymentEvent.upload_id == upload_id, DeploymentEvent.id > after_id)
        .order_by(DeploymentEvent.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return (await session.execute(query)).scalars().all()


# --- deployment jobs ----------------------------------------------------------------------------


async def enqueue_job(
    session: AsyncSession,
    cipher: Cipher,
    *,
    upload_id: str,
    kind: str,
    options: dict[str, Any] | None = None,
    secret_options: dict[str, Any] | None = None,
    created_by: int | None = None,
) -> DeploymentJob:
    """Queue a job; ConflictError when the upload already has a queued or running one.

    The partial unique index decides, so this holds under concurrency on SQLite and PostgreSQL; the
    insert runs in a savepoint, so the caller's transaction stays usable after a conflict.
    """
    job = DeploymentJob(
        id=uuid.uuid4().hex,
        upload_id=upload_id,
        kind=kind,
        status="queued",
        options=options or {},
        secret_options=_seal(cipher, secret_options),
        created_by=created_by,
    )
    await _insert_or_conflict(
        session, job, f"upload '{upload_id}' already has a queued or running job", upload_id
    )
    return job


def job_secret_options(job: DeploymentJob, cipher: Cipher) -> dict[str, Any]:
    return _open(cipher, job.secret_options)


async def get_job(session: AsyncSession, job_id: str) -> DeploymentJob:
    job = await session.get(DeploymentJob, job_id)
    if job is None:
        raise NotFoundError(f"job '{job_id}' not found", details={"job_id": job_id})
    return job


async def active_job(session: AsyncSession, upload_id: str) -> DeploymentJob | None:
    query = select(DeploymentJob).where(
        DeploymentJob.upload_id == upload_id, DeploymentJob.status.in_(ACTIVE_JOB_STATUSES)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def list_active_jobs(session: AsyncSession) -> Sequence[DeploymentJob]:
    """Every queued or running job, oldest first (recovery looks for those whose worker died)."""
    query = (
        select(DeploymentJob)
        .where(DeploymentJob.status.in_(ACTIVE_JOB_STATUSES))
        .order_by(DeploymentJob.created_at, DeploymentJob.id)
    )
    return (await session.execute(query)).scalars().all()


async def requeue_job(session: AsyncSession, job_id: str) -> None:
    """Hand a running job whose worker died back to the queue (for kinds that are safe to repeat)."""
    job = await get_job(session, job_id)
    job.status, job.worker_id, job.heartbeat_at = "queued", None, None
    await session.flush()


async def hold_lease(session: AsyncSession, job_id: str, lease: int) -> bool:
    """Heartbeat the job if it still runs under `lease`; False once it was taken over or finished.

    The UPDATE locks the row until the caller's transaction ends, so a takeover waits for a write
    that checked the lease, and a write after a takeover finds the new lease and stops.
    """
    result = await session.execute(
        update(DeploymentJob)
        .where(DeploymentJob.id == job_id, DeploymentJob.lease == lease, DeploymentJob.status == "running")
        .values(heartbeat_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


async def take_over_job(session: AsyncSession, job_id: str, *, lease: int, worker_id: str) -> int | None:
    """Move a running job to `worker_id` under a new lease, if it still has `lease`; the new lease.

    None when another worker took it over first, or it finished meanwhile.
    """
    result = await session.execute(
        update(DeploymentJob)
        .where(DeploymentJob.id == job_id, DeploymentJob.lease == lease, DeploymentJob.status == "running")
        .values(lease=lease + 1, worker_id=worker_id, heartbeat_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return lease + 1 if _rowcount(result) == 1 else None


def _rowcount(result: object) -> int:
    # An UPDATE's result is a CursorResult; the session's signature only says Result.
    return int(cast("CursorResult[Any]", result).rowcount)


async def list_jobs(session: AsyncSession, upload_id: str) -> Sequence[DeploymentJob]:
    query = (
        select(DeploymentJob)
        .where(DeploymentJob.upload_id == upload_id)
        .order_by(DeploymentJob.created_at, DeploymentJob.id)
    )
    return (await session.execute(query)).scalars().all()


async def claim_next_job(session: AsyncSession, *, worker_id: str) -> DeploymentJob | None:
    """Mark the oldest queued job running for `worker_id`; None when nothing is queued.

    PostgreSQL skips rows other workers hold locked; SQLite's BEGIN IMMEDIATE already serialises writers.
    """
    query = (
        select(DeploymentJob)
        .where(DeploymentJob.status == "queued")
        .order_by(DeploymentJob.created_at, DeploymentJob.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    job = (await session.execute(query)).scalar_one_or_none()
    if job is None:
        return None
    now = utcnow()
    job.status, job.worker_id, job.started_at, job.heartbeat_at = "running", worker_id, now, now
    job.lease += 1
    await session.flush()
    return job


async def set_job_stage(session: AsyncSession, job_id: str, stage: str) -> None:
    """The stage the job reached, written without loading the job (its lease check heartbeat it)."""
    await session.execute(
        update(DeploymentJob)
        .where(DeploymentJob.id == job_id)
        .values(stage=stage)
        .execution_options(synchronize_session=False)
    )


async def request_job_cancel(session: AsyncSession, job: DeploymentJob, *, actor: str) -> None:
    """Ask the worker running `job` to stop; the first request wins, repeats change nothing."""
    if job.cancel_requested_at is None:
        job.cancel_requested_at, job.cancel_requested_by = utcnow(), actor
        await session.flush()


async def job_cancel_requester(session: AsyncSession, job_id: str) -> str | None:
    """Who asked to cancel the job, or None while nobody has."""
    query = select(DeploymentJob.cancel_requested_at, DeploymentJob.cancel_requested_by).where(
        DeploymentJob.id == job_id
    )
    row = (await session.execute(query)).one_or_none()
    if row is None or row.cancel_requested_at is None:
        return None
    return row.cancel_requested_by or "someone"


async def finish_job(
    session: AsyncSession, job: DeploymentJob, *, succeeded: bool, error: str | None = None
) -> None:
    job.status = "succeeded" if succeeded else "failed"
    job.error = error
    job.finished_at = utcnow()
    await session.flush()


# --- audit --------------------------------------------------------------------------------------


async def add_audit_event(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    target: str,
    result: str,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(actor=actor, action=action, target=target, result=result, details=details or {})
    session.add(event)
    await session.flush()
    return event


async def list_audit_events(
    session: AsyncSession, *, target: str | None = None, limit: int = 100
) -> Sequence[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if target is not None:
        query = query.where(AuditEvent.target == target)
    return (await session.execute(query)).scalars().all()
