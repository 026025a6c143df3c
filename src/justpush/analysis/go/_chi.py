"""chi: `chi.NewRouter()`, `r.Get(path, h)`, `r.Route(prefix, func(r chi.Router){...})`, `r.Group`,
`r.With`, `r.Mount`."""

from __future__ import annotations

from .._treesitter import Node
from ._framework import TITLE_METHODS, BlockCall, Framework, GroupCall, RouteCall, verb_route
from ._syntax import is_function_like


def _route(name: str, args: list[Node]) -> RouteCall | None:
    if name in ("Handle", "HandleFunc") and len(args) == 2:
        return RouteCall(None, args[0], args[1])
    if name in ("Method", "MethodFunc") and len(args) == 3:
        return RouteCall(None, args[1], args[2], method_expr=args[0])
    return verb_route(TITLE_METHODS, name, args, handler_last=True)


def _group(name: str, args: list[Node]) -> GroupCall | None:
    return GroupCall(None, tuple(args)) if name == "With" else None


def _block(name: str, args: list[Node]) -> BlockCall | None:
    if name == "Route" and len(args) == 2 and is_function_like(args[1]):
        return BlockCall(args[0], args[1])
    if name == "Group" and len(args) == 1 and is_function_like(args[0]):
        return BlockCall(None, args[0])
    return None


FRAMEWORK = Framework(
    kind="chi",
    constructors=frozenset({("chi", "NewRouter"), ("chi", "NewMux")}),
    router_types=frozenset({"chi.Router", "chi.Mux"}),
    route=_route,
    group=_group,
    block=_block,
    mount_methods=frozenset({"Mount"}),
)
