"""Small builders shared by the Kong tests (import as tests.unit.kong.kong_helpers)."""

from __future__ import annotations

from typing import Any

from justpush.kong import KongConfig, KongRoute


def make_spec(paths: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": paths, **extra}


def route_for(config: KongConfig, operation: str) -> KongRoute:
    return next(r for r in config.routes if r.operation == operation)


def plugins_on(config: KongConfig, operation: str) -> dict[str, dict[str, Any]]:
    route = route_for(config, operation)
    return {p.name: p.config for p in config.plugins if p.route_id == route.id and not p.consumer_id}


def service_plugins(config: KongConfig) -> dict[str, dict[str, Any]]:
    return {p.name: p.config for p in config.plugins if p.service_id == config.service.id}


def effective_plugins(config: KongConfig, operation: str) -> dict[str, dict[str, Any]]:
    """What runs on the route (without consumer-scoped plugins): the service's plugins, and the route's
    own where it has a plugin of the same name (Kong prefers the more specific one)."""
    return {**service_plugins(config), **plugins_on(config, operation)}
