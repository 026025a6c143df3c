"""The one place that reads an analysis `ProjectProfile` into the generator's `AppDeployment`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from justpush.analysis import ProjectProfile, database_file_folder, required_reason
from justpush.errors import GenerationError

from ._model import AppDeployment, AppSize, Autoscaling, EnvEntry, Resources, Runtime

_RUNTIMES: frozenset[str] = frozenset({"python", "node", "java", "go"})
_RUNTIMES_WITH_SLEEP: frozenset[str] = frozenset({"python", "node", "java"})


def app_from_profile(
    profile: ProjectProfile,
    *,
    upload_id: str,
    app_name: str,
    image: str,
    openapi: dict[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
    replicas: int = 1,
    autoscaling: Autoscaling | None = None,
    resources: Resources | None = None,
    size: AppSize = "small",
    require_env: bool = True,
    read_only_root: bool = True,
    init_command: tuple[str, ...] = (),
) -> AppDeployment:
    """Profile defaults, then the user's env and secrets; a variable the profile marks secret stays secret.

    With ``require_env`` a variable the code needs (no default) but nobody set is an error rather than
    a pod that crashes at start.
    """
    env = dict(env or {})
    secrets = dict(secrets or {})
    declared_secret = {var.name for var in profile.env_vars if var.secret}
    values: dict[str, EnvEntry] = {}
    for var in profile.env_vars:
        if var.default is not None:
            values[var.name] = EnvEntry(var.name, var.default, secret=var.secret)
    for name, value in env.items():
        values[name] = EnvEntry(name, value, secret=name in declared_secret)
    for name, value in secrets.items():
        values[name] = EnvEntry(name, value, secret=True)
    missing = sorted(var.name for var in profile.env_vars if var.required and var.name not in values)
    if require_env and missing:
        # A variable the code has a fallback for says why that fallback will not do.
        why = {var.name: required_reason(e.note for e in var.evidence) for var in profile.env_vars}
        named = ", ".join(f"{name} ({why[name]})" if why.get(name) else name for name in missing)
        raise GenerationError(
            f"required environment variables have no value: {named}",
            details={"missing": missing},
        )
    runtime: Runtime = profile.language if profile.language in _RUNTIMES else "unknown"
    return AppDeployment(
        upload_id=upload_id,
        app_name=app_name,
        image=image,
        runtime=runtime,
        framework=profile.framework,
        port=profile.port,
        env=tuple(sorted(values.values(), key=lambda entry: entry.name)),
        replicas=replicas,
        autoscaling=autoscaling,
        resources=resources,
        size=size,
        openapi=openapi,
        # Only generated images are known to hold the app in /app, where these paths are relative to.
        writable_paths=_writable_paths(profile, values.values()) if profile.dockerfile is None else (),
        # Generated images of these runtimes are Debian-based; Go's are distroless (no shell, no sleep).
        has_sleep=profile.dockerfile is None and runtime in _RUNTIMES_WITH_SLEEP,
        read_only_root=read_only_root,
        init_command=init_command,
    )


def _writable_paths(profile: ProjectProfile, values: Iterable[EnvEntry]) -> tuple[str, ...]:
    """The folders the code writes to, and those a variable's value puts a SQLite file in
    (`DATABASE_URL=file:dev.db` from the user's env: the code only says `process.env.DATABASE_URL`)."""
    named = (database_file_folder(entry.value) for entry in values)
    return tuple(sorted({*profile.writable_paths, *(folder for folder in named if folder is not None)}))
