"""The Go route walker: follows routers through constructors, groups, sub-routers, mounts, struct
fields, functions and methods that take or return a router, and route-registering wrappers, in
registration order, into the shared RouterGraph. The frameworks say which calls mean what."""

from __future__ import annotations

import re

from .._model import HttpMethod
from .._treesitter import (
    MAX_DEPTH,
    AuthAlternatives,
    AuthHint,
    Mount,
    Node,
    RouteDecl,
    RouterGraph,
    Use,
    classify_auth,
    field_,
    line,
    named_children,
    text,
    walk,
    without_optional_params,
)
from . import _chi, _echo, _fiber, _gin, _gorilla, _nethttp
from ._framework import ANY_METHOD, UPPER_METHODS, Framework, RouteCall, method_of
from ._handlers import Handlers, takes_request
from ._index import Func, GoFile, GoIndex
from ._resolve import Ctx, Resolver, local_declaration, short
from ._syntax import (
    args,
    call_operand,
    callee,
    go_string,
    is_function_like,
    literals,
    param_names,
    param_types,
    peel,
    returned_values,
    wrapped,
)

FRAMEWORKS: tuple[Framework, ...] = (
    _gin.FRAMEWORK,
    _echo.FRAMEWORK,
    _chi.FRAMEWORK,
    _fiber.FRAMEWORK,
    _gorilla.FRAMEWORK,
    _nethttp.FRAMEWORK,
)
_CONSTRUCTORS = {c: fw for fw in FRAMEWORKS for c in fw.constructors}
_ROUTER_TYPES = {t: fw for fw in FRAMEWORKS for t in fw.router_types}
_DEFAULT_MUX = "http.DefaultServeMux"
# Every method name a framework registers a route with (a cheap filter before asking the frameworks).
_REGISTRATIONS = frozenset(
    {
        *UPPER_METHODS,
        *(m.title() for m in UPPER_METHODS.values()),
        "Handle",
        "HandleFunc",
        "Any",
        "All",
        "Add",
    }
    | {"Method", "MethodFunc", "Path", "PathPrefix", "Match"}
)
_MAX_INLINE = 8
# A path relative to its group (`g.GET("version", h)` in gin joins it to the group's path).
_SEGMENTS = re.compile(r"^[\w\-.~:*{}]+(?:/[\w\-.~:*{}]*)*$")
# Route tables longer than this are not unrolled, nor any once this many elements were (nested loops).
_MAX_TABLE = 500
_MAX_UNROLLED = 5000
# A last segment already matching the rest of the path: `{path:.*}`, `{path...}`, `*`.
_CATCH_ALL = re.compile(r"(?:\{\w+:\.[*+]\}|\{\w+\.\.\.\}|\*\w*)/?$")


# JWT middleware libraries (their default: a Bearer token in Authorization), by import path prefix.
_JWT_LIBRARIES = (
    "github.com/gofiber/jwt",
    "github.com/gofiber/contrib/jwt",
    "github.com/labstack/echo-jwt",
    "github.com/appleboy/gin-jwt",
    "github.com/auth0/go-jwt-middleware",
)
_JWT_BEARER = AuthHint("bearer", jwt=True)


def _jwt_middleware(call: Node, imports: dict[str, str]) -> bool:
    """`jwtware.New(cfg)`, `echojwt.WithConfig(cfg)`, echo's `middleware.JWT(key)`: a library's JWT check."""
    operand, name = callee(call)
    path = imports.get(operand, "")
    if path.startswith(_JWT_LIBRARIES):
        return True
    return path.startswith("github.com/labstack/echo") and name in ("JWT", "JWTWithConfig")


def _is_constructor(value: Node) -> bool:
    value = peel(value) or value
    return value.type == "call_expression" and callee(value) in _CONSTRUCTORS


Scope = dict[str, str]


class RouteWalker:
    def __init__(self, index: GoIndex, resolver: Resolver, handlers: Handlers, warnings: list[str]) -> None:
        self.index = index
        self.resolver = resolver
        self.handlers = handlers
        self.warnings = warnings
        self.graph = RouterGraph()
        self.kinds: dict[str, Framework] = {}
        self.calls: dict[tuple[str, int, int, int, int], str | None] = {}
        self.auth_cache: dict[str, AuthAlternatives] = {}
        self.walked: set[str] = set()
        self.inline: list[str] = []
        # Bumped per unrolled route-table element: router calls are re-evaluated for each.
        self.epoch = 0
        self.unrolled = 0
        # Routers under a prefix only known at run time -> why (their routes are marked with it).
        self.assumed: dict[str, str] = {}
        self.field_sites: dict[tuple[str, int], str] = {}
        # A router key (file:line:column) -> the length of the expression that made it.
        self.router_spans: dict[str, int] = {}
        self._field_assignments: dict[str, list[tuple[GoFile, Node, Node]]] | None = None
        self._fields_followed: set[str] = set()
        # Names of struct fields known to hold a router; other selectors are not looked at.
        self.router_fields: set[str] = set()
        self.router_interfaces = self._router_interfaces()
        # Package slices of route-registering functions (`routerCheckRole`) -> the functions appended.
        self.registries: dict[tuple[str, str], list[Func]] = {}
        self.wrappers = self._route_wrappers()
        self.wrapper_names = {key.rsplit(".", 1)[-1].rsplit(":", 1)[-1] for key in self.wrappers}
        # Functions whose declared result may be a router: only calls to these can return one.
        returns_router = re.compile("|".join(re.escape(t) for t in (*_ROUTER_TYPES, "http.Handler")))
        self.router_returning = {
            f.name
            for f in index.functions.values()
            if (result := field_(f.node, "result")) is not None and returns_router.search(text(result))
        }

    # --- entry -------------------------------------------------------------------------------------

    def run(self) -> RouterGraph:
        self._field_routers()
        relevant = self._relevance()
        for func in self.index.functions.values():
            if relevant.search(text(func.node)):
                try:
                    self._walk_function(func)
                except (RecursionError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
                    # One function's odd code must not cost the other files their routes.
                    self.warnings.append(
                        f"{func.file.parsed.path}:{line(func.node)}: routes of {func.name} not analysed"
                        f" ({type(exc).__name__}: {exc})"
                    )
        self._mark_assumed()
        return self.graph

    def _relevance(self) -> re.Pattern[str]:
        """Words without which a function cannot touch a router: its types, constructors, the
        functions returning or taking one, router fields, wrappers, the default mux."""
        words = {t.split(".")[-1] for t in _ROUTER_TYPES}
        words.update(name for _, name in _CONSTRUCTORS)
        words.update(self.router_returning, self.router_fields, self.wrapper_names)
        words.update(("HandleFunc", "Handle", "ListenAndServe", "ListenAndServeTLS"))
        return re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, words))) + r")\b")

    def _walk_function(self, func: Func) -> None:
        if func.key in self.walked or func.key in self.wrappers:
            return
        self.walked.add(func.key)
        self._function(func.node, Ctx(func.file), {}, func.key)

    def _function(
        self, fn: Node, ctx: Ctx, outer: Scope, owner: str, bound: dict[int, str] | None = None
    ) -> None:
        scope = dict(outer)
        for i, (pname, ptype) in enumerate(zip(param_names(fn), param_types(fn), strict=False)):
            if not pname:
                continue
            if bound and i in bound:
                scope[pname] = bound[i]
                continue
            type_text = text(ptype).lstrip("*")
            fw = _ROUTER_TYPES.get(type_text) or self.router_interfaces.get(type_text.rsplit(".", 1)[-1])
            if fw is not None:
                key = f"param:{owner}:{i}"
                self.graph.router(key)
                self.kinds[key] = fw
                scope[pname] = key
        body = field_(fn, "body")
        if body is not None:
            self._visit(body, scope, ctx, owner, 0)

    def _visit(self, node: Node, scope: Scope, ctx: Ctx, owner: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            self.warnings.append(
                f"{ctx.file.parsed.path}:{line(node)}: nesting too deep, rest of block not analysed"
            )
            return
        kind = node.type
        if kind == "for_statement" and self._route_table(node, scope, ctx, owner, depth):
            return
        if kind == "func_literal":
            self._function(node, ctx, scope, f"{owner}@{line(node)}")
            return
        if kind in ("short_var_declaration", "assignment_statement", "var_spec"):
            left = named_children(field_(node, "left")) or node.children_by_field_name("name")
            right = named_children(field_(node, "right") or field_(node, "value"))
            for value in right:
                self._visit(value, scope, ctx, owner, depth + 1)
            for target_node in left:
                operand = field_(target_node, "operand") or target_node
                if target_node.type == "selector_expression" and operand.type == "call_expression":
                    # echo's `e.GET("/items", list).Name = "items.list"`: the route is the operand
                    self._visit(operand, scope, ctx, owner, depth + 1)
            for target_node, value in zip(left, right, strict=False):
                target = self._router_of(value, scope, ctx)
                if target is None:
                    continue
                if target_node.type == "identifier":
                    scope[text(target_node)] = target
                elif target_node.type == "selector_expression":
                    self.router_fields.add(text(field_(target_node, "field")))
                    key = self._field_key(target_node, ctx)
                    if key != target and key not in self.graph.routers:
                        self.graph.alias(key, target)
            return
        if kind == "return_statement":
            for value in named_children(node):
                for expr in named_children(value) if value.type == "expression_list" else [value]:
                    self._visit(expr, scope, ctx, owner, depth + 1)
                    target = self._router_of(expr, scope, ctx)
                    if target is None and expr.type == "call_expression":
                        # `return withCORS(mux)`: the router under a middleware that guards nothing
                        inner, layers, strip = self._unwrap(expr, ctx)
                        if inner is not expr and not layers and not strip:
                            target = self._router_of(inner, scope, ctx)
                    if target is not None and not self.inline:
                        self.graph.alias(f"ret:{owner}", target)
            return
        if kind == "call_expression" and self._call(node, scope, ctx, owner, depth):
            return
        for child in named_children(node):
            self._visit(child, scope, ctx, owner, depth + 1)

    def _route_table(self, loop: Node, scope: Scope, ctx: Ctx, owner: str, depth: int) -> bool:
        """`for _, rt := range routes { r.HandleFunc(rt.Path, rt.Handler) }` over a literal table:
        the body is walked once per element with the loop variable bound to it."""
        clause = next((c for c in named_children(loop) if c.type == "range_clause"), None)
        body = field_(loop, "body")
        if clause is None or body is None:
            return False
        names = named_children(field_(clause, "left"))
        if len(names) < 2 or names[1].type != "identifier":
            return False
        elements = [
            (element, table_ctx)
            for table, table_ctx in self._tables(field_(clause, "right"), ctx)
            for element in self.resolver.elements(table, table_ctx)
        ]
        if not elements or len(elements) > _MAX_TABLE or self.unrolled + len(elements) > _MAX_UNROLLED:
            return False
        self.unrolled += len(elements)
        for element, table_ctx in elements:
            bound = Ctx(ctx.file, {**ctx.bindings, text(names[1]): (element, table_ctx)})
            self.epoch += 1
            self._visit(body, dict(scope), bound, owner, depth + 1)
        return True

    def _tables(self, expr: Node | None, ctx: Ctx) -> list[tuple[Node, Ctx]]:
        """The literal tables a range expression iterates: a literal, a variable, or what the
        function or method it calls returns (`api.Routes()`, any implementation for an interface)."""
        found = self.resolver.literal_of(expr, ctx)
        if found is not None:
            return [found]
        expr = peel(expr)
        if expr is not None and expr.type == "selector_expression":
            return self._field_tables(expr, ctx)
        if expr is None or expr.type != "call_expression":
            return []
        tables: list[tuple[Node, Ctx]] = []
        for func in self.resolver.callees(expr, ctx):
            for values in returned_values(func.node):
                literal = self.resolver.literal_of(values[0], Ctx(func.file)) if values else None
                if literal is not None:
                    tables.append(literal)
        return tables

    def _field_tables(self, selector: Node, ctx: Ctx) -> list[tuple[Node, Ctx]]:
        """The tables a struct field of routes is filled with: `a.routes = append(a.routes,
        m.Routes()...)` or `a.routes = []Route{...}` anywhere in the sources, the same field of the
        same type."""
        if self._field_assignments is None:
            # Field name -> its assignments, built once: the owner's type is only worked out for these.
            self._field_assignments = {}
            for gofile, node in self.index.assignments:
                pairs = zip(
                    named_children(field_(node, "left")), named_children(field_(node, "right")), strict=False
                )
                for target, value in pairs:
                    if target.type == "selector_expression":
                        name = text(field_(target, "field"))
                        self._field_assignments.setdefault(name, []).append((gofile, target, value))
        key = self._field_key(selector, ctx)
        tables: list[tuple[Node, Ctx]] = []
        if key in self._fields_followed:
            return tables  # `a.routes = b.routes` and back: each field once
        self._fields_followed.add(key)
        for gofile, target, value in self._field_assignments.get(text(field_(selector, "field")), []):
            if self._field_key(target, Ctx(gofile)) == key:
                value = peel(value) or value
                appended = value.type == "call_expression" and callee(value)[1] == "append"
                for item in args(value)[1:] if appended else [value]:
                    if item.type == "variadic_argument" and named_children(item):
                        item = named_children(item)[0]  # `append(a.routes, m.Routes()...)`
                    if text(item) != text(target):
                        tables.extend(self._tables(item, Ctx(gofile)))
        self._fields_followed.discard(key)
        return tables

    def _methods(self, node: Node, ctx: Ctx) -> tuple[HttpMethod, ...]:
        """`"GET"`, `http.MethodGet`, `rt.Method`, `[]string{"GET", "POST"}` → the methods."""
        literal = self.resolver.literal_of(node, ctx)
        if literal is not None:
            return tuple(m for e in self.resolver.elements(*literal) for m in self._methods(e, literal[1]))
        found = method_of(node)
        if found is None:
            value = self.resolver.string(node, ctx)
            found = UPPER_METHODS.get((value or "").upper())
        return (found,) if found is not None else ()

    # --- routers -----------------------------------------------------------------------------------

    def _new_router(self, node: Node, ctx: Ctx, fw: Framework, *, is_app: bool = False) -> str:
        key = self.field_sites.get((ctx.file.parsed.path, node.start_byte))
        if key is None:
            key = f"{ctx.file.parsed.path}:{line(node)}:{node.start_point[1]}"
            # `mux.NewRouter().PathPrefix("/api/").Subrouter()`: a chain's routers start at one place.
            length = node.end_byte - node.start_byte
            if self.router_spans.setdefault(key, length) != length:
                key = f"{key}+{length}"
        self.graph.router(key, is_app=is_app)
        self.kinds[key] = fw
        return key

    def _field_key(self, selector: Node, ctx: Ctx) -> str:
        owner = self.resolver.type_of(field_(selector, "operand"), ctx)
        where = f"{owner.package}.{owner.name}" if owner is not None else "?"
        return f"field:{where}.{text(field_(selector, 'field'))}"

    def _field_routers(self) -> None:
        """Routers built straight into struct fields: `a.Router = mux.NewRouter()`, `&S{r: chi.NewMux()}`."""
        for gofile, node in self.index.assignments:
            pairs = zip(
                named_children(field_(node, "left")), named_children(field_(node, "right")), strict=False
            )
            for target, value in pairs:
                if target.type == "selector_expression" and _is_constructor(value):
                    self._field_site(self._field_key(target, Ctx(gofile)), value, Ctx(gofile))
        for gofile, node in self.index.keyed:
            literal = node.parent.parent if node.parent is not None else None
            children = named_children(node)
            if literal is None or literal.type != "composite_literal" or len(children) != 2:
                continue
            value = children[1]
            if value.type == "literal_element" and named_children(value):
                value = named_children(value)[0]
            if not _is_constructor(value):
                continue
            owner = self.index.type_ref(gofile.package, gofile, field_(literal, "type"))
            if owner is not None:
                self._field_site(
                    f"field:{owner.package}.{owner.name}.{text(children[0])}", value, Ctx(gofile)
                )

    def _field_site(self, key: str, value: Node, ctx: Ctx) -> None:
        value = peel(value) or value
        self.field_sites[(ctx.file.parsed.path, value.start_byte)] = key
        self.router_fields.add(key.rsplit(".", 1)[-1])
        self.graph.router(key, is_app=True)
        self.kinds[key] = _CONSTRUCTORS[callee(value)]

    def _router_of(self, expr: Node | None, scope: Scope, ctx: Ctx) -> str | None:
        expr = peel(expr)
        if expr is None:
            return None
        if expr.type == "identifier":
            return scope.get(text(expr))
        if expr.type == "selector_expression":
            operand = field_(expr, "operand")
            if operand is not None and operand.type == "identifier" and text(operand) in ctx.file.imports:
                return None
            if text(field_(expr, "field")) not in self.router_fields:
                return None
            key = self._field_key(expr, ctx)
            return key if self.graph.canonical(key) in self.graph.routers else None
        if expr.type == "type_assertion_expression":
            return self._router_of(field_(expr, "operand"), scope, ctx)
        if expr.type != "call_expression":
            return None
        cache_key = (ctx.file.parsed.path, expr.start_byte, expr.end_byte, len(self.inline), self.epoch)
        if cache_key in self.calls:
            return self.calls[cache_key]
        self.calls[cache_key] = None
        result = self._router_call(expr, scope, ctx)
        self.calls[cache_key] = result
        return result

    def _kind(self, router: str) -> Framework | None:
        return self.kinds.get(self.graph.canonical(router)) or self.kinds.get(router)

    def _router_call(self, call: Node, scope: Scope, ctx: Ctx) -> str | None:
        operand, name = callee(call)
        if (operand, name) in _CONSTRUCTORS:
            return self._new_router(call, ctx, _CONSTRUCTORS[(operand, name)], is_app=True)
        arguments = args(call)
        if name == "Subrouter":
            return self._gorilla_subrouter(call, call_operand(call), scope, ctx)
        target = call_operand(call)
        parent = self._router_of(target, scope, ctx) if target is not None else None
        if parent is not None:
            fw = self._kind(parent)
            if fw is not None and name in fw.passthrough:
                if name == "Use":
                    for arg in arguments:
                        self.graph.add(parent, Use(self._auth(arg, ctx)))
                return parent
            group = fw.group(name, arguments) if fw is not None else None
            if fw is None or group is None:
                return None
            prefix = self._path(group.prefix, ctx, call)
            child = self._new_router(call, ctx, fw)
            self._assume(child, prefix)
            self.graph.add(parent, Mount(prefix[0], child, self._auth_all(list(group.middleware), ctx)))
            return child
        if name not in self.router_returning:
            return None
        for func in self.resolver.callees(call, ctx):
            if func.key in self.wrappers:
                continue
            self._walk_function(func)
            ret = f"ret:{func.key}"
            if self.graph.canonical(ret) != ret:
                return ret
        return None

    def _gorilla_subrouter(self, call: Node, route: Node | None, scope: Scope, ctx: Ctx) -> str | None:
        """`r.PathPrefix("/api").Subrouter()` (other matchers such as Host or Methods add no prefix)."""
        prefix: tuple[str, str | None] = ("", None)
        while route is not None and route.type == "call_expression":
            _, name = callee(route)
            if name == "PathPrefix" and args(route):
                prefix = self._path(args(route)[0], ctx, route)
            target = call_operand(route)
            parent = self._router_of(target, scope, ctx)
            if parent is not None:
                child = self._new_router(call, ctx, _gorilla.FRAMEWORK)
                self._assume(child, prefix)
                self.graph.add(parent, Mount(prefix[0], child))
                return child
            route = target
        return None

    # --- middleware --------------------------------------------------------------------------------

    def _auth_all(self, exprs: list[Node], ctx: Ctx) -> tuple[AuthAlternatives, ...]:
        return tuple(a for a in (self._auth(e, ctx) for e in exprs) if a)

    def _auth(self, expr: Node, ctx: Ctx) -> AuthAlternatives:
        """What a middleware expression checks: a middleware func, a factory call, or a literal."""
        expr = peel(expr) or expr
        if expr.type == "func_literal":
            return classify_auth(literals(expr), text(expr))
        if expr.type == "call_expression" and _jwt_middleware(expr, ctx.file.imports):
            return (_JWT_BEARER,)
        funcs = (
            self.resolver.callees(expr, ctx)
            if expr.type == "call_expression"
            else self.resolver.referenced(expr, ctx)
        )
        if not funcs:
            return ()
        func = funcs[0]
        if func.key not in self.auth_cache:
            found = classify_auth(literals(func.node), text(func.node))
            if not found and any(
                _jwt_middleware(call, func.file.imports)
                for call in walk(func.node)
                if call.type == "call_expression"
            ):
                found = (_JWT_BEARER,)
            self.auth_cache[func.key] = found
        return self.auth_cache[func.key]

    def _unwrap(self, handler: Node, ctx: Ctx) -> tuple[Node, tuple[AuthAlternatives, ...], str]:
        """Peel middleware wrappers and StripPrefix off a net/http handler expression."""
        layers: list[AuthAlternatives] = []
        strip = ""
        for _ in range(MAX_DEPTH):
            handler = peel(handler) or handler
            if handler.type != "call_expression" or not args(handler):
                break
            _, name = callee(handler)
            if name == "StripPrefix":
                strip = go_string(args(handler)[0]) or ""
            elif name == "HandlerFunc":
                pass
            elif self._auth(handler, ctx):
                layers.append(self._auth(handler, ctx))
            elif not self.resolver.callees(handler, ctx):
                break
            inner = self._wrapped_handler(handler, ctx)
            if inner is None:
                break
            handler = inner
        return handler, tuple(layers), strip

    def _wrapped_handler(self, call: Node, ctx: Ctx) -> Node | None:
        """The handler a wrapper call is given: of its function arguments, one that takes the request
        (`Use(login, limitPosts)` → login) before a middleware, else the last one."""
        candidates = [a for a in reversed(args(call)) if is_function_like(a)]
        for arg in candidates:
            found = self.handlers.body_of(arg, ctx)
            if found is not None and any(takes_request(t) for t in param_types(found[0])):
                return arg
        return wrapped(call)

    # --- calls -------------------------------------------------------------------------------------

    def _call(
        self, call: Node, scope: Scope, ctx: Ctx, owner: str, depth: int, methods: tuple[HttpMethod, ...] = ()
    ) -> bool:
        operand, name = callee(call)
        arguments = args(call)
        inner = call_operand(call)
        if inner is not None and inner.type == "call_expression":
            if name in _gorilla.MATCHERS:
                # `r.HandleFunc(path, h).Methods(...)`: the route is the innermost call of the chain.
                if name == "Methods":
                    methods = (*methods, *(m for a in arguments for m in self._methods(a, ctx)))
                return self._call(inner, scope, ctx, owner, depth, methods)
            if (
                name in _gorilla.CHAIN_HANDLERS
                and arguments
                and self._gorilla_chain(call, scope, ctx, methods)
            ):
                return True
        router = _DEFAULT_MUX if operand == "http" and name in ("HandleFunc", "Handle") else None
        if router is None and inner is not None:
            router = self._router_of(inner, scope, ctx)
        if router is None:
            if (
                operand in ("http", "")
                and name in ("ListenAndServe", "ListenAndServeTLS")
                and len(arguments) > 1
            ):
                handler, layers, _ = self._unwrap(arguments[-1], ctx)
                target = self._router_of(handler, scope, ctx) or (
                    _DEFAULT_MUX if text(handler) == "nil" else None
                )
                if target is not None:
                    self.graph.router(target, is_app=True).events[0:0] = [Use(layer) for layer in layers]
                return False
            return self._calls_with_routers(call, scope, ctx, depth)
        if router == _DEFAULT_MUX:
            self.graph.router(router, is_app=True)
            self.kinds[router] = _nethttp.FRAMEWORK
        fw = self._kind(router)
        if fw is None:
            return False
        if name == "Use":
            for arg in arguments:
                self.graph.add(router, Use(self._auth(arg, ctx)))
            return False
        block = fw.block(name, arguments)
        if block is not None:
            prefix = self._path(block.prefix, ctx, call)
            child = self._new_router(call, ctx, fw)
            self._assume(child, prefix)
            self.graph.add(router, Mount(prefix[0], child))
            body = peel(block.body)
            if body is not None and body.type == "func_literal":
                self._function(body, ctx, scope, f"{owner}@{line(call)}", {0: child})
            else:
                for func in self.resolver.referenced(body, ctx):
                    self.graph.add(child, Mount("", f"param:{func.key}:0"))
            return True
        if name in fw.mount_methods and len(arguments) == 2:
            self._visit(arguments[1], scope, ctx, owner, depth + 1)
            handler, layers, _ = self._unwrap(arguments[1], ctx)
            mounted = self._router_of(handler, scope, ctx)
            if mounted is not None:
                prefix = self._path(arguments[0], ctx, call)
                self._assume(mounted, prefix)
                self.graph.add(router, Mount(prefix[0], mounted, layers))
            return True
        if name in fw.static_methods:
            return True
        route = fw.route(name, arguments)
        if route is None:
            return False
        self._route(router, fw, route, methods, scope, ctx, call)
        return True

    def _gorilla_chain(self, call: Node, scope: Scope, ctx: Ctx, methods: tuple[HttpMethod, ...]) -> bool:
        """`r.Path("/x").Methods("GET").HandlerFunc(h)` and `r.PathPrefix("/x").Handler(h)`."""
        path: Node | None = None
        subtree = False
        found = list(methods)
        link = call_operand(call)
        while link is not None and link.type == "call_expression":
            _, name = callee(link)
            if name in ("Path", "PathPrefix") and args(link):
                path = args(link)[0]
                subtree = name == "PathPrefix"
            elif name == "Methods":
                found.extend(m for a in args(link) for m in self._methods(a, ctx))
            elif name not in _gorilla.MATCHERS:
                return False
            router = self._router_of(call_operand(link), scope, ctx)
            if router is not None:
                if path is None:
                    return False
                route = RouteCall(None, path, args(call)[-1], subtree=subtree)
                self._route(router, _gorilla.FRAMEWORK, route, tuple(found), scope, ctx, call)
                return True
            link = call_operand(link)
        return False

    def _route(
        self,
        router: str,
        fw: Framework,
        route: RouteCall,
        methods: tuple[HttpMethod, ...],
        scope: Scope,
        ctx: Ctx,
        call: Node,
    ) -> None:
        where = f"{ctx.file.parsed.path}:{line(call)}"
        value, unknown = self.resolver.template(route.path, ctx)
        if value is None:
            self.warnings.append(
                f"{where}: route path {short(route.path)!r} cannot be resolved statically, route skipped"
            )
            return
        method = route.method
        if route.pattern:
            method, value = _pattern(value)
        if not value.startswith("/") and value != "" and not (fw.relative_paths and _SEGMENTS.match(value)):
            if unknown and value.startswith("{"):
                self.warnings.append(
                    f"{where}: route path {short(route.path)!r} starts with {unknown[0]!r}, known only at"
                    " run time; route skipped"
                )
            return
        handler = route.handler
        auth = self._auth_all(list(route.middleware), ctx)
        if fw.kind in ("http", "gorilla"):
            handler, layers, strip = self._unwrap(route.handler, ctx)
            sub = self._router_of(handler, scope, ctx)
            if sub is not None:
                self.graph.add(router, Mount(strip, sub, layers))
                return
            auth = layers
        if self.handlers.role(route.handler, ctx) is not None or self.handlers.role(handler, ctx) is not None:
            return
        if route.subtree and not _CATCH_ALL.search(value):
            value = value.rstrip("/") + ("/{rest...}" if "{path" in value else "/{path...}")
        if route.method_expr is not None and not methods:
            methods = self._methods(route.method_expr, ctx)
            if not methods:
                self.warnings.append(
                    f"{where}: method {short(route.method_expr)!r} cannot be resolved statically"
                )
        for each in methods or (method,):
            decl = RouteDecl(each, value, ctx.file.parsed.path, line(call), auth=auth)
            if unknown:
                decl.unresolved["path"] = "part of the path is only known at run time: " + ", ".join(unknown)
                self.warnings.append(
                    f"{where}: route path {short(route.path)!r} is partly unknown ({', '.join(unknown)})"
                )
            if fw.kind == "http" and value.endswith("/") and value != "/":
                decl.unresolved["path"] = "pattern ending in / matches the whole subtree"
            readable = self.handlers.analyse(decl, handler, ctx)
            if (
                each is None
                and not decl.handler_methods
                and (readable or self._library_handler(handler, ctx))
            ):
                # Code that checks no method answers them all, as a library's handler (promhttp) does.
                decl.handler_methods = ANY_METHOD
                decl.unresolved["method"] = (
                    "registered without a method and the handler checks none: any method is answered"
                    if readable
                    else "registered without a method, to a library's handler: any method is assumed"
                )
            self.graph.add(router, decl)
            for shorter in without_optional_params(decl):
                self.graph.add(router, shorter)

    def _library_handler(self, handler: Node, ctx: Ctx) -> bool:
        """`promhttp.Handler()`: a handler a package outside the project makes."""
        fn = field_(handler, "function") if handler.type == "call_expression" else None
        operand = field_(fn, "operand") if fn is not None and fn.type == "selector_expression" else None
        alias = text(operand) if operand is not None and operand.type == "identifier" else ""
        return alias in ctx.file.imports and self.index.package_of(ctx.file, alias) is None

    def _path(self, node: Node | None, ctx: Ctx, at: Node) -> tuple[str, str | None]:
        """A prefix's value; one known only at run time (a base path option) is assumed empty, with
        the reason to mark the routes below it by."""
        if node is None:
            return "", None
        value = self.resolver.string(node, ctx)
        if value is not None:
            return value, None
        where = f"{ctx.file.parsed.path}:{line(at)}"
        self.warnings.append(
            f"{where}: prefix {short(node)!r} cannot be resolved statically; assumed empty for the routes"
            " below it"
        )
        return "", f"prefix {short(node)} ({where}) is only known at run time; assumed empty"

    def _assume(self, router: str, prefix: tuple[str, str | None]) -> None:
        if prefix[1] is not None:
            self.assumed[router] = prefix[1]

    def _mark_assumed(self) -> None:
        """Routes below a prefix assumed empty say so in their unresolved path."""
        for key, reason in self.assumed.items():
            seen: set[str] = set()
            todo = [self.graph.canonical(key)]
            while todo:
                current = todo.pop()
                if current in seen or current not in self.graph.routers:
                    continue
                seen.add(current)
                for event in self.graph.routers[current].events:
                    if isinstance(event, RouteDecl):
                        event.unresolved.setdefault("path", reason)
                    elif isinstance(event, Mount):
                        todo.append(self.graph.canonical(event.child))

    def _calls_with_routers(self, call: Node, scope: Scope, ctx: Ctx, depth: int) -> bool:
        """`users.Register(v1)`: the callee's router parameter is mounted where the argument lives;
        a wrapper registering routes from its parameters (`a.Get(path, f)`) is walked with them bound."""
        arguments = args(call)
        routers = {i: r for i, a in enumerate(arguments) if (r := self._router_of(a, scope, ctx)) is not None}
        if not routers and callee(call)[1] not in self.wrapper_names:
            return False
        funcs = self.resolver.callees(call, ctx) or self._registered(call, ctx)
        wrapper = next((f for f in funcs if f.key in self.wrappers), None)
        if wrapper is not None and wrapper.key not in self.inline and len(self.inline) < _MAX_INLINE:
            for arg in arguments:
                self._visit(arg, scope, ctx, wrapper.key, depth + 1)
            self.inline.append(wrapper.key)
            try:
                self._function(wrapper.node, self.resolver.bind(wrapper, call, ctx), {}, wrapper.key, routers)
            finally:
                self.inline.pop()
            return True
        if not routers:
            return False
        for func in funcs:
            for i, target in routers.items():
                self.graph.add(target, Mount("", f"param:{func.key}:{i}"))
        return False

    def _registered(self, call: Node, ctx: Ctx) -> list[Func]:
        """`for _, f := range routerCheckRole { f(v1, auth) }` over a package slice of functions filled by
        `routerCheckRole = append(routerCheckRole, registerUserRouter)` (often in init()): those functions."""
        fn = field_(call, "function")
        if fn is None or fn.type != "identifier":
            return []
        loop = call.parent
        while loop is not None and loop.type not in (
            "for_statement",
            "function_declaration",
            "method_declaration",
        ):
            loop = loop.parent
        clause = next((c for c in named_children(loop) if c.type == "range_clause"), None) if loop else None
        names = named_children(field_(clause, "left")) if clause is not None else []
        registry = field_(clause, "right") if clause is not None else None
        if not names or text(names[-1]) != text(fn) or registry is None or registry.type != "identifier":
            return []
        key = (ctx.file.package, text(registry))
        if key not in self.registries:
            found: list[Func] = []
            for gofile, node in self.index.assignments:
                left = named_children(field_(node, "left"))
                right = named_children(field_(node, "right"))
                if gofile.package != ctx.file.package or len(left) != 1 or text(left[0]) != text(registry):
                    continue
                value = peel(right[0]) if len(right) == 1 else None
                if value is None or value.type != "call_expression" or callee(value) != ("", "append"):
                    continue
                for added in args(value)[1:]:
                    found.extend(self.resolver.referenced(added, Ctx(gofile)))
            self.registries[key] = found
        return self.registries[key]

    def _router_interfaces(self) -> dict[str, Framework]:
        """The project's own router interfaces (`type EchoRouter interface { GET(...) ... }`, as
        generated servers declare them): a parameter of such a type is a router of that framework."""
        found: dict[str, Framework] = {}
        for (_, name), spec in self.index.types.items():
            body = field_(spec, "type")
            if body is None or body.type != "interface_type":
                continue
            methods = {text(field_(m, "name")) for m in named_children(body) if m.type == "method_elem"}
            if not methods & _REGISTRATIONS:
                continue
            raw = text(body)
            fw = next(
                (f for f in FRAMEWORKS if any(t.split(".")[0] + "." in raw for t in f.router_types)), None
            )
            if fw is not None and fw.kind != "http":
                found[name] = fw
            elif methods & {"HandleFunc", "Handle"}:
                found[name] = _nethttp.FRAMEWORK
        return found

    def _route_wrappers(self) -> set[str]:
        """Functions registering a route whose path uses one of their own parameters."""
        found: set[str] = set()
        for call in self.index.calls:
            func, node, name = call.owner, call.node, call.name
            if func is None or func.key in found or name not in _REGISTRATIONS:
                continue
            arguments = args(node)
            path = arguments[0] if arguments else None
            if name in ("Handle", "Method", "MethodFunc", "Add", "Match") and len(arguments) >= 3:
                path = arguments[1]
            params = set(param_names(func.node))
            if path is None or not self._uses(path, params):
                continue
            if name in ("Path", "PathPrefix") or any(
                fw.route(name, arguments) is not None for fw in FRAMEWORKS
            ):
                found.add(func.key)
        return found

    def _uses(self, expr: Node, params: set[str], depth: int = 0) -> bool:
        """Whether an expression reads one of the parameters, itself or through a local it reads
        (`v1 := paths.Versioned(prefix)`, then `v1("/books")`)."""
        for node in walk(expr):
            if node.type != "identifier":
                continue
            if text(node) in params:
                return True
            local = local_declaration(text(node), node, self.resolver.declarations) if depth < 3 else None
            if local is not None and local[0] == "value" and self._uses(local[1], params, depth + 1):
                return True
        return False


def _pattern(value: str) -> tuple[HttpMethod | None, str]:
    """A net/http pattern "[METHOD ][HOST]/path" → (method, path)."""
    method: HttpMethod | None = None
    value = value.strip()
    if " " in value:
        verb, _, value = value.partition(" ")
        method = UPPER_METHODS.get(verb.upper())
        value = value.strip()
    if not value.startswith("/"):
        value = "/" + value.partition("/")[2]
    return method, value
