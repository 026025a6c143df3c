"""gin: `gin.Default()`, `r.GET(path, mw..., handler)`, `r.Group(prefix, mw...)`, `r.Any`, `r.Handle`."""

from __future__ import annotations

from .._treesitter import Node
from ._framework import UPPER_METHODS, Framework, GroupCall, RouteCall, method_of, verb_route


def _route(name: str, args: list[Node]) -> RouteCall | None:
    if name == "Any" and len(args) >= 2:
        return RouteCall(None, args[0], args[-1], tuple(args[1:-1]))
    if name == "Handle" and len(args) >= 3 and method_of(args[0]) is not None:
        return RouteCall(method_of(args[0]), args[1], args[-1], tuple(args[2:-1]))
    return verb_route(UPPER_METHODS, name, args, handler_last=True)


def _group(name: str, args: list[Node]) -> GroupCall | None:
    return GroupCall(args[0], tuple(args[1:])) if name == "Group" and args else None


FRAMEWORK = Framework(
    kind="gin",
    constructors=frozenset({("gin", "Default"), ("gin", "New")}),
    router_types=frozenset({"gin.Engine", "gin.RouterGroup", "gin.IRouter", "gin.IRoutes"}),
    route=_route,
    group=_group,
    static_methods=frozenset({"Static", "StaticFS", "StaticFile", "StaticFileFS"}),
)
