"""echo: `echo.New()`, `e.GET(path, handler, mw...)`, `e.Group(prefix, mw...)`, `e.Any`, `e.Match`."""

from __future__ import annotations

from .._treesitter import Node
from ._framework import UPPER_METHODS, Framework, GroupCall, RouteCall, verb_route


def _route(name: str, args: list[Node]) -> RouteCall | None:
    if name == "Any" and len(args) >= 2:
        return RouteCall(None, args[0], args[1], tuple(args[2:]))
    if name in ("Add", "Match") and len(args) >= 3:
        return RouteCall(None, args[1], args[2], tuple(args[3:]), method_expr=args[0])
    return verb_route(UPPER_METHODS, name, args, handler_last=False)


def _group(name: str, args: list[Node]) -> GroupCall | None:
    return GroupCall(args[0], tuple(args[1:])) if name == "Group" and args else None


FRAMEWORK = Framework(
    kind="echo",
    constructors=frozenset({("echo", "New")}),
    router_types=frozenset({"echo.Echo", "echo.Group"}),
    route=_route,
    group=_group,
    relative_paths=True,
    static_methods=frozenset({"Static", "File", "StaticFS", "FileFS"}),
)
