"""gorilla/mux: `mux.NewRouter()`, `r.HandleFunc(path, h).Methods("GET")`, `r.PathPrefix(p).Subrouter()`,
and routes built as chains: `r.Path(p).Methods("GET").HandlerFunc(h)`."""

from __future__ import annotations

from .._treesitter import Node
from ._framework import Framework, RouteCall

# Route matchers chained around a registration: `.Methods("GET").Name("x")`.
MATCHERS = frozenset(
    {
        "Methods",
        "Name",
        "Queries",
        "Headers",
        "HeadersRegexp",
        "Schemes",
        "Host",
        "Path",
        "PathPrefix",
        "MatcherFunc",
    }
)
# The final link of a chain built route: `r.Path("/x").Methods("GET").HandlerFunc(h)`.
CHAIN_HANDLERS = frozenset({"HandlerFunc", "Handler"})


def _route(name: str, args: list[Node]) -> RouteCall | None:
    if name in ("HandleFunc", "Handle") and len(args) == 2:
        return RouteCall(None, args[0], args[1])
    return None


FRAMEWORK = Framework(
    kind="gorilla",
    constructors=frozenset({("mux", "NewRouter")}),
    router_types=frozenset({"mux.Router"}),
    route=_route,
    passthrough=frozenset({"StrictSlash", "SkipClean", "UseEncodedPath"}),
)
