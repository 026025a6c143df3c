"""decK declarative configuration (``_format_version: "3.0"``), also the body of DB-less ``POST /config``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._model import KongConfig, KongConsumer, KongPlugin, KongRoute, KongService

FORMAT_VERSION = "3.0"


def service_fields(service: KongService) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": service.id,
        "name": service.name,
        "protocol": service.protocol,
        "host": service.host,
        "port": service.port,
    }
    if service.path is not None:
        body["path"] = service.path
    body.update(
        connect_timeout=service.connect_timeout,
        read_timeout=service.read_timeout,
        write_timeout=service.write_timeout,
        retries=service.retries,
        tags=list(service.tags),
    )
    return body


def route_fields(route: KongRoute) -> dict[str, Any]:
    return {
        "id": route.id,
        "name": route.name,
        "paths": list(route.paths),
        "methods": list(route.methods),
        "protocols": list(route.protocols),
        "strip_path": route.strip_path,
        "preserve_host": route.preserve_host,
        "regex_priority": route.regex_priority,
        "https_redirect_status_code": route.https_redirect_status_code,
        "request_buffering": route.request_buffering,
        "response_buffering": route.response_buffering,
        "path_handling": route.path_handling,
        "tags": list(route.tags),
    }


def plugin_fields(plugin: KongPlugin) -> dict[str, Any]:
    return {
        "id": plugin.id,
        "name": plugin.name,
        "config": plugin.config,
        "enabled": plugin.enabled,
        "tags": list(plugin.tags),
    }


def consumer_fields(consumer: KongConsumer) -> dict[str, Any]:
    return {
        "id": consumer.id,
        "username": consumer.username,
        "custom_id": consumer.custom_id,
        "tags": list(consumer.tags),
    }


def _consumer(config: KongConfig, consumer: KongConsumer) -> dict[str, Any]:
    body = consumer_fields(consumer)
    keys = [
        {"id": c.id, "key": c.key.get_secret_value(), "tags": list(c.tags)}
        for c in config.key_auth_credentials
        if c.consumer_id == consumer.id
    ]
    jwts = [
        {
            "id": c.id,
            "key": c.key,
            "secret": c.secret.get_secret_value(),
            "algorithm": c.algorithm,
            "tags": list(c.tags),
        }
        for c in config.jwt_credentials
        if c.consumer_id == consumer.id
    ]
    basics = [
        {"id": c.id, "username": c.username, "password": c.password.get_secret_value(), "tags": list(c.tags)}
        for c in config.basic_auth_credentials
        if c.consumer_id == consumer.id
    ]
    acls = [
        {"id": c.id, "group": c.group, "tags": list(c.tags)}
        for c in config.acl_credentials
        if c.consumer_id == consumer.id
    ]
    if acls:
        body["acls"] = acls
    if keys:
        body["keyauth_credentials"] = keys
    if jwts:
        body["jwt_secrets"] = jwts
    if basics:
        body["basicauth_credentials"] = basics
    return body


def to_declarative(configs: Sequence[KongConfig]) -> dict[str, Any]:
    """One declarative document holding every given upload (what DB-less Kong needs in full)."""
    services: list[dict[str, Any]] = []
    consumers: list[dict[str, Any]] = []
    loose: list[dict[str, Any]] = []
    for config in sorted(configs, key=lambda c: c.service.name):
        service = service_fields(config.service)
        routes = []
        for route in config.routes:
            body = route_fields(route)
            plugins = [
                plugin_fields(p) for p in config.plugins if p.route_id == route.id and not p.consumer_id
            ]
            if plugins:
                body["plugins"] = plugins
            routes.append(body)
        service["routes"] = routes
        service_plugins = [plugin_fields(p) for p in config.plugins if p.service_id == config.service.id]
        if service_plugins:
            service["plugins"] = service_plugins
        services.append(service)
        consumers.extend(_consumer(config, c) for c in config.consumers)
        for plugin in config.plugins:
            if plugin.consumer_id and plugin.route_id:
                loose.append(
                    {**plugin_fields(plugin), "route": plugin.route_id, "consumer": plugin.consumer_id}
                )
    document: dict[str, Any] = {"_format_version": FORMAT_VERSION, "services": services}
    if consumers:
        document["consumers"] = sorted(consumers, key=lambda c: str(c["username"]))
    if loose:
        document["plugins"] = sorted(loose, key=lambda p: (str(p["name"]), str(p["id"])))
    return document


def to_deck(config: KongConfig) -> dict[str, Any]:
    """decK file for one upload; credentials are included in clear text, so treat the file as a secret."""
    return to_declarative([config])
