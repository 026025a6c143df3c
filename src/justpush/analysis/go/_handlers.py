"""What a Go handler reads and writes: query parameters, request body, responses and accepted methods.

Query parameters are followed through local aliases (`q := r.URL.Query(); q.Get("x")`) and into
helpers the request, context or query values are passed to (`util.GetPage(c)`,
`NewFilter(r.URL.Query())`).
"""

from __future__ import annotations

import re
from typing import Any

from .._model import HttpMethod, Parameter
from .._treesitter import HTTP_METHODS, Node, RouteDecl, field_, named_children, status_schema, text, walk
from ._framework import method_of
from ._resolve import Ctx, Resolver, local_declaration
from ._schemas import Schemas
from ._syntax import (
    args,
    call_operand,
    callee,
    function_scope,
    go_string,
    is_function_like,
    param_names,
    param_types,
    peel,
    returned_values,
    select,
)

_STATUS = {
    "StatusOK": "200",
    "StatusCreated": "201",
    "StatusAccepted": "202",
    "StatusNoContent": "204",
    "StatusMovedPermanently": "301",
    "StatusFound": "302",
    "StatusBadRequest": "400",
    "StatusUnauthorized": "401",
    "StatusForbidden": "403",
    "StatusNotFound": "404",
    "StatusMethodNotAllowed": "405",
    "StatusConflict": "409",
    "StatusUnprocessableEntity": "422",
    "StatusTooManyRequests": "429",
    "StatusInternalServerError": "500",
    "StatusServiceUnavailable": "503",
}
_BIND = {"BindJSON", "ShouldBindJSON", "Bind", "ShouldBind", "BodyParser", "MustBindWith", "ShouldBindWith"}
# Binders filling a struct from the query string, and the struct tag naming each parameter; echo's
# Bind also fills fields tagged `query:"..."` from the query string (gin's Bind of a POST reads the body).
_BIND_QUERY = {"ShouldBindQuery": "form", "BindQuery": "form", "QueryParser": "query"}
_ECHO_BIND_QUERY = {**_BIND_QUERY, "Bind": "query"}
# Kinds of a framework context variable: echo's is told apart for its Bind.
_CTX_KINDS = ("ctx", "echo")
# Methods of a framework context that read one query parameter: gin, echo and fiber spellings.
_CTX_QUERY = frozenset(
    {
        "Query",
        "DefaultQuery",
        "GetQuery",
        "QueryArray",
        "GetQueryArray",
        "QueryMap",
        "QueryParam",
        "QueryInt",
        "QueryBool",
        "QueryFloat",
    }
)
_QUERY_SOURCES = re.compile(r"(URL\.Query\(\)|\.QueryParams\(\)|\.Queries\(\))$")
_NAME = re.compile(r"^[A-Za-z_][\w.\-\[\]]*$")
_MAX_HELPER_DEPTH = 4
# A handler serving a directory of files (static assets, a SPA) or generated API docs is not an API operation.
_FILES = re.compile(
    r"\b(?:\w+\.)?FileServer\w*\(|\bhttp\.(?:Dir|FS)\("
    # fiber's static / filesystem middleware, echo's middleware.Static, gin-contrib/static.
    r"|\b(?:static|filesystem)\.(?:New|Serve)\(|\bmiddleware\.Static(?:WithConfig)?\("
)
# A redirect (to the docs, to a UI) answers no API operation.
_REDIRECT = re.compile(r"\bhttp\.RedirectHandler\(")
# swag's generated docs live in a package named docs (`docs.Serve`, `docs.UI`), like redoc's pages.
_DOCS = re.compile(r"swagger|redoc|^docs\.", re.IGNORECASE)
_GATEWAY = re.compile(r"\bruntime\.NewServeMux\(")
# A handler upgrading the connection to a websocket is not an HTTP operation either
# (`upgrader.Upgrade(w, r, nil)`, gin's `upgrader.Upgrade(c.Writer, c.Request, nil)`).
# melody hands the request over whole: `m.HandleRequest(w, r)`.
_WEBSOCKET = re.compile(
    r"\.Upgrade\(\s*[\w.]+\s*,|\bwebsocket\.(?:Accept|Handler|Server)\b|\bmelody\.New\("
    r"|\.HandleRequest(?:WithKeys)?\(\s*w\s*,\s*r\b"
)
# The runtime's profiler and variables (net/http/pprof, expvar), mounted for operators, not clients.
_DIAGNOSTICS = re.compile(r"^(?:pprof|expvar)\.")

Kinds = dict[str, str]  # variable -> "ctx" | "echo" | "request" | "query"
# A helper's parameters given a string literal (`getQueryInts("id", qp)`): parameter -> the string.
Names = dict[str, str]


def takes_request(type_node: Node | None) -> bool:
    """Whether a parameter type is a handler's request (`*http.Request`, `echo.Context`, ...)."""
    return _kind_of_type(type_node) in ("request", "echo", "ctx")


def _kind_of_type(type_node: Node | None) -> str | None:
    raw = text(type_node)
    if raw.endswith("echo.Context"):
        return "echo"
    if raw.endswith(("gin.Context", "fiber.Ctx")):
        return "ctx"
    if raw.endswith("http.Request"):
        return "request"
    if raw.endswith("url.Values"):
        return "query"
    return None


class Handlers:
    def __init__(self, resolver: Resolver, schemas: Schemas) -> None:
        self.resolver = resolver
        self.index = resolver.index
        self.schemas = schemas
        # (helper, its parameters' kinds, names and struct types) -> the query parameters it reads
        self.helper_params: dict[
            tuple[str, tuple[tuple[int, str], ...], tuple[tuple[int, str], ...], tuple[tuple[int, str], ...]],
            set[str],
        ] = {}
        # a helper's parameters holding the caller's query struct, while the helper is read
        self.bound_types: dict[str, Node] = {}

    def body_of(self, expr: Node | None, ctx: Ctx, depth: int = 0) -> tuple[Node, Ctx] | None:
        """The function a handler expression runs: a literal, a named function or method, the handler a
        wrapper call is given (`a.sessionRequired(a.getItem)`), or the literal a factory returns."""
        expr = peel(expr)
        if expr is None or depth > 6:
            return None
        if expr.type == "func_literal":
            return expr, ctx
        if expr.type == "identifier" and text(expr) in ctx.bindings:
            bound, outer = ctx.bindings[text(expr)]
            return self.body_of(bound, outer, depth + 1)
        if expr.type in ("identifier", "selector_expression"):
            funcs = self.resolver.referenced(expr, ctx)
            if funcs:
                return funcs[0].node, Ctx(funcs[0].file)
            # A handler kept in a variable or a table entry: `h := wrap(list)`, `rt.HandlerFunc`.
            if expr.type == "selector_expression":
                element = self.resolver.field_value(expr, ctx)
                return self.body_of(element[0], element[1], depth + 1) if element is not None else None
            local = local_declaration(text(expr), expr, self.resolver.declarations)
            if local is not None and local[0] == "value":
                return self.body_of(local[1], ctx, depth + 1)
            # A package variable: `var rawHandler = withUser(func(w, r, d) {...})`.
            package_value = self.index.value(ctx.file, expr)
            if package_value is not None:
                return self.body_of(package_value[1], Ctx(package_value[0]), depth + 1)
            return None
        if expr.type == "composite_literal":
            # `mux.Handle("/fever/", feverHandler{})`: a value whose type serves HTTP itself
            owner = self.index.type_ref(ctx.file.package, ctx.file, field_(expr, "type"))
            serve = self.index.method(owner, "ServeHTTP") if owner is not None else None
            return (serve.node, Ctx(serve.file)) if serve is not None else None
        if expr.type != "call_expression":
            return None
        # `Use(login, limitPosts)`: of the functions a wrapper is given, a handler (one taking the
        # request) before a middleware (one taking the next handler); else the last one.
        given = [
            found
            for arg in reversed(args(expr))
            if is_function_like(arg) and (found := self.body_of(arg, ctx, depth + 1)) is not None
        ]
        if given:
            handlers = [f for f in given if any(takes_request(t) for t in param_types(f[0]))]
            return (handlers or given)[0]
        for func in self.resolver.callees(expr, ctx):
            for values in returned_values(func.node):
                literal = next((n for v in values for n in walk(v) if n.type == "func_literal"), None)
                if literal is not None:
                    return literal, self.resolver.bind(func, expr, ctx)
        return None

    def role(self, handler: Node, ctx: Ctx, depth: int = 0) -> str | None:
        """ "files", "docs", "diagnostics", "websocket" or "gateway" for a handler that is no API
        operation, else None."""
        head = text(handler).split("(", 1)[0]
        if _DOCS.search(head):
            return "docs"
        if _DIAGNOSTICS.match(head):
            return "diagnostics"
        if _FILES.search(text(handler)):
            return "files"
        if _REDIRECT.search(text(handler)):
            return "redirect"
        if (
            handler.type == "selector_expression"
            and text(field_(handler, "field")) == "ServeHTTP"
            and depth < 4
        ):
            # `r.Get("/assets/*", assets.ServeHTTP)`: the method value of a file server is the file server
            operand = field_(handler, "operand")
            return self.role(operand, ctx, depth + 1) if operand is not None else None
        if handler.type == "identifier" and depth < 4:
            declared = local_declaration(text(handler), handler, self.resolver.declarations)
            if declared is not None and declared[0] == "value" and _GATEWAY.search(text(declared[1])):
                # Its routes are the registered services' (see _grpcgateway), not this catch-all.
                return "gateway"
            if declared is not None and declared[0] == "value":
                result = self._named_result(declared[1], declared[2], ctx)
                if result is not None:
                    return self.role(result[0], result[1], depth + 1)
                return self.role(declared[1], ctx, depth + 1)
        if handler.type == "call_expression" and depth < 4:
            # An adapter around a file server or a grpc-gateway mux kept in a variable:
            # `echo.WrapHandler(fsrv)`, `echo.WrapHandler(http.MaxBytesHandler(gwMux, n))`.
            for arg in args(handler):
                if arg.type in ("identifier", "call_expression"):
                    inner = self.role(arg, ctx, depth + 1)
                    if inner in ("files", "gateway"):
                        return inner
        found = self.body_of(handler, ctx)
        if found is None:
            return None
        fn, _ = found
        scope = text(fn)
        if fn.type == "func_literal":
            # A handler built by a factory shares the factory's variables (`fs := http.FileServer(...)`).
            outer = function_scope(fn.parent) if fn.parent is not None else fn
            if any(fn in (n for v in values for n in walk(v)) for values in returned_values(outer)):
                scope = text(outer)
        # A handler testing for the upgrade (`websocket.IsWebSocketUpgrade(r)`) also answers plain HTTP.
        if _WEBSOCKET.search(scope) and "IsWebSocketUpgrade(" not in scope:
            return "websocket"
        if _FILES.search(scope):
            return "files"
        if fn.type == "func_literal":
            # A literal delegating to a file server of the enclosing function: `fs.ServeHTTP(w, r)`.
            for served in re.findall(r"\b(\w+)\.ServeHTTP\(", scope):
                declared = local_declaration(served, fn, self.resolver.declarations)
                if declared is not None and declared[0] == "value" and _FILES.search(text(declared[1])):
                    return "files"
        return None

    def _named_result(self, call: Node, position: int, ctx: Ctx) -> tuple[Node, Ctx] | None:
        """`index, static := getStaticHandlers(...)` where the callee assigns its named results
        (`static = handle(func...)`) and returns bare: the value given to result `position`."""
        call = peel(call) or call
        if call.type != "call_expression":
            return None
        for func in self.resolver.callees(call, ctx):
            results = [
                text(name)
                for declaration in named_children(field_(func.node, "result"))
                if declaration.type == "parameter_declaration"
                for name in declaration.children_by_field_name("name")
            ]
            if position >= len(results):
                continue
            for node in select(field_(func.node, "body") or func.node, "assignment_statement"):
                left, right = named_children(field_(node, "left")), named_children(field_(node, "right"))
                if len(left) == 1 == len(right) and text(left[0]) == results[position]:
                    return right[0], Ctx(func.file)
        return None

    def analyse(self, decl: RouteDecl, handler: Node, ctx: Ctx) -> bool:
        """Fill decl from the handler's code; False when that code is not in the sources."""
        found = self.body_of(handler, ctx)
        if found is None:
            return False
        fn, fn_ctx = found
        body = field_(fn, "body")
        if body is None:
            return False
        types = _local_types(body)
        methods: list[HttpMethod] = []
        last_status = "200"
        wrote_header = False
        params: set[str] = set()
        self._query_reads(fn, fn_ctx, _param_kinds(fn, {}), params, 0)
        for node in select(body, "expression_switch_statement", "binary_expression", "call_expression"):
            if node.type == "expression_switch_statement" and text(field_(node, "value")).endswith(".Method"):
                for case in named_children(node):
                    for value in named_children(field_(case, "value")):
                        methods.extend(m for m in [method_of(value)] if m)
            elif node.type == "binary_expression" and text(field_(node, "operator")) in ("==", "!="):
                left, right = field_(node, "left"), field_(node, "right")
                if text(left).endswith(".Method"):
                    methods.extend(m for m in [method_of(right)] if m)
                elif text(right).endswith(".Method"):
                    methods.extend(m for m in [method_of(left)] if m)
            if node.type != "call_expression":
                continue
            operand, name = callee(node)
            arguments = args(node)
            if name in _BIND or (name == "Decode" and "NewDecoder" in operand):
                # The generic binders read the query string, not a body, for GET and DELETE.
                if arguments and not (name in ("Bind", "ShouldBind") and decl.method in ("get", "delete")):
                    decl.request_body = self._value_schema(arguments[0], types)
            elif name in ("JSON", "IndentedJSON", "JSONPretty") and arguments:
                status = _status(arguments[0]) if len(arguments) >= 2 else None
                if len(arguments) < 2:
                    inner = call_operand(node)
                    if inner is not None and inner.type == "call_expression" and args(inner):
                        status = _status(args(inner)[0])
                status_schema(decl.responses, status or "200", self._value_schema(arguments[-1], types))
            elif name == "WriteHeader" and arguments:
                last_status = _status(arguments[0]) or last_status
                wrote_header = True
            elif name == "Encode" and "NewEncoder" in operand and arguments:
                status_schema(decl.responses, last_status, self._value_schema(arguments[0], types))
            elif name in ("NoContent", "SendStatus", "Status", "AbortWithStatus") and arguments:
                chained = node.parent is not None and node.parent.type == "selector_expression"
                if not chained:
                    status_schema(decl.responses, _status(arguments[0]) or "204", None)
        if wrote_header and not decl.responses and last_status.startswith("2"):
            decl.responses[last_status] = None
        if methods:
            decl.handler_methods = tuple(m for m in HTTP_METHODS if m in methods)
        known = {p.name for p in decl.parameters}
        decl.parameters = (*decl.parameters, *(Parameter(n, "query") for n in sorted(params - known)))
        return True

    def _query_reads(
        self, fn: Node, ctx: Ctx, kinds: Kinds, params: set[str], depth: int, names: Names | None = None
    ) -> None:
        """Query parameter names fn reads from the variables in kinds, following helpers it passes them to;
        names are its parameters holding a parameter name given by the caller."""
        names = names or {}
        body = field_(fn, "body")
        if body is None:
            return
        kinds = dict(kinds)
        for node in select(
            body, "short_var_declaration", "assignment_statement", "index_expression", "call_expression"
        ):
            if node.type in ("short_var_declaration", "assignment_statement"):
                lhs = named_children(field_(node, "left"))
                rhs = named_children(field_(node, "right"))
                if lhs and len(rhs) == 1 and (kind := self._expr_kind(rhs[0], kinds)) is not None:
                    kinds[text(lhs[0])] = kind
            elif node.type == "index_expression":
                operand = field_(node, "operand")
                key = _name_of(field_(node, "index"), names)
                if key and self._expr_kind(operand, kinds) == "query":
                    params.add(key)
            elif node.type == "call_expression":
                self._query_call(node, ctx, kinds, params, depth, names)

    def _query_call(
        self, call: Node, ctx: Ctx, kinds: Kinds, params: set[str], depth: int, names: Names
    ) -> None:
        _, name = callee(call)
        operand = call_operand(call)
        arguments = args(call)
        first = _name_of(arguments[0], names) if arguments else None
        operand_kind = self._expr_kind(operand, kinds) if operand is not None else None
        if (
            first
            and _NAME.match(first)
            and (
                (name in _CTX_QUERY and operand_kind in _CTX_KINDS)
                or (name in ("Get", "Has") and operand_kind == "query")
                or (name == "FormValue" and operand_kind in ("request", *_CTX_KINDS))
            )
        ):
            params.add(first)
            return
        tag = (_ECHO_BIND_QUERY if operand_kind == "echo" else _BIND_QUERY).get(name)
        if name in ("MustBindWith", "ShouldBindWith") and len(arguments) == 2:
            # gin's explicit binder: `c.ShouldBindWith(&q, binding.Query)` reads `form` tags from the query.
            tag = "form" if text(arguments[1]).endswith("binding.Query") else None
        if (
            name == "BindQueryParams"
            and len(arguments) == 2
            and self._expr_kind(arguments[0], kinds) == "echo"
        ):
            # echo's binder used directly: `(&echo.DefaultBinder{}).BindQueryParams(c, &q)`
            operand_kind, arguments = "echo", arguments[1:]
            tag = "query"
        if tag is not None and operand_kind in _CTX_KINDS and arguments:
            target = text(peel(arguments[0]))
            declared = _local_types(field_(function_scope(call), "body") or call).get(target)
            params.update(self.schemas.tagged_fields(declared or self.bound_types.get(target), tag))
            return
        if operand_kind is not None or depth >= _MAX_HELPER_DEPTH:
            return
        bound = tuple((i, k) for i, a in enumerate(arguments) if (k := self._expr_kind(a, kinds)) is not None)
        if not bound:
            return
        given = tuple((i, s) for i, a in enumerate(arguments) if (s := _name_of(a, names)) is not None)
        # `httputil.Decode(c, &q)`: the struct the helper binds is the caller's
        local = _local_types(field_(function_scope(call), "body") or call)
        typed = tuple(
            (i, text(t)) for i, a in enumerate(arguments) if (t := local.get(text(peel(a)))) is not None
        )
        for func in self.resolver.callees(call, ctx):
            key = (func.key, bound, given, typed)
            if key not in self.helper_params:
                self.helper_params[key] = set()
                pnames = param_names(func.node)
                helper_kinds = {pnames[i]: k for i, k in bound if i < len(pnames) and pnames[i]}
                helper_names = {pnames[i]: s for i, s in given if i < len(pnames) and pnames[i]}
                saved = self.bound_types
                self.bound_types = {
                    pnames[i]: local[text(peel(arguments[i]))]
                    for i, _ in typed
                    if i < len(pnames) and pnames[i]
                }
                found: set[str] = set()
                try:
                    self._query_reads(
                        func.node,
                        Ctx(func.file),
                        _param_kinds(func.node, helper_kinds),
                        found,
                        depth + 1,
                        helper_names,
                    )
                finally:
                    self.bound_types = saved
                self.helper_params[key] = found
            params.update(self.helper_params[key])

    def _expr_kind(self, expr: Node | None, kinds: Kinds) -> str | None:
        expr = peel(expr)
        if expr is None:
            return None
        if expr.type == "identifier":
            return kinds.get(text(expr))
        if expr.type == "type_assertion_expression":
            return self._expr_kind(field_(expr, "operand"), kinds)
        if expr.type == "call_expression" and _QUERY_SOURCES.search(text(field_(expr, "function")) + "()"):
            return "query"
        if expr.type == "selector_expression" and text(field_(expr, "field")) == "Request":
            # gin's c.Request is the *http.Request.
            return "request" if self._expr_kind(field_(expr, "operand"), kinds) in _CTX_KINDS else None
        return None

    def _value_schema(self, expr: Node, types: dict[str, Node]) -> dict[str, Any]:
        expr = peel(expr) or expr
        if expr.type == "identifier":
            declared = types.get(text(expr))
            return self.schemas.of_type(declared) if declared is not None else {}
        if expr.type == "composite_literal":
            type_node = field_(expr, "type")
            if text(type_node) in ("gin.H", "echo.Map", "fiber.Map") or (
                type_node is not None and type_node.type == "map_type"
            ):
                return {"type": "object"}
            return self.schemas.of_type(type_node)
        return {}


def _name_of(node: Node | None, names: Names) -> str | None:
    """A string literal, or a helper's parameter its caller gave one."""
    value = go_string(node)
    if value is None and node is not None and node.type == "identifier":
        return names.get(text(node))
    return value


def _param_kinds(fn: Node, bound: Kinds) -> Kinds:
    kinds = dict(bound)
    for name, type_node in zip(param_names(fn), param_types(fn), strict=False):
        kind = _kind_of_type(type_node)
        if name and kind is not None:
            kinds.setdefault(name, kind)
    return kinds


def _status(node: Node) -> str | None:
    if node.type == "int_literal":
        return text(node)
    if node.type == "selector_expression":
        return _STATUS.get(text(field_(node, "field")))
    return None


def _local_types(body: Node) -> dict[str, Node]:
    """Variable name → its declared or literal type inside one function body."""
    types: dict[str, Node] = {}
    for node in select(body, "var_spec", "short_var_declaration"):
        if node.type == "var_spec" and field_(node, "type") is not None:
            for name in node.children_by_field_name("name"):
                types.setdefault(text(name), field_(node, "type"))  # type: ignore[arg-type]
        elif node.type == "short_var_declaration":
            left = named_children(field_(node, "left"))
            right = named_children(field_(node, "right"))
            for name, value in zip(left, right, strict=False):
                value = peel(value) or value
                if value.type == "composite_literal" and field_(value, "type") is not None:
                    types.setdefault(text(name), field_(value, "type"))  # type: ignore[arg-type]
                elif value.type == "call_expression" and callee(value)[1] in ("make", "new") and args(value):
                    types.setdefault(text(name), args(value)[0])
    return types
