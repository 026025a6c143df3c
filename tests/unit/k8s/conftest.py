"""Fixtures for the k8s unit tests: a sample app, manifest options and a rendered set as plain dicts."""

from __future__ import annotations

from typing import Any

import pytest

from justpush.k8s import AppDeployment, Autoscaling, EnvEntry, ManifestOptions, render_manifests

UPLOAD_ID = "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.fixture
def app() -> AppDeployment:
    return AppDeployment(
        upload_id=UPLOAD_ID,
        app_name="Orders API",
        image=f"registry.example/justpush/orders@{DIGEST}",
        runtime="python",
        framework="fastapi",
        port=8000,
        env=(
            EnvEntry("LOG_LEVEL", "info"),
            EnvEntry("DATABASE_PASSWORD", "hunter2", secret=True),
            EnvEntry("API_BASE", "/v1"),
        ),
        openapi={"paths": {"/health": {"get": {}}, "/orders": {"get": {}, "post": {}}}},
    )


@pytest.fixture
def scaled_app(app: AppDeployment) -> AppDeployment:
    from dataclasses import replace

    return replace(app, runtime="java", autoscaling=Autoscaling(min_replicas=2, max_replicas=6))


@pytest.fixture
def options() -> ManifestOptions:
    return ManifestOptions(namespace="orders")


def as_dicts(app: AppDeployment, options: ManifestOptions) -> list[dict[str, Any]]:
    return [obj.to_dict() for obj in render_manifests(app, options)]  # type: ignore[attr-defined]


def by_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


@pytest.fixture
def render() -> Any:
    """`render(app, options)` → list of plain dicts."""
    return as_dicts


@pytest.fixture
def kind() -> Any:
    """`kind(objects, "Deployment")` → the one object of that kind."""

    def one(objects: list[dict[str, Any]], name: str) -> dict[str, Any]:
        found = by_kind(objects, name)
        assert len(found) == 1, f"expected one {name}, got {len(found)}"
        return found[0]

    return one
