"""Upload isolation: a developer's credential opens only its own upload's routes (Kong's acl plugin)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import httpx2
import pytest
from pydantic import SecretStr

from justpush.config import KongSettings
from justpush.kong import (
    Developer,
    KongClient,
    KongConfig,
    KongOptions,
    KongTarget,
    acl_group,
    openapi_to_kong,
    to_declarative,
)
from tests.kong_emulator import create_emulator, create_proxy
from tests.unit.kong.kong_helpers import make_spec, plugins_on

KEY = {"type": "apiKey", "in": "header", "name": "X-Key"}
BEARER = {"type": "http", "scheme": "bearer"}
FORBIDDEN = {"message": "You cannot consume this service"}


def _config(upload_id: str, spec: dict[str, Any]) -> KongConfig:
    """The upload's Kong config with one consumer whose key names the upload."""
    options = KongOptions(
        developers=(Developer(username="dev", api_key=SecretStr(f"key-{upload_id}")),),
        rate_limit=None,
        cors=None,
    )
    target = KongTarget(upload_id=upload_id, name=f"app-{upload_id}", url=f"http://{upload_id}.backend")
    return openapi_to_kong(spec, target, options)


def upload(upload_id: str, security: list[dict[str, list[str]]] | None = None) -> KongConfig:
    """Same plugin and key name for every upload, so only the acl tells their consumers apart."""
    spec = make_spec(
        {
            "/orders": {"get": {"operationId": "orders"}},
            "/health": {"get": {"operationId": "health", "security": []}},
        },
        security=security or [{"key": []}],
        components={"securitySchemes": {"key": KEY, "bearer": BEARER}},
    )
    return _config(upload_id, spec)


def upstream(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "host": request.url.host,
            "consumer": request.headers.get("X-Consumer-Username"),
            "groups": request.headers.get("X-Consumer-Groups"),
        },
    )


async def gateway_for(configs: list[KongConfig]) -> Any:
    """An emulated Kong configured through the Admin API by KongClient.sync, one upload at a time."""
    admin_app = create_emulator()
    settings = KongSettings(admin_url="http://kong.test", concurrency=4)
    async with KongClient(settings, transport=httpx2.ASGITransport(app=admin_app)) as kong:
        for config in configs:
            await kong.sync(config, config.upload_id)
    return admin_app


@pytest.fixture
async def gateway() -> AsyncIterator[httpx.AsyncClient]:
    admin_app = await gateway_for([upload("a"), upload("b")])
    proxy = create_proxy(admin_app, transport=httpx.MockTransport(upstream))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=proxy), base_url="http://gw") as gw:
        yield gw


async def test_key_of_one_upload_is_refused_on_another(gateway: httpx.AsyncClient) -> None:
    foreign = await gateway.get("/app-b/orders", headers={"X-Key": "key-a"})
    assert (foreign.status_code, foreign.json()) == (403, FORBIDDEN)
    own = await gateway.get("/app-b/orders", headers={"X-Key": "key-b"})
    assert own.status_code == 200
    assert own.json() == {"host": "b.backend", "consumer": "app-b_dev", "groups": None}  # groups hidden
    assert (await gateway.get("/app-a/orders", headers={"X-Key": "key-a"})).status_code == 200
    assert (await gateway.get("/app-a/orders", headers={"X-Key": "key-b"})).status_code == 403
    assert (await gateway.get("/app-b/orders")).status_code == 401  # no key: key-auth answers first


async def test_public_routes_need_no_key(gateway: httpx.AsyncClient) -> None:
    for path in ("/app-a/health", "/app-b/health"):
        response = await gateway.get(path)
        assert response.status_code == 200 and response.json()["consumer"] is None


def test_acl_only_where_consumers_authenticate() -> None:
    config = upload("a")
    assert plugins_on(config, "GET /orders")["acl"] == {
        "allow": [acl_group("a")],
        "hide_groups_header": True,
    }
    assert "acl" not in plugins_on(config, "GET /health")
    assert not [p for p in config.plugins if p.name == "acl" and p.service_id]
    (membership,) = config.acl_credentials
    (developer,) = config.consumers
    assert (membership.consumer_id, membership.group) == (developer.id, "justpush-upload-a")
    public = openapi_to_kong(
        make_spec({"/x": {"get": {}}}),
        KongTarget(upload_id="p", name="p"),
        KongOptions(developers=(Developer(username="dev", api_key=SecretStr("k")),)),
    )
    assert not [p for p in public.plugins if p.name == "acl"] and public.acl_credentials == ()


async def test_or_auth_keeps_401_for_anonymous_and_403_for_foreign_keys() -> None:
    # The anonymous fallback consumer belongs to the group, so it reaches the 401 termination.
    either: list[dict[str, list[str]]] = [{"key": []}, {"bearer": []}]
    admin_app = await gateway_for([upload("a", either), upload("b", either)])
    proxy = create_proxy(admin_app, transport=httpx.MockTransport(upstream))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=proxy), base_url="http://gw") as gw:
        anonymous = await gw.get("/app-b/orders")
        assert anonymous.status_code == 401 and anonymous.json() != FORBIDDEN
        assert (await gw.get("/app-b/orders", headers={"X-Key": "key-a"})).status_code == 403
        assert (await gw.get("/app-b/orders", headers={"X-Key": "key-b"})).status_code == 200


async def test_optional_auth_lets_anonymous_through() -> None:
    optional: list[dict[str, list[str]]] = [{"key": []}, {}]
    admin_app = await gateway_for([upload("a", optional), upload("b", optional)])
    proxy = create_proxy(admin_app, transport=httpx.MockTransport(upstream))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=proxy), base_url="http://gw") as gw:
        anonymous = await gw.get("/app-b/orders")
        assert anonymous.status_code == 200 and anonymous.json()["consumer"] == "app-b_anonymous"
        assert (await gw.get("/app-b/orders", headers={"X-Key": "key-a"})).status_code == 403


async def test_dbless_declarative_config_isolates_too() -> None:
    admin_app = create_emulator(db_less=True)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=admin_app), base_url="http://kong"
    ) as admin:
        response = await admin.post("/config", json=to_declarative([upload("a"), upload("b")]))
        assert response.status_code == 201, response.text
        groups = sorted(a["group"] for a in (await admin.get("/acls")).json()["data"])
        assert groups == ["justpush-upload-a", "justpush-upload-b"]
    proxy = create_proxy(admin_app, transport=httpx.MockTransport(upstream))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=proxy), base_url="http://gw") as gw:
        assert (await gw.get("/app-b/orders", headers={"X-Key": "key-a"})).status_code == 403
        assert (await gw.get("/app-b/orders", headers={"X-Key": "key-b"})).status_code == 200


async def test_removed_developer_loses_its_acl_membership() -> None:
    admin_app = await gateway_for([upload("a")])
    without = upload("a").model_copy(
        update={"consumers": (), "key_auth_credentials": (), "acl_credentials": ()}
    )
    settings = KongSettings(admin_url="http://kong.test")
    async with KongClient(settings, transport=httpx2.ASGITransport(app=admin_app)) as kong:
        plan = await kong.plan(without)
        deleted = sorted((a.kind, a.path) for a in plan.actions if a.verb == "delete")
        (membership,) = upload("a").acl_credentials
        assert ("acls", f"/consumers/{membership.consumer_id}/acls/{membership.id}") in deleted
        await kong.sync(without, "a")
    assert admin_app.state.emulator.store.entities["acls"] == {}


def test_openid_connect_next_to_consumer_auth_warns() -> None:
    spec = make_spec(
        {"/x": {"get": {}}},
        security=[{"key": []}, {"oidc": []}],
        components={
            "securitySchemes": {
                "key": KEY,
                "oidc": {"type": "openIdConnect", "openIdConnectUrl": "https://id.example/.well-known"},
            }
        },
    )
    config = openapi_to_kong(spec, KongTarget(upload_id="o", name="o"), KongOptions())
    assert "acl" in plugins_on(config, "GET /x")
    assert any("openid-connect users must be mapped" in w for w in config.warnings)


def all_authenticated(upload_id: str) -> KongConfig:
    spec = make_spec(
        {"/orders": {"get": {"operationId": "orders"}}, "/items": {"get": {"operationId": "items"}}},
        security=[{"key": []}],
        components={"securitySchemes": {"key": KEY}},
    )
    return _config(upload_id, spec)


def test_auth_every_route_shares_lives_once_on_the_service() -> None:
    config = all_authenticated("a")
    service = {p.name: p.config for p in config.plugins if p.service_id}
    assert service["key-auth"]["key_names"] == ["X-Key"]
    assert service["acl"] == {"allow": [acl_group("a")], "hide_groups_header": True}
    for operation in ("GET /orders", "GET /items"):
        assert not {"key-auth", "acl"} & set(plugins_on(config, operation))


def test_a_public_route_keeps_auth_off_the_service() -> None:
    config = upload("a")  # /orders authenticated, /health `security: []`
    assert not [p for p in config.plugins if p.service_id and p.name in ("key-auth", "acl")]
    assert {"key-auth", "acl"} <= set(plugins_on(config, "GET /orders"))
    assert not {"key-auth", "acl"} & set(plugins_on(config, "GET /health"))


async def test_service_level_auth_isolates_uploads_through_the_gateway() -> None:
    admin_app = await gateway_for([all_authenticated("a"), all_authenticated("b")])
    proxy = create_proxy(admin_app, transport=httpx.MockTransport(upstream))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=proxy), base_url="http://gw") as gw:
        for path in ("/app-b/orders", "/app-b/items"):
            assert (await gw.get(path)).status_code == 401
            foreign = await gw.get(path, headers={"X-Key": "key-a"})
            assert (foreign.status_code, foreign.json()) == (403, FORBIDDEN)
            own = await gw.get(path, headers={"X-Key": "key-b"})
            assert (own.status_code, own.json()["consumer"]) == (200, "app-b_dev")
