"""openapi_to_kong across many specs: paths, priorities, names, ids, plugins, security."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from pydantic import SecretStr

from justpush.config import GatewaySettings
from justpush.errors import GenerationError
from justpush.kong import (
    NAMESPACE,
    Developer,
    KongOptions,
    KongTarget,
    entity_id,
    generate_api_key,
    generate_jwt_key,
    openapi_to_kong,
    tenant_segment,
)
from tests.kong_emulator._store import _path_error, kong_regex_to_python
from tests.unit.kong.kong_helpers import effective_plugins, make_spec, plugins_on, route_for, service_plugins

GET: dict[str, Any] = {"get": {"responses": {"200": {"description": "ok"}}}}
# The upload's own first path segment (`<target name>-<upload id>`), before every route.
T = "/petstore-u1"
SCHEMES = {
    "header_key": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "query_key": {"type": "apiKey", "in": "query", "name": "api_key"},
    "cookie_key": {"type": "apiKey", "in": "cookie", "name": "session"},
    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    "basic": {"type": "http", "scheme": "basic"},
    "oidc": {
        "type": "openIdConnect",
        "openIdConnectUrl": "https://id.example/.well-known/openid-configuration",
    },
    "oauth": {"type": "oauth2", "flows": {}},
}


def secured(security: Any, op_security: Any = "inherit") -> dict[str, Any]:
    op: dict[str, Any] = {"responses": {"200": {"description": "ok"}}}
    if op_security != "inherit":
        op["security"] = op_security
    spec = make_spec({"/items": {"get": op}}, components={"securitySchemes": SCHEMES})
    if security is not None:
        spec["security"] = security
    return spec


REWRITE = '$(uri_captures["jp_path"])'


def kong_match(path: str, request_path: str) -> dict[str, str] | None:
    """Match like Kong: a regex path (after "~") anchored at the start of the request path; the path
    parameters it captures (jp_path, what the upstream receives, is left out)."""
    assert path.startswith("~")
    m = re.match(kong_regex_to_python(path[1:]), request_path)
    return {k: v for k, v in m.groupdict().items() if k != "jp_path"} if m else None


def upstream_path(path: str, request_path: str) -> str:
    m = re.match(kong_regex_to_python(path[1:]), request_path)
    assert m is not None
    return m.group("jp_path")


def winner(config: Any, request_path: str, method: str = "GET") -> str | None:
    candidates = [
        r for r in config.routes if method in r.methods and kong_match(r.paths[0], request_path) is not None
    ]
    if not candidates:
        return None
    best = max(candidates, key=lambda r: r.regex_priority)
    assert sum(1 for r in candidates if r.regex_priority == best.regex_priority) == 1, "priority tie"
    return str(best.operation)


# ------------------------------------------------------------------ paths and priorities


def test_path_params_become_named_captures(target: KongTarget, options: KongOptions) -> None:
    config = openapi_to_kong(make_spec({"/users/{id}": GET}), target, options)
    route = config.routes[0]
    assert route.paths == ("~/petstore-u1(?<jp_path>/users/(?<id>[^#?/]+))$",)
    assert kong_match(route.paths[0], T + "/users/42") == {"id": "42"}
    assert kong_match(route.paths[0], T + "/users/42/posts") is None
    assert kong_match(route.paths[0], T + "/users/") is None


def test_literal_paths_match_exactly(target: KongTarget, options: KongOptions) -> None:
    config = openapi_to_kong(make_spec({"/users/me": GET}), target, options)
    path = config.routes[0].paths[0]
    assert path == "~/petstore-u1(?<jp_path>/users/me)$"
    assert kong_match(path, T + "/users/me") == {}
    assert kong_match(path, T + "/users/meow") is None
    assert kong_match(path, T + "/users/me/x") is None


def test_literal_beats_parameter_and_order_is_total(target: KongTarget, options: KongOptions) -> None:
    paths = [
        "/users/{id}",
        "/users/me",
        "/users/{id}/posts",
        "/users/me/posts",
        "/{kind}/{id}",
        "/users/{id}/posts/{postId}",
        "/users/{id}/posts/latest",
        "/a/{x}",
        "/{y}/b",
        "/files/{name}.json",
        "/files/{name}",
    ]
    config = openapi_to_kong(make_spec({p: GET for p in paths}), target, options)
    priorities = [r.regex_priority for r in config.routes]
    assert len(set(priorities)) == len(priorities)
    assert winner(config, T + "/users/me") == "GET /users/me"
    assert winner(config, T + "/users/7") == "GET /users/{id}"
    assert winner(config, T + "/users/me/posts") == "GET /users/me/posts"
    assert winner(config, T + "/users/7/posts/latest") == "GET /users/{id}/posts/latest"
    assert winner(config, T + "/users/7/posts/9") == "GET /users/{id}/posts/{postId}"
    assert winner(config, T + "/groups/7") == "GET /{kind}/{id}"
    assert winner(config, T + "/files/x.json") == "GET /files/{name}.json"
    assert winner(config, T + "/files/x.txt") == "GET /files/{name}"
    # ambiguous by design: /a/b matches both; the more-left literal wins, deterministically
    assert winner(config, T + "/a/b") == "GET /a/{x}"


def test_base_path_from_servers_with_variables(target: KongTarget, options: KongOptions) -> None:
    spec = make_spec(
        {"/pets": GET},
        servers=[
            {"url": "https://api.example.com/{version}/shop", "variables": {"version": {"default": "v2"}}}
        ],
    )
    config = openapi_to_kong(spec, target, options)
    assert config.routes[0].paths == ("~/petstore-u1(?<jp_path>/v2/shop/pets)$",)
    relative = openapi_to_kong(make_spec({"/pets": GET}, servers=[{"url": "/api/"}]), target, options)
    assert relative.routes[0].paths == ("~/petstore-u1(?<jp_path>/api/pets)$",)


def test_capture_names_are_sanitized_unique_and_short(target: KongTarget, options: KongOptions) -> None:
    long_name = "organization_subscription_identifier_value"
    paths = {f"/x/{{user-id}}/{{1st}}/{{{long_name}}}/{{{long_name}}}/{{ünïcødé}}/{{a.b}}/{{a_b}}": GET}
    config = openapi_to_kong(make_spec(paths), target, options)
    path = config.routes[0].paths[0]
    names = [n for n in re.findall(r"\(\?<([^>]+)>", path) if n != "jp_path"]
    assert len(names) == len(set(names)) == 7
    for name in names:
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and len(name) <= 32
    assert names[:2] == ["user_id", "p_1st"]
    assert _path_error(path) is None


def test_unicode_and_reserved_characters_are_encoded_and_escaped(
    target: KongTarget, options: KongOptions
) -> None:
    spec = make_spec(
        {"/café/{id}": GET, "/v1/items:search": GET, "/a+b/(x)": GET, "/files/{name}.{ext}": GET}
    )
    config = openapi_to_kong(spec, target, options)
    by_op = {r.operation: r.paths[0] for r in config.routes}
    assert kong_match(by_op["GET /café/{id}"], T + "/caf%C3%A9/1") == {"id": "1"}
    assert kong_match(by_op["GET /v1/items:search"], T + "/v1/items:search") == {}
    assert kong_match(by_op["GET /a+b/(x)"], T + "/a+b/(x)") == {}
    assert kong_match(by_op["GET /a+b/(x)"], T + "/aab/x") is None
    assert kong_match(by_op["GET /files/{name}.{ext}"], T + "/files/a.tar") == {"name": "a", "ext": "tar"}
    assert kong_match(by_op["GET /files/{name}.{ext}"], T + "/files/atar") is None
    for path in by_op.values():
        assert path.isascii() and _path_error(path) is None


def test_three_hundred_paths(target: KongTarget, options: KongOptions) -> None:
    paths = {}
    for i in range(150):
        paths[f"/r{i}/items/{{id}}"] = {
            "get": {"operationId": f"get{i}"},
            "delete": {"operationId": f"del{i}"},
        }
        paths[f"/r{i}/items/special"] = {"get": {"operationId": f"special{i}"}}
    config = openapi_to_kong(make_spec(paths), target, options)
    assert len(config.routes) == 450
    assert len({r.name for r in config.routes}) == 450
    assert len({r.id for r in config.routes}) == 450
    assert winner(config, T + "/r99/items/special") == "GET /r99/items/special"
    assert winner(config, T + "/r99/items/5", "DELETE") == "DELETE /r99/items/{id}"
    assert openapi_to_kong(make_spec(paths), target, options) == config


def test_path_prefix_with_strip_rewrites_upstream_path(target: KongTarget) -> None:
    options = KongOptions.from_settings(GatewaySettings(path_prefix="/apps/{upload_id}"))
    config = openapi_to_kong(make_spec({"/users/{id}": GET}), target, options)
    route = config.routes[0]
    assert route.paths == ("~/petstore-u1/apps/u1(?<jp_path>/users/(?<id>[^#?/]+))$",)
    assert route.strip_path is False
    assert kong_match(route.paths[0], T + "/apps/u1/users/5") == {"id": "5"}
    assert upstream_path(route.paths[0], T + "/apps/u1/users/5") == "/users/5"
    assert service_plugins(config)["request-transformer"]["replace"]["uri"] == REWRITE
    kept = openapi_to_kong(
        make_spec({"/users/{id}": GET}),
        target,
        KongOptions(path_prefix="/apps/{upload_id}", strip_path=False),
    )
    # Without strip_path the prefix reaches the upstream; the upload's own segment never does.
    assert kept.routes[0].paths == ("~/petstore-u1(?<jp_path>/apps/u1/users/(?<id>[^#?/]+))$",)
    assert upstream_path(kept.routes[0].paths[0], T + "/apps/u1/users/5") == "/apps/u1/users/5"


def test_parameter_named_like_the_rewrite_capture_is_renamed(target: KongTarget) -> None:
    config = openapi_to_kong(make_spec({"/x/{jp_path}": GET}), target, KongOptions(path_prefix="/p"))
    names = re.findall(r"\(\?<([^>]+)>", config.routes[0].paths[0])
    assert names == ["jp_path", "jp_path_2"]


# ------------------------------------------------------------------ names and ids


def test_names_are_unique_valid_and_stable(target: KongTarget, options: KongOptions) -> None:
    paths = {
        "/a": {"get": {"operationId": "getThing"}, "post": {"operationId": "get_thing"}},
        "/b": {"get": {"operationId": "getThing"}},
        "/c": {"get": {}},
        "/d/{id}": {"get": {"operationId": "Ünïcode op!"}},
    }
    config = openapi_to_kong(make_spec(paths), target, options)
    names = [r.name for r in config.routes]
    assert len(set(names)) == len(names)
    for name in names:
        assert re.fullmatch(r"[a-z0-9._~-]+", name), name
        assert name.startswith("petstore_")
    assert route_for(config, "GET /c").name == "petstore_get-c"
    assert route_for(config, "GET /d/{id}").name == "petstore_unicode-op"
    # adding an unrelated clash does not rename existing unique operations
    more = dict(paths, **{"/e": {"get": {"operationId": "other"}}})
    again = openapi_to_kong(make_spec(more), target, options)
    assert route_for(again, "GET /c").name == route_for(config, "GET /c").name
    assert route_for(again, "GET /a").name == route_for(config, "GET /a").name


def test_ids_are_uuid5_of_upload_and_entity(target: KongTarget, options: KongOptions) -> None:
    config = openapi_to_kong(make_spec({"/users/{id}": GET}), target, options)
    assert config.service.id == str(uuid.uuid5(NAMESPACE, "upload:u1:service"))
    assert config.routes[0].id == entity_id("u1", "route:GET /users/{id}")
    other = openapi_to_kong(
        make_spec({"/users/{id}": GET}), target.model_copy(update={"upload_id": "u2"}), options
    )
    assert {config.service.id, config.routes[0].id}.isdisjoint({other.service.id, other.routes[0].id})


def test_every_entity_is_tagged_and_lists_sorted(target: KongTarget) -> None:
    options = KongOptions(
        developers=(
            Developer(username="bob", api_key=SecretStr("k1")),
            Developer(username="alice", api_key=SecretStr("k2")),
        )
    )
    spec = secured([{"header_key": []}, {"bearer": []}])
    spec["paths"]["/z"] = GET
    config = openapi_to_kong(spec, target, options)
    entities: list[Any] = [
        config.service,
        *config.routes,
        *config.plugins,
        *config.consumers,
        *config.key_auth_credentials,
        *config.acl_credentials,
    ]
    assert len(config.acl_credentials) == 3  # alice, bob and the anonymous consumer
    for entity in entities:
        assert entity.tags == ("justpush", "upload:u1")
    assert [r.name for r in config.routes] == sorted(r.name for r in config.routes)
    assert [c.username for c in config.consumers] == sorted(c.username for c in config.consumers)
    plugin_keys = [(p.name, p.route_id or "", p.consumer_id or "", p.id) for p in config.plugins]
    assert plugin_keys == sorted(plugin_keys)


def test_service_targets_kubernetes_service_or_explicit_url(options: KongOptions) -> None:
    spec = make_spec({"/x": GET}, **{"x-kong-service-defaults": {"read_timeout": 5000, "retries": 1}})
    k8s = openapi_to_kong(spec, KongTarget(upload_id="u", name="My App", namespace="ns", port=81), options)
    assert (k8s.service.host, k8s.service.port, k8s.service.protocol) == (
        "my-app.ns.svc.cluster.local",
        81,
        "http",
    )
    assert (k8s.service.read_timeout, k8s.service.retries, k8s.service.name) == (5000, 1, "my-app")
    url = openapi_to_kong(
        spec, KongTarget(upload_id="u", name="x", url="https://10.0.0.5:8443/base"), options
    )
    assert (url.service.host, url.service.port, url.service.protocol, url.service.path) == (
        "10.0.0.5",
        8443,
        "https",
        "/base",
    )


def test_options_from_gateway_settings(target: KongTarget) -> None:
    gateway = GatewaySettings.model_validate(
        {
            "rateLimit": {"minute": 7, "hour": None},
            "cors": {"enabled": False},
            "preserveHost": True,
            "protocols": ["https"],
            "readTimeoutMs": 1234,
            "retries": 2,
        }
    )
    config = openapi_to_kong(make_spec({"/x": GET}), target, KongOptions.from_settings(gateway))
    assert service_plugins(config) == {
        "rate-limiting": {"minute": 7, "policy": "local"},
        "request-transformer": {"replace": {"uri": REWRITE}},
    }
    route = config.routes[0]
    assert (route.preserve_host, route.protocols, route.methods) == (True, ("https",), ("GET",))
    assert (config.service.read_timeout, config.service.retries) == (1234, 2)


# ------------------------------------------------------------------ plugins and extensions


def test_rate_limit_per_endpoint_and_disable(target: KongTarget, options: KongOptions) -> None:
    paths = {
        "/slow": {"get": {"x-justpush-rate-limit": {"minute": 5}}},
        "/free": {"get": {"x-justpush-rate-limit": False}},
        "/plain": GET,
    }
    config = openapi_to_kong(make_spec(paths), target, options)
    assert plugins_on(config, "GET /slow")["rate-limiting"] == {"minute": 5, "hour": 1000, "policy": "local"}
    assert "rate-limiting" not in plugins_on(config, "GET /free")
    # the plugin disabled on one route moves from the service onto each route that keeps it
    assert "rate-limiting" not in service_plugins(config)
    assert plugins_on(config, "GET /plain")["rate-limiting"] == {
        "minute": 60,
        "hour": 1000,
        "policy": "local",
    }
    assert "cors" in service_plugins(config)


def test_x_kong_plugin_levels_and_deployment_overrides(target: KongTarget) -> None:
    spec = make_spec(
        {
            "/a": {
                "x-kong-plugin-response-transformer": {"config": {"add": {"headers": ["X-Path:a"]}}},
                "get": {
                    "operationId": "getA",
                    "x-kong-plugin-request-transformer": {"config": {"add": {"headers": ["X-Op:1"]}}},
                },
                "post": {"x-kong-plugin-response-transformer": {"enabled": False}},
            },
        },
        **{"x-kong-plugin-request-termination": {"config": {"status_code": 503}}},
    )
    # The operator allows request-termination besides the defaults.
    options = KongOptions(
        operation_plugins={"getA": {"rate-limiting": {"second": 1}}, "POST /a": {"cors": None}},
        allowed_plugins=(*KongOptions().allowed_plugins, "request-termination"),
    )
    config = openapi_to_kong(spec, target, options)
    get_a, post_a = plugins_on(config, "GET /a"), plugins_on(config, "POST /a")
    assert get_a["response-transformer"] == {"add": {"headers": ["X-Path:a"]}}
    # A route's own request-transformer keeps the rewrite that strips the upload's segment.
    assert get_a["request-transformer"] == {"add": {"headers": ["X-Op:1"]}, "replace": {"uri": REWRITE}}
    assert get_a["rate-limiting"]["second"] == 1
    assert "response-transformer" not in post_a and "cors" not in post_a
    assert service_plugins(config)["request-termination"] == {"status_code": 503}
    assert "OPTIONS" in route_for(config, "GET /a").methods
    assert "OPTIONS" not in route_for(config, "POST /a").methods


def test_invalid_extensions_are_refused(target: KongTarget, options: KongOptions) -> None:
    with pytest.raises(GenerationError, match="x-kong-plugin-cors must be an object"):
        openapi_to_kong(make_spec({"/a": {"get": {"x-kong-plugin-cors": 3}}}), target, options)
    with pytest.raises(GenerationError, match="x-kong-route-defaults accepts only"):
        openapi_to_kong(
            make_spec({"/a": {"get": {"x-kong-route-defaults": {"strip_path": True}}}}), target, options
        )


@pytest.mark.parametrize("strip", [False, True])
def test_a_document_without_operations_gets_one_catch_all_route(
    target: KongTarget, options: KongOptions, strip: bool
) -> None:
    spec = make_spec({}, components={"securitySchemes": SCHEMES})
    spec["security"] = [{"header_key": []}]
    spec["servers"] = [{"url": "/api"}]
    custom = KongOptions(path_prefix="/v1", strip_path=strip)
    config = openapi_to_kong(spec, target, custom)
    (route,) = config.routes
    assert set(route.methods) == {"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}
    tenant = tenant_segment(target)
    for path in ("/api", "/api/", "/api/users/7", "/api/a/b.json"):
        assert kong_match(route.paths[0], f"/{tenant}/v1{path}") == {}, path
        assert upstream_path(route.paths[0], f"/{tenant}/v1{path}") == (path if strip else f"/v1{path}")
    for path in (f"/{tenant}", f"/{tenant}/v1/other", f"/{tenant}x/v1/api", "/other/v1/api"):
        assert kong_match(route.paths[0], path) is None, path
    # The document's auth still guards it.
    assert "key-auth" in {p.name for p in config.plugins}
    assert any(w.startswith("the OpenAPI document lists no operations: a catch-all") for w in config.warnings)


def test_paths_the_analysis_could_not_read_add_a_catch_all_below_every_route(
    target: KongTarget, options: KongOptions
) -> None:
    known = {"get": {"responses": {"200": {"description": "ok"}}}}
    guessed = {"get": {"responses": {"200": {"description": "ok"}}, "x-justpush-unresolved": {"path": "?"}}}
    config = openapi_to_kong(make_spec({"/items": known, "/{unresolved}/stats": guessed}), target, options)
    tenant = tenant_segment(target)
    assert winner(config, f"/{tenant}/items") == "GET /items"
    # The unread prefix may be one segment or none (an unset variable): either way the app gets it.
    assert winner(config, f"/{tenant}/partners/stats") == "GET /{unresolved}/stats"
    assert winner(config, f"/{tenant}/stats") == "ANY /"
    assert winner(config, f"/{tenant}/items", "DELETE") == "ANY /"
    assert any("1 operation path(s) are not known statically" in w for w in config.warnings)
    plain = openapi_to_kong(make_spec({"/items": known}), target, options)
    assert [r.operation for r in plain.routes] == ["GET /items"]


def test_an_operation_whose_handler_takes_any_method_routes_the_methods_its_path_does_not_list(
    target: KongTarget, options: KongOptions
) -> None:
    ok = {"responses": {"200": {"description": "ok"}}}
    any_method = {**ok, "x-justpush-unresolved": {"method": "handler accepts any HTTP method; GET assumed"}}
    config = openapi_to_kong(make_spec({"/hook": {"get": any_method, "delete": ok}}), target, options)
    assert set(route_for(config, "GET /hook").methods) == {"GET", "PUT", "POST", "HEAD", "PATCH", "OPTIONS"}
    assert route_for(config, "DELETE /hook").methods == ("DELETE",)
    tenant = tenant_segment(target)
    assert winner(config, f"/{tenant}/hook", "POST") == "GET /hook"
    assert winner(config, f"/{tenant}/hook", "DELETE") == "DELETE /hook"
    # Every method listed, each marked (a plain Django view): only the first route takes the rest.
    views = {m: any_method for m in ("get", "post", "put", "patch", "delete")}
    listed = openapi_to_kong(make_spec({"/page": views}), target, options)
    assert set(route_for(listed, "GET /page").methods) == {"GET", "HEAD", "OPTIONS"}
    assert route_for(listed, "POST /page").methods == ("POST",)


def test_request_and_response_transformer_when_configured(target: KongTarget) -> None:
    options = KongOptions(
        request_transformer={"add": {"headers": ["X-From:gw"]}},
        response_transformer={"remove": {"headers": ["Server"]}},
        cors=None,
        rate_limit=None,
    )
    config = openapi_to_kong(make_spec({"/a": GET}), target, options)
    assert service_plugins(config) == {
        "request-transformer": {"add": {"headers": ["X-From:gw"]}, "replace": {"uri": REWRITE}},
        "response-transformer": {"remove": {"headers": ["Server"]}},
    }


# ------------------------------------------------------------------ security


@pytest.mark.parametrize(
    ("security", "plugin", "config"),
    [
        (
            [{"header_key": []}],
            "key-auth",
            {"key_names": ["X-API-Key"], "key_in_header": True, "key_in_query": False, "key_in_body": False},
        ),
        (
            [{"query_key": []}],
            "key-auth",
            {"key_names": ["api_key"], "key_in_header": False, "key_in_query": True, "key_in_body": False},
        ),
        (
            [{"bearer": []}],
            "jwt",
            {"claims_to_verify": ["exp"], "header_names": ["authorization"], "key_claim_name": "iss"},
        ),
        ([{"basic": []}], "basic-auth", {"hide_credentials": False}),
    ],
)
def test_single_scheme(
    security: Any, plugin: str, config: dict[str, Any], target: KongTarget, options: KongOptions
) -> None:
    result = openapi_to_kong(secured(security), target, options)
    auth = {
        k: v
        for k, v in effective_plugins(result, "GET /items").items()
        if k not in ("cors", "rate-limiting", "acl", "request-transformer")
    }
    assert auth == {plugin: config}
    assert effective_plugins(result, "GET /items")["acl"] == {
        "allow": ["justpush-upload-u1"],
        "hide_groups_header": True,
    }
    assert not any(c.username.endswith("_anonymous") for c in result.consumers)


def test_openid_connect_is_emitted_with_warning(target: KongTarget, options: KongOptions) -> None:
    result = openapi_to_kong(secured([{"oidc": []}]), target, options)
    assert effective_plugins(result, "GET /items")["openid-connect"]["issuer"].startswith(
        "https://id.example/"
    )
    assert any("Enterprise" in w for w in result.warnings)


def test_operation_security_overrides_document(target: KongTarget, options: KongOptions) -> None:
    public = openapi_to_kong(secured([{"header_key": []}], op_security=[]), target, options)
    assert not {"key-auth", "jwt"} & set(effective_plugins(public, "GET /items"))
    other = openapi_to_kong(secured([{"header_key": []}], op_security=[{"bearer": []}]), target, options)
    assert "jwt" in effective_plugins(other, "GET /items") and "key-auth" not in effective_plugins(
        other, "GET /items"
    )
    none = openapi_to_kong(secured(None), target, options)
    assert not {"key-auth", "jwt"} & set(effective_plugins(none, "GET /items"))


def test_or_alternatives_use_anonymous_and_termination(target: KongTarget, options: KongOptions) -> None:
    result = openapi_to_kong(
        secured([{"header_key": []}, {"query_key": []}, {"bearer": []}]), target, options
    )
    route = route_for(result, "GET /items")
    plugins = effective_plugins(result, "GET /items")
    anonymous = next(c for c in result.consumers if c.username == "petstore_anonymous")
    assert plugins["key-auth"]["key_names"] == ["X-API-Key", "api_key"]
    assert plugins["key-auth"]["key_in_header"] and plugins["key-auth"]["key_in_query"]
    assert plugins["key-auth"]["anonymous"] == plugins["jwt"]["anonymous"] == anonymous.id
    termination = [p for p in result.plugins if p.consumer_id == anonymous.id and p.route_id == route.id]
    assert [(p.name, p.config["status_code"]) for p in termination] == [("request-termination", 401)]


def test_optional_auth_has_no_termination(target: KongTarget, options: KongOptions) -> None:
    result = openapi_to_kong(secured([{"header_key": []}, {}]), target, options)
    assert "anonymous" in effective_plugins(result, "GET /items")["key-auth"]
    assert not [p for p in result.plugins if p.name == "request-termination"]


def test_and_requirement_configures_all_without_anonymous(target: KongTarget, options: KongOptions) -> None:
    result = openapi_to_kong(secured([{"header_key": [], "bearer": []}]), target, options)
    plugins = effective_plugins(result, "GET /items")
    assert {"key-auth", "jwt"} <= set(plugins)
    assert "anonymous" not in plugins["key-auth"] and "anonymous" not in plugins["jwt"]
    with pytest.raises(GenerationError, match="only one credential of a kind"):
        openapi_to_kong(secured([{"header_key": [], "query_key": []}]), target, options)


def test_and_inside_or_picks_first_supported_with_warning(target: KongTarget, options: KongOptions) -> None:
    result = openapi_to_kong(secured([{"basic": [], "bearer": []}, {"header_key": []}]), target, options)
    plugins = effective_plugins(result, "GET /items")
    assert {"basic-auth", "jwt"} <= set(plugins) and "key-auth" not in plugins
    assert any("only the first supported one" in w for w in result.warnings)


def test_cookie_api_key_is_a_clear_error(target: KongTarget, options: KongOptions) -> None:
    with pytest.raises(GenerationError, match=r"cookie \('session'\).*in: header"):
        openapi_to_kong(secured([{"cookie_key": []}]), target, options)
    dropped = openapi_to_kong(secured([{"cookie_key": []}, {"header_key": []}]), target, options)
    assert "key-auth" in effective_plugins(dropped, "GET /items")
    assert any("cookie" in w and "dropped" in w for w in dropped.warnings)


def test_unsupported_and_undefined_schemes(target: KongTarget, options: KongOptions) -> None:
    with pytest.raises(GenerationError, match="oauth2"):
        openapi_to_kong(secured([{"oauth": []}]), target, options)
    with pytest.raises(GenerationError, match="'missing' is not defined"):
        openapi_to_kong(secured([{"missing": []}]), target, options)


def test_swagger2_security_definitions(target: KongTarget, options: KongOptions) -> None:
    spec = {
        "swagger": "2.0",
        "basePath": "/v1",
        "securityDefinitions": {"b": {"type": "basic"}},
        "security": [{"b": []}],
        "paths": {"/x": GET},
    }
    result = openapi_to_kong(spec, target, options)
    assert result.routes[0].paths == ("~/petstore-u1(?<jp_path>/v1/x)$",)
    assert "basic-auth" in effective_plugins(result, "GET /x")


# ------------------------------------------------------------------ consumers


def test_consumers_and_credentials_from_developers(target: KongTarget) -> None:
    key = generate_api_key()
    jwt = generate_jwt_key("alice-issuer")
    options = KongOptions(
        developers=(
            Developer(username="Alice", api_key=key, jwt=jwt),
            Developer(username="bob", basic_password=SecretStr("pw")),
        )
    )
    result = openapi_to_kong(secured([{"header_key": []}]), target, options)
    alice = next(c for c in result.consumers if c.username == "petstore_alice")
    assert alice.custom_id == "justpush:u1:alice"
    assert [c.key.get_secret_value() for c in result.key_auth_credentials] == [key.get_secret_value()]
    assert (
        result.jwt_credentials[0].key == "alice-issuer" and result.jwt_credentials[0].consumer_id == alice.id
    )
    assert result.basic_auth_credentials[0].username == "petstore_bob"
    assert key.get_secret_value() not in repr(result)
    with pytest.raises(GenerationError, match="duplicated"):
        openapi_to_kong(
            secured(None), target, KongOptions(developers=(Developer(username="a"), Developer(username="A")))
        )


def test_generated_keys_are_random_and_long() -> None:
    keys = {generate_api_key().get_secret_value() for _ in range(20)}
    assert len(keys) == 20 and all(len(k) >= 40 for k in keys)
    assert generate_jwt_key().key != generate_jwt_key().key


def test_ambiguous_paths_warn(target: KongTarget, options: KongOptions) -> None:
    result = openapi_to_kong(make_spec({"/u/{id}": GET, "/u/{name}": GET}), target, options)
    assert any("match the same requests" in w for w in result.warnings)
    assert len({r.regex_priority for r in result.routes}) == 2
