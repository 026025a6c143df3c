"""Koa: `new Koa()` apps and koa-router routers (`@koa/router`, `koa-router` and classes built on them,
e.g. koa-swagger-decorator's SwaggerRouter), their `prefix` option / method and `.routes()` mounts."""

from __future__ import annotations

from .._treesitter import Mount, Node, RouteDecl, field_, text
from ._routers import RouterWalker
from ._syntax import args, object_props, string

_ROUTER_PACKAGES = (
    "koa-router",
    "@koa/router",
    "koa-tree-router",
    "koa-joi-router",
    "@koa/router/lib/router",
)


class Koa:
    def creates(self, walker: RouterWalker, call: Node, scope: dict[str, str]) -> str | None:
        fn = field_(call, "function") or field_(call, "constructor")
        fn_text = text(fn)
        package = walker.package(fn_text)
        given = args(call)
        if fn is not None and fn.type == "call_expression" and text(field_(fn, "function")) == "require":
            spec = string(next(iter(args(fn)), None))
            if spec == "koa":
                return walker.new_router(call, app=True)
            return self._router(walker, call, given) if spec in _ROUTER_PACKAGES else None
        if "." in fn_text:
            return None
        if package == "koa-mount" and len(given) > 1:
            # `app.use(mount('/account', accountRouter))`: a router at that prefix
            return self._mount(walker, call, given, scope)
        if package == "koa" and call.type == "new_expression":
            return walker.new_router(call, app=True)
        if package in _ROUTER_PACKAGES or (
            # Router classes of other libraries (SwaggerRouter, KoaRouter): a koa-router underneath.
            call.type == "new_expression" and fn_text.endswith("Router") and package not in ("express", "")
        ):
            return self._router(walker, call, given)
        return None

    def _mount(
        self, walker: RouterWalker, call: Node, given: list[Node], scope: dict[str, str]
    ) -> str | None:
        child = walker.router_of(given[1], scope)
        prefix = walker.resolver.string(walker.module, given[0], walker.bindings)
        if child is None:
            return None
        key = walker.new_router(call)
        walker.graph.add(key, Mount(prefix or "", child))
        if prefix is None:
            walker.unknown_prefix.setdefault(child, f"mounted at `{text(given[0])}`, not known statically")
        return key

    def _router(self, walker: RouterWalker, call: Node, given: list[Node]) -> str:
        key = walker.new_router(call)
        prefix_node = object_props(given[0]).get("prefix") if given else None
        if prefix_node is not None:
            prefix = walker.resolver.string(walker.module, prefix_node, walker.bindings)
            if prefix is None:
                walker.unknown_prefix.setdefault(
                    key, f"router prefix `{text(prefix_node)}` not known statically"
                )
            walker.graph.router(key).prefix = prefix or ""
        return key

    def method(
        self, walker: RouterWalker, call: Node, router: str, prop: str, scope: dict[str, str], depth: int
    ) -> bool | None:
        if prop != "prefix":
            return None
        given = args(call)
        prefix = walker.resolver.string(walker.module, given[0], walker.bindings) if given else None
        if prefix is not None:
            walker.graph.router(router).prefix = prefix
        return False

    def returns_router(self, walker: RouterWalker, router: str, prop: str, call: Node) -> str | None:
        return router if prop in ("routes", "middleware", "prefix") else None

    def route_declared(self, walker: RouterWalker, decl: RouteDecl, call: Node, given: list[Node]) -> None:
        return None
