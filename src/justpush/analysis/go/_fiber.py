"""fiber: `fiber.New()`, `app.Get(path, handlers...)`, `app.Group(prefix, handlers...)`, `app.All`,
`app.Mount`."""

from __future__ import annotations

from .._treesitter import Node
from ._framework import TITLE_METHODS, Framework, GroupCall, RouteCall, method_of, verb_route


def _route(name: str, args: list[Node]) -> RouteCall | None:
    if name == "All" and len(args) >= 2:
        return RouteCall(None, args[0], args[-1], tuple(args[1:-1]))
    if name == "Add" and len(args) >= 3 and method_of(args[0]) is not None:
        return RouteCall(method_of(args[0]), args[1], args[-1], tuple(args[2:-1]))
    return verb_route(TITLE_METHODS, name, args, handler_last=True)


def _group(name: str, args: list[Node]) -> GroupCall | None:
    return GroupCall(args[0], tuple(args[1:])) if name in ("Group", "Route") and args else None


FRAMEWORK = Framework(
    kind="fiber",
    constructors=frozenset({("fiber", "New")}),
    router_types=frozenset({"fiber.App", "fiber.Router"}),
    route=_route,
    group=_group,
    mount_methods=frozenset({"Mount"}),
    static_methods=frozenset({"Static"}),
)
