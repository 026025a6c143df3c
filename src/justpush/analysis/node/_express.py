"""Express: `express()` apps, `express.Router()` / `Router()` routers and `router.route('/x')` chains."""

from __future__ import annotations

from .._treesitter import Mount, Node, RouteDecl, field_, text
from ._routers import RouterWalker
from ._syntax import args, member, string

# Packages whose default export makes an Express-compatible router or app when called.
_ROUTER_PACKAGES = ("express-promise-router", "express-async-router")


class Express:
    def creates(self, walker: RouterWalker, call: Node, scope: dict[str, str]) -> str | None:
        fn = field_(call, "function") or field_(call, "constructor")
        fn_text = text(fn)
        package = walker.package(fn_text)
        if fn is not None and fn.type == "call_expression" and text(field_(fn, "function")) == "require":
            spec = string(next(iter(args(fn)), None))
            return walker.new_router(call, app=True) if spec == "express" else None
        if package == "express" and "." not in fn_text:
            return walker.new_router(call, app=fn_text != "Router")
        if package in _ROUTER_PACKAGES and "." not in fn_text:
            return walker.new_router(call)
        obj, prop = member(fn)
        if prop == "Router" and (
            walker.package(text(obj)) == "express" or text(obj).endswith("require('express')")
        ):
            return walker.new_router(call)
        return None

    def method(
        self, walker: RouterWalker, call: Node, router: str, prop: str, scope: dict[str, str], depth: int
    ) -> bool | None:
        return None

    def returns_router(self, walker: RouterWalker, router: str, prop: str, call: Node) -> str | None:
        if prop != "route":
            return None
        given = args(call)
        path = walker.resolver.string(walker.module, given[0], walker.bindings) if given else None
        if path is None:
            return None
        child = walker.new_router(call)
        walker.chains.add(child)
        walker.graph.add(router, Mount(path, child))
        return child

    def route_declared(self, walker: RouterWalker, decl: RouteDecl, call: Node, given: list[Node]) -> None:
        return None
