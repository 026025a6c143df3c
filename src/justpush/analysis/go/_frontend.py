"""Go extractor: net/http (incl. Go 1.22 "GET /x/{id}" patterns), gin, echo, chi and fiber."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._model import EnvVar, Evidence, ExtractedApi, HttpMethod, Parameter, ProjectProfile
from .._treesitter import (
    HTTP_METHODS,
    MAX_DEPTH,
    AuthAlternatives,
    Mount,
    Node,
    Parsed,
    RouteDecl,
    RouterGraph,
    Use,
    classify_auth,
    env_var,
    evidence,
    field_,
    first_port,
    line,
    named_children,
    operations_from_graph,
    parse_all,
    rebase_api,
    rebase_env,
    rebase_port,
    sort_operations,
    status_schema,
    text,
    unresolved_type,
    walk,
)

_CONSTRUCTORS = {
    ("gin", "Default"): "gin",
    ("gin", "New"): "gin",
    ("echo", "New"): "echo",
    ("chi", "NewRouter"): "chi",
    ("chi", "NewMux"): "chi",
    ("fiber", "New"): "fiber",
    ("http", "NewServeMux"): "http",
    ("mux", "NewRouter"): "gorilla",
}
# Parameter types that make a function parameter a router the function registers routes on.
_ROUTER_TYPES = {
    "gin.Engine": "gin",
    "gin.RouterGroup": "gin",
    "gin.IRouter": "gin",
    "gin.IRoutes": "gin",
    "echo.Echo": "echo",
    "echo.Group": "echo",
    "chi.Router": "chi",
    "chi.Mux": "chi",
    "fiber.App": "fiber",
    "fiber.Router": "fiber",
    "http.ServeMux": "http",
    "mux.Router": "gorilla",
}
# gorilla/mux route matchers chained after HandleFunc/Handle: `.Methods("GET").Name("x")`.
_GORILLA_MATCHERS = frozenset({"Methods", "Name", "Queries", "Headers", "HeadersRegexp", "Schemes", "Host"})
_UPPER_METHODS = {m.upper(): m for m in HTTP_METHODS}
_TITLE_METHODS = {m.title(): m for m in HTTP_METHODS}
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
_BASIC_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "bool": {"type": "boolean"},
    "byte": {"type": "integer"},
    "rune": {"type": "integer"},
    "float32": {"type": "number", "format": "float"},
    "float64": {"type": "number", "format": "double"},
    "any": {},
    "error": {"type": "string"},
    **{
        t: {"type": "integer", "format": "int64" if "64" in t else "int32"}
        for t in ("int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64")
    },
}
_QUALIFIED_TYPES: dict[str, dict[str, Any]] = {
    "time.Time": {"type": "string", "format": "date-time"},
    "time.Duration": {"type": "integer", "format": "int64"},
    "uuid.UUID": {"type": "string", "format": "uuid"},
    "json.RawMessage": {},
    "json.Number": {"type": "number"},
}


def _go_string(node: Node | None) -> str | None:
    if node is None:
        return None
    if node.type == "interpreted_string_literal":
        raw = text(node)[1:-1]
        try:
            return bytes(raw, "utf-8").decode("unicode_escape") if "\\" in raw else raw
        except UnicodeDecodeError:
            return raw
    if node.type == "raw_string_literal":
        return text(node)[1:-1]
    return None


def _args(call: Node) -> list[Node]:
    return named_children(field_(call, "arguments"))


def _callee(call: Node) -> tuple[str, str]:
    """(operand text, name) of a call: `r.GET(...)` → ("r", "GET"), `f(...)` → ("", "f")."""
    fn = field_(call, "function")
    if fn is None:
        return "", ""
    if fn.type == "selector_expression":
        return text(field_(fn, "operand")), text(field_(fn, "field"))
    return "", text(fn)


@dataclass
class _Index:
    files: list[Parsed]
    functions: dict[str, tuple[Parsed, Node]] = field(default_factory=dict)
    structs: dict[str, Node] = field(default_factory=dict)
    consts: dict[str, Node] = field(default_factory=dict)
    env_helpers: dict[str, tuple[int, int | None]] = field(default_factory=dict)

    @classmethod
    def build(cls, files: list[Parsed]) -> _Index:
        index = cls(files)
        for parsed in files:
            for node in named_children(parsed.root):
                if node.type in ("function_declaration", "method_declaration"):
                    index.functions.setdefault(text(field_(node, "name")), (parsed, node))
                elif node.type == "type_declaration":
                    for spec in named_children(node):
                        if spec.type in ("type_spec", "type_alias"):
                            index.structs.setdefault(text(field_(spec, "name")), spec)
                elif node.type in ("const_declaration", "var_declaration"):
                    for spec in walk(node):
                        if spec.type in ("const_spec", "var_spec"):
                            values = named_children(field_(spec, "value"))
                            names = spec.children_by_field_name("name")
                            for name_node, value in zip(names, values, strict=False):
                                index.consts.setdefault(text(name_node), value)
        for fn_name, (_, fn) in index.functions.items():
            params = _param_names(fn)
            for call in walk(fn):
                if call.type == "call_expression" and _callee(call) in (
                    ("os", "Getenv"),
                    ("os", "LookupEnv"),
                ):
                    arg = next(iter(_args(call)), None)
                    if arg is not None and arg.type == "identifier" and text(arg) in params:
                        i = params.index(text(arg))
                        index.env_helpers[fn_name] = (i, i + 1 if len(params) > i + 1 else None)
        return index

    def function_body(self, expr: Node | None, depth: int = 0) -> Node | None:
        """The func node a handler expression refers to (literal, named func, method value, factory)."""
        if expr is None or depth > 5:
            return None
        if expr.type == "func_literal":
            return expr
        name = ""
        if expr.type == "identifier":
            name = text(expr)
        elif expr.type == "selector_expression":
            name = text(field_(expr, "field"))
        elif expr.type == "call_expression":
            operand, callee = _callee(expr)
            if callee in ("HandlerFunc", "StripPrefix") or (operand, callee) == ("", "HandlerFunc"):
                return self.function_body(_args(expr)[-1] if _args(expr) else None, depth + 1)
            found = self.functions.get(callee)
            if found is None:
                return None
            # A handler factory: the func literal it returns is the handler.
            for node in walk(found[1]):
                if node.type == "return_statement":
                    lit = next((c for c in walk(node) if c.type == "func_literal"), None)
                    if lit is not None:
                        return lit
            return found[1]
        found = self.functions.get(name)
        return found[1] if found else None


def _param_names(fn: Node) -> list[str]:
    names: list[str] = []
    for decl in named_children(field_(fn, "parameters")):
        for name in decl.children_by_field_name("name"):
            names.append(text(name))
    return names


class _Schemas:
    """Go types → JSON Schema; named structs become components referenced by $ref."""

    def __init__(self, index: _Index) -> None:
        self.index = index
        self.schemas: dict[str, dict[str, Any]] = {}

    def of_type(self, node: Node | None) -> dict[str, Any]:
        if node is None:
            return {}
        kind = node.type
        if kind == "pointer_type":
            return self.of_type(named_children(node)[0] if named_children(node) else None)
        if kind in ("slice_type", "array_type"):
            return {"type": "array", "items": self.of_type(field_(node, "element"))}
        if kind == "map_type":
            return {"type": "object", "additionalProperties": self.of_type(field_(node, "value"))}
        if kind == "struct_type":
            return self._struct(node)
        if kind == "interface_type":
            return {}
        if kind == "qualified_type":
            known = _QUALIFIED_TYPES.get(text(node))
            if known is not None:
                return dict(known)
            return self.ref(text(field_(node, "name")))
        if kind == "type_identifier":
            return self.ref(text(node))
        if kind == "generic_type":
            return self.of_type(field_(node, "type"))
        return {}

    def ref(self, name: str) -> dict[str, Any]:
        if name in _BASIC_TYPES:
            return dict(_BASIC_TYPES[name])
        spec = self.index.structs.get(name)
        if spec is None:
            return unresolved_type(name)
        underlying = field_(spec, "type")
        if underlying is None or underlying.type != "struct_type":
            return self.of_type(underlying)
        if name not in self.schemas:
            self.schemas[name] = {}
            self.schemas[name] = self._struct(underlying)
        return {"$ref": f"#/components/schemas/{name}"}

    def _struct(self, node: Node) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        for decl in walk(node):
            if decl.type != "field_declaration" or decl.parent is None or decl.parent.parent != node:
                continue
            tag = _go_string(field_(decl, "tag")) or ""
            json_tag = re.search(r'json:"([^"]*)"', tag)
            parts = json_tag.group(1).split(",") if json_tag else [""]
            if parts[0] == "-" and len(parts) == 1:
                continue
            type_node = field_(decl, "type")
            names = [text(n) for n in decl.children_by_field_name("name")]
            if not names:
                # An embedded struct's fields are promoted into the JSON object.
                embedded = self.index.structs.get(text(type_node).lstrip("*").split(".")[-1])
                inner = field_(embedded, "type") if embedded is not None else None
                if inner is not None and inner.type == "struct_type":
                    sub = self._struct(inner)
                    properties.update(sub.get("properties", {}))
                    required.extend(sub.get("required", []))
                continue
            for go_name in names:
                if not go_name[:1].isupper():
                    continue
                key = parts[0] or go_name
                properties[key] = self.of_type(type_node)
                validation = re.search(r'(?:binding|validate):"([^"]*)"', tag)
                if "omitempty" not in parts[1:] or (validation and "required" in validation.group(1)):
                    required.append(key)
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = sorted(set(required))
        return schema


class _Walker:
    """Follows routers through functions, groups, sub-routers and mounts, in registration order."""

    def __init__(self, index: _Index, schemas: _Schemas, warnings: list[str]) -> None:
        self.index = index
        self.schemas = schemas
        self.warnings = warnings
        self.graph = RouterGraph()
        self.kinds: dict[str, str] = {}
        self.calls: dict[tuple[str, int, int], str | None] = {}
        self.auth_cache: dict[str, AuthAlternatives] = {}
        self.file = ""

    def run(self) -> None:
        for parsed in self.index.files:
            self.file = parsed.path
            for node in named_children(parsed.root):
                if node.type in ("function_declaration", "method_declaration"):
                    self._function(text(field_(node, "name")), node, {})

    def _new_router(self, node: Node, kind: str, *, is_app: bool = False) -> str:
        key = f"{self.file}:{line(node)}:{node.start_point[1]}"
        self.graph.router(key, is_app=is_app)
        self.kinds[key] = kind
        return key

    def _function(
        self, name: str, fn: Node, outer: dict[str, str], bound: dict[int, str] | None = None
    ) -> None:
        scope = dict(outer)
        for i, decl in enumerate(named_children(field_(fn, "parameters"))):
            type_text = text(field_(decl, "type")).lstrip("*")
            for pname in decl.children_by_field_name("name"):
                if bound and i in bound:
                    scope[text(pname)] = bound[i]
                elif type_text in _ROUTER_TYPES:
                    key = f"param:{name}:{i}"
                    self.graph.router(key)
                    self.kinds[key] = _ROUTER_TYPES[type_text]
                    scope[text(pname)] = key
        body = field_(fn, "body")
        if body is not None:
            self._visit(body, scope, name, 0)

    def _visit(self, node: Node, scope: dict[str, str], fn_name: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            self.warnings.append(f"{self.file}:{line(node)}: nesting too deep, rest of block not analysed")
            return
        kind = node.type
        if kind == "func_literal":
            self._function(f"{fn_name}@{line(node)}", node, scope)
            return
        if kind in ("short_var_declaration", "assignment_statement", "var_spec"):
            left = [text(n) for n in named_children(field_(node, "left"))] or [
                text(n) for n in node.children_by_field_name("name")
            ]
            right = named_children(field_(node, "right") or field_(node, "value"))
            for value in right:
                self._visit(value, scope, fn_name, depth + 1)
            for name, value in zip(left, right, strict=False):
                target = self._router_of(value, scope)
                if target is not None:
                    scope[name] = target
            return
        if kind == "return_statement":
            for value in named_children(node):
                for expr in named_children(value) if value.type == "expression_list" else [value]:
                    self._visit(expr, scope, fn_name, depth + 1)
                    target = self._router_of(expr, scope)
                    if target is not None:
                        self.graph.alias(f"ret:{fn_name}", target)
            return
        if kind == "call_expression" and self._call(node, scope, fn_name, depth):
            return
        for child in named_children(node):
            self._visit(child, scope, fn_name, depth + 1)

    def _router_of(self, expr: Node | None, scope: dict[str, str]) -> str | None:
        if expr is None:
            return None
        if expr.type == "identifier":
            return scope.get(text(expr))
        if expr.type in ("unary_expression", "parenthesized_expression"):
            return self._router_of(named_children(expr)[-1] if named_children(expr) else None, scope)
        if expr.type != "call_expression":
            return None
        cache_key = (self.file, expr.start_byte, expr.end_byte)
        if cache_key in self.calls:
            return self.calls[cache_key]
        self.calls[cache_key] = None
        result = self._router_call(expr, scope)
        self.calls[cache_key] = result
        return result

    def _router_call(self, call: Node, scope: dict[str, str]) -> str | None:
        operand, name = _callee(call)
        if (operand, name) in _CONSTRUCTORS:
            return self._new_router(call, _CONSTRUCTORS[(operand, name)], is_app=True)
        fn = field_(call, "function")
        parent = self._router_of(field_(fn, "operand"), scope) if fn is not None and operand else None
        args = _args(call)
        if parent is not None:
            kind = self.kinds.get(self.graph.canonical(parent), "")
            if name == "Group" and args and _go_string(args[0]) is not None:
                child = self._new_router(call, kind)
                self.graph.add(parent, Mount(_go_string(args[0]) or "", child, self._auth_all(args[1:])))
                return child
            if name == "With":
                child = self._new_router(call, kind)
                self.graph.add(parent, Mount("", child, self._auth_all(args)))
                return child
            return None
        if name == "Subrouter" and fn is not None:
            return self._gorilla_subrouter(call, field_(fn, "operand"), scope)
        if name in self.index.functions:
            self.kinds.setdefault(f"ret:{name}", "")
            return f"ret:{name}"
        return None

    def _gorilla_subrouter(self, call: Node, route: Node | None, scope: dict[str, str]) -> str | None:
        """`r.PathPrefix("/api").Subrouter()` (other matchers such as Host or Methods add no prefix)."""
        prefix = ""
        while route is not None and route.type == "call_expression":
            _, name = _callee(route)
            if name == "PathPrefix" and _args(route):
                prefix = self._string(_args(route)[0]) or ""
            fn = field_(route, "function")
            target = field_(fn, "operand") if fn is not None and fn.type == "selector_expression" else None
            parent = self._router_of(target, scope)
            if parent is not None:
                child = self._new_router(call, "gorilla")
                self.graph.add(parent, Mount(prefix, child))
                return child
            route = target
        return None

    def _auth_all(self, exprs: list[Node]) -> tuple[AuthAlternatives, ...]:
        return tuple(a for a in (self._auth(e) for e in exprs) if a)

    def _auth(self, expr: Node) -> AuthAlternatives:
        """What a middleware expression checks: a middleware func, a factory call, or a literal."""
        if expr.type == "func_literal":
            return classify_auth(_literals(expr), text(expr))
        name = ""
        if expr.type == "identifier":
            name = text(expr)
        elif expr.type == "selector_expression":
            name = text(field_(expr, "field"))
        elif expr.type == "call_expression":
            name = _callee(expr)[1]
        found = self.index.functions.get(name)
        if found is None:
            return ()
        if name not in self.auth_cache:
            self.auth_cache[name] = classify_auth(_literals(found[1]), text(found[1]))
        return self.auth_cache[name]

    def _unwrap(self, handler: Node) -> tuple[Node, tuple[AuthAlternatives, ...], str]:
        """Peel middleware wrappers and StripPrefix off a net/http handler expression."""
        layers: list[AuthAlternatives] = []
        strip = ""
        for _ in range(MAX_DEPTH):
            if handler.type != "call_expression" or not _args(handler):
                break
            _, name = _callee(handler)
            if name == "StripPrefix":
                strip = _go_string(_args(handler)[0]) or ""
            elif name == "HandlerFunc":
                pass
            elif name in self.index.functions and self._auth(handler):
                layers.append(self._auth(handler))
            else:
                break
            handler = _args(handler)[-1]
        return handler, tuple(layers), strip

    def _call(
        self,
        call: Node,
        scope: dict[str, str],
        fn_name: str,
        depth: int,
        methods: tuple[HttpMethod, ...] = (),
    ) -> bool:
        operand, name = _callee(call)
        args = _args(call)
        fn = field_(call, "function")
        inner = field_(fn, "operand") if fn is not None and fn.type == "selector_expression" else None
        if name in _GORILLA_MATCHERS and inner is not None and inner.type == "call_expression":
            # `r.HandleFunc(path, h).Methods(...)`: the route is the innermost call of the chain.
            if name == "Methods":
                methods = (*methods, *(m for arg in args for m in _method_value(arg)))
            return self._call(inner, scope, fn_name, depth, methods)
        router = "http.DefaultServeMux" if operand == "http" and name in ("HandleFunc", "Handle") else None
        if router is None and fn is not None and fn.type == "selector_expression":
            router = self._router_of(field_(fn, "operand"), scope)
        if router is None:
            if operand in ("http", "") and name in ("ListenAndServe", "ListenAndServeTLS") and len(args) > 1:
                inner, layers, _ = self._unwrap(args[-1])
                target = self._router_of(inner, scope) or (
                    "http.DefaultServeMux" if text(inner) == "nil" else None
                )
                if target is not None:
                    self.graph.router(target, is_app=True).events[0:0] = [Use(layer) for layer in layers]
                return False
            self._calls_with_routers(call, scope, name)
            return False
        if router == "http.DefaultServeMux":
            self.graph.router(router, is_app=True)
            self.kinds[router] = "http"
        kind = self.kinds.get(self.graph.canonical(router), "")
        if name == "Use":
            for arg in args:
                self.graph.add(router, Use(self._auth(arg)))
            return False
        if name in ("Route", "Group") and args and args[-1].type == "func_literal":
            prefix = self._string(args[0]) if name == "Route" else ""
            child = self._new_router(call, kind)
            self.graph.add(router, Mount(prefix or "", child))
            self._function(f"{fn_name}@{line(call)}", args[-1], scope, {0: child})
            return True
        if name == "Mount" and len(args) == 2:
            self._visit(args[1], scope, fn_name, depth + 1)
            mounted = self._router_of(args[1], scope)
            if mounted is not None:
                self.graph.add(router, Mount(_go_string(args[0]) or "", mounted))
            return True
        route = self._route(call, kind, name, args)
        if route is None:
            return False
        method, path, handler, middleware = route
        if kind in ("http", "gorilla") and path is not None:
            inner, layers, strip = self._unwrap(handler)
            sub = self._router_of(inner, scope)
            if sub is not None:
                self.graph.add(router, Mount(strip, sub, layers))
                return True
            handler, middleware_layers = inner, layers
        else:
            middleware_layers = self._auth_all(middleware)
        if path is None:
            self.warnings.append(f"{self.file}:{line(call)}: route path is not a string literal, skipped")
            return True
        for each in methods or (method,):
            decl = RouteDecl(each, path, self.file, line(call), auth=middleware_layers)
            if kind == "http" and path.endswith("/") and path != "/":
                decl.unresolved["path"] = "pattern ending in / matches the whole subtree"
            self._handler(decl, self.index.function_body(handler))
            self.graph.add(router, decl)
        return True

    def _route(
        self, call: Node, kind: str, name: str, args: list[Node]
    ) -> tuple[HttpMethod | None, str | None, Node, list[Node]] | None:
        """(method, path, handler, middleware args) when the call registers a route."""
        if not args:
            return None
        path = self._string(args[0])
        if kind == "gorilla" and name in ("HandleFunc", "Handle") and len(args) == 2:
            return None, path, args[1], []
        if kind == "http" and name in ("HandleFunc", "Handle") and len(args) == 2:
            method: HttpMethod | None = None
            if path is not None and " " in path.strip():
                verb, _, path = path.strip().partition(" ")
                method = _UPPER_METHODS.get(verb.upper())
                path = path.strip()
            if path is not None and not path.startswith("/"):
                path = "/" + path.partition("/")[2]
            return method, path, args[1], []
        if len(args) < 2 or (path is not None and not path.startswith("/") and path != ""):
            return None
        if kind in ("gin", "echo") and name in _UPPER_METHODS:
            if kind == "echo":
                return _UPPER_METHODS[name], path, args[1], args[2:]
            return _UPPER_METHODS[name], path, args[-1], args[1:-1]
        if kind in ("chi", "fiber") and name in _TITLE_METHODS:
            return _TITLE_METHODS[name], path, args[-1], args[1:-1]
        if name in ("Any", "All") or (kind == "chi" and name in ("Handle", "HandleFunc")):
            return None, path, args[-1], args[1:-1]
        if name in ("Handle", "Method", "MethodFunc") and len(args) >= 3:
            verb = (self._string(args[0]) or "").upper()
            return _UPPER_METHODS.get(verb), self._string(args[1]), args[-1], args[2:-1]
        return None

    def _string(self, node: Node) -> str | None:
        value = _go_string(node)
        if value is None and node.type == "identifier" and text(node) in self.index.consts:
            value = _go_string(self.index.consts[text(node)])
        return value

    def _calls_with_routers(self, call: Node, scope: dict[str, str], name: str) -> None:
        """`registerRoutes(v1)`: the function's router parameter is mounted where the argument lives."""
        if name not in self.index.functions:
            return
        for i, arg in enumerate(_args(call)):
            target = self._router_of(arg, scope)
            if target is not None:
                self.graph.add(target, Mount("", f"param:{name}:{i}"))

    def _handler(self, decl: RouteDecl, fn: Node | None) -> None:
        if fn is None:
            return
        body = field_(fn, "body")
        if body is None:
            return
        types = _local_types(body)
        methods: list[HttpMethod] = []
        last_status = "200"
        wrote_header = False
        params: dict[str, Parameter] = {}
        for node in walk(body):
            if node.type == "expression_switch_statement" and text(field_(node, "value")).endswith(".Method"):
                for case in named_children(node):
                    for value in named_children(field_(case, "value")):
                        methods.extend(_method_value(value))
            elif node.type == "binary_expression" and text(field_(node, "operator")) in ("==", "!="):
                left, right = field_(node, "left"), field_(node, "right")
                if text(left).endswith(".Method"):
                    methods.extend(_method_value(right))
                elif text(right).endswith(".Method"):
                    methods.extend(_method_value(left))
            if node.type != "call_expression":
                continue
            operand, name = _callee(node)
            args = _args(node)
            if name in _BIND or (name == "Decode" and "NewDecoder" in operand):
                if args:
                    decl.request_body = self._value_schema(args[0], types)
            elif name in ("JSON", "IndentedJSON", "JSONPretty") and args:
                if len(args) >= 2:
                    status = _status(args[0]) or "200"
                else:
                    fn_node = field_(node, "function")
                    inner = field_(fn_node, "operand") if fn_node is not None else None
                    status = "200"
                    if inner is not None and inner.type == "call_expression" and _args(inner):
                        status = _status(_args(inner)[0]) or "200"
                status_schema(
                    decl.responses, status, self._value_schema(args[1 if len(args) >= 2 else 0], types)
                )
            elif name == "WriteHeader" and args:
                last_status = _status(args[0]) or last_status
                wrote_header = True
            elif name == "Encode" and "NewEncoder" in operand and args:
                status_schema(decl.responses, last_status, self._value_schema(args[0], types))
            elif name in ("NoContent", "SendStatus", "Status", "AbortWithStatus") and args:
                chained = node.parent is not None and node.parent.type == "selector_expression"
                if not chained:
                    status_schema(decl.responses, _status(args[0]) or "204", None)
            elif name in ("Query", "DefaultQuery", "QueryParam", "Get") and args:
                query_name = _go_string(args[0])
                is_query = name != "Get" or operand.endswith("Query()")
                if query_name and is_query and (name != "Query" or "URL" not in operand):
                    params[query_name] = Parameter(query_name, "query")
        if wrote_header and not decl.responses and last_status.startswith("2"):
            decl.responses[last_status] = None
        if methods:
            decl.handler_methods = tuple(m for m in HTTP_METHODS if m in methods)
        decl.parameters = tuple(params[k] for k in sorted(params))

    def _value_schema(self, expr: Node, types: dict[str, Node]) -> dict[str, Any]:
        if expr.type in ("unary_expression", "parenthesized_expression") and named_children(expr):
            return self._value_schema(named_children(expr)[-1], types)
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


def _literals(node: Node) -> list[str]:
    return [v for n in walk(node) if (v := _go_string(n)) is not None]


def _method_value(node: Node | None) -> list[HttpMethod]:
    raw = text(node)
    value = raw.removeprefix("http.Method") if raw.startswith("http.Method") else _go_string(node) or ""
    method = _UPPER_METHODS.get(value.upper())
    return [method] if method else []


def _status(node: Node) -> str | None:
    if node.type == "int_literal":
        return text(node)
    if node.type == "selector_expression":
        return _STATUS.get(text(field_(node, "field")))
    return None


def _local_types(body: Node) -> dict[str, Node]:
    """Variable name → its declared or literal type inside one function body."""
    types: dict[str, Node] = {}
    for node in walk(body):
        if node.type == "var_spec" and field_(node, "type") is not None:
            for name in node.children_by_field_name("name"):
                types.setdefault(text(name), field_(node, "type"))  # type: ignore[arg-type]
        elif node.type == "short_var_declaration":
            left = named_children(field_(node, "left"))
            right = named_children(field_(node, "right"))
            for name, value in zip(left, right, strict=False):
                if value.type == "unary_expression" and named_children(value):
                    value = named_children(value)[-1]
                if value.type == "composite_literal" and field_(value, "type") is not None:
                    types.setdefault(text(name), field_(value, "type"))  # type: ignore[arg-type]
                elif (
                    value.type == "call_expression" and _callee(value)[1] in ("make", "new") and _args(value)
                ):
                    types.setdefault(text(name), _args(value)[0])
    return types


def _parse(root: Path, warnings: list[str]) -> list[Parsed]:
    return parse_all(root, (".go",), lambda p: None if p.endswith("_test.go") else "go", warnings)


def extract(root: Path, profile: ProjectProfile) -> ExtractedApi:
    """Routes, schemas and security of a Go service."""
    warnings: list[str] = []
    index = _Index.build(_parse(root, warnings))
    schemas = _Schemas(index)
    walker = _Walker(index, schemas, warnings)
    walker.run()
    operations, schemes = operations_from_graph(walker.graph, warnings)
    api = ExtractedApi(
        operations=sort_operations(operations),
        schemas=dict(sorted(schemas.schemas.items())),
        security_schemes=dict(sorted(schemes.items())),
        warnings=warnings,
    )
    return rebase_api(api, profile.app_dir)


def _env_reads(index: _Index) -> list[tuple[EnvVar, Node]]:
    found: list[tuple[EnvVar, Node]] = []
    for parsed in index.files:
        for node in walk(parsed.root):
            if node.type != "call_expression":
                continue
            operand, name = _callee(node)
            args = _args(node)
            if not args:
                continue
            if (operand, name) in (("os", "Getenv"), ("os", "LookupEnv")):
                var_name = _go_string(args[0])
                if var_name is None:
                    continue
                default = _go_default(node)
                required = default is None and name == "Getenv"
                found.append(
                    (env_var(var_name, default, evidence(parsed.path, node), required=required), node)
                )
            elif not operand and name in index.env_helpers:
                name_i, default_i = index.env_helpers[name]
                var_name = _go_string(args[name_i]) if len(args) > name_i else None
                if var_name is None:
                    continue
                default = (
                    _go_string(args[default_i]) if default_i is not None and len(args) > default_i else None
                )
                if default is None and default_i is not None and len(args) > default_i:
                    default = (
                        text(args[default_i])
                        if args[default_i].type in ("int_literal", "true", "false")
                        else None
                    )
                found.append((env_var(var_name, default, evidence(parsed.path, node)), node))
    return found


def _go_default(call: Node) -> str | None:
    """A fallback applied right after reading: `if v == "" { v = "d" }`, `if !ok {…}`, cmp.Or(…, "d")."""
    arg_list = call.parent
    outer = arg_list.parent if arg_list is not None else None
    if outer is not None and outer.type == "call_expression" and text(field_(outer, "function")) == "cmp.Or":
        for arg in _args(outer)[1:]:
            if (value := _go_string(arg)) is not None:
                return value
    holder = call.parent.parent if call.parent is not None else None
    if holder is None or holder.type not in ("short_var_declaration", "assignment_statement"):
        return None
    names = [text(n) for n in named_children(field_(holder, "left"))]
    if not names:
        return None
    scope = holder.parent
    if scope is not None and scope.type == "if_statement":
        condition = text(field_(scope, "condition")).replace(" ", "")
        if condition in (f'{names[0]}!=""', names[-1]):
            # `if v := os.Getenv("X"); v != "" { return v }` falls through to `return "default"`.
            after = scope.next_named_sibling
            if after is not None and after.type == "return_statement":
                returned = named_children(after)
                if returned and returned[0].type == "expression_list":
                    returned = named_children(returned[0])
                return _go_string(returned[0]) if returned else None
            return None
        candidates = [scope]
    else:
        candidates = []
        sibling = holder.next_named_sibling
        for _ in range(3):
            if sibling is None:
                break
            candidates.append(sibling)
            sibling = sibling.next_named_sibling
    for stmt in candidates:
        if stmt.type != "if_statement":
            continue
        condition = text(field_(stmt, "condition")).replace(" ", "")
        if condition not in (f'{names[0]}==""', f"!{names[-1]}", f"len({names[0]})==0"):
            continue
        for node in walk(field_(stmt, "consequence") or stmt):
            if node.type == "assignment_statement" and text(field_(node, "left")) == names[0]:
                assigned = named_children(field_(node, "right"))
                if assigned and (literal := _go_string(assigned[0])) is not None:
                    return literal
    return None


def scan_env(root: Path, profile: ProjectProfile) -> list[EnvVar]:
    """Environment variables the Go code reads (os.Getenv, os.LookupEnv, getenv-with-default helpers)."""
    index = _Index.build(_parse(root, []))
    return rebase_env((var for var, _ in _env_reads(index)), profile.app_dir)


_LISTEN = {
    ("http", "ListenAndServe"),
    ("http", "ListenAndServeTLS"),
    ("", "Run"),
    ("", "Start"),
    ("", "Listen"),
    ("net", "Listen"),
    ("", "RunTLS"),
    ("", "StartTLS"),
    ("", "ListenTLS"),
}


def find_port(root: Path, profile: ProjectProfile) -> tuple[int, Evidence] | None:
    """The port from ListenAndServe / Run / Start / Listen / http.Server{Addr}, following env defaults."""
    index = _Index.build(_parse(root, []))
    env_defaults = {var.name: var.default for var, _ in _env_reads(index) if var.default is not None}
    candidates: list[tuple[int, Evidence]] = []
    for parsed in index.files:
        for node in walk(parsed.root):
            addr: Node | None = None
            if node.type == "call_expression":
                operand, name = _callee(node)
                args = _args(node)
                key = (operand if operand in ("http", "net") else "", name)
                if key not in _LISTEN:
                    continue
                if name == "Run" and not args and operand:
                    candidates.append((8080, evidence(parsed.path, node, "gin Run() default :8080")))
                    continue
                addr = args[-1] if operand == "net" and args else (args[0] if args else None)
            elif node.type == "keyed_element" and text(field_(node, "key")) == "Addr":
                addr = field_(node, "value")
            if addr is None:
                continue
            value = _eval(addr, node, index, env_defaults, 0)
            match = re.search(r":(\d{1,5})$", value or "")
            if match:
                candidates.append((int(match.group(1)), evidence(parsed.path, node)))
    return rebase_port(first_port(candidates, profile), profile.app_dir)


def _eval(expr: Node, at: Node, index: _Index, env: dict[str, str], depth: int) -> str | None:
    """A string expression's static value: literals, +, Sprintf, env defaults, local and package vars."""
    if depth > 8:
        return None
    if expr.type == "literal_element" and named_children(expr):
        return _eval(named_children(expr)[0], at, index, env, depth + 1)
    if (value := _go_string(expr)) is not None:
        return value
    if expr.type == "int_literal":
        return text(expr)
    if expr.type == "binary_expression" and text(field_(expr, "operator")) == "+":
        left = _eval(field_(expr, "left") or expr, at, index, env, depth + 1)
        right = _eval(field_(expr, "right") or expr, at, index, env, depth + 1)
        return left + right if left is not None and right is not None else None
    if expr.type == "call_expression":
        operand, name = _callee(expr)
        args = _args(expr)
        if (operand, name) in (("os", "Getenv"), ("os", "LookupEnv")) and args:
            return env.get(_go_string(args[0]) or "")
        if not operand and name in index.env_helpers:
            name_i, _ = index.env_helpers[name]
            return env.get(_go_string(args[name_i]) or "") if len(args) > name_i else None
        if (operand, name) == ("fmt", "Sprintf") and args:
            template = _go_string(args[0])
            values = [_eval(a, at, index, env, depth + 1) for a in args[1:]]
            if template is None or None in values:
                return None
            return re.sub(r"%[sdv]", lambda _m: str(values.pop(0)) if values else "", template)
        if (operand, name) == ("cmp", "Or"):
            for arg in args:
                if value := _eval(arg, at, index, env, depth + 1):
                    return value
        if (operand, name) in (("strconv", "Itoa"),) and args:
            return _eval(args[0], at, index, env, depth + 1)
        if not operand and not args and name in index.functions:
            # A zero-argument helper such as port(): its final return is the fallback value.
            returns = [n for n in walk(index.functions[name][1]) if n.type == "return_statement"]
            returned = named_children(returns[-1]) if returns else []
            if returned and returned[0].type == "expression_list":
                returned = named_children(returned[0])
            if len(returned) == 1:
                return _eval(returned[0], returned[0], index, env, depth + 1)
        return None
    if expr.type == "identifier":
        name = text(expr)
        scope: Node | None = at
        while scope is not None and scope.type not in (
            "function_declaration",
            "method_declaration",
            "func_literal",
        ):
            scope = scope.parent
        if scope is not None:
            for node in walk(scope):
                if node.start_byte >= at.start_byte:
                    break
                if node.type in ("short_var_declaration", "var_spec", "const_spec"):
                    lhs_nodes = named_children(field_(node, "left")) or node.children_by_field_name("name")
                    rhs_nodes = named_children(field_(node, "right") or field_(node, "value"))
                    for lhs, rhs in zip(lhs_nodes, rhs_nodes, strict=False):
                        if text(lhs) == name:
                            return _eval(rhs, node, index, env, depth + 1)
        if name in index.consts:
            return _eval(index.consts[name], index.consts[name], index, env, depth + 1)
    return None
