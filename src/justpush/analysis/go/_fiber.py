"""fiber: `fiber.New()`, `app.Get(path, handlers...)`, `app.Group(prefix, handlers...)`, `app.All`,
`app.Mount`."""

from __future__ import annotations

from .._treesitter import Node
from ._framework import TITLE_METHODS, BlockCall, Framework, GroupCall, RouteCall, verb_route
from ._syntax import is_function_like


def _route(name: str, args: list[Node]) -> RouteCall | None:
    if name == "All" and len(args) >= 2:
        return RouteCall(None, args[0], args[-1], tuple(args[1:-1]))
    if name == "Add" and len(args) >= 3:
        return RouteCall(None, args[1], args[-1], tuple(args[2:-1]), method_expr=args[0])
    return verb_route(TITLE_METHODS, name, args, handler_last=True)


def _group(name: str, args: list[Node]) -> GroupCall | None:
    return GroupCall(args[0], tuple(args[1:])) if name == "Group" and args else None


def _block(name: str, args: list[Node]) -> BlockCall | None:
    """`app.Route("/x", func(r fiber.Router) {...})`."""
    if name == "Route" and len(args) >= 2 and is_function_like(args[1]):
        return BlockCall(args[0], args[1])
    return None


FRAMEWORK = Framework(
    kind="fiber",
    constructors=frozenset({("fiber", "New")}),
    router_types=frozenset({"fiber.App", "fiber.Router"}),
    route=_route,
    group=_group,
    relative_paths=True,
    block=_block,
    mount_methods=frozenset({"Mount"}),
    static_methods=frozenset({"Static"}),
    passthrough=frozenset({"Use"}),
)
