"""The Admin API as a Starlette app: one dispatcher derives collection, parent and id from the URL."""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass, field
from typing import Any

import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ._reference import validate_body
from ._store import TYPES, UUID_RE, KongApiError, Store, not_found, schema_violation

_CREDENTIALS = {
    "key-auth": "key-auths",
    "key-auths": "key-auths",
    "jwt": "jwts",
    "jwts": "jwts",
    "basic-auth": "basic-auths",
    "basic-auths": "basic-auths",
    "acls": "acls",
}
# parent collection → child URL name → (child collection, foreign-key field)
_NESTED = {
    "services": {"routes": ("routes", "service"), "plugins": ("plugins", "service")},
    "routes": {"plugins": ("plugins", "route")},
    "consumers": {
        "plugins": ("plugins", "consumer"),
        **{name: (coll, "consumer") for name, coll in _CREDENTIALS.items()},
    },
}
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass
class Emulator:
    """State behind one emulated Kong node; ``requests`` records (method, path) of every call."""

    db_less: bool = False
    admin_token: str | None = None
    workspace: str | None = None
    latency: float = 0.0
    enterprise: bool = False
    store: Store = field(default_factory=Store)
    requests: list[tuple[str, str]] = field(default_factory=list)

    @property
    def writes(self) -> int:
        return sum(1 for method, _ in self.requests if method in _WRITES)


def _error(exc: KongApiError) -> JSONResponse:
    return JSONResponse(exc.body, status_code=exc.status)


def _info(emulator: Emulator) -> dict[str, Any]:
    plugins = sorted(emulator.store.plugins)
    return {
        "version": "3.6.1",
        "edition": "enterprise" if emulator.enterprise else "community",
        "tagline": "Welcome to kong",
        "hostname": "kong-emulator",
        "node_id": "00000000-0000-4000-8000-000000000001",
        "lua_version": "LuaJIT 2.1.0-20231117",
        "configuration": {
            "database": "off" if emulator.db_less else "postgres",
            "router_flavor": "traditional_compatible",
            "admin_listen": ["0.0.0.0:8001"],
        },
        "plugins": {
            "available_on_server": {p: {"version": "3.6.1"} for p in plugins},
            "enabled_in_cluster": sorted(
                {str(p["name"]) for p in emulator.store.entities["plugins"].values()}
            ),
        },
    }


def _tags_filter(raw: str | None) -> tuple[str, list[str]]:
    if not raw:
        return "none", []
    if "," in raw and "/" in raw:
        raise KongApiError(
            400,
            {
                "code": 11,
                "name": "invalid options",
                "message": "invalid option (tags: invalid filter: mixing 'and' and 'or' is not allowed)",
                "fields": {"tags": "invalid filter"},
            },
        )
    if "/" in raw:
        return "or", raw.split("/")
    return "and", raw.split(",")


def _list(emulator: Emulator, request: Request, collection: str, parent: tuple[str, str] | None) -> Response:
    params = request.query_params
    try:
        size = int(params.get("size", "100"))
    except ValueError:
        size = 0
    if not 1 <= size <= 1000:
        raise KongApiError(
            400, {"code": 11, "name": "invalid size", "message": "size must be an integer between 1 and 1000"}
        )
    mode, tags = _tags_filter(params.get("tags"))
    after = base64.urlsafe_b64decode(params["offset"]).decode() if params.get("offset") else ""
    items = []
    for entity_id in sorted(emulator.store.entities[collection]):
        entity = emulator.store.entities[collection][entity_id]
        if entity_id <= after:
            continue
        if parent and (entity.get(parent[0]) or {}).get("id") != parent[1]:
            continue
        own = set(entity.get("tags") or [])
        if (mode == "and" and not set(tags) <= own) or (mode == "or" and not set(tags) & own):
            continue
        items.append(entity)
    page = items[:size]
    body: dict[str, Any] = {"data": page, "next": None}
    if len(items) > size:
        offset = base64.urlsafe_b64encode(page[-1]["id"].encode()).decode()
        body["offset"] = offset
        query = f"offset={offset}&size={size}" + (f"&tags={params['tags']}" if params.get("tags") else "")
        body["next"] = f"{request.url.path}?{query}"
    return JSONResponse(body)


async def _body(request: Request, path: str) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else {}
    except ValueError as exc:
        raise KongApiError(400, {"message": "Cannot parse JSON body"}) from exc
    if not isinstance(body, dict):
        raise KongApiError(400, {"message": "Cannot parse JSON body"})
    fields = validate_body(request.method, path, body)
    if fields:
        raise schema_violation(fields)
    return body


async def _entity_call(emulator: Emulator, request: Request, path: str, segments: list[str]) -> Response:
    store = emulator.store
    parent: tuple[str, str] | None = None
    if len(segments) in (3, 4):
        parent_coll, parent_key, child = segments[:3]
        nested = _NESTED.get(parent_coll, {}).get(child)
        if nested is None:
            raise not_found()
        parent_entity = store.get(parent_coll, parent_key)
        collection, fk = nested
        parent = (fk, parent_entity["id"])
        key = segments[3] if len(segments) == 4 else None
    elif len(segments) in (1, 2):
        collection = segments[0]
        if collection not in TYPES:
            raise not_found()
        key = segments[1] if len(segments) == 2 else None
    else:
        raise not_found()

    method = request.method
    if emulator.db_less and method in _WRITES:
        return JSONResponse({"message": "Method not allowed"}, status_code=405)
    if key is None:
        if method == "GET":
            return _list(emulator, request, collection, parent)
        if method == "POST":
            body = await _body(request, path)
            if parent:
                body[parent[0]] = {"id": parent[1]}
            return JSONResponse(store.save(collection, body), status_code=201)
        return JSONResponse({"message": "Method not allowed"}, status_code=405)

    existing = store.find(collection, key, parent=parent)
    if existing is not None and parent and (existing.get(parent[0]) or {}).get("id") != parent[1]:
        existing = None if method in ("GET", "PATCH", "DELETE") else existing
    if method == "GET":
        if existing is None:
            raise not_found()
        return JSONResponse(existing)
    if method == "DELETE":
        if existing is not None:
            store.delete(collection, existing)
        return Response(status_code=204)
    body = await _body(request, path)
    if parent:
        body[parent[0]] = {"id": parent[1]}
    if method == "PATCH":
        if existing is None:
            raise not_found()
        return JSONResponse(store.save(collection, body, previous=existing, partial=True))
    if method == "PUT":
        endpoint_key = TYPES[collection].endpoint_key
        entity_id = None
        if existing is None:
            if UUID_RE.match(key):
                entity_id = key
            elif endpoint_key:
                body[endpoint_key] = key
            else:
                raise not_found()
        return JSONResponse(store.save(collection, body, entity_id=entity_id, previous=existing))
    return JSONResponse({"message": "Method not allowed"}, status_code=405)


def _declarative(emulator: Emulator, document: dict[str, Any]) -> Store:
    """A fresh store holding ``document`` (decK format), built with the same checks as the Admin API."""
    store = Store(enterprise=emulator.enterprise)

    def ref(collection: str, value: Any) -> dict[str, str] | None:
        if value is None:
            return None
        if isinstance(value, dict):
            value = value.get("id") or value.get("name") or value.get("username")
        return {"id": store.get(collection, str(value))["id"]}

    plugins: list[dict[str, Any]] = []
    routes: list[dict[str, Any]] = []
    for service in document.get("services") or []:
        body = {k: v for k, v in service.items() if k not in ("routes", "plugins")}
        saved = store.save("services", body)
        for route in service.get("routes") or []:
            routes.append({**route, "service": {"id": saved["id"]}})
        plugins.extend({**p, "service": {"id": saved["id"]}} for p in service.get("plugins") or [])
    routes.extend(document.get("routes") or [])
    for route in routes:
        body = {k: v for k, v in route.items() if k != "plugins"}
        if not isinstance(body.get("service"), dict) or "id" not in body["service"]:
            body["service"] = ref("services", body.get("service"))
        saved = store.save("routes", body)
        plugins.extend({**p, "route": {"id": saved["id"]}} for p in route.get("plugins") or [])
    nested_credentials = {
        "keyauth_credentials": "key-auths",
        "jwt_secrets": "jwts",
        "basicauth_credentials": "basic-auths",
        "acls": "acls",
    }
    for consumer in document.get("consumers") or []:
        body = {k: v for k, v in consumer.items() if k not in (*nested_credentials, "plugins", "groups")}
        saved = store.save("consumers", body)
        for key, collection in nested_credentials.items():
            for credential in consumer.get(key) or []:
                store.save(collection, {**credential, "consumer": {"id": saved["id"]}})
        plugins.extend({**p, "consumer": {"id": saved["id"]}} for p in consumer.get("plugins") or [])
    plugins.extend(document.get("plugins") or [])
    for plugin in plugins:
        body = dict(plugin)
        for fk, collection in (("route", "routes"), ("service", "services"), ("consumer", "consumers")):
            if fk in body and not (
                isinstance(body[fk], dict)
                and "id" in body[fk]
                and body[fk]["id"] in store.entities[collection]
            ):
                body[fk] = ref(collection, body[fk])
        store.save("plugins", body)
    return store


async def _config(emulator: Emulator, request: Request) -> Response:
    if not emulator.db_less:
        return JSONResponse(
            {"message": "this endpoint is only available when Kong is configured to not use a database"},
            status_code=400,
        )
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else {}
        if isinstance(body, dict) and isinstance(body.get("config"), str):
            body = yaml.safe_load(body["config"])
    except (ValueError, yaml.YAMLError) as exc:
        raise KongApiError(400, {"message": "Cannot parse JSON body"}) from exc
    fields = validate_body("POST", "/config", body)
    try:
        if fields:
            raise KongApiError(400, {"fields": fields})
        emulator.store = _declarative(emulator, body)
    except KongApiError as exc:
        detail = exc.body.get("fields") or {"@entity": [exc.body.get("message")]}
        return JSONResponse(
            {
                "code": 14,
                "name": "invalid declarative configuration",
                "message": f"declarative config is invalid: {json.dumps(detail, sort_keys=True)}",
                "fields": detail,
            },
            status_code=400,
        )
    return JSONResponse({"message": "configuration loaded"}, status_code=201)


def create_app(emulator: Emulator) -> Starlette:
    async def dispatch(request: Request) -> Response:
        if emulator.latency:
            await asyncio.sleep(emulator.latency)
        path = request.url.path
        if emulator.workspace and path.startswith(f"/{emulator.workspace}/"):
            path = path[len(emulator.workspace) + 1 :]
        emulator.requests.append((request.method, path))
        if (
            emulator.admin_token is not None
            and request.headers.get("Kong-Admin-Token") != emulator.admin_token
        ):
            return JSONResponse(
                {"message": "Invalid credentials. Token or User credentials required"}, status_code=401
            )
        segments = [s for s in path.split("/") if s]
        try:
            if not segments and request.method == "GET":
                return JSONResponse(_info(emulator))
            if segments == ["status"] and request.method == "GET":
                counts = {k: len(v) for k, v in emulator.store.entities.items()}
                return JSONResponse(
                    {
                        "database": {"reachable": True},
                        "server": {
                            "connections_accepted": len(emulator.requests),
                            "connections_active": 1,
                            "connections_handled": len(emulator.requests),
                            "total_requests": len(emulator.requests),
                        },
                        "entities": counts,
                    }
                )
            if segments == ["config"] and request.method == "POST":
                return await _config(emulator, request)
            return await _entity_call(emulator, request, path, segments)
        except KongApiError as exc:
            return _error(exc)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    app = Starlette(
        routes=[Route("/", dispatch, methods=methods), Route("/{path:path}", dispatch, methods=methods)]
    )
    app.state.emulator = emulator
    return app
