"""Issue 11 item 3: tenants share nothing on the gateway.

Two uploads with the same app name and the same paths get disjoint routes (each under its own
`/<app>-<upload id>` segment), so a request for one upload's URL only ever reaches that upload's
upstream, and with that upload's key only; plugins from spec extensions come only from the
operator's allow-list.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

import httpx
import httpx2
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from justpush import store
from justpush.config import GatewaySettings, KongSettings, Settings
from justpush.kong import (
    Developer,
    KongClient,
    KongConfig,
    KongOptions,
    KongTarget,
    gateway_prefix,
    openapi_to_kong,
)
from tests.kong_emulator import create_emulator, create_proxy
from tests.kong_emulator._store import kong_regex_to_python

# Both users upload "todo" with the same operations; one route is public, one has a parameter.
SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "todo", "version": "1"},
    "security": [{"key": []}],
    "components": {"securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "apikey"}}},
    "paths": {
        "/items": {"get": {"operationId": "items"}},
        "/items/{id}": {"get": {"operationId": "item"}},
        "/health": {"get": {"operationId": "health", "security": []}},
    },
}
REQUESTS = ("/items", "/items/7", "/health")


def _upload(upload_id: str, key: str, spec: dict[str, Any] = SPEC) -> tuple[KongConfig, str]:
    """As the pipeline calls the mapping: target `<app>-<upload id>`, options from app-config."""
    target = KongTarget(upload_id=upload_id, name=f"todo-{upload_id}", url=f"http://{upload_id}.backend")
    options = KongOptions.from_settings(
        GatewaySettings(), developers=(Developer(username="dev", api_key=SecretStr(key)),)
    )
    return openapi_to_kong(spec, target, options), gateway_prefix(target, options)


def _matches(config: KongConfig, path: str) -> bool:
    return any(re.match(kong_regex_to_python(p[1:]), path) for r in config.routes for p in r.paths)


async def test_same_paths_in_two_uploads_give_disjoint_routes() -> None:
    a_id, b_id = uuid.uuid4().hex, uuid.uuid4().hex
    (a, a_prefix), (b, b_prefix) = _upload(a_id, "key-a"), _upload(b_id, "key-b")
    assert a_prefix == f"/todo-{a_id}" and b_prefix == f"/todo-{b_id}"
    for path in REQUESTS:
        # Not one route of the other upload matches this upload's URL, whatever the priorities.
        assert _matches(a, a_prefix + path) and not _matches(b, a_prefix + path)
        assert _matches(b, b_prefix + path) and not _matches(a, b_prefix + path)
        # The bare spec path (what both uploads shared before) is nobody's route.
        assert not _matches(a, path) and not _matches(b, path)

    admin_app = create_emulator()
    async with KongClient(
        KongSettings(admin_url="http://kong.test"), transport=httpx2.ASGITransport(app=admin_app)
    ) as client:
        await client.sync(a, a_id)
        await client.sync(b, b_id)
    reached: list[str] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        reached.append(f"{request.url.host}{request.url.path}")
        return httpx.Response(200, json={"consumer": request.headers.get("X-Consumer-Username")})

    proxy = create_proxy(admin_app, transport=httpx.MockTransport(upstream))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=proxy), base_url="http://gw") as gw:
        for path in REQUESTS:
            reached.clear()
            response = await gw.get(a_prefix + path, headers={"apikey": "key-a"})
            assert response.status_code == 200, response.text
            # Upload A's upstream, with the path the app knows (the tenant segment stripped).
            assert reached == [f"{a_id}.backend{path}"]
        # B's key never opens A's routes, and A's URLs never reach B at all.
        assert (await gw.get(a_prefix + "/items", headers={"apikey": "key-b"})).status_code == 403
        reached.clear()
        for path in REQUESTS:
            assert (await gw.get(path, headers={"apikey": "key-b"})).status_code == 404
        assert reached == []


def test_plugins_outside_the_allow_list_are_dropped_with_a_warning() -> None:
    hostile = {
        **SPEC,
        "x-kong-plugin-pre-function": {"config": {"access": ["kong.response.exit(200)"]}},
        "x-kong-plugin-http-log": {"config": {"http_endpoint": "http://collector.example"}},
        "paths": {
            "/items": {
                "x-kong-plugin-file-log": {"config": {"path": "/tmp/all.log"}},
                "get": {
                    "operationId": "items",
                    "x-kong-plugin-post-function": {"config": {"access": ["os.execute('id')"]}},
                    "x-kong-plugin-request-size-limiting": {"config": {"allowed_payload_size": 1}},
                },
            }
        },
    }
    config, _ = _upload(uuid.uuid4().hex, "k", hostile)
    names = {p.name for p in config.plugins}
    assert not names & {"pre-function", "post-function", "http-log", "file-log"}
    assert "request-size-limiting" in names  # on the default allow-list
    for plugin in ("pre-function", "post-function", "http-log", "file-log"):
        warned = [w for w in config.warnings if f"plugin {plugin!r}" in w]
        assert warned and "gateway.allowedPlugins" in warned[0], plugin

    # The operator may allow more, by name.
    target = KongTarget(upload_id="u1", name="todo")
    allowed = KongOptions.from_settings(
        GatewaySettings(allowed_plugins=("cors", "rate-limiting", "request-transformer", "http-log"))
    )
    assert "http-log" in {p.name for p in openapi_to_kong(hostile, target, allowed).plugins}


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(
        deployment={"enabled": True},
        server={"worker": "none"},
        kong={"gatewayUrl": "https://api.example.com/"},
        gateway={"pathPrefix": "/v1"},
    )


async def test_the_status_shows_the_uploads_own_gateway_url(
    client: httpx.AsyncClient, auth: dict[str, str], app: FastAPI
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "print('hi')\n")
    upload = await client.post(
        "/uploads", headers=auth, files={"file": ("todo.zip", buffer.getvalue(), "application/zip")}
    )
    upload_id = upload.json()["id"]

    async def gateway_url(kong_api_id: dict[str, Any]) -> str:
        async with app.state.justpush.sessions() as session:
            record = await store.ensure_analyze_result(session, upload_id)
            record.kong_api_id = kong_api_id
            await session.commit()
        status = await client.get(f"/deploy/{upload_id}/status", headers=auth)
        return str(status.json()["gateway_url"])

    # What CONFIGURING stores: the segment and the configured prefix.
    stored = f"/todo-{upload_id}/v1"
    assert await gateway_url({"service": "s", "path_prefix": stored}) == f"https://api.example.com{stored}"
    # A record configured before per-upload segments keeps the URL its routes still have.
    assert await gateway_url({"service": "s"}) == "https://api.example.com/v1"


def test_a_spec_cannot_make_the_gateway_connect_where_it_names() -> None:
    """rate-limiting's redis policy would make Kong dial any host:port the spec names (and tell
    whether it answered): an uploaded spec may set the limits, not where they are kept."""
    hostile = {
        **SPEC,
        "x-kong-plugin-rate-limiting": {
            "config": {
                "minute": 5,
                "policy": "redis",
                "redis": {"host": "10.0.0.5", "port": 6379},
                "redis_host": "10.0.0.5",
                "fault_tolerant": False,
            }
        },
        "paths": {
            "/items": {
                "get": {
                    "operationId": "items",
                    "x-justpush-rate-limit": {"second": 2, "policy": {"redis": True}},
                    "x-kong-plugin-cors": {"config": {"origins": ["https://a.example"], "plugin": "x"}},
                }
            }
        },
    }
    config, _ = _upload(uuid.uuid4().hex, "k", hostile)
    limits = [p.config for p in config.plugins if p.name == "rate-limiting"]
    assert limits and all(
        "redis" not in c and "redis_host" not in c and c.get("policy") in (None, "local", "cluster")
        for c in limits
    ), limits
    assert any(c.get("minute") == 5 and c.get("fault_tolerant") is False for c in limits), limits
    assert any(c.get("second") == 2 for c in limits), limits
    cors = [p.config for p in config.plugins if p.name == "cors"]
    assert (
        cors
        and all("plugin" not in c for c in cors)
        and any(c.get("origins") == ["https://a.example"] for c in cors)
    )
    for dropped in ("'redis'", "'redis_host'", "policy 'redis'", "policy {'redis': True}", "'plugin'"):
        assert any(dropped in w and "dropped" in w for w in config.warnings), (dropped, config.warnings)
