"""What a user may ask of a deployment: the body of `POST /deploy/{uploadId}` and of the CLI's `deploy`."""

from __future__ import annotations

import re
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from justpush.build import DockerfileMode

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# A newline in an override would start a new instruction in the generated Dockerfile.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _control_characters(value: Any, where: str) -> list[str]:
    """The fields (dotted) under ``value`` whose text holds a control character."""
    if isinstance(value, str):
        return [where] if _CONTROL.search(value) else []
    if isinstance(value, dict):
        return [f for k, v in value.items() for f in _control_characters(v, f"{where}.{k}")]
    if isinstance(value, list | tuple):
        return [f for i, v in enumerate(value) for f in _control_characters(v, f"{where}[{i}]")]
    return []


def _check_env_names(values: dict[str, str]) -> dict[str, str]:
    bad = sorted(name for name in values if not _ENV_NAME.match(name))
    if bad:
        raise ValueError(f"invalid environment variable names: {', '.join(bad)}")
    return values


def _check_release(value: str | None) -> str | None:
    if value is not None and _CONTROL.search(value):
        raise ValueError("control characters are not allowed in release (join steps with && or ;)")
    return value


class ResourceOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    cpu_request: str = Field(pattern=r"^\d+(\.\d+)?m?$")
    memory_request: str = Field(pattern=r"^\d+(Ki|Mi|Gi)?$")
    cpu_limit: str = Field(pattern=r"^\d+(\.\d+)?m?$")
    memory_limit: str = Field(pattern=r"^\d+(Ki|Mi|Gi)?$")


class AutoscalingOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_replicas: int = Field(1, ge=1, le=100)
    max_replicas: int = Field(3, ge=1, le=100)
    cpu_utilization: int = Field(75, ge=10, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> AutoscalingOptions:
        if self.max_replicas < self.min_replicas:
            raise ValueError("max_replicas must be at least min_replicas")
        return self


class RateLimitOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    second: int | None = Field(None, ge=1)
    minute: int | None = Field(None, ge=1)
    hour: int | None = Field(None, ge=1)


class _WithSecrets(BaseModel):
    """Options whose `secrets` are stored apart (encrypted) from the rest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    secrets: dict[str, str] = Field(default_factory=dict, repr=False)

    def public(self) -> dict[str, Any]:
        """Everything but secret values (their names are kept, to show what is set)."""
        data = self.model_dump(mode="json", exclude={"secrets"})
        data["secret_names"] = sorted(self.secrets)
        return data

    @classmethod
    def from_stored(cls, public: dict[str, Any], secrets: dict[str, str]) -> Self:
        data = {k: v for k, v in public.items() if k != "secret_names"}
        return cls.model_validate({**data, "secrets": secrets})


class DeployOptions(_WithSecrets):
    """Plain options are stored with the job; `secrets` are stored encrypted and never echoed."""

    env: dict[str, str] = Field(default_factory=dict)
    # None: the size's minimum. With autoscaling (the default), the HPA's minimum.
    replicas: int | None = Field(None, ge=0, le=100)
    # None: the size's maximum; 0 turns autoscaling off.
    max_replicas: int | None = Field(None, ge=0, le=100)
    # False turns the size's HPA off; an object sets it exactly.
    autoscaling: AutoscalingOptions | bool | None = None
    resources: ResourceOptions | None = None
    size: Literal["small", "medium", "large"] = "small"
    # False: a writable root filesystem, for apps that write anywhere (shown as a warning).
    read_only_root: bool = True
    rate_limit: RateLimitOptions | None = None
    # Target overrides.
    namespace: str | None = Field(None, pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
    path_prefix: str | None = Field(None, pattern=r"^(/[A-Za-z0-9._~-]+)*$")
    # Profile overrides (e.g. {"port": 8000}), applied on top of the analysis.
    profile: dict[str, Any] = Field(default_factory=dict)
    # The API's folder inside the upload ("backend"); None: the analysed (or detected) one.
    root: str | None = Field(None, max_length=1000)
    # The release command run before the rollout (migrations): None uses the detected one (Procfile
    # `release:`, Django, Alembic, Prisma ...); "none" or "" runs none; anything else is the command.
    release: str | None = Field(None, max_length=2000)
    # The Dockerfile to build with (build/_choice.py): the upload's when it passes the checks, else a
    # generated one (auto); the upload's or fail (repo); always a generated one (generated). The profile
    # override `dockerfile` (a path, or "" for none) says which file is the upload's before this applies.
    dockerfile: DockerfileMode = "auto"

    @field_validator("env", "secrets")
    @classmethod
    def _names(cls, values: dict[str, str]) -> dict[str, str]:
        return _check_env_names(values)

    @field_validator("release")
    @classmethod
    def _release(cls, value: str | None) -> str | None:
        return _check_release(value)

    @field_validator("profile")
    @classmethod
    def _printable(cls, values: dict[str, Any]) -> dict[str, Any]:
        bad = [f for k, v in values.items() for f in _control_characters(v, f"profile.{k}")]
        if bad:
            raise ValueError(f"control characters are not allowed in {', '.join(bad)}")
        return values

    @model_validator(mode="after")
    def _no_overlap(self) -> DeployOptions:
        both = sorted(set(self.env) & set(self.secrets))
        if both:
            raise ValueError(f"set as both env and secret: {', '.join(both)}")
        return self


class ScaleOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    replicas: int = Field(ge=0, le=100)
    max_replicas: int | None = Field(None, ge=1, le=100)


class RedeployOptions(_WithSecrets):
    """Changed env/config on the current image: unset names are removed, the rest is merged."""

    env: dict[str, str] = Field(default_factory=dict)
    unset: list[str] = Field(default_factory=list)
    replicas: int | None = Field(None, ge=0, le=100)
    resources: ResourceOptions | None = None
    rate_limit: RateLimitOptions | None = None
    # Rebuild the image from the upload's workspace instead of reusing the current one.
    rebuild: bool = False
    # None keeps the deployment's release setting (see DeployOptions.release).
    release: str | None = Field(None, max_length=2000)
    # With rebuild: None keeps the deployment's choice (see DeployOptions.dockerfile).
    dockerfile: DockerfileMode | None = None

    @field_validator("env", "secrets")
    @classmethod
    def _names(cls, values: dict[str, str]) -> dict[str, str]:
        return _check_env_names(values)

    @field_validator("release")
    @classmethod
    def _release(cls, value: str | None) -> str | None:
        return _check_release(value)

    @model_validator(mode="after")
    def _dockerfile_rebuilds(self) -> RedeployOptions:
        # The Dockerfile only matters to a build: without one the choice would be stored but not used.
        if self.dockerfile is not None and not self.rebuild:
            raise ValueError("dockerfile applies to a rebuild: set rebuild too")
        return self


class RollbackOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # None: the last good revision before the current one.
    revision: int | None = Field(None, ge=1)
    # None: keep the replica count running now (scale is operational, not part of a revision).
    replicas: int | None = Field(None, ge=0, le=100)
