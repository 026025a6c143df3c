"""The emulator behaves like Kong and refuses what Kong's published Admin API spec refuses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from justpush.kong import Developer, KongOptions, KongTarget, openapi_to_kong, to_deck
from tests.kong_emulator import create_emulator, create_proxy, serve
from tests.kong_emulator._reference import operation_for
from tests.unit.kong.kong_helpers import make_spec

SVC = {"name": "svc", "protocol": "http", "host": "upstream", "port": 80, "enabled": True}
ROUTE = {
    "protocols": ["http"],
    "https_redirect_status_code": 426,
    "preserve_host": False,
    "request_buffering": True,
    "response_buffering": True,
    "paths": ["/x"],
}


@pytest.fixture
async def admin() -> AsyncIterator[httpx.AsyncClient]:
    app = create_emulator()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kong") as client:
        yield client


async def test_operations_resolve_to_spec_templates() -> None:
    assert operation_for("PUT", "/routes/abc") == ("/routes/{route_id_or_name}", "put")
    assert operation_for("POST", "/services/s/plugins") == ("/services/{service_id_or_name}plugins", "post")
    assert operation_for("POST", "/consumers/c/key-auth") is None


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/services", {**SVC, "port": "eighty"}, "port"),
        ("/services", {**SVC, "protocol": "ftp"}, "protocol"),
        ("/services", {"name": "svc", "host": "h"}, "protocol"),  # the spec requires protocol, port, enabled
        ("/consumers", {"username": "only-username"}, "custom_id"),  # the spec requires both
        ("/routes", {**ROUTE, "https_redirect_status_code": 999}, "https_redirect_status_code"),
        ("/routes", {**ROUTE, "preserve_host": "yes"}, "preserve_host"),
        ("/plugins", {"name": "cors", "route": "some-route-id"}, "route"),  # Kong takes {"id": ...}
        ("/plugins", {"name": "cors", "protocols": ["https"]}, "protocols"),  # the spec's enum lacks https
        ("/consumers/c/key-auth", {"key": 5}, "key"),  # kong_json_schema KeyAuth
        ("/consumers/c/acls", {"group": 5}, "group"),  # kong_json_schema ACLGroup
        ("/consumers/c/acls", {"tags": ["t"]}, "group"),
        ("/consumers/c/acls", {"group": "g", "groupz": 1}, "groupz"),
        ("/plugins", {"name": "acl", "config": {"allow": ["a"], "deny": ["b"]}}, "only one of"),
        ("/plugins", {"name": "acl", "config": {"hide_groups_header": True}}, "at least one of"),
    ],
)
async def test_bodies_violating_the_spec_are_refused(
    admin: httpx.AsyncClient, path: str, body: dict[str, Any], field: str
) -> None:
    await admin.post("/consumers", json={"username": "c", "custom_id": "c"})
    response = await admin.post(path, json=body)
    assert response.status_code == 400, response.text
    error = response.json()
    assert (error["code"], error["name"]) == (2, "schema violation")
    assert field in str(error["fields"]), error


async def test_acl_groups_are_unique_per_consumer(admin: httpx.AsyncClient) -> None:
    for name in ("c1", "c2"):
        await admin.post("/consumers", json={"username": name, "custom_id": name})
    first = await admin.post("/consumers/c1/acls", json={"group": "g"})
    assert first.status_code == 201 and first.json()["consumer"]["id"]
    assert (await admin.post("/consumers/c2/acls", json={"group": "g"})).status_code == 201
    duplicate = await admin.post("/consumers/c1/acls", json={"group": "g"})
    assert duplicate.status_code == 409 and duplicate.json()["code"] == 5
    # The group is the endpoint key, looked up under the consumer in the URL only.
    own = await admin.get("/consumers/c2/acls/g")
    assert own.status_code == 200 and own.json()["id"] != first.json()["id"]
    assert (await admin.delete("/consumers/c1")).status_code == 204
    assert [a["group"] for a in (await admin.get("/acls")).json()["data"]] == ["g"]


async def test_kong_constraints_beyond_the_spec(admin: httpx.AsyncClient) -> None:
    service = (await admin.post("/services", json=SVC)).json()
    nested = f"/services/{service['id']}/routes"
    cases = {
        "users": "should start with: / (fixed path) or ~/ (regex path)",
        "~/a(": "invalid regex",
        "~/u/(?<a_very_long_capture_name_over_32_chars>[^/]+)$": "group name",
        "~/u/(?<1st>[^/]+)$": "group name",
    }
    for path, message in cases.items():
        response = await admin.post(nested, json={**ROUTE, "paths": [path]})
        assert response.status_code == 400 and message in response.text, (path, response.text)
    response = await admin.post(nested, json={**ROUTE, "protocols": ["gopher"]})
    assert response.status_code == 400 and "protocols" in response.json()["fields"]
    response = await admin.post(nested, json={**ROUTE, "name": "bad name"})
    assert response.status_code == 400 and "name" in response.json()["fields"]
    response = await admin.post(nested, json={**ROUTE, "paths": [], "methods": []})
    assert response.status_code == 400 and "must set one of" in response.text


async def test_unique_foreign_key_not_found(admin: httpx.AsyncClient) -> None:
    assert (await admin.post("/services", json=SVC)).status_code == 201
    conflict = await admin.post("/services", json=SVC)
    assert conflict.status_code == 409
    assert conflict.json() == {
        "code": 5,
        "name": "unique constraint violation",
        "message": "UNIQUE violation detected on '{name=\"svc\"}'",
        "fields": {"name": "svc"},
    }
    missing = "00000000-0000-4000-8000-00000000abcd"
    fk = await admin.post("/routes", json={**ROUTE, "service": {"id": missing}})
    assert (
        fk.status_code == 400
        and fk.json()["code"] == 4
        and fk.json()["fields"] == {"service": {"id": missing}}
    )
    nf = await admin.get(f"/services/{missing}")
    assert (nf.status_code, nf.json()) == (404, {"message": "Not found"})


async def test_put_upserts_patch_updates_delete_cascades(admin: httpx.AsyncClient) -> None:
    created = await admin.put("/services/by-name", json={**SVC, "name": "by-name"})
    assert created.status_code == 200 and created.json()["name"] == "by-name"
    sid = created.json()["id"]
    route_id = "11111111-2222-4333-8444-555555555555"
    route = await admin.put(f"/routes/{route_id}", json={**ROUTE, "service": {"id": sid}})
    assert route.json()["id"] == route_id and route.json()["strip_path"] is True  # Kong's default
    patched = await admin.patch(f"/services/{sid}", json={"retries": 1})
    assert patched.json()["retries"] == 1 and patched.json()["host"] == "upstream"
    plugin = await admin.post(
        f"/routes/{route_id}/plugins", json={"name": "rate-limiting", "config": {"minute": 1}}
    )
    assert plugin.json()["config"]["policy"] == "local"  # defaults filled in
    blocked = await admin.delete(f"/services/{sid}")
    assert blocked.status_code == 400 and blocked.json()["code"] == 4
    assert (await admin.delete(f"/routes/{route_id}")).status_code == 204
    assert (await admin.get(f"/plugins/{plugin.json()['id']}")).status_code == 404
    assert (await admin.delete(f"/services/{sid}")).status_code == 204
    assert (await admin.delete(f"/services/{sid}")).status_code == 204


async def test_tag_filters_and_pagination(admin: httpx.AsyncClient) -> None:
    for i in range(7):
        tags = ["a", "b"] if i % 2 else ["a"]
        await admin.post("/consumers", json={"username": f"u{i}", "custom_id": f"c{i}", "tags": tags})
    await admin.post("/consumers", json={"username": "z", "custom_id": "z", "tags": ["c"]})
    both = (await admin.get("/consumers", params={"tags": "a,b"})).json()["data"]
    assert len(both) == 3
    either = (await admin.get("/consumers", params={"tags": "b/c"})).json()["data"]
    assert len(either) == 4
    assert (await admin.get("/consumers", params={"tags": "a,b/c"})).status_code == 400
    seen: list[str] = []
    url: str | None = "/consumers?size=3&tags=a"
    while url:
        page = (await admin.get(url)).json()
        seen.extend(c["username"] for c in page["data"])
        url = page["next"]
    assert sorted(seen) == [f"u{i}" for i in range(7)] and len(seen) == len(set(seen))
    assert (await admin.get("/consumers", params={"size": 5000})).status_code == 400


async def test_dbless_refuses_writes_and_validates_config(deck_schema: dict[str, Any]) -> None:
    app = create_emulator(db_less=True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kong") as admin:
        assert (await admin.get("/")).json()["configuration"]["database"] == "off"
        assert (await admin.post("/services", json=SVC)).status_code == 405
        bad = await admin.post(
            "/config", json={"_format_version": "3.0", "services": [{"name": "x", "hostz": "h"}]}
        )
        assert bad.status_code == 400 and bad.json()["code"] == 14
        dup = await admin.post(
            "/config",
            json={
                "_format_version": "3.0",
                "services": [{"name": "x", "host": "h"}, {"name": "x", "host": "i"}],
            },
        )
        assert dup.status_code == 400 and dup.json()["code"] == 14
        config = openapi_to_kong(
            make_spec({"/a/{id}": {"get": {}}}), KongTarget(upload_id="u", name="a"), KongOptions()
        )
        ok = await admin.post("/config", json=to_deck(config))
        assert ok.status_code == 201, ok.text
        routes = (await admin.get("/routes")).json()["data"]
        assert [r["paths"] for r in routes] == [["~/a-u(?<jp_path>/a/(?<id>[^#?/]+))$"]]


async def test_admin_token_required_when_configured() -> None:
    app = create_emulator(admin_token="secret")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kong") as admin:
        assert (await admin.get("/services")).status_code == 401
        assert (await admin.get("/services", headers={"Kong-Admin-Token": "secret"})).status_code == 200


async def test_proxy_routes_authenticates_and_forwards() -> None:
    spec = make_spec(
        {"/users/{id}": {"get": {}}, "/users/me": {"get": {}}, "/open": {"get": {"security": []}}},
        security=[{"k": []}],
        components={"securitySchemes": {"k": {"type": "apiKey", "in": "header", "name": "X-Key"}}},
    )
    options = KongOptions(
        developers=(Developer(username="dev", api_key=SecretStr("good")),),
        path_prefix="/apps/{upload_id}",
        rate_limit=None,
    )
    config = openapi_to_kong(
        spec, KongTarget(upload_id="u1", name="app", url="http://backend:9000/base"), options
    )
    admin_app = create_emulator(db_less=True)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=admin_app), base_url="http://kong"
    ) as admin:
        assert (await admin.post("/config", json=to_deck(config))).status_code == 201
    seen: list[str] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.url.host}:{request.url.port}{request.url.path}")
        return httpx.Response(200, json={"consumer": request.headers.get("X-Consumer-Username")})

    proxy = create_proxy(admin_app, transport=httpx.MockTransport(upstream))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=proxy), base_url="http://gw") as gw:
        assert (await gw.get("/app-u1/apps/u1/users/7")).status_code == 401
        assert (await gw.get("/app-u1/apps/u1/users/7", headers={"X-Key": "bad"})).status_code == 401
        ok = await gw.get("/app-u1/apps/u1/users/me", headers={"X-Key": "good"})
        assert ok.status_code == 200 and ok.json() == {"consumer": "app_dev"}
        assert (await gw.get("/app-u1/apps/u1/open")).status_code == 200
        assert (await gw.get("/app-u1/apps/u2/open")).status_code == 404
        assert (await gw.get("/apps/u1/open")).status_code == 404
    assert seen == ["backend:9000/base/users/me", "backend:9000/base/open"]


def test_serve_on_a_real_port() -> None:
    with serve(create_emulator()) as url:
        response = httpx.get(f"{url}/status")
    assert response.status_code == 200 and response.json()["database"]["reachable"] is True
