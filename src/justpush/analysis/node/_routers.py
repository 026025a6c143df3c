"""Router-style frameworks (Express, Koa, Fastify): routers, mounts and middleware, followed across files.

The walker keeps what all of them share: which names hold a router or app, routes registered with a
verb method (`router.get(path, ...handlers)`), sub-routers mounted with `use` (also chained, also in a
loop over an array of `{ path, route }`, or over a folder's files), routers exported as an expression,
and functions that receive a router (`require('./routes')(app)`). What differs — how a router is
created and the framework's own methods (`register`, `route`, `prefix`, ...) — comes from one module
per framework through ``Framework``. Paths and prefixes are evaluated by the value resolver; a prefix
it cannot evaluate is kept as unknown and marked on every route below it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from .._model import HttpMethod
from .._treesitter import (
    HTTP_METHODS,
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
from ._handler import checked_methods, handler_details, middleware_query, passes_on
from ._listing import listed, string_nodes
from ._project import Module, Project
from ._resolve import Bindings, Resolver
from ._syntax import (
    FUNCTIONS,
    args,
    class_field,
    destructured_params,
    enclosing_class,
    literals,
    member,
    object_props,
    param_names,
    string,
    unwrap,
)
from ._types import Types

ROUTE_METHODS: dict[str, HttpMethod | None] = {**{m: m for m in HTTP_METHODS}, "del": "delete", "all": None}
_NOT_HANDLERS = ("object", "string", "template_string", "number", "true", "false", "null", "undefined")
_LOOPS = ("forEach", "map")
# Subtrees that never register a route or hold a router: not walked.
_SKIPPED = frozenset(
    {
        "type_annotation",
        "interface_declaration",
        "type_alias_declaration",
        "enum_declaration",
        "import_statement",
        "comment",
        "string",
        "regex",
        "number",
        "type_arguments",
        "type_parameters",
        "decorator",
        "jsx_element",
        "jsx_self_closing_element",
    }
)
# How many expressions deep router_of follows names, members and modules.
_MAX_FOLLOW = 40
# `if (process.env.NODE_ENV === 'development')`, `if (config.env !== 'production')`, `if (isDev)`
_DEV_ONLY = re.compile(
    r"""((?<!!)===?\s*['"](development|dev|test)['"]|['"](development|dev|test)['"]\s*===?"""
    r"""|!==?\s*['"](production|prod)['"]|['"](production|prod)['"]\s*!==?|^\(?\s*[\w.]*\bis(Dev|Development|Test)\)?$)"""
)
# Catch-all routes (the browser app's index.html, 404 handlers, server-side rendering): not API routes.
_CATCH_ALL = ("*", "/*", "(.*)", "/(.*)", "*splat", "/*splat", "/{*splat}", "/{*any}")
# what `all()` answers when its handler checks no method
ANY_METHOD: tuple[HttpMethod, ...] = ("get", "post", "put", "delete", "patch")
_APP_NAME = re.compile(r"^(app|server|router)$|[a-z](App|Router)$")


class Framework(Protocol):
    """One router-style framework's part of the walk."""

    def creates(self, walker: RouterWalker, call: Node, scope: dict[str, str]) -> str | None:
        """The router key when `call` (a call or `new`) makes an app or router of this framework."""

    def method(
        self, walker: RouterWalker, call: Node, router: str, prop: str, scope: dict[str, str], depth: int
    ) -> bool | None:
        """Handle `router.<prop>(...)`; True = its arguments were walked, None = not this framework's."""

    def returns_router(self, walker: RouterWalker, router: str, prop: str, call: Node) -> str | None:
        """The router a method call on a router evaluates to (chains), or None."""

    def route_declared(self, walker: RouterWalker, decl: RouteDecl, call: Node, given: list[Node]) -> None:
        """Add what this framework's route options say (schemas, hooks) to a verb-method route."""


@dataclass
class WalkState:
    """Where a walk of a module's statements is: the module, its bindings, the line."""

    module: Module
    bindings: Bindings = field(default_factory=dict)
    # the line being walked, for a warning if something fails there
    line: int = 0


class RouterWalker:
    def __init__(
        self,
        project: Project,
        resolver: Resolver,
        types: Types,
        frameworks: tuple[Framework, ...],
        warnings: list[str],
    ) -> None:
        self.project = project
        self.resolver = resolver
        self.types = types
        self.frameworks = frameworks
        self.warnings = warnings
        self.graph = RouterGraph()
        self.calls: dict[tuple[str, int, int, str], str | None] = {}
        # router key -> why its prefix (as mounted somewhere) is unknown
        self.unknown_prefix: dict[str, str] = {}
        # `router.route('/x')` results: their verb methods take handlers only.
        self.chains: set[str] = set()
        # routers whose verb methods name their handler by string (`.get('/:id', 'getTodo')`, awilix)
        self.named_handlers: set[str] = set()
        # loop variables over arrays the resolver cannot see (instances passed in from elsewhere)
        self.loop_items: set[str] = set()
        self._class_routers: dict[str, list[str]] = {}
        # routers mounted only in development-only blocks
        self.dev_only: set[str] = set()
        # apps recognised by their variable's name only
        self.guessed: set[str] = set()
        self.state: WalkState | None = None
        self._following = 0
        # the pass of each enclosing loop whose body is walked once per item
        self._passes: list[int] = []
        # function (file, start byte) -> the router it returns
        self._returned: dict[tuple[str, int], str | None] = {}

    # --- walking -----------------------------------------------------------------------------

    def run(self) -> None:
        for module in self.project.modules.values():
            self.state = WalkState(module)
            try:
                self.visit(module.parsed.root, {}, 0)
            except RecursionError:
                self.warnings.append(f"{module.path}: nesting too deep, rest of this file not analysed")
            except Exception as exc:  # one file's surprise must not lose the other files' routes
                where = f"{module.path}:{self.state.line}"
                self.warnings.append(f"{where}: rest of this file not analysed ({type(exc).__name__}: {exc})")
        self._mark_unknown_prefixes()
        self._drop_dev_only()
        self._prune_empty()

    @property
    def module(self) -> Module:
        assert self.state is not None
        return self.state.module

    @property
    def path(self) -> str:
        return self.module.path

    @property
    def bindings(self) -> Bindings:
        assert self.state is not None
        return self.state.bindings

    @property
    def _pass(self) -> str:
        return "".join(f"#{i}" for i in self._passes)

    def key(self, node: Node) -> str:
        return f"{self.path}@{line(node)}:{node.start_point[1]}{self._pass}"

    def new_router(self, node: Node, *, app: bool = False) -> str:
        key = self.key(node)
        self.graph.router(key, is_app=app)
        return key

    def fn_name(self, fn: Node, module: Module | None = None) -> str:
        for name, known in (module or self.module).functions.items():
            if known == fn:
                return name
        return f"anon@{line(fn)}:{fn.start_point[1]}"

    def visit(self, node: Node, scope: dict[str, str], depth: int, bound: str | None = None) -> None:
        if depth > MAX_DEPTH:
            self.warnings.append(f"{self.path}:{line(node)}: nesting too deep, rest of block not analysed")
            return
        kind = node.type
        if kind == "call_expression" and self.state is not None:
            self.state.line = node.start_point[0] + 1
        if kind in FUNCTIONS:
            inner = dict(scope)
            name = self.fn_name(node)
            for i, param in enumerate(param_names(node)):
                if param:
                    inner[param] = bound if (bound is not None and i == 0) else f"{self.path}#fn:{name}:{i}"
                    self.bindings.pop(param, None)
            for i, key, local in destructured_params(node):
                # `({ app }) => ...` called as `loader({ app: expressApp })`; only names of apps and
                # routers, so that `({ cache }) => cache.get('/k', f)` declares no route
                if _APP_NAME.search(local):
                    inner[local] = f"{self.path}#fn:{name}:{i}.{key}"
                    self.bindings.pop(local, None)
            body = field_(node, "body")
            if body is not None:
                self.visit(body, inner, depth + 1)
            return
        if kind == "variable_declarator":
            value = field_(node, "value")
            if value is not None:
                self.visit(value, scope, depth + 1)
                # `var router = module.exports = express.Router()`: the chain's last value.
                while value is not None and value.type == "assignment_expression":
                    value = field_(value, "right")
            if value is not None:
                target = self.router_of(value, scope)
                name_node = field_(node, "name")
                if target is None and name_node is not None and _APP_NAME.search(text(name_node)):
                    target = self._guessed(node, value)
                if target is not None and name_node is not None and name_node.type == "identifier":
                    scope[text(name_node)] = target
                    if depth <= 4:
                        # Module-level routers are what other files import by name.
                        self.graph.alias(f"{self.path}#{text(name_node)}", target)
            return
        if kind in ("export_statement", "assignment_expression"):
            self._export_alias(node, scope)
        if kind == "for_in_statement" and self._for_of(node, scope, depth):
            return
        if kind == "if_statement" and self._dev_only(node, scope, depth):
            return
        if kind == "call_expression" and self._call(node, scope, depth):
            return
        for child in node.named_children:
            # leaves (names, literals) register nothing
            if child.named_child_count and child.type not in _SKIPPED:
                self.visit(child, scope, depth + 1)

    def _guessed(self, declarator: Node, value: Node) -> str | None:
        """`const expressApp = settings.getData('express_app')`: an app by its name, from an unknown call.

        Its routes count only with a path starting with "/" (see ``route``).
        """
        value = unwrap(value) or value
        if value.type not in ("call_expression", "member_expression"):
            return None
        key = f"{self.key(declarator)}#guess"
        self.graph.router(key, is_app=not text(field_(declarator, "name")).endswith("Router"))
        self.guessed.add(key)
        return key

    def _dev_only(self, node: Node, scope: dict[str, str], depth: int) -> bool:
        """Routes registered only in development or tests are not served by the deployed app."""
        condition = text(field_(node, "condition")).strip()
        if not _DEV_ONLY.search(condition):
            return False
        consequence = field_(node, "consequence")
        if consequence is not None:
            # Walked into a scratch graph: routers mounted only here must not show up as unmounted.
            graph, warnings = self.graph, len(self.warnings)
            self.graph = RouterGraph()
            self.visit(consequence, dict(scope), depth + 1)
            found = self.graph.routers
            self.graph = graph
            del self.warnings[warnings:]
            for router in found.values():
                for event in router.events:
                    if isinstance(event, Mount):
                        self.dev_only.add(event.child)
            if any(router.events for router in found.values()):
                self.warnings.append(
                    f"{self.path}:{line(node)}: routes registered only when `{condition}` are left out"
                )
        alternative = field_(node, "alternative")
        if alternative is not None:
            self.visit(alternative, scope, depth + 1)
        return True

    def _export_alias(self, node: Node, scope: dict[str, str]) -> None:
        """`export default Router().use('/api', api)` / `module.exports = express.Router()...`."""
        if node.type == "export_statement":
            value = unwrap(field_(node, "value"))
        elif text(field_(node, "left")) == "module.exports":
            value = unwrap(field_(node, "right"))
        else:
            return
        if value is None or value.type not in ("call_expression", "new_expression"):
            return
        target = self.router_of(value, scope)
        if target is not None:
            self.graph.alias(f"{self.path}#expr@{line(value)}:{value.start_point[1]}", target)

    # --- loops over arrays of routers ----------------------------------------------------------

    def _for_of(self, node: Node, scope: dict[str, str], depth: int) -> bool:
        right = field_(node, "right")
        items = self.resolver.literal(self.module, right, self.bindings)
        target = field_(node, "left")
        body = field_(node, "body")
        if target is None or body is None or target.type != "identifier":
            return False
        if items is None or items[1].type != "array":
            files = listed(self.resolver, self.module, right, text(node))
            if files is None:
                return False
            self._unrolled(files, text(target), body, scope, depth)
            return True
        self._each(items, text(target), body, scope, depth)
        return True

    def _loop_call(self, call: Node, obj: Node, prop: str, scope: dict[str, str], depth: int) -> bool:
        """`routes.forEach((route) => router.use(route.path, route.route))`."""
        if prop not in _LOOPS:
            return False
        given = args(call)
        fn = unwrap(given[0]) if given else None
        if fn is None or fn.type not in FUNCTIONS:
            return False
        items = self.resolver.literal(self.module, obj, self.bindings)
        names = param_names(fn)
        body = field_(fn, "body")
        if not names or not names[0] or body is None:
            return False
        if items is None or items[1].type != "array":
            files = listed(self.resolver, self.module, obj, text(call))
            if files is not None:
                self._unrolled(files, names[0], body, scope, depth)
                return True
            # `routes.forEach(route => app.use('/', route.router))` over instances made elsewhere
            self.loop_items.add(names[0])
            try:
                self.visit(fn, scope, depth + 1)
            finally:
                self.loop_items.discard(names[0])
            return True
        inner = dict(scope)
        inner.pop(names[0], None)
        self._each(items, names[0], body, inner, depth)
        return True

    def _unrolled(self, files: list[str], name: str, body: Node, scope: dict[str, str], depth: int) -> None:
        """`fs.readdirSync(dir).forEach(file => app.use('/' + file, require('./' + file)))`: the body
        once per file, its calls evaluated afresh each time."""
        inner = dict(scope)
        inner.pop(name, None)
        self._each((self.module, string_nodes(files)), name, body, inner, depth)

    def _each(
        self, items: tuple[Module, Node], name: str, body: Node, scope: dict[str, str], depth: int
    ) -> None:
        saved = self.bindings.get(name)
        for i, item in enumerate(named_children(items[1])):
            self.bindings[name] = (items[0], item)
            # A router created in the body is another router on each pass.
            self._passes.append(i)
            try:
                self.visit(body, dict(scope), depth + 1)
            finally:
                self._passes.pop()
        if saved is None:
            self.bindings.pop(name, None)
        else:
            self.bindings[name] = saved

    # --- what a name or expression is ----------------------------------------------------------

    def router_of(self, expr: Node | None, scope: dict[str, str]) -> str | None:
        """The router key an expression denotes, or None; self-referencing values end at a depth limit."""
        if self._following > _MAX_FOLLOW:
            return None
        self._following += 1
        try:
            return self._router_of(unwrap(expr), scope)
        finally:
            self._following -= 1

    def _router_of(self, expr: Node | None, scope: dict[str, str]) -> str | None:
        if expr is None:
            return None
        if expr.type == "identifier":
            name = text(expr)
            if name in scope:
                return scope[name]
            if name in self.bindings:
                return self._router_in(self.bindings[name], scope)
            if name in self.module.imports:
                return self.exported_router(self.project.exported(*self.module.imports[name]))
            return None
        if expr.type == "member_expression":
            obj, prop = member(expr)
            field_router = self._field_router(obj, prop, scope)
            if field_router is not None:
                return field_router
            if obj is not None and text(obj) in self.module.imports:
                file, _ = self.module.imports[text(obj)]
                return self.exported_router(self.project.exported(file, prop))
            required = unwrap(obj)
            if required is not None and text(field_(required, "function")) == "require":
                # `require('./routes/users').default`
                return self.exported_router(self.project.exported(self._required(required), prop))
            holder = self.resolver.literal(self.module, obj, self.bindings) if obj is not None else None
            if holder is not None:
                value = object_props(holder[1]).get(prop)
                return self._router_in((holder[0], value), scope) if value is not None else None
            return None
        if expr.type not in ("call_expression", "new_expression"):
            return None
        # Inside a loop, the same call may name another router on each pass.
        cache = (self.path, expr.start_byte, expr.end_byte, self._pass)
        if cache not in self.calls:
            self.calls[cache] = None
            self.calls[cache] = self._router_call(expr, scope)
        return self.calls[cache]

    def _field_router(self, obj: Node | None, prop: str, scope: dict[str, str]) -> str | None:
        """`this.router` in a class with `router = Router()`; `new UserRoute().router` elsewhere."""
        obj = unwrap(obj)
        if obj is None:
            return None
        if obj.type == "this":
            cls = enclosing_class(obj)
            value = class_field(cls, prop) if cls is not None else None
            return self.router_of(value, scope) if value is not None else None
        if obj.type != "new_expression":
            return None
        found = self.project.class_of(self.module, obj)
        if found is None:
            return None
        value = class_field(found[1], prop)
        return self._router_in((found[0], value), scope) if value is not None else None

    def _router_in(self, where: tuple[Module, Node], scope: dict[str, str]) -> str | None:
        """A router named by an expression written in another module (an array item, a config)."""
        module, node = where
        if module is self.module:
            return self.router_of(node, scope)
        assert self.state is not None
        saved = self.state
        self.state = WalkState(module)
        try:
            return self.router_of(node, {})
        finally:
            self.state = saved

    def exported_router(self, target: tuple[str, str] | None, depth: int = 0) -> str | None:
        if target is None:
            return None
        module = self.project.modules[target[0]]
        if target[1] in module.functions:
            return f"{target[0]}#fn:{target[1]}:0"
        value = unwrap(module.values.get(target[1]))
        if depth < 8 and value is not None and value.type == "call_expression":
            given = args(value)
            if text(field_(value, "function")) == "require" and given:
                # `module.exports = { users: require('./users') }`: the required module's router
                file = self.project.resolve_file(target[0], string(given[0]) or "")
                return self.exported_router(self.project.exported(file, "*"), depth + 1)
        return f"{target[0]}#{target[1]}"

    def _required_function(self, fn: Node) -> tuple[Module, Node] | None:
        """`require(path.resolve(file))` / `require(path.join(dir, file)).register` in a loop over a
        folder's files: the function that module exports (whole, or under that name)."""
        required, name = unwrap(fn), "*"
        if required is not None and required.type == "member_expression":
            obj, name = member(required)
            required = unwrap(obj)
        if required is None or required.type != "call_expression":
            return None
        if text(field_(required, "function")) != "require":
            return None
        exported = self.project.exported(self._required(required), name)
        owner = self.project.modules[exported[0]] if exported is not None else None
        found = owner.functions.get(exported[1]) if owner is not None and exported is not None else None
        return (owner, found) if owner is not None and found is not None else None

    def _required(self, call: Node) -> str:
        """The file `require(...)` loads: `require('./x')`, `require(path.join(__dirname, file))`."""
        given = args(call)
        spec = self.resolver.path(self.module, given[0] if given else None, self.bindings) or ""
        return self.project.resolve_file(self.path, spec)

    def package(self, name: str) -> str:
        return self.project.package_of(self.module, name.split(".")[0])

    def _router_call(self, call: Node, scope: dict[str, str]) -> str | None:
        fn = field_(call, "function") or field_(call, "constructor")
        if text(fn) == "require":
            return self.exported_router(self.project.exported(self._required(call), "*"))
        for framework in self.frameworks:
            created = framework.creates(self, call, scope)
            if created is not None:
                return created
        returned = self._returned_router(fn) if call.type == "call_expression" else None
        if returned is not None:
            return returned
        obj, prop = member(fn)
        if obj is None or call.type == "new_expression":
            return None
        parent = self.router_of(obj, scope)
        if parent is None:
            return None
        if prop in ("use", *ROUTE_METHODS):
            # Express and koa-router return the router from use() and the verb methods.
            return parent
        for framework in self.frameworks:
            chained = framework.returns_router(self, parent, prop, call)
            if chained is not None:
                return chained
        return None

    def _returned_router(self, fn: Node | None) -> str | None:
        """`app.use('/api', routes())`, `routes = () => { const router = Router(); ...; return router }`."""
        target = self.project.function(self.module, fn) if fn is not None else None
        if target is None:
            return None
        key = (target[0].path, target[1].start_byte)
        if key not in self._returned:
            self._returned[key] = None  # a function returning its own call ends here
            self._returned[key] = self._router_returned_by(*target)
        return self._returned[key]

    def _router_returned_by(self, module: Module, function: Node) -> str | None:
        body = field_(function, "body")
        if body is None:
            return None
        if body.type != "statement_block":
            return self._router_in((module, body), {})
        locals_: dict[str, Node] = {}
        returned: list[Node] = []
        for node in walk(body):
            if node.type == "variable_declarator" and (value := field_(node, "value")) is not None:
                locals_.setdefault(text(field_(node, "name")), value)
            elif node.type == "return_statement" and named_children(node):
                returned.append(named_children(node)[0])
        for expr in returned:
            expr = unwrap(expr) or expr
            value = locals_.get(text(expr)) if expr.type == "identifier" else expr
            found = self._router_in((module, value), {}) if value is not None else None
            if found is not None:
                return found
        return None

    # --- calls on routers ----------------------------------------------------------------------

    def _call(self, call: Node, scope: dict[str, str], depth: int) -> bool:
        fn = field_(call, "function")
        obj, prop = member(fn)
        if fn is not None and fn.type == "subscript_expression":
            # `router['get'](...)`, or `instance[method.toLowerCase()](route, ...)` from a route table
            obj = field_(fn, "object")
            index = field_(fn, "index")
            prop = self.resolver.string(self.module, index, self.bindings) or ""
            if prop.lower() not in ROUTE_METHODS:
                if self.router_of(obj, scope) is not None:
                    self.warnings.append(
                        f"{self.path}:{line(call)}: route method `{text(index)}` is not known statically, "
                        "routes registered here are left out"
                    )
                return False
            prop = prop.lower()
        if obj is not None and self._loop_call(call, obj, prop, scope, depth):
            return True
        router = self.router_of(obj, scope) if obj is not None else None
        if router is None:
            self._calls_with_routers(call, scope)
            return False
        if prop in ROUTE_METHODS:
            given = args(call)
            chained = unwrap(obj)
            if chained is not None and chained.type == "call_expression":
                # `app.register(auth).get(...)`: what the chain registers comes before the route.
                self.visit(chained, scope, depth + 1)
            decl = self.route(call, router, ROUTE_METHODS[prop], given)
            if decl is not None:
                for framework in self.frameworks:
                    framework.route_declared(self, decl, call, given)
                self._without_optional_params(router, decl)
            if chained is not None and chained.type == "call_expression":
                for arg in given:
                    if arg.type not in _SKIPPED:
                        self.visit(arg, scope, depth + 1)
                return True
            return False
        if prop == "use":
            self._use(call, router, scope)
            return False
        for framework in self.frameworks:
            handled = framework.method(self, call, router, prop, scope, depth)
            if handled is not None:
                return handled
        return False

    def _use(self, call: Node, router: str, scope: dict[str, str]) -> None:
        given = args(call)
        first = unwrap(given[0]) if given else None
        if first is None:
            return
        prefix = self.resolver.string(self.module, first, self.bindings)
        rest = given[1:] if prefix is not None else given
        unknown = prefix is None and len(given) > 1 and self._unknown_prefix(first, scope)
        where = ""
        if unknown:
            rest = given[1:]
            where = f"{self.path}:{line(call)}"
            self.warnings.append(f"{where}: mount prefix `{text(first)}` is not known statically")
        layers: list[AuthAlternatives] = []
        for arg in rest:
            for instance_router in self._loop_item_routers(arg):
                self.graph.add(router, Mount(prefix or "", instance_router))
            for item in named_children(arg) if arg.type == "array" else [arg]:
                child = self.router_of(item, scope)
                auth = self.auth(item)
                if child is not None and child != router and not auth and "#fn:" not in child:
                    self.graph.add(router, Mount(prefix or "", child, tuple(layers)))
                    if unknown:
                        note = f"mounted at `{text(first)}` ({where}), not known statically"
                        self.unknown_prefix.setdefault(child, note)
                elif auth:
                    if prefix:
                        self.graph.add(router, Use(auth, prefix))
                    else:
                        layers.append(auth)
                        self.graph.add(router, Use(auth))
        mounted = self.router_of(rest[-1], scope) if rest else None
        if prefix and prefix.strip("/") and rest and (mounted is None or "#fn:" in mounted):
            self._terminal_use(call, router, prefix, rest[-1], tuple(layers))

    def _terminal_use(
        self, call: Node, router: str, prefix: str, last: Node, layers: tuple[AuthAlternatives, ...]
    ) -> None:
        """`app.use('/agent', (req, res) => res.send(...))`: a function mounted at a path that answers
        (never passes on to `next`) is an endpoint for every method there."""
        found = self.project.function(self.module, last)
        if found is None or self.auth(last):
            return
        names = param_names(found[1])
        if not 2 <= len(names) <= 3 or names[0] in ("err", "error") or passes_on(found[1]):
            return
        if not _answers(found[1], names[1]) or any(
            isinstance(e, Mount) and e.prefix == prefix for e in self.graph.router(router).events
        ):
            # Handing the request to a library's handler (GraphQL), or a fallback (a 404) after the
            # routers mounted at the same path: no endpoint of the app's own.
            return
        decl = RouteDecl(None, prefix, self.path, line(call), auth=layers)
        handler_details(decl, self.project, found[0], found[1], self.types)
        decl.handler_methods = checked_methods(found[1]) or ANY_METHOD
        decl.unresolved["path"] = "mounted with use(): the handler answers every path under it too"
        if decl.handler_methods == ANY_METHOD:
            decl.unresolved["method"] = "mounted with use() and the handler checks no method"
        self.graph.add(router, decl)

    def _loop_item_routers(self, expr: Node) -> list[str]:
        """`route.router` for a loop item of unknown origin: every class's `router` field that is a router."""
        obj, prop = member(unwrap(expr))
        if obj is None or obj.type != "identifier" or text(obj) not in self.loop_items:
            return []
        if prop not in self._class_routers:
            found: list[str] = []
            for module in self.project.modules.values():
                for cls in module.classes.values():
                    value = class_field(cls, prop)
                    key = self._router_in((module, value), {}) if value is not None else None
                    if key is not None:
                        found.append(key)
            self._class_routers[prop] = found
        return self._class_routers[prop]

    def _unknown_prefix(self, first: Node, scope: dict[str, str]) -> bool:
        """`app.use(config.prefix, router)` whose prefix the resolver cannot evaluate (not a middleware)."""
        if first.type in ("template_string", "binary_expression") or text(first).startswith("process.env"):
            return True
        root = first
        while root.type in ("member_expression", "subscript_expression"):
            root = field_(root, "object") or root
            if root.type not in ("member_expression", "subscript_expression"):
                break
        if root.type != "identifier" or self.router_of(first, scope) is not None:
            return False
        if self.project.function(self.module, first) is not None:
            return False
        # A constant of this project (not a package's middleware) the resolver could not evaluate.
        name = text(root)
        return name in self.module.values or self.package(name) in self.project.modules

    def route(
        self,
        call: Node,
        router: str,
        method: HttpMethod | None,
        given: list[Node],
        *,
        path_node: Node | None = None,
        handler: Node | None = None,
        middleware: list[Node] | None = None,
    ) -> RouteDecl | None:
        """`router.get(path, ...middleware, handler)`; the framework may pass the parts itself."""
        path: str | None = ""
        if path_node is None and router in self.named_handlers:
            if not given:
                return None
            path_node, handler, middleware = given[0], None, []
        if path_node is None and router in self.chains:
            if not given:
                return None
            handler, middleware = given[-1], list(given[:-1])
        else:
            if path_node is None:
                if len(given) < 2:
                    return None
                last = unwrap(given[-1])
                if last is None or last.type in _NOT_HANDLERS:
                    return None
                path_node, handler, middleware = given[0], given[-1], list(given[1:-1])
            path = self.resolver.string(self.module, path_node, self.bindings)
            if router in self.guessed and (path is None or not path.startswith("/")):
                return None
        if path is None:
            self.warnings.append(
                f"{self.path}:{line(call)}: route path `{text(path_node)}` is not known statically, skipped"
            )
            return None
        layers: list[AuthAlternatives] = []
        for item in middleware or []:
            for part in named_children(item) if item.type == "array" else [item]:
                if auth := self.auth(part):
                    layers.append(auth)
        found = self.project.function(self.module, handler)
        if path in _CATCH_ALL:
            # `app.get('*', sendIndexHtml)`, `app.all('*', notFound)`: fallbacks, not API endpoints
            return None
        if method is None and found is not None and passes_on(found[1]):
            # `router.all('/posts/*', authenticate)`: middleware for the routes under a path, no endpoint
            return None
        decl = RouteDecl(method, path, self.path, line(call), auth=tuple(layers))
        for item in middleware or []:
            for part in named_children(item) if item.type == "array" else [item]:
                step = unwrap(part)
                if step is None or step.type not in ("identifier", "member_expression"):
                    continue
                known = self.project.function(self.module, step)
                if known is not None:
                    middleware_query(decl, self.project, known[0], known[1])
        if found is not None:
            handler_details(decl, self.project, found[0], found[1], self.types)
            if method is None and not decl.handler_methods:
                # `app.all(path, handler)`: the methods the handler checks, else every method
                decl.handler_methods = checked_methods(found[1]) or ANY_METHOD
                if decl.handler_methods == ANY_METHOD:
                    decl.unresolved["method"] = "registered with all() and the handler checks no method"
        self.graph.add(router, decl)
        return decl

    def _without_optional_params(self, router: str, decl: RouteDecl) -> None:
        for shorter in without_optional_params(decl):
            self.graph.add(router, shorter)

    def on_chain(self, call: Node) -> bool:
        """Whether `call` is a verb method on a `router.route('/x')` chain (already walked)."""
        obj, _ = member(field_(call, "function"))
        cached = (
            self.calls.get((self.path, obj.start_byte, obj.end_byte, self._pass)) if obj is not None else None
        )
        return cached is not None and cached in self.chains

    def auth(self, expr: Node | None) -> AuthAlternatives:
        """What a middleware expression checks (a function, a factory call, passport/express-jwt)."""
        expr = unwrap(expr)
        if expr is None:
            return ()
        if expr.type == "call_expression":
            callee = field_(expr, "function")
            callee_text = text(callee)
            package = self.package(callee_text)
            literal_args = [v for a in args(expr) if (v := self.resolver.string(self.module, a)) is not None]
            if callee_text.endswith("authenticate") and any(a in ("jwt", "bearer") for a in literal_args):
                return (AuthHint("bearer", jwt="jwt" in literal_args),)
            if package in ("express-jwt", "koa-jwt", "@fastify/jwt") or callee_text in (
                "expressjwt",
                "expressJwt",
            ):
                return (AuthHint("bearer", jwt=True),)
            found = self.project.function(self.module, callee)
        else:
            found = self.project.function(self.module, expr)
        if found is None:
            return ()
        return classify_auth(literals(found[1]), text(found[1]))

    def _calls_with_routers(self, call: Node, scope: dict[str, str]) -> None:
        """`require('./routes')(app)` / `registerRoutes(app)`: the function's parameter is that router."""
        fn = field_(call, "function")
        given = args(call)
        if fn is None or not given:
            return  # no argument to hand a router over: the callee need not be looked up
        target = self.project.function(self.module, fn)
        if target is None:
            target = self._required_function(fn)
        if target is None:
            return
        name = next((k for k, v in target[0].functions.items() if v == target[1]), None)
        if name is None:
            return
        for i, arg in enumerate(given):
            router = self.router_of(arg, scope)
            if router is not None:
                self.graph.add(router, Mount("", f"{target[0].path}#fn:{name}:{i}"))
            for key, value in object_props(unwrap(arg)).items():
                router = self.router_of(value, scope)
                if router is not None:
                    self.graph.add(router, Mount("", f"{target[0].path}#fn:{name}:{i}.{key}"))

    def _prune_empty(self) -> None:
        """Drop routers with no route below them: function parameters taken for routers (`walk(node)`
        recursing on itself) would otherwise show up as mount cycles."""
        graph = self.graph
        useful: set[str] = set()
        changed = True
        while changed:
            changed = False
            for key, router in graph.routers.items():
                if key in useful:
                    continue
                if any(
                    isinstance(e, RouteDecl) or (isinstance(e, Mount) and graph.canonical(e.child) in useful)
                    for e in router.events
                ):
                    useful.add(key)
                    changed = True
        for key in [k for k in graph.routers if k not in useful]:
            del graph.routers[key]
        for router in graph.routers.values():
            router.events = [
                e for e in router.events if not isinstance(e, Mount) or graph.canonical(e.child) in useful
            ]

    def _drop_dev_only(self) -> None:
        mounted = {
            self.graph.canonical(e.child)
            for r in self.graph.routers.values()
            for e in r.events
            if isinstance(e, Mount)
        }
        for key in self.dev_only:
            canonical = self.graph.canonical(key)
            if canonical not in mounted:
                self.graph.routers.pop(canonical, None)

    def _mark_unknown_prefixes(self) -> None:
        for key, note in self.unknown_prefix.items():
            seen: set[str] = set()
            pending = [self.graph.canonical(key)]
            while pending:
                current = pending.pop()
                if current in seen:
                    continue
                seen.add(current)
                for event in self.graph.router(current).events:
                    if isinstance(event, RouteDecl):
                        event.unresolved.setdefault("path", note)
                    elif isinstance(event, Mount):
                        pending.append(self.graph.canonical(event.child))


def _answers(fn: Node, response: str) -> bool:
    """Whether a function answers through its response parameter itself (`res.send(...)`,
    `stream.pipe(res)`), rather than handing it on to another function."""
    for node in walk(fn):
        if node.type == "member_expression" and text(field_(node, "object")) == response:
            return True
        piped = node.type == "call_expression" and member(field_(node, "function"))[1] == "pipe"
        if piped and any(text(arg) == response for arg in args(node)):
            return True
    return False
