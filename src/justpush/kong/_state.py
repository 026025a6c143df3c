"""Pure half of the Admin API sync: desired entities as request bodies, and the diff against Kong's state.

Kong fills defaults into everything it returns (plugin configs, route fields), so an entity counts as
unchanged when every field JustPush sets is equal; fields Kong added are ignored. Basic-auth passwords
come back hashed (SHA-1 of password + consumer id, as Kong stores them) and are compared that way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ._deck import consumer_fields, plugin_fields, route_fields, service_fields
from ._model import KongConfig

Kind = Literal["services", "routes", "consumers", "plugins", "key-auths", "jwts", "basic-auths", "acls"]
Ref = tuple[Kind, str]
KINDS: tuple[Kind, ...] = (
    "services",
    "consumers",
    "plugins",
    "routes",
    "key-auths",
    "jwts",
    "basic-auths",
    "acls",
)
# Deletes run phase by phase. Routes go first (Kong drops their plugins with them), so no route is left
# without the authentication plugins of its service; services and consumers go last, once nothing
# references them.
DELETE_PHASES: tuple[tuple[Kind, ...], ...] = (
    ("routes",),
    ("plugins", "key-auths", "jwts", "basic-auths", "acls"),
    ("services", "consumers"),
)
# Nested Admin API names of the credential entities (Kong: /consumers/{consumer}/key-auth/{id}).
_CREDENTIAL_PATH = {"key-auths": "key-auth", "jwts": "jwt", "basic-auths": "basic-auth", "acls": "acls"}


@dataclass(frozen=True)
class Desired:
    kind: Kind
    id: str
    path: str  # PUT target
    body: dict[str, Any]
    # Compared against Kong's copy; differs from body only where Kong transforms the value.
    compare: dict[str, Any] = field(default_factory=dict)
    # Entities that must be written first when the same sync writes them: the ones this one references
    # and, for a route, the plugins of its service (authentication), so a new route is never open.
    after: tuple[Ref, ...] = ()


@dataclass(frozen=True)
class Action:
    verb: Literal["create", "update", "delete"]
    kind: Kind
    id: str
    method: Literal["PUT", "DELETE"]
    path: str
    body: dict[str, Any] | None = None
    after: tuple[Ref, ...] = ()


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...]
    unchanged: int

    def count(self, verb: str) -> int:
        return sum(1 for a in self.actions if a.verb == verb)


def basic_auth_hash(password: str, consumer_id: str) -> str:
    return hashlib.sha1(f"{password}{consumer_id}".encode()).hexdigest()


def _without_id(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "id"}


def desired_entities(config: KongConfig) -> list[Desired]:
    out: list[Desired] = []
    service = {**_without_id(service_fields(config.service)), "enabled": True}
    out.append(
        Desired(
            "services",
            config.service.id,
            f"/services/{config.service.id}",
            service,
            {**service, "path": config.service.path},
        )
    )
    service_plugins: dict[str, list[Ref]] = {}
    for plugin in config.plugins:
        if plugin.service_id and not (plugin.route_id or plugin.consumer_id):
            service_plugins.setdefault(plugin.service_id, []).append(("plugins", plugin.id))
    for route in config.routes:
        body = {**_without_id(route_fields(route)), "service": {"id": route.service_id}}
        after: tuple[Ref, ...] = (("services", route.service_id), *service_plugins.get(route.service_id, ()))
        out.append(Desired("routes", route.id, f"/routes/{route.id}", body, body, after))
    for consumer in config.consumers:
        body = _without_id(consumer_fields(consumer))
        out.append(Desired("consumers", consumer.id, f"/consumers/{consumer.id}", body, body))
    for plugin in config.plugins:
        body = _without_id(plugin_fields(plugin))
        if plugin.consumer_id:
            body["consumer"] = {"id": plugin.consumer_id}
            after = (("consumers", plugin.consumer_id),)
            if plugin.route_id:
                body["route"] = {"id": plugin.route_id}
                after += (("routes", plugin.route_id),)
            path = f"/plugins/{plugin.id}"
            compare = body
        elif plugin.route_id:
            path = f"/routes/{plugin.route_id}/plugins/{plugin.id}"
            compare = {**body, "route": {"id": plugin.route_id}}
            after = (("routes", plugin.route_id),)
        else:
            path = f"/services/{plugin.service_id}/plugins/{plugin.id}"
            compare = {**body, "service": {"id": plugin.service_id}}
            after = (("services", plugin.service_id),) if plugin.service_id else ()
        out.append(Desired("plugins", plugin.id, path, body, compare, after))
    for key in config.key_auth_credentials:
        body = {"key": key.key.get_secret_value(), "tags": list(key.tags)}
        out.append(
            Desired(
                "key-auths",
                key.id,
                f"/consumers/{key.consumer_id}/key-auth/{key.id}",
                body,
                {**body, "consumer": {"id": key.consumer_id}},
                (("consumers", key.consumer_id),),
            )
        )
    for jwt in config.jwt_credentials:
        body = {
            "key": jwt.key,
            "secret": jwt.secret.get_secret_value(),
            "algorithm": jwt.algorithm,
            "tags": list(jwt.tags),
        }
        out.append(
            Desired(
                "jwts",
                jwt.id,
                f"/consumers/{jwt.consumer_id}/jwt/{jwt.id}",
                body,
                {**body, "consumer": {"id": jwt.consumer_id}},
                (("consumers", jwt.consumer_id),),
            )
        )
    for basic in config.basic_auth_credentials:
        password = basic.password.get_secret_value()
        body = {"username": basic.username, "password": password, "tags": list(basic.tags)}
        compare = {
            **body,
            "password": basic_auth_hash(password, basic.consumer_id),
            "consumer": {"id": basic.consumer_id},
        }
        out.append(
            Desired(
                "basic-auths",
                basic.id,
                f"/consumers/{basic.consumer_id}/basic-auth/{basic.id}",
                body,
                compare,
                (("consumers", basic.consumer_id),),
            )
        )
    for acl in config.acl_credentials:
        body = {"group": acl.group, "tags": list(acl.tags)}
        out.append(
            Desired(
                "acls",
                acl.id,
                f"/consumers/{acl.consumer_id}/acls/{acl.id}",
                body,
                {**body, "consumer": {"id": acl.consumer_id}},
                (("consumers", acl.consumer_id),),
            )
        )
    return out


def _normalise(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return sorted(value)
    return value


def matches(desired: Any, current: Any) -> bool:
    """True when ``current`` (Kong's copy, defaults filled in) holds every value of ``desired``."""
    if isinstance(desired, Mapping):
        if not isinstance(current, Mapping):
            return False
        return all(matches(v, current.get(k)) for k, v in desired.items())
    if isinstance(desired, list):
        if not isinstance(current, list) or len(desired) != len(current):
            return False
        desired_n, current_n = _normalise(desired), _normalise(current)
        return all(matches(d, c) for d, c in zip(desired_n, current_n, strict=True))
    if desired is None:
        return current is None
    if isinstance(desired, bool) or isinstance(current, bool):
        return desired is current
    if isinstance(desired, int | float) and isinstance(current, int | float):
        return desired == current
    return bool(desired == current and type(desired) is type(current))


def delete_path(kind: Kind, entity: Mapping[str, Any]) -> str:
    if kind in _CREDENTIAL_PATH:
        consumer = (entity.get("consumer") or {}).get("id")
        return f"/consumers/{consumer}/{_CREDENTIAL_PATH[kind]}/{entity['id']}"
    return f"/{kind}/{entity['id']}"


def plan(desired: Sequence[Desired], current: Mapping[Kind, Iterable[Mapping[str, Any]]]) -> Plan:
    """Deletes (in ``DELETE_PHASES`` order) then upserts that turn ``current`` into ``desired``."""
    wanted = {(d.kind, d.id): d for d in desired}
    have = {(kind, str(e["id"])): e for kind in KINDS for e in current.get(kind, ())}
    deletes = [
        Action("delete", kind, entity_id, "DELETE", delete_path(kind, have[(kind, entity_id)]))
        for phase in DELETE_PHASES
        for kind in phase
        for (k, entity_id) in sorted(have)
        if k == kind and (kind, entity_id) not in wanted
    ]
    upserts: list[Action] = []
    unchanged = 0
    for kind in KINDS:
        for d in sorted((d for d in desired if d.kind == kind), key=lambda d: d.id):
            existing = have.get((kind, d.id))
            if existing is None:
                upserts.append(Action("create", kind, d.id, "PUT", d.path, d.body, d.after))
            elif matches(d.compare, existing):
                unchanged += 1
            else:
                upserts.append(Action("update", kind, d.id, "PUT", d.path, d.body, d.after))
    return Plan(tuple(deletes + upserts), unchanged)
