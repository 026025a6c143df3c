"""net/http: `http.NewServeMux()`, `mux.HandleFunc("GET /items/{id}", h)` (Go 1.22 patterns), `mux.Handle`."""

from __future__ import annotations

from .._treesitter import Node
from ._framework import Framework, RouteCall


def _route(name: str, args: list[Node]) -> RouteCall | None:
    if name in ("HandleFunc", "Handle") and len(args) == 2:
        return RouteCall(None, args[0], args[1], pattern=True)
    return None


FRAMEWORK = Framework(
    kind="http",
    constructors=frozenset({("http", "NewServeMux")}),
    router_types=frozenset({"http.ServeMux"}),
    route=_route,
)
