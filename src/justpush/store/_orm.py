"""ORM models (SQLAlchemy 2 `Mapped[]`); the Alembic migrations in `migrations/` must match them exactly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names so migrations can refer to them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ACTIVE_JOB_STATUSES = ("queued", "running")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database (SQLite drops the offset on its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """An API token, stored as the sha256 of the token; `prefix` is non-secret, for display."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class Upload(Base):
    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    source_kind: Mapped[str] = mapped_column(String(8))  # zip | tar | git
    filename: Mapped[str | None] = mapped_column(String(255), default=None)
    git_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    git_ref: Mapped[str | None] = mapped_column(String(255), default=None)
    git_commit: Mapped[str | None] = mapped_column(String(64), default=None)
    workspace: Mapped[str] = mapped_column(String(4096))
    files: Mapped[int] = mapped_column(Integer, default=0)
    bytes: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="ready")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnalyzeResult(Base):
    """One row per upload: the analysis outcome and the deployment record of DESIGN.md."""

    __tablename__ = "analyze_results"

    upload_id: Mapped[str] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|running|succeeded|failed
    profile: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    spec: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    spec_source: Mapped[str | None] = mapped_column(String(64), default=None)
    # Why the spec was generated, taken from the repository, merged, or a repository spec ignored.
    spec_reason: Mapped[str | None] = mapped_column(Text, default=None)
    warnings: Mapped[list[Any]] = mapped_column(default=list)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    docker_image: Mapped[str | None] = mapped_column(String(512), default=None)
    k8s_deployment_info: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    kong_api_id: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # Fernet ciphertext; read and write it through `set_developer_api_key` / `developer_api_key`.
    developer_api_key: Mapped[str | None] = mapped_column(Text, default=None)
    deployment_status: Mapped[str | None] = mapped_column(String(32), default=None)
    resource_usage: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    analyzed_at: Mapped[datetime | None] = mapped_column(default=None)
    deployed_at: Mapped[datetime | None] = mapped_column(default=None)
    # Smoke-test results of the last VERIFYING stage.
    verification: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # Set when the developer API key was shown; the key is masked in every later answer.
    api_key_revealed_at: Mapped[datetime | None] = mapped_column(default=None)
    # Kong cleanup a delete could not do (Kong unreachable), as a message; workers retry it.
    gateway_owed: Mapped[str | None] = mapped_column(Text, default=None)


class DeploymentRevision(Base):
    """Append-only: every applied configuration, so a rollback can re-apply it."""

    __tablename__ = "deployment_revisions"
    __table_args__ = (UniqueConstraint("upload_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    upload_id: Mapped[str] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    image: Mapped[str] = mapped_column(String(512))
    image_digest: Mapped[str] = mapped_column(String(128))
    env: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Fernet ciphertext of a JSON object; never plain.
    secret_env: Mapped[str | None] = mapped_column(Text, default=None)
    replicas: Mapped[int] = mapped_column(Integer, default=1)
    resources: Mapped[dict[str, Any]] = mapped_column(default=dict)
    manifests: Mapped[str] = mapped_column(Text, default="")
    manifests_hash: Mapped[str] = mapped_column(String(64))
    kong_config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    kong_config_hash: Mapped[str] = mapped_column(String(64))
    # Everything needed to re-render this revision except secrets: app name, profile, spec, options.
    release: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(32), default="applied")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeploymentEvent(Base):
    """A stage event; `id` grows monotonically and serves as the SSE Last-Event-ID."""

    __tablename__ = "deployment_events"
    __table_args__ = (Index("ix_deployment_events_upload_id_id", "upload_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    upload_id: Mapped[str] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"))
    job_id: Mapped[str | None] = mapped_column(String(32), default=None)
    stage: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # start | progress | end | error | status
    message: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeploymentJob(Base):
    """A durable pipeline job; at most one queued/running job per upload (partial unique index)."""

    __tablename__ = "deployment_jobs"
    __table_args__ = (
        Index(
            "uq_deployment_jobs_active_upload",
            "upload_id",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
        Index("ix_deployment_jobs_status_created_at", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    upload_id: Mapped[str] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # deploy | redeploy | rollback | delete | gateway
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|running|succeeded|failed
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Fernet ciphertext of a JSON object with the secret options (e.g. secret env values).
    secret_options: Mapped[str | None] = mapped_column(Text, default=None)
    stage: Mapped[str | None] = mapped_column(String(32), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    worker_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # Fencing token, raised by every claim and takeover: a write of the job holds only while the row
    # still carries the lease its writer claimed, so a paused worker can never act on a job taken over.
    lease: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # What a deploy creates outside the database, written before it exists, so recovery can remove it.
    image: Mapped[str | None] = mapped_column(String(512), default=None)
    local_image: Mapped[str | None] = mapped_column(String(512), default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)
    # Set by whoever cancels; the worker running the job polls it and stops at the next safe point.
    cancel_requested_at: Mapped[datetime | None] = mapped_column(default=None)
    cancel_requested_by: Mapped[str | None] = mapped_column(String(64), default=None)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class StartCheck(Base):
    """A sandboxed start check an image passed, per owner: the same image under the same check inputs
    (`pipeline` hashes them) would pass again, so the pipeline skips it.

    Keyed on what the image runs (`build.run_digest`), not on its id: a re-upload of the same files
    differs only in labels. Per owner, so whether an image was checked never leaks across users.
    """

    __tablename__ = "start_checks"
    __table_args__ = (UniqueConstraint("owner_id", "run_digest", "inputs_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    run_digest: Mapped[str] = mapped_column(String(71))
    inputs_hash: Mapped[str] = mapped_column(String(64))
    job_id: Mapped[str | None] = mapped_column(String(32), default=None)
    passed_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(255), index=True)
    result: Mapped[str] = mapped_column(String(16))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)
