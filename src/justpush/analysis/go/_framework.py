"""What a Go router framework module declares: how its routers are made, typed, grouped and routed.

Each framework is one module (`_gin`, `_echo`, `_chi`, `_fiber`, `_gorilla`, `_nethttp`) exposing a
`FRAMEWORK`; the route walker asks them, so adding a framework is adding one module to FRAMEWORKS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .._model import HttpMethod
from .._treesitter import HTTP_METHODS, Node, text
from ._syntax import go_string

# A route registered without a method answers all of these (HEAD/OPTIONS are not listed in specs).
ANY_METHOD: tuple[HttpMethod, ...] = ("get", "post", "put", "delete", "patch")
UPPER_METHODS: dict[str, HttpMethod] = {m.upper(): m for m in HTTP_METHODS}
TITLE_METHODS: dict[str, HttpMethod] = {m.title(): m for m in HTTP_METHODS}


@dataclass(frozen=True)
class RouteCall:
    """A registration call: method (None = any), path expression, handler and route middleware."""

    method: HttpMethod | None
    path: Node
    handler: Node
    middleware: tuple[Node, ...] = ()
    # net/http 1.22 patterns carry the method in the string: "GET /items/{id}".
    pattern: bool = False
    # The method (or a []string of methods) as an expression: `r.Handle(rt.Method, rt.Path, h)`.
    method_expr: Node | None = None
    # The handler answers every path below this one (gorilla's `r.PathPrefix("/files").Handler(h)`).
    subtree: bool = False


@dataclass(frozen=True)
class GroupCall:
    """A call returning a sub-router: `r.Group("/v1", mw...)`, `r.With(mw...)`."""

    prefix: Node | None
    middleware: tuple[Node, ...] = ()


@dataclass(frozen=True)
class BlockCall:
    """A sub-router handed to a function: chi's `r.Route("/x", func(r chi.Router) {...})` or
    `r.Route("/users", users.Routes)`."""

    prefix: Node | None
    body: Node


@dataclass(frozen=True)
class Framework:
    """How one Go web framework's code declares routers, routes, groups and mounts."""

    kind: str
    constructors: frozenset[tuple[str, str]]
    router_types: frozenset[str]
    route: Callable[[str, list[Node]], RouteCall | None]
    group: Callable[[str, list[Node]], GroupCall | None] = lambda _name, _args: None
    block: Callable[[str, list[Node]], BlockCall | None] = lambda _name, _args: None
    # `r.Mount("/x", sub)`: the second argument is a router (or a handler wrapping one).
    mount_methods: frozenset[str] = frozenset()
    # Registrations serving files from disk (`r.Static`, `r.StaticFS`), not API routes.
    static_methods: frozenset[str] = frozenset()
    # Settings returning the router itself: `mux.NewRouter().StrictSlash(true)`; a passed-through
    # "Use" also adds its middleware (`g.Group("/x").Use(auth).POST(...)` in gin).
    passthrough: frozenset[str] = frozenset()
    # Route paths are joined to the group's path, so "version" means "<group>/version".
    relative_paths: bool = False


def method_of(node: Node | None) -> HttpMethod | None:
    """`"GET"`, `http.MethodGet`, `fiber.MethodGet` → get."""
    raw = text(node)
    field = raw.rsplit(".", 1)[-1]
    if "." in raw and field.startswith("Method") and field != "Method":
        value = field.removeprefix("Method")
    else:
        value = go_string(node) or ""
    return UPPER_METHODS.get(value.upper())


def verb_route(
    names: dict[str, HttpMethod], name: str, args: list[Node], *, handler_last: bool
) -> RouteCall | None:
    """`r.GET(path, [mw...,] handler)` (handler_last) or `e.GET(path, handler, mw...)`."""
    if name not in names or len(args) < 2:
        return None
    if handler_last:
        return RouteCall(names[name], args[0], args[-1], tuple(args[1:-1]))
    return RouteCall(names[name], args[0], args[1], tuple(args[2:]))
