"""KongClient against the Admin API emulator, through httpx2.ASGITransport."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from pydantic import SecretStr

from justpush.config import KongSettings
from justpush.errors import KongError
from justpush.kong import Developer, KongClient, KongOptions, KongTarget, openapi_to_kong
from tests.kong_emulator import create_emulator
from tests.unit.kong.kong_helpers import make_spec

SECURED = {
    "components": {"securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}}},
    "security": [{"key": []}],
}


def build(upload: str = "u1", paths: int = 3, **extra: Any) -> Any:
    spec = make_spec(
        {f"/items{i}/{{id}}": {"get": {"operationId": f"get{i}"}} for i in range(paths)}, **SECURED
    )
    spec["paths"]["/items0/me"] = {"get": {"operationId": "me", "security": []}}
    options = KongOptions(
        developers=(Developer(username="dev", api_key=SecretStr(f"key-{upload}")),), **extra
    )
    return openapi_to_kong(spec, KongTarget(upload_id=upload, name=f"app-{upload}", port=8080), options)


def emulator_of(app: Any) -> Any:
    return app.state.emulator


def client_for(app: Any, **settings: Any) -> KongClient:
    values = {"admin_url": "http://kong.test", "concurrency": 8, **settings}
    return KongClient(KongSettings(**values), transport=httpx2.ASGITransport(app=app))


async def test_create_then_resync_makes_zero_writes(kong: KongClient, emulator_app: Any) -> None:
    config = build()
    first = await kong.sync(config, "u1")
    # service, routes, plugins, consumers, the developer's key and its ACL membership
    total = 1 + len(config.routes) + len(config.plugins) + len(config.consumers) + 1 + 1
    assert (first.created, first.updated, first.deleted) == (total, 0, 0)
    store = emulator_of(emulator_app).store.entities
    assert len(store["routes"]) == len(config.routes) and len(store["key-auths"]) == 1
    assert [a["group"] for a in store["acls"].values()] == ["justpush-upload-u1"]
    writes = emulator_of(emulator_app).writes
    again = await kong.sync(config, "u1")
    assert (again.writes, again.unchanged) == (0, total)
    assert emulator_of(emulator_app).writes == writes


async def test_update_one_route_only(kong: KongClient, emulator_app: Any) -> None:
    await kong.sync(build(), "u1")
    changed = build()
    route = changed.routes[0]
    changed = changed.model_copy(
        update={"routes": (route.model_copy(update={"preserve_host": True}), *changed.routes[1:])}
    )
    emulator_of(emulator_app).requests.clear()
    result = await kong.sync(changed, "u1")
    assert (result.created, result.updated, result.deleted) == (0, 1, 0)
    assert [r for r in emulator_of(emulator_app).requests if r[0] != "GET"] == [
        ("PUT", f"/routes/{route.id}")
    ]
    assert emulator_of(emulator_app).store.entities["routes"][route.id]["preserve_host"] is True


async def test_removed_operation_is_deleted_with_its_plugins(kong: KongClient, emulator_app: Any) -> None:
    await kong.sync(build(paths=3), "u1")
    smaller = build(paths=2)
    result = await kong.sync(smaller, "u1")
    assert result.deleted == 3  # the route of get2 and its key-auth and acl plugins
    assert len(emulator_of(emulator_app).store.entities["routes"]) == len(smaller.routes)


async def test_delete_removes_exactly_one_upload(kong: KongClient, emulator_app: Any) -> None:
    await kong.sync(build("u1"), "u1")
    other = build("u2")
    await kong.sync(other, "u2")
    store = emulator_of(emulator_app).store
    # an entity JustPush does not own stays too
    store.save("consumers", {"username": "someone-else", "tags": ["justpush"]})
    result = await kong.delete("u1")
    assert result.deleted > 0
    remaining = {e["id"] for entities in store.entities.values() for e in entities.values()}
    assert {other.service.id, *(r.id for r in other.routes)} <= remaining
    owned = [
        e
        for entities in store.entities.values()
        for e in entities.values()
        if "upload:u1" in (e["tags"] or [])
    ]
    assert owned == []
    assert store.find("consumers", "someone-else") is not None
    assert (await kong.delete("u1")).deleted == 0


async def test_pagination_over_many_entities(emulator_app: Any) -> None:
    config = build(paths=130)
    async with client_for(emulator_app, page_size=50) as kong:
        first = await kong.sync(config, "u1")
        assert first.created == 1 + 131 + len(config.plugins) + 3  # consumer, key, acl
        lists = [p for m, p in emulator_of(emulator_app).requests if m == "GET" and p == "/routes"]
        emulator_of(emulator_app).requests.clear()
        again = await kong.sync(config, "u1")
    assert again.writes == 0
    assert len(lists) >= 1
    route_pages = [p for m, p in emulator_of(emulator_app).requests if m == "GET" and p == "/routes"]
    assert len(route_pages) == 3  # 131 routes in pages of 50


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    start: float
    end: float


class Recording(httpx2.AsyncBaseTransport):
    """The emulator through ASGI, recording every call's timing and the peak of calls in flight."""

    def __init__(self, app: Any) -> None:
        self.inner = httpx2.ASGITransport(app=app)
        self.calls: list[Call] = []
        self.in_flight = self.peak = 0

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        start = time.perf_counter()
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            return await self.inner.handle_async_request(request)
        finally:
            self.in_flight -= 1
            self.calls.append(Call(request.method, request.url.path, start, time.perf_counter()))


def recording_client(app: Any, concurrency: int) -> tuple[KongClient, Recording]:
    emulator_of(app).latency = 0.005
    transport = Recording(app)
    settings = KongSettings(admin_url="http://kong.test", concurrency=concurrency)
    return KongClient(settings, transport=transport), transport


async def test_concurrency_is_bounded(emulator_app: Any) -> None:
    kong, transport = recording_client(emulator_app, concurrency=4)
    async with kong:
        await kong.sync(build(paths=20), "u1")
    assert 1 < transport.peak <= 4


async def test_writes_start_once_what_they_need_is_written(emulator_app: Any) -> None:
    config = build(paths=20)
    kong, transport = recording_client(emulator_app, concurrency=4)
    async with kong:
        await kong.sync(config, "u1")
    puts = [c for c in transport.calls if c.method == "PUT"]
    service = config.service.id
    (service_put,) = [c for c in puts if c.path == f"/services/{service}"]
    service_plugins = [c for c in puts if c.path.startswith(f"/services/{service}/plugins/")]
    routes = {c.path.split("/")[2]: c for c in puts if c.path.count("/") == 2 and "/routes/" in c.path}
    route_plugins = [c for c in puts if c.path.startswith("/routes/") and "/plugins/" in c.path]
    (consumer,) = config.consumers
    (consumer_put,) = [c for c in puts if c.path == f"/consumers/{consumer.id}"]
    credentials = [c for c in puts if c.path.startswith(f"/consumers/{consumer.id}/")]
    assert service_plugins and len(routes) == len(config.routes) and route_plugins and credentials
    assert all(p.start >= service_put.end for p in service_plugins)
    # The service's plugins are in place before any route exists: no new route is open.
    assert min(r.start for r in routes.values()) >= max(p.end for p in service_plugins)
    assert all(p.start >= routes[p.path.split("/")[2]].end for p in route_plugins)
    assert all(c.start >= consumer_put.end for c in credentials)
    # No phase barrier: a route's plugins are written while other routes still are.
    assert min(p.start for p in route_plugins) < max(r.end for r in routes.values())
    assert 1 < transport.peak <= 4


async def test_unchanged_resync_is_one_round_trip(emulator_app: Any) -> None:
    config = build()
    kong, transport = recording_client(emulator_app, concurrency=10)
    async with kong:
        await kong.sync(config, "u1")
        transport.calls.clear()
        assert (await kong.sync(config, "u1")).writes == 0
    calls = transport.calls
    assert {c.method for c in calls} == {"GET"}
    assert [c.path for c in calls].count("/") == 1 and "/status" not in [c.path for c in calls]
    # The node check and every list read are in flight together.
    assert max(c.start for c in calls) < min(c.end for c in calls)


async def test_delete_takes_routes_first_and_services_last(emulator_app: Any) -> None:
    config = build(paths=5)
    kong, transport = recording_client(emulator_app, concurrency=4)
    async with kong:
        await kong.sync(config, "u1")
        transport.calls.clear()
        assert (await kong.delete("u1")).deleted > 0
    deletes = [c for c in transport.calls if c.method == "DELETE"]
    routes = [c for c in deletes if c.path.startswith("/routes/")]
    owners = [
        c for c in deletes if c.path.count("/") == 2 and c.path.split("/")[1] in ("services", "consumers")
    ]
    others = [c for c in deletes if c not in routes and c not in owners]
    assert len(routes) == len(config.routes) and len(owners) == 2 and others
    assert max(r.end for r in routes) <= min(c.start for c in others)
    assert max(c.end for c in others) <= min(o.start for o in owners)
    assert emulator_of(emulator_app).store.entities["services"] == {}


async def test_failed_write_stops_the_sync(emulator_app: Any) -> None:
    config = build(paths=20)
    route = config.routes[0]
    broken = config.model_copy(
        update={"routes": (route.model_copy(update={"paths": ("users",)}), *config.routes[1:])}
    )
    kong, transport = recording_client(emulator_app, concurrency=4)
    async with kong:
        with pytest.raises(KongError, match="schema violation"):
            await kong.sync(broken, "u1")
        calls = len(transport.calls)
        await asyncio.sleep(0.05)
    # The other writes were cancelled with the failure: none is in flight or sent afterwards.
    assert transport.in_flight == 0 and len(transport.calls) == calls


async def test_unique_violation_is_a_clear_error(kong: KongClient, emulator_app: Any) -> None:
    emulator_of(emulator_app).store.save("services", {"name": "app-u1", "host": "elsewhere"})
    with pytest.raises(KongError) as info:
        await kong.sync(build(), "u1")
    assert info.value.status == 409
    assert "unique constraint violation" in info.value.message
    assert 'name="app-u1"' in info.value.message and "field errors: name: app-u1" in info.value.message


async def test_schema_violation_lists_field_errors(kong: KongClient) -> None:
    config = build()
    route = config.routes[0]
    broken = config.model_copy(
        update={"routes": (route.model_copy(update={"paths": ("users",)}), *config.routes[1:])}
    )
    with pytest.raises(KongError) as info:
        await kong.sync(broken, "u1")
    assert info.value.status == 400
    assert "schema violation" in info.value.message
    assert "paths.0: should start with: / (fixed path) or ~/ (regex path)" in info.value.message


async def test_enterprise_plugin_refused_by_oss(kong: KongClient) -> None:
    spec = make_spec(
        {"/x": {"get": {}}},
        security=[{"o": []}],
        components={
            "securitySchemes": {"o": {"type": "openIdConnect", "openIdConnectUrl": "https://id.example"}}
        },
    )
    config = openapi_to_kong(spec, KongTarget(upload_id="u9", name="oidc"), KongOptions())
    with pytest.raises(KongError, match="plugin 'openid-connect' not enabled"):
        await kong.sync(config, "u9")


async def test_admin_token_and_workspace() -> None:
    app = create_emulator(admin_token="t0k", workspace="team")
    async with client_for(app, admin_token=SecretStr("wrong")) as kong:
        with pytest.raises(KongError) as info:
            await kong.status()
    assert info.value.status == 401
    async with client_for(app, admin_token=SecretStr("t0k"), workspace="team") as kong:
        assert (await kong.sync(build(), "u1")).created > 0
    assert all(path.startswith("/") for _, path in emulator_of(app).requests)


async def test_dbless_sync_posts_full_state_once() -> None:
    app = create_emulator(db_less=True)
    async with client_for(app) as kong:
        assert (await kong.status()).dbless
        with pytest.raises(KongError) as info:
            await kong.sync(build(), "u1")
        assert info.value.details == {"dbless": True}
        assert {m for m, _ in emulator_of(app).requests} == {"GET"}
        configs = [build("u1"), build("u2")]
        first = await kong.sync_dbless(configs)
        assert first.created > 0
        assert [m for m, p in emulator_of(app).requests if p == "/config"] == ["POST"]
        entities = emulator_of(app).store.entities
        assert len(entities["services"]) == 2 and len(entities["key-auths"]) == 2
        second = await kong.sync_dbless(configs)
        assert second.writes == 0
        assert [m for m, p in emulator_of(app).requests if p == "/config"] == ["POST"]
        third = await kong.sync_dbless(configs[:1])
        assert third.deleted > 0 and len(emulator_of(app).store.entities["services"]) == 1


async def test_405_on_write_is_reported_as_dbless(kong: KongClient) -> None:
    app = create_emulator(db_less=True)
    async with client_for(app) as dbless:
        with pytest.raises(KongError) as info:
            await dbless._request("PUT", "/services/x", upload_id="u1", json={})
    assert info.value.status == 405 and info.value.details == {"dbless": True}


async def test_unreachable_kong_is_a_kong_error() -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused", request=request)

    settings = KongSettings(admin_url="http://kong.test")
    async with KongClient(settings, transport=httpx2.MockTransport(refuse)) as kong:
        with pytest.raises(KongError, match="unreachable") as info:
            await kong.status()
    assert isinstance(info.value.__cause__, httpx2.ConnectError)


async def test_logs_one_line_per_call_without_secrets(
    kong: KongClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="justpush.kong.client")
    await kong.sync(build(), "u1")
    records = [r for r in caplog.records if r.name == "justpush.kong.client"]
    assert records and all(getattr(r, "upload_id", None) in ("u1", None) for r in records)
    assert all(getattr(r, "stage", None) == "kong" for r in records)
    assert not any("key-u1" in r.getMessage() for r in records)
