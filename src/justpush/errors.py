"""The one exception hierarchy of JustPush.

    JustPushError
    ├── ConfigError             bad or incomplete configuration
    ├── NotFoundError           a resource does not exist (or is not the caller's)
    ├── ConflictError           a resource is busy or already exists
    ├── AuthError               missing or invalid credentials
    │   └── ForbiddenError      authenticated, but the operator does not allow what was asked
    ├── TooManyRequestsError    a per-user limit on concurrent work is reached
    ├── FeatureDisabledError    a feature flag is off
    ├── UploadError             a refused upload (hostile archive, limits, bad git URL)
    │   └── UploadTooLargeError over a size/count limit
    ├── AnalysisError           the source tree cannot be analysed
    │   └── AnalysisTimeoutError past analysis.timeoutSeconds
    ├── GenerationError         a generator got input it cannot render
    ├── StageFailed             a pipeline stage failed (carries the stage)
    └── ExternalServiceError    a dependency answered with an error (.service, .status, .detail)
        ├── DockerError
        ├── RegistryError
        ├── KubernetesError
        ├── KongError
        └── GitError            a git server refused or failed a GitOps push
            ├── GitAuthError    the credentials were refused
            └── GitRejectedError the push was refused (non-fast-forward, protected branch)

Clients translate foreign exceptions into these in one place (``raise … from exc``); the web
layer maps them to HTTP statuses in ``web`` and the CLI to exit codes in ``cli``.
"""

from __future__ import annotations

from typing import Any


class JustPushError(Exception):
    """Base of every error JustPush raises on purpose."""

    code: str = "error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details or {}


class ConfigError(JustPushError):
    code = "config_error"


class MissingEnvError(ConfigError):
    """A deployment asked for without a value for a variable the code requires."""

    code = "missing_env"


class NotFoundError(JustPushError):
    code = "not_found"


class ConflictError(JustPushError):
    code = "conflict"


class AuthError(JustPushError):
    code = "unauthorized"


class ForbiddenError(AuthError):
    code = "forbidden"


class TooManyRequestsError(JustPushError):
    code = "too_many_requests"


class FeatureDisabledError(JustPushError):
    code = "feature_disabled"


class UploadError(JustPushError):
    code = "bad_upload"


class UploadTooLargeError(UploadError):
    code = "upload_too_large"


class AnalysisError(JustPushError):
    code = "analysis_error"


class InvalidRootError(AnalysisError):
    """A user-chosen app folder that is not a folder inside the upload."""

    code = "invalid_root"


class AnalysisTimeoutError(AnalysisError):
    code = "analysis_timeout"


class GenerationError(JustPushError):
    code = "generation_error"


class StageFailed(JustPushError):
    code = "stage_failed"

    def __init__(self, stage: str, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(f"{stage}: {message}", details=details)
        self.stage = stage


class ExternalServiceError(JustPushError):
    """A service JustPush talks to refused or failed; never carries secrets."""

    code = "external_service_error"
    service: str = "external"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        detail: Any = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, details=details)
        self.status = status
        self.detail = detail


class DockerError(ExternalServiceError):
    code = "docker_error"
    service = "docker"


class RegistryError(ExternalServiceError):
    code = "registry_error"
    service = "registry"


class KubernetesError(ExternalServiceError):
    code = "kubernetes_error"
    service = "kubernetes"


class KongError(ExternalServiceError):
    code = "kong_error"
    service = "kong"


class GitError(ExternalServiceError):
    code = "git_error"
    service = "git"


class GitAuthError(GitError):
    code = "git_auth_failed"


class GitRejectedError(GitError):
    code = "git_push_rejected"
