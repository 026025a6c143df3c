"""gin: `gin.Default()`, `r.GET(path, mw..., handler)`, `r.Group(prefix, mw...)`, `r.Any`, `r.Handle`,
`r.Match`."""

from __future__ import annotations

from .._treesitter import Node
from ._framework import UPPER_METHODS, Framework, GroupCall, RouteCall, verb_route


def _route(name: str, args: list[Node]) -> RouteCall | None:
    if name == "Any" and len(args) >= 2:
        return RouteCall(None, args[0], args[-1], tuple(args[1:-1]))
    if name in ("Handle", "Match") and len(args) >= 3:
        return RouteCall(None, args[1], args[-1], tuple(args[2:-1]), method_expr=args[0])
    return verb_route(UPPER_METHODS, name, args, handler_last=True)


def _group(name: str, args: list[Node]) -> GroupCall | None:
    return GroupCall(args[0], tuple(args[1:])) if name == "Group" and args else None


FRAMEWORK = Framework(
    kind="gin",
    constructors=frozenset({("gin", "Default"), ("gin", "New")}),
    router_types=frozenset({"gin.Engine", "gin.RouterGroup", "gin.IRouter", "gin.IRoutes"}),
    route=_route,
    group=_group,
    relative_paths=True,
    static_methods=frozenset({"Static", "StaticFS", "StaticFile", "StaticFileFS"}),
    passthrough=frozenset({"Use"}),
)
