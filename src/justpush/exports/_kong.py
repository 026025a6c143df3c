"""Kong entities as kong/kong-gateway provider resources; credentials come from sensitive variables."""

from __future__ import annotations

import re
from typing import Any

from justpush.kong import KongConfig, KongPlugin, KongRoute, route_fields, service_fields

from ._hcl import Block, Raw

SERVICE = "kong-gateway_service"
ROUTE = "kong-gateway_route"
CONSUMER = "kong-gateway_consumer"


def plugin_type(name: str) -> str:
    return f"kong-gateway_plugin_{name.replace('-', '_')}"


def local_name(name: str) -> str:
    """A Terraform resource name from a Kong entity name."""
    cleaned = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
    return cleaned if cleaned and not cleaned[0].isdigit() else f"r_{cleaned}"


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in sorted(value.items()) if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _route_names(routes: tuple[KongRoute, ...]) -> dict[str, str]:
    return {route.id: local_name(route.name) for route in routes}


def _plugin_name(plugin: KongPlugin, routes: dict[str, str]) -> str:
    scope = (
        routes.get(plugin.route_id or "")
        if plugin.route_id
        else "service"
        if plugin.service_id
        else "consumer"
    )
    return local_name(f"{plugin.name}_{scope}")


def kong_blocks(config: KongConfig) -> list[Block]:
    """Service, routes, plugins, consumer and credentials, in the order the Admin API needs them."""
    routes = _route_names(config.routes)
    service = service_fields(config.service)
    blocks = [Block("resource", (SERVICE, "app"), tuple((k, v) for k, v in service.items() if v is not None))]
    service_ref = {"id": Raw(f"{SERVICE}.app.id")}
    for route in config.routes:
        fields = [*route_fields(route).items(), ("service", service_ref)]
        blocks.append(Block("resource", (ROUTE, routes[route.id]), tuple(fields)))
    for plugin in config.plugins:
        attributes: list[tuple[str, Any]] = [
            ("id", plugin.id),
            ("enabled", plugin.enabled),
            ("config", _drop_nulls(plugin.config)),
            ("tags", list(plugin.tags)),
        ]
        if plugin.route_id:
            attributes.append(("route", {"id": Raw(f"{ROUTE}.{routes[plugin.route_id]}.id")}))
        elif plugin.service_id:
            attributes.append(("service", service_ref))
        if plugin.consumer_id:
            attributes.append(("consumer", {"id": Raw(f"{CONSUMER}.developer.id")}))
        blocks.append(
            Block("resource", (plugin_type(plugin.name), _plugin_name(plugin, routes)), tuple(attributes))
        )
    for consumer in config.consumers:
        blocks.append(
            Block(
                "resource",
                (CONSUMER, "developer"),
                (
                    ("id", consumer.id),
                    ("username", consumer.username),
                    ("custom_id", consumer.custom_id),
                    ("tags", list(consumer.tags)),
                ),
            )
        )

    def credential(kind: str, name: str, entity_id: str, tags: tuple[str, ...], **fields: Any) -> Block:
        """A credential of the developer consumer; secret fields come in as `var.*` references."""
        attributes = [("id", entity_id), ("consumer_id", Raw(f"{CONSUMER}.developer.id")), *fields.items()]
        return Block("resource", (f"kong-gateway_{kind}", name), (*attributes, ("tags", list(tags))))

    blocks += [
        credential("key_auth", "developer", k.id, k.tags, key=Raw("var.api_key"))
        for k in config.key_auth_credentials
    ]
    blocks += [
        credential(
            "jwt", "developer", j.id, j.tags, key=j.key, algorithm=j.algorithm, secret=Raw("var.jwt_secret")
        )
        for j in config.jwt_credentials
    ]
    blocks += [
        credential(
            "basic_auth",
            "developer",
            b.id,
            b.tags,
            username=b.username,
            password=Raw("var.basic_auth_password"),
        )
        for b in config.basic_auth_credentials
    ]
    blocks += [
        credential("acl", local_name(f"developer_{a.group}"), a.id, a.tags, group=a.group)
        for a in config.acl_credentials
    ]
    return blocks
