"""Request and response models (`…Create` / `…Public`); ORM rows never leave the web layer."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorBody(BaseModel):
    """Every error response has this shape."""

    error: ErrorDetail


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    is_admin: bool
    created_at: datetime


class GitUploadCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    git_url: str = Field(min_length=1, max_length=2048, examples=["https://github.com/org/repo.git"])
    ref: str | None = Field(None, max_length=200, description="Branch or tag; the default branch if omitted.")


class UploadCreated(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    status: str
    files: int
    bytes: int


class UploadPublic(UploadCreated):
    source_kind: str
    filename: str | None
    git_url: str | None
    git_ref: str | None
    git_commit: str | None
    created_at: datetime


class UploadSummary(UploadPublic):
    """A row of the uploads list: what the app is and where its deployment stands."""

    app_name: str | None = None
    language: str | None = None
    framework: str | None = None
    analysis_status: str = "not_started"
    deployment_status: str | None = None
    url: str | None = None
    deployed_at: datetime | None = None


class AnalyzeAccepted(BaseModel):
    upload_id: str
    status: str


class AnalyzeOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The API's folder inside the upload ("backend"); one of profile.appDirCandidates. None: detected.
    root: str | None = Field(None, max_length=1000)


class AnalyzePublic(BaseModel):
    upload_id: str
    # not_started | running | succeeded | failed
    status: str
    profile: dict[str, Any] | None = None
    spec: dict[str, Any] | None = None
    spec_source: str | None = None
    spec_reason: str | None = None
    warnings: list[Any] = Field(default_factory=list)
    error: str | None = None
    analyzed_at: datetime | None = None


class DeploymentAccepted(BaseModel):
    """A queued pipeline job; follow it at `events_url`."""

    upload_id: str
    job_id: str
    kind: str
    status: str
    events_url: str
    status_url: str


class JobPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    status: str
    stage: str | None
    error: str | None
    cancel_requested_at: datetime | None = None
    cancel_requested_by: str | None = None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class PodPublic(BaseModel):
    name: str
    phase: str
    ready: bool
    restarts: int
    # Deleted and shutting down (replaced by a rollout or scaled away): not serving any more.
    terminating: bool
    node: str | None
    reason: str | None
    message: str | None


class LivePublic(BaseModel):
    """What the cluster runs now, read at the time of the answer."""

    deployment: str | None
    desired: int
    ready: int
    updated: int
    available: int
    pods: list[PodPublic]
    read_at: datetime
    # Why the cluster could not be read (the rest of the answer still comes from the record).
    error: str | None = None


class DeploymentPublic(BaseModel):
    """The deployment record. `api_key` is set in one answer only; later ones carry `api_key_masked`.

    `revision` is the newest stored revision; `serving_revision` the one whose code and settings run
    (after a rollback, the older revision it restored). `replicas` is the count set by deploy or scale,
    kept across redeploys and rollbacks; `live` is the cluster's state now."""

    upload_id: str
    status: str | None
    image: str | None
    kubernetes: dict[str, Any] | None
    kong: dict[str, Any] | None
    gateway_url: str | None
    api_key: str | None
    api_key_masked: str | None
    verification: dict[str, Any] | None
    resource_usage: dict[str, Any] | None
    revision: int | None
    serving_revision: int | None = None
    replicas: int | None = None
    # Paths of the HTTP liveness / readiness probes, so a log view can hide the probes' requests.
    probe_paths: list[str] = []
    live: LivePublic | None = None
    job: JobPublic | None
    # What Kong still owes after a job could not reach it (a revision's sync, or a delete's cleanup);
    # workers settle it once Kong answers.
    gateway_owed: str | None = None
    deployed_at: datetime | None
    updated_at: datetime | None


class EventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    job_id: str | None
    stage: str
    kind: str
    message: str
    data: dict[str, Any] | None
    created_at: datetime


class RevisionPublic(BaseModel):
    """A stored revision without secret values (their names only)."""

    revision: int
    status: str
    image: str
    env: dict[str, Any]
    secret_names: list[str]
    replicas: int
    resources: dict[str, Any]
    manifests_hash: str
    kong_config_hash: str
    rollback_of: int | None
    created_at: datetime
    size: str | None = None
    rate_limit: dict[str, Any] | None = None
    read_only_root: bool | None = None
    # The release option the revision was deployed with (None: the detected command).
    release: str | None = None

    @classmethod
    def from_row(cls, row: Any) -> RevisionPublic:
        release = row.release or {}
        options = release.get("options") or {}
        return cls(
            revision=row.revision,
            status=row.status,
            image=row.image,
            env=dict(row.env or {}),
            secret_names=list(options.get("secret_names") or []),
            replicas=row.replicas,
            resources=dict(row.resources or {}),
            manifests_hash=row.manifests_hash,
            kong_config_hash=row.kong_config_hash,
            rollback_of=release.get("rollback_of"),
            created_at=row.created_at,
            size=options.get("size"),
            rate_limit=options.get("rate_limit"),
            read_only_root=options.get("read_only_root"),
            release=options.get("release"),
        )


class GitopsExportCreate(BaseModel):
    """Where to commit; omitted fields come from the `gitops` settings. Credentials are write-only."""

    model_config = ConfigDict(extra="forbid")

    repo_url: str | None = Field(None, max_length=2000)
    branch: str | None = Field(None, max_length=200)
    path: str | None = Field(None, max_length=500)
    tool: Literal["argocd", "flux"] | None = None
    username: str | None = Field(None, max_length=200)
    token: SecretStr | None = Field(None, max_length=4096)
    ssh_key: SecretStr | None = Field(None, max_length=16384)
    known_hosts: str | None = Field(None, max_length=16384)


class GitopsExportPublic(BaseModel):
    repo_url: str
    branch: str
    path: str
    tool: str
    revision: int
    # The branch head after the export; `changed` is false when the tree was already up to date.
    commit: str
    changed: bool
    files: list[str]


class ConfigChangePublic(BaseModel):
    """One setting that differs between two revisions; null where a revision does not have it."""

    key: str
    before: Any
    after: Any


class RevisionDiffPublic(BaseModel):
    """What changed from revision `before` to revision `after` (secret values are not compared)."""

    before: int
    after: int
    changes: list[ConfigChangePublic]
