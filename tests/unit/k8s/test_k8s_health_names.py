"""Health path discovery and stable names."""

from __future__ import annotations

from typing import Any

import pytest

from justpush.errors import GenerationError
from justpush.k8s import HealthPaths, base_name, find_health_paths


def _spec(*paths: str, method: str = "get", servers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"paths": {p: {method: {}} for p in paths}}
    if servers is not None:
        spec["servers"] = servers
    return spec


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        (("/health",), HealthPaths("/health", "/health")),
        (("/healthz", "/readyz"), HealthPaths("/healthz", "/readyz")),
        (("/livez", "/readyz", "/health"), HealthPaths("/livez", "/readyz")),
        (("/actuator/health",), HealthPaths("/actuator/health", "/actuator/health")),
        (
            ("/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness"),
            HealthPaths("/actuator/health/liveness", "/actuator/health/readiness"),
        ),
        (("/health", "/healthz"), HealthPaths("/healthz", "/health")),
        (("/ready",), HealthPaths(None, "/ready")),
        (("/status", "/users"), HealthPaths("/status", "/status")),
        (("/ping",), HealthPaths("/ping", "/ping")),
        (("/users", "/users/{id}"), HealthPaths(None, None)),
        (("/Health/",), HealthPaths("/Health/", "/Health/")),
    ],
)
def test_health_paths(paths: tuple[str, ...], expected: HealthPaths) -> None:
    assert find_health_paths(_spec(*paths)) == expected


def test_only_get_operations_count() -> None:
    assert find_health_paths(_spec("/health", method="post")) == HealthPaths(None, None)


def test_server_url_paths_are_not_prefixed() -> None:
    spec = _spec("/health", servers=[{"url": "https://api.example.com/proxy-prefix/"}])
    assert find_health_paths(spec) == HealthPaths("/health", "/health")


@pytest.mark.parametrize("spec", [None, {}, {"paths": []}, {"paths": {"/health": "nonsense"}}])
def test_missing_or_broken_specs_fall_back_to_tcp(spec: Any) -> None:
    assert find_health_paths(spec) == HealthPaths(None, None)


def test_base_name_short_and_long() -> None:
    assert base_name("42", "Orders API") == "orders-api-42"
    assert base_name("abc", "9lives") == "app-9lives-abc"
    long_name = base_name("u" * 40, "n" * 40)
    assert len(long_name) <= 55 and long_name.startswith("n")
    assert long_name == base_name("u" * 40, "n" * 40)
    assert long_name != base_name("u" * 39 + "v", "n" * 40)
    assert base_name("X_Y", "") == "app-x-y"


def test_base_name_needs_a_usable_upload_id() -> None:
    with pytest.raises(GenerationError):
        base_name("___", "app")
