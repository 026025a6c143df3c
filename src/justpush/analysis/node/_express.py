"""Express: `express()` apps, `express.Router()` / `Router()` routers and `router.route('/x')` chains."""

from __future__ import annotations

from .._model import Parameter
from .._treesitter import Mount, Node, RouteDecl, field_, named_children, text, walk
from ._project import Module
from ._routers import RouterWalker
from ._syntax import args, member, object_props, string, unwrap

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
        """Query parameters a validation middleware declares (Joi/celebrate schemas, express-validator)."""
        known = {(p.name, p.location) for p in decl.parameters}
        found: dict[str, bool] = {}
        # `router.route('/x').get(validate(list), handler)` takes no path: every argument but the last.
        middleware = given[:-1] if walker.on_chain(call) else given[1:-1]
        for arg in middleware:
            for item in named_children(arg) if arg.type == "array" else [arg]:
                found.update(_validated_query(walker, walker.module, item))
        extra = [
            Parameter(n, "query", required=r) for n, r in sorted(found.items()) if (n, "query") not in known
        ]
        decl.parameters = (*decl.parameters, *extra)


def _validated_query(walker: RouterWalker, module: Module, middleware: Node) -> dict[str, bool]:
    """`query('page')` (express-validator), `validate(schemas.list)`, `celebrate({ [Segments.QUERY]: … })`."""
    call = unwrap(middleware)
    if call is None or call.type != "call_expression":
        return {}
    innermost = call
    while True:
        obj, _ = member(field_(innermost, "function"))
        if obj is None or obj.type != "call_expression":
            break
        innermost = obj
    if text(field_(innermost, "function")) == "query" and walker.package("query") == "express-validator":
        name = walker.resolver.string(module, next(iter(args(innermost)), None))
        return {name: ".optional(" not in text(call)} if name else {}
    found: dict[str, bool] = {}
    for arg in args(call):
        schema = walker.resolver.literal(module, arg, walker.bindings)
        if schema is None or schema[1].type != "object":
            continue
        for key, value in object_props(schema[1]).items():
            if "query" in key.lower():
                found.update(_joi_keys(walker, schema[0], value))
    return found


def _joi_keys(walker: RouterWalker, module: Module, value: Node | None, depth: int = 0) -> dict[str, bool]:
    """Keys of `Joi.object({...})` / `Joi.object().keys({...})` or a constant holding one; required or not."""
    value = unwrap(value)
    if value is None or depth > 4:
        return {}
    if value.type == "identifier":
        holder = walker.project.value(module, text(value))
        return _joi_keys(walker, holder[0], holder[1], depth + 1) if holder else {}
    keys = value if value.type == "object" else next((n for n in walk(value) if n.type == "object"), None)
    if keys is None:
        return {}
    return {name: ".required()" in text(rule) for name, rule in object_props(keys).items()}
