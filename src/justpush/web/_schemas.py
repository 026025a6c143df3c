"""Request and response models (`…Create` / `…Public`); ORM rows never leave the web layer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


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


class AnalyzeAccepted(BaseModel):
    upload_id: str
    status: str


class AnalyzePublic(BaseModel):
    upload_id: str
    # not_started | running | succeeded | failed
    status: str
    profile: dict[str, Any] | None = None
    spec: dict[str, Any] | None = None
    spec_source: str | None = None
    warnings: list[Any] = Field(default_factory=list)
    error: str | None = None
    analyzed_at: datetime | None = None
