"""Health endpoint discovery from an OpenAPI document, for liveness and readiness probes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Most specific first. Generic endpoints ("/health") serve both probes when nothing specific exists.
_LIVENESS = (
    "/livez",
    "/healthz/live",
    "/health/live",
    "/health/liveness",
    "/actuator/health/liveness",
    "/q/health/live",
    "/healthz",
    "/health",
    "/actuator/health",
    "/q/health",
    "/status",
    "/ping",
)
_READINESS = (
    "/readyz",
    "/ready",
    "/healthz/ready",
    "/health/ready",
    "/health/readiness",
    "/actuator/health/readiness",
    "/q/health/ready",
    "/healthz",
    "/health",
    "/actuator/health",
    "/q/health",
    "/status",
    "/ping",
)


@dataclass(frozen=True)
class HealthPaths:
    """HTTP paths for the probes; both None means fall back to a TCP check."""

    liveness: str | None
    readiness: str | None


def _get_paths(spec: dict[str, Any]) -> dict[str, str]:
    """Normalised (lower-case, no trailing slash) → original, for paths with a GET and no parameters."""
    paths = spec.get("paths")
    if not isinstance(paths, dict):
        return {}
    found: dict[str, str] = {}
    for path, item in sorted(paths.items()):
        if not isinstance(path, str) or "{" in path or not isinstance(item, dict) or "get" not in item:
            continue
        found.setdefault(path.rstrip("/").lower() or "/", path)
    return found


def find_health_paths(spec: dict[str, Any] | None) -> HealthPaths:
    """Pick distinct liveness and readiness paths when the API has both, else one shared path.

    Paths are taken as the app serves them; `servers` is ignored because a server URL's path is often
    a proxy prefix the app never sees (FastAPI ``root_path``).
    """
    if not spec:
        return HealthPaths(None, None)
    available = _get_paths(spec)
    liveness = next((available[p] for p in _LIVENESS if p in available), None)
    readiness = next(
        (available[p] for p in _READINESS if p in available and available[p] != liveness),
        liveness,
    )
    return HealthPaths(liveness=liveness, readiness=readiness)
