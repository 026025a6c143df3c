"""The one sample revision both export tests render: its manifests, its Kong config and the values that
must never reach an export."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from justpush.k8s import (
    AppDeployment,
    Autoscaling,
    EnvEntry,
    ManifestOptions,
    RegistryCredentials,
    render_manifests,
)
from justpush.kong import Developer, KongConfig, KongOptions, KongTarget, openapi_to_kong

SECRET_VALUE = "hunter2-secret-value"
REGISTRY_PASSWORD = "registry-password-value"
API_KEY = "api-key-value-0123456789"
CREDENTIALS = (SECRET_VALUE, REGISTRY_PASSWORD, API_KEY)
SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Orders", "version": "1.0.0"},
    "components": {"securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "apikey"}}},
    "security": [{"key": []}],
    "paths": {
        "/health": {
            "get": {"operationId": "health", "security": [], "responses": {"200": {"description": "ok"}}}
        },
        "/orders/{id}": {
            "get": {"operationId": "getOrder", "responses": {"200": {"description": "one order"}}},
            "delete": {"operationId": "deleteOrder", "responses": {"204": {"description": "gone"}}},
        },
    },
}


def sample_manifests() -> list[dict[str, Any]]:
    app = AppDeployment(
        upload_id="u1",
        app_name="Orders API",
        image="registry.example/orders@sha256:" + "a" * 64,
        runtime="node",
        port=3000,
        env=(EnvEntry("LOG_LEVEL", "info"), EnvEntry("DB_PASSWORD", SECRET_VALUE, secret=True)),
        autoscaling=Autoscaling(1, 3, 70),
        writable_paths=(".", "uploads"),
        has_sleep=True,
        # A release in each pod: an init container with the app's env, its secret included.
        init_command=("npm", "run", "migrate"),
    )
    options = ManifestOptions(
        namespace="orders",
        pre_stop_seconds=5,
        registry_credentials=RegistryCredentials("registry.example", "ci", REGISTRY_PASSWORD),
    )
    return [obj.to_dict() for obj in render_manifests(app, options)]  # type: ignore[attr-defined]


def sample_kong_config() -> KongConfig:
    target = KongTarget(upload_id="u1", name="orders-api", namespace="orders", port=80)
    options = KongOptions(developers=(Developer(username="jp-u1-developer", api_key=SecretStr(API_KEY)),))
    return openapi_to_kong(SPEC, target, options)
