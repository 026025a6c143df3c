"""The shared helpers: path templates, auth classification, the router graph, Spring ant patterns."""

from __future__ import annotations

import pytest

from justpush.analysis._treesitter import (
    AuthHint,
    Mount,
    RouteDecl,
    RouterGraph,
    Use,
    classify_auth,
    join_paths,
    operations_from_graph,
    security_requirements,
    to_template,
)
from justpush.analysis.java._spring import _ant_match


@pytest.mark.parametrize(
    ("raw", "template", "notes"),
    [
        ("/users/:id", "/users/{id}", []),
        ("/users/:id(\\d+)/posts", "/users/{id}/posts", []),
        ("/files/*filepath", "/files/{filepath}", ["path"]),
        ("/static/*", "/static/{wildcard}", ["path"]),
        ("/a/{id:[0-9]+}", "/a/{id}", []),
        ("/a/{rest...}", "/a/{rest}", ["path"]),
        ("/a/{$}", "/a", []),
        ("/opt/:maybe?", "/opt/{maybe}", ["path"]),
        ("", "/", []),
    ],
)
def test_to_template(raw: str, template: str, notes: list[str]) -> None:
    got, got_notes = to_template(raw)
    assert got == template
    assert sorted(got_notes) == notes


def test_join_paths_normalises_slashes() -> None:
    assert join_paths("/api/", "/v1", "", "users/") == "/api/v1/users"
    assert join_paths("", "") == "/"


def test_classify_auth() -> None:
    assert classify_auth(["X-API-Key"], "") == (AuthHint("apiKey", "X-API-Key"),)
    assert classify_auth(["Authorization"], 'startsWith("Bearer ") jwt.verify') == (
        AuthHint("bearer", jwt=True),
    )
    assert classify_auth(["authorization"], "Basic ") == (AuthHint("basic"),)
    assert classify_auth(["Content-Type", "hello"], "") == ()


def test_security_requirements_and_or() -> None:
    api_key, bearer = AuthHint("apiKey", "X-API-Key"), AuthHint("bearer")
    assert security_requirements([(api_key,), (bearer,)]) == [{"ApiKeyAuth": [], "BearerAuth": []}]
    assert security_requirements([(api_key, bearer)]) == [{"ApiKeyAuth": []}, {"BearerAuth": []}]
    assert security_requirements([()]) is None


def test_router_graph_order_prefix_scoped_use_and_unmounted_routers() -> None:
    graph = RouterGraph()
    graph.router("app", is_app=True)
    key = (AuthHint("apiKey", "X-API-Key"),)
    graph.add("app", RouteDecl("get", "/before", "a.js", 1))
    graph.add("app", Use(key, "/admin"))
    graph.add("app", Mount("/admin", "child"))
    graph.add("app", RouteDecl("get", "/public", "a.js", 3))
    graph.add("child", RouteDecl("post", "/:id", "b.js", 1))
    graph.add("orphan", RouteDecl("get", "/lost", "c.js", 1))
    ops, schemes = operations_from_graph(graph, [])
    by_path = {op.path: op for op in ops}
    assert by_path["/admin/{id}"].security == [{"ApiKeyAuth": []}]
    assert by_path["/public"].security is None
    assert by_path["/before"].security is None
    assert "path" in by_path["/lost"].unresolved
    assert schemes == {"ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/catalog/**", "/catalog/items/{id}", True),
        ("/catalog/**", "/catalog", True),
        ("/catalog/*", "/catalog/items/{id}", False),
        ("/ping", "/ping", True),
        ("/ping", "/pings", False),
    ],
)
def test_ant_match(pattern: str, path: str, matches: bool) -> None:
    assert _ant_match(pattern, path) is matches
