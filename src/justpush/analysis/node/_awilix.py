"""awilix-koa / awilix-express (awilix-router-core): controllers built with
`createController(api).prefix('/todos').get('/:id', 'getTodo')` (handlers named by string) and mounted
with `app.use(loadControllers('routes/*.js', { cwd: __dirname }))` or `app.use(controller(api))`.
The prefix is koa-router's `prefix` method (see ``_koa``)."""

from __future__ import annotations

import fnmatch
import posixpath

from .._treesitter import Mount, Node, RouteDecl, field_, line, text
from ._routers import RouterWalker
from ._syntax import args, object_props, unwrap

_PACKAGES = ("awilix-koa", "awilix-express", "awilix-router-core")
_DIRNAMES = ("__dirname", "import.meta.dirname")


class Awilix:
    def creates(self, walker: RouterWalker, call: Node, scope: dict[str, str]) -> str | None:
        fn = field_(call, "function")
        name = text(fn)
        if fn is None or fn.type != "identifier" or walker.package(name) not in _PACKAGES:
            return None
        given = args(call)
        if name == "createController":
            key = walker.new_router(call)
            walker.named_handlers.add(key)
            return key
        if name == "loadControllers" and given:
            return self._load(walker, call, given)
        if name == "controller" and given:
            return walker.router_of(given[0], scope)
        return None

    def _load(self, walker: RouterWalker, call: Node, given: list[Node]) -> str | None:
        pattern = walker.resolver.string(walker.module, given[0], walker.bindings)
        if pattern is None:
            walker.warnings.append(f"{walker.path}:{line(call)}: controller glob is not known statically")
            return None
        options = object_props(unwrap(given[1])) if len(given) > 1 else {}
        # Relative to `cwd` (the module's folder when given as __dirname), else to the process's folder.
        base = posixpath.dirname(walker.path) if text(options.get("cwd")) in _DIRNAMES else ""
        wanted = posixpath.normpath(posixpath.join(base, pattern))
        key = walker.new_router(call)
        for path in sorted(walker.project.modules):
            if fnmatch.fnmatch(path, wanted) or fnmatch.fnmatch(_source_of(path), wanted):
                child = walker.exported_router(walker.project.exported(path, "*"))
                if child is not None:
                    walker.graph.add(key, Mount("", child))
        return key

    def method(
        self, walker: RouterWalker, call: Node, router: str, prop: str, scope: dict[str, str], depth: int
    ) -> bool | None:
        return None

    def returns_router(self, walker: RouterWalker, router: str, prop: str, call: Node) -> str | None:
        return router if router in walker.named_handlers and prop in ("before", "after") else None

    def route_declared(self, walker: RouterWalker, decl: RouteDecl, call: Node, given: list[Node]) -> None:
        return None


def _source_of(path: str) -> str:
    """`routes/todos.ts` also matches a glob written for the compiled `routes/*.js`."""
    stem, _ = posixpath.splitext(path)
    return stem + ".js"
