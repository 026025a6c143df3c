"""Node.js / TypeScript extractor: Express, Fastify, Koa (koa-router) and NestJS."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .._model import EnvVar, Evidence, ExtractedApi, HttpMethod, Operation, Parameter, ProjectProfile
from .._treesitter import (
    HTTP_METHODS,
    MAX_DEPTH,
    AuthAlternatives,
    AuthHint,
    Grammar,
    Mount,
    Node,
    Parsed,
    RouteDecl,
    RouterGraph,
    Use,
    build_operation,
    classify_auth,
    env_var,
    evidence,
    field_,
    first_port,
    join_paths,
    line,
    named_children,
    operations_from_graph,
    parse_all,
    rebase_api,
    rebase_env,
    rebase_port,
    security_requirements,
    security_schemes,
    sort_operations,
    status_schema,
    text,
    to_template,
    unresolved_type,
    walk,
)
from ._routeschema import apply_route_schema

_SUFFIXES = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx")
_RESOLVE_SUFFIXES = ("", ".ts", ".js", ".tsx", ".jsx", ".mjs", ".cjs", "/index.ts", "/index.js")
_FUNCTIONS = (
    "function_declaration",
    "function_expression",
    "arrow_function",
    "function",
    "generator_function_declaration",
)
_ROUTE_METHODS: dict[str, HttpMethod | None] = {**{m: m for m in HTTP_METHODS}, "del": "delete", "all": None}
_HOOKS = ("onRequest", "preHandler", "preValidation", "preParsing")
_NEST_METHODS: dict[str, HttpMethod | None] = {m.title(): m for m in HTTP_METHODS} | {"All": None}
_TS_PRIMITIVES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "bigint": {"type": "integer"},
    "any": {},
    "unknown": {},
    "object": {"type": "object"},
    "Date": {"type": "string", "format": "date-time"},
    "null": {"type": "null"},
}


def _grammar(path: str) -> Grammar | None:
    if path.endswith(".d.ts") or re.search(r"\.(test|spec)\.[cm]?[jt]sx?$", path):
        return None
    if path.endswith(".tsx"):
        return "tsx"
    if path.endswith((".ts", ".mts", ".cts")):
        return "typescript"
    return "javascript"


def _string(node: Node | None) -> str | None:
    """A string literal's value (also template strings without substitutions)."""
    if node is None:
        return None
    if node.type == "string":
        return "".join(
            text(c) for c in node.named_children if c.type in ("string_fragment", "escape_sequence")
        )
    if node.type == "template_string" and not any(
        c.type == "template_substitution" for c in node.named_children
    ):
        return "".join(text(c) for c in node.named_children)
    return None


def _args(call: Node) -> list[Node]:
    return named_children(field_(call, "arguments"))


def _member(node: Node | None) -> tuple[Node | None, str]:
    """(object, property) of `a.b`, or (None, "") for anything else."""
    if node is not None and node.type == "member_expression":
        return field_(node, "object"), text(field_(node, "property"))
    return None, ""


def _object_props(node: Node | None) -> dict[str, Node]:
    props: dict[str, Node] = {}
    if node is None or node.type != "object":
        return props
    for pair in named_children(node):
        if pair.type == "pair":
            key = field_(pair, "key")
            value = field_(pair, "value")
            if key is not None and value is not None:
                props[_string(key) or text(key)] = value
        elif pair.type == "shorthand_property_identifier":
            props[text(pair)] = pair
    return props


def _param_names(fn: Node) -> list[str]:
    names: list[str] = []
    params = field_(fn, "parameters") or field_(fn, "parameter")
    if params is None:
        return names
    if params.type == "identifier":
        return [text(params)]
    for param in named_children(params):
        target = field_(param, "pattern") or field_(param, "left") or param
        names.append(text(target) if target.type == "identifier" else "")
    return names


class _NotLiteral(Exception):
    """An expression whose value needs running the code."""


def _unwrap(node: Node | None) -> Node | None:
    while node is not None and node.type in (
        "await_expression",
        "parenthesized_expression",
        "as_expression",
        "non_null_expression",
        "satisfies_expression",
    ):
        children = named_children(node)
        node = children[0] if children else None
    return node


@dataclass
class _Module:
    parsed: Parsed
    # local name -> (resolved file or package name, exported name; "*" = the whole module)
    imports: dict[str, tuple[str, str]] = field(default_factory=dict)
    exports: dict[str, str] = field(default_factory=dict)
    functions: dict[str, Node] = field(default_factory=dict)
    classes: dict[str, Node] = field(default_factory=dict)
    # `const name = {...}` / `[...]`: literal values a route may refer to (e.g. a Fastify schema).
    values: dict[str, Node] = field(default_factory=dict)


class _Project:
    """All parsed files with their imports/exports and the TypeScript types they declare."""

    def __init__(self, files: list[Parsed]) -> None:
        self.modules = {p.path: _Module(p) for p in files}
        self.types: dict[str, Node] = {}
        for module in self.modules.values():
            self._index(module)

    def resolve_file(self, importer: str, spec: str) -> str:
        if not spec.startswith("."):
            return spec
        base = posixpath.normpath(posixpath.join(posixpath.dirname(importer), spec))
        for suffix in _RESOLVE_SUFFIXES:
            candidate = base + suffix
            if candidate in self.modules:
                return candidate
        stem = re.sub(r"\.[cm]?js$", "", base)
        for suffix in (".ts", ".tsx"):
            if stem + suffix in self.modules:
                return stem + suffix
        return base

    def _index(self, module: _Module) -> None:
        path = module.parsed.path
        for node in walk(module.parsed.root):
            kind = node.type
            if kind == "import_statement":
                source = _string(field_(node, "source")) or ""
                target = self.resolve_file(path, source)
                for clause in walk(node):
                    if clause.type == "import_clause":
                        for part in named_children(clause):
                            if part.type == "identifier":
                                module.imports[text(part)] = (target, "default")
                            elif part.type == "namespace_import":
                                module.imports[text(named_children(part)[-1])] = (target, "*")
                    elif clause.type == "import_specifier":
                        name = text(field_(clause, "name"))
                        module.imports[text(field_(clause, "alias") or field_(clause, "name"))] = (
                            target,
                            name,
                        )
            elif kind == "variable_declarator":
                value = _unwrap(field_(node, "value"))
                name_node = field_(node, "name")
                if (
                    value is not None
                    and value.type == "call_expression"
                    and text(field_(value, "function")) == "require"
                ):
                    target = self.resolve_file(path, _string(next(iter(_args(value)), None)) or "")
                    if name_node is not None and name_node.type == "identifier":
                        module.imports[text(name_node)] = (target, "*")
                    elif name_node is not None:
                        for part in named_children(name_node):
                            if part.type == "shorthand_property_identifier_pattern":
                                module.imports[text(part)] = (target, text(part))
                            elif part.type == "pair_pattern":
                                module.imports[text(field_(part, "value"))] = (
                                    target,
                                    text(field_(part, "key")),
                                )
                elif value is not None and value.type in _FUNCTIONS and name_node is not None:
                    module.functions.setdefault(text(name_node), value)
                elif value is not None and value.type in ("object", "array") and name_node is not None:
                    module.values.setdefault(text(name_node), value)
            elif kind in ("function_declaration", "generator_function_declaration"):
                module.functions.setdefault(text(field_(node, "name")), node)
            elif kind in ("class_declaration", "abstract_class_declaration"):
                name = text(field_(node, "name"))
                module.classes.setdefault(name, node)
                self.types.setdefault(name, node)
            elif kind in ("interface_declaration", "type_alias_declaration", "enum_declaration"):
                self.types.setdefault(text(field_(node, "name")), node)
            elif kind == "export_statement":
                self._export(module, node)
            elif kind == "assignment_expression":
                left, right = field_(node, "left"), _unwrap(field_(node, "right"))
                obj, prop = _member(left)
                if right is None:
                    continue
                if text(left) == "module.exports":
                    if right.type == "object":
                        for key, value in _object_props(right).items():
                            module.exports[key] = text(value)
                    else:
                        module.exports["default"] = self._local_name(module, right)
                elif text(obj) in ("exports", "module.exports"):
                    module.exports[prop] = self._local_name(module, right)

    def _local_name(self, module: _Module, value: Node) -> str:
        if value.type in _FUNCTIONS:
            name = text(field_(value, "name")) or f"anon@{line(value)}:{value.start_point[1]}"
            module.functions.setdefault(name, value)
            return name
        return text(value)

    def _export(self, module: _Module, node: Node) -> None:
        declaration = field_(node, "declaration")
        value = _unwrap(field_(node, "value"))
        is_default = any(c.type == "default" for c in node.children)
        if declaration is not None:
            names = [text(field_(d, "name")) for d in walk(declaration) if d.type == "variable_declarator"]
            own = text(field_(declaration, "name"))
            for name in names or [own]:
                module.exports[name] = name
            if is_default:
                module.exports["default"] = own
        elif value is not None:
            module.exports["default"] = self._local_name(module, value)
        for spec in walk(node):
            if spec.type == "export_specifier":
                local = text(field_(spec, "name"))
                module.exports[text(field_(spec, "alias") or field_(spec, "name"))] = local

    def exported(self, target: str, name: str) -> tuple[str, str] | None:
        """(file, local name) an export refers to; `*` means the module's default/module.exports value."""
        module = self.modules.get(target)
        if module is None:
            return None
        local = module.exports.get("default" if name in ("*", "default") else name)
        if local is None:
            return None
        if local in module.imports and module.imports[local][0] in self.modules:
            return self.exported(*module.imports[local])
        return target, local

    def function(self, module: _Module, expr: Node | None, depth: int = 0) -> tuple[_Module, Node] | None:
        """The function an identifier, `ns.fn` or `require('./x')` refers to, following imports."""
        expr = _unwrap(expr)
        if expr is None or depth > 8:
            return None
        if expr.type in _FUNCTIONS:
            return module, expr
        name = ""
        target: tuple[str, str] | None = None
        if expr.type == "identifier":
            name = text(expr)
            if name in module.functions:
                return module, module.functions[name]
            if name in module.imports:
                target = self.exported(*module.imports[name])
        elif expr.type == "member_expression":
            obj, prop = _member(expr)
            if obj is not None and text(obj) in module.imports:
                file, _ = module.imports[text(obj)]
                target = self.exported(file, prop)
        elif expr.type == "call_expression" and text(field_(expr, "function")) == "require":
            file = self.resolve_file(module.parsed.path, _string(next(iter(_args(expr)), None)) or "")
            target = self.exported(file, "*")
        if target is None:
            return None
        other = self.modules[target[0]]
        found = other.functions.get(target[1])
        return (other, found) if found is not None else None

    def value(self, module: _Module, name: str) -> Node | None:
        """The literal a constant name refers to, in this module or through an import."""
        if name in module.values:
            return module.values[name]
        if name in module.imports:
            target = self.exported(*module.imports[name])
            if target is not None:
                return self.modules[target[0]].values.get(target[1])
        return None

    def package_of(self, module: _Module, name: str) -> str:
        return module.imports.get(name, ("", ""))[0]


def _literals(node: Node) -> list[str]:
    return [
        v for n in walk(node) if n.type in ("string", "template_string") and (v := _string(n)) is not None
    ]


class _Types:
    """TypeScript interfaces, type aliases, enums and DTO classes → JSON Schemas."""

    def __init__(self, project: _Project) -> None:
        self.project = project
        self.schemas: dict[str, dict[str, Any]] = {}

    def of(self, node: Node | None) -> dict[str, Any]:
        if node is not None and node.type == "type_annotation":
            node = next(iter(named_children(node)), None)
        if node is None:
            return {}
        kind = node.type
        value = text(node)
        if kind == "predefined_type" or value in _TS_PRIMITIVES:
            return dict(_TS_PRIMITIVES.get(value, {}))
        if kind == "array_type":
            return {"type": "array", "items": self.of(named_children(node)[0])}
        if kind == "generic_type":
            name = text(field_(node, "name"))
            args = named_children(field_(node, "type_arguments"))
            if name in ("Array", "ReadonlyArray", "Set") and args:
                return {"type": "array", "items": self.of(args[0])}
            if name in ("Promise", "Observable", "Partial", "Readonly", "Required") and args:
                return self.of(args[0])
            if name == "Record" and len(args) == 2:
                return {"type": "object", "additionalProperties": self.of(args[1])}
            return self.ref(name)
        if kind == "union_type":
            members = [m for m in named_children(node)]
            literals = [
                _string(named_children(m)[0])
                for m in members
                if m.type == "literal_type" and named_children(m)
            ]
            non_null = [m for m in members if text(m) not in ("null", "undefined")]
            if literals and all(v is not None for v in literals) and len(literals) == len(members):
                return {"type": "string", "enum": literals}
            if len(non_null) == 1:
                return self.of(non_null[0])
            return {"anyOf": [self.of(m) for m in non_null]}
        if kind == "literal_type":
            literal = _string(named_children(node)[0]) if named_children(node) else None
            return {"type": "string", "enum": [literal]} if literal is not None else {}
        if kind == "object_type":
            return self._members(node)
        if kind == "parenthesized_type":
            return self.of(named_children(node)[0] if named_children(node) else None)
        if kind == "type_identifier":
            return self.ref(value)
        return {}

    def ref(self, name: str) -> dict[str, Any]:
        declaration = self.project.types.get(name)
        if declaration is None:
            return unresolved_type(name)
        if name not in self.schemas:
            self.schemas[name] = {}
            self.schemas[name] = self._declaration(declaration)
        return {"$ref": f"#/components/schemas/{name}"}

    def resolved(self, schema: dict[str, Any]) -> dict[str, Any]:
        """A $ref's target schema (or the schema itself)."""
        name = str(schema.get("$ref", "")).rsplit("/", 1)[-1]
        return self.schemas.get(name, schema) if name else schema

    def _declaration(self, node: Node) -> dict[str, Any]:
        parents = [
            self.ref(text(t))
            for clause in node.named_children
            if clause.type in ("extends_type_clause", "class_heritage")
            for t in walk(clause)
            if t.type in ("type_identifier", "identifier")
            and t.parent is not None
            and t.parent.type != "implements_clause"
        ]
        if parents:
            own = self._members(field_(node, "body") or node)
            return {"allOf": [*[p for p in parents if p], own]}
        if node.type == "type_alias_declaration":
            return self.of(field_(node, "value"))
        if node.type == "enum_declaration":
            values = [
                _string(field_(m, "value")) or text(field_(m, "name"))
                if m.type == "enum_assignment"
                else text(m)
                for m in named_children(field_(node, "body"))
            ]
            return {"type": "string", "enum": values}
        return self._members(field_(node, "body") or node)

    def _members(self, body: Node) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        for member in named_children(body):
            if member.type not in ("property_signature", "public_field_definition"):
                continue
            if any(
                c.type in ("static", "accessibility_modifier") and text(c) in ("static", "private")
                for c in member.children
            ):
                continue
            name = text(field_(member, "name")).strip("'\"")
            decorators = [text(d) for d in member.children_by_field_name("decorator")] + [
                text(d) for d in member.children if d.type == "decorator"
            ]
            prop_schema = self.of(field_(member, "type"))
            if any(d.startswith("@IsEmail") for d in decorators):
                prop_schema = {**prop_schema, "format": "email"}
            properties[name] = prop_schema
            optional = any(c.type == "?" for c in member.children) or any(
                d.startswith("@IsOptional") for d in decorators
            )
            if not optional and field_(member, "value") is None:
                required.append(name)
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = sorted(set(required))
        return schema


class _Walker:
    """Express/Fastify/Koa: routers, mounts and middleware per file, followed across imports."""

    def __init__(self, project: _Project, types: _Types, warnings: list[str]) -> None:
        self.project = project
        self.types = types
        self.warnings = warnings
        self.graph = RouterGraph()
        self.chains: set[str] = set()
        self.calls: dict[tuple[str, int, int], str | None] = {}
        self.module: _Module | None = None

    def run(self) -> None:
        for module in self.project.modules.values():
            self.module = module
            self._visit(module.parsed.root, {}, 0)

    @property
    def path(self) -> str:
        assert self.module is not None
        return self.module.parsed.path

    def _key(self, node: Node) -> str:
        return f"{self.path}@{line(node)}:{node.start_point[1]}"

    def _fn_name(self, fn: Node) -> str:
        assert self.module is not None
        for name, known in self.module.functions.items():
            if known == fn:
                return name
        return f"anon@{line(fn)}:{fn.start_point[1]}"

    def _visit(self, node: Node, scope: dict[str, str], depth: int, bound: str | None = None) -> None:
        if depth > MAX_DEPTH:
            self.warnings.append(f"{self.path}:{line(node)}: nesting too deep, rest of block not analysed")
            return
        kind = node.type
        if kind in _FUNCTIONS:
            inner = dict(scope)
            fn_name = self._fn_name(node)
            for i, name in enumerate(_param_names(node)):
                if name:
                    inner[name] = bound if (bound is not None and i == 0) else f"{self.path}#fn:{fn_name}:{i}"
            body = field_(node, "body")
            if body is not None:
                self._visit(body, inner, depth + 1)
            return
        if kind == "variable_declarator":
            value = field_(node, "value")
            if value is not None:
                self._visit(value, scope, depth + 1)
                target = self._router_of(value, scope)
                name_node = field_(node, "name")
                if target is not None and name_node is not None and name_node.type == "identifier":
                    scope[text(name_node)] = target
                    if depth <= 4:
                        # Module-level routers are what other files import by name.
                        self.graph.alias(f"{self.path}#{text(name_node)}", target)
            return
        if kind == "call_expression" and self._call(node, scope, depth):
            return
        for child in named_children(node):
            self._visit(child, scope, depth + 1)

    def _router_of(self, expr: Node | None, scope: dict[str, str]) -> str | None:
        expr = _unwrap(expr)
        if expr is None or self.module is None:
            return None
        if expr.type == "identifier":
            name = text(expr)
            if name in scope:
                return scope[name]
            if name in self.module.imports:
                target = self.project.exported(*self.module.imports[name])
                return self._exported_router(target)
            return None
        if expr.type == "member_expression":
            obj, prop = _member(expr)
            if obj is not None and text(obj) in self.module.imports:
                file, _ = self.module.imports[text(obj)]
                return self._exported_router(self.project.exported(file, prop))
            return None
        if expr.type not in ("call_expression", "new_expression"):
            return None
        cache = (self.path, expr.start_byte, expr.end_byte)
        if cache not in self.calls:
            self.calls[cache] = None
            self.calls[cache] = self._router_call(expr, scope)
        return self.calls[cache]

    def _exported_router(self, target: tuple[str, str] | None) -> str | None:
        if target is None:
            return None
        module = self.project.modules[target[0]]
        if target[1] in module.functions:
            return f"{target[0]}#fn:{target[1]}:0"
        return f"{target[0]}#{target[1]}"

    def _router_call(self, call: Node, scope: dict[str, str]) -> str | None:
        assert self.module is not None
        fn = field_(call, "function") or field_(call, "constructor")
        args = _args(call)
        fn_text = text(fn)
        package = self.project.package_of(self.module, fn_text.split(".")[0])
        if call.type == "new_expression":
            if package in ("koa",):
                return self._new(call, app=True)
            if package in ("koa-router", "@koa/router", "express") or fn_text == "Router":
                key = self._new(call)
                prefix = _string(_object_props(args[0] if args else None).get("prefix"))
                if prefix:
                    self.graph.router(key).prefix = prefix
                return key
            return None
        if fn_text == "require":
            target = self.project.resolve_file(self.path, _string(args[0] if args else None) or "")
            return self._exported_router(self.project.exported(target, "*"))
        if fn is not None and fn.type == "call_expression" and text(field_(fn, "function")) == "require":
            spec = _string(next(iter(_args(fn)), None))
            return self._new(call, app=True) if spec in ("express", "fastify", "koa") else None
        if package in ("express", "fastify") and "." not in fn_text:
            return self._new(call, app=fn_text != "Router")
        obj, prop = _member(fn)
        if prop == "Router" and (package == "express" or text(obj).endswith("require('express')")):
            return self._new(call)
        if obj is None:
            return None
        parent = self._router_of(obj, scope)
        if parent is None:
            return None
        if prop == "route" and args and _string(args[0]) is not None:
            child = self._new(call)
            self.chains.add(child)
            self.graph.add(parent, Mount(_string(args[0]) or "", child))
            return child
        if prop in ("routes", "middleware") or (prop in _ROUTE_METHODS and parent in self.chains):
            return parent
        return None

    def _new(self, node: Node, *, app: bool = False) -> str:
        key = self._key(node)
        self.graph.router(key, is_app=app)
        return key

    def _call(self, call: Node, scope: dict[str, str], depth: int) -> bool:
        assert self.module is not None
        fn = field_(call, "function")
        obj, prop = _member(fn)
        args = _args(call)
        router = self._router_of(obj, scope) if obj is not None else None
        if router is None:
            self._calls_with_routers(call, scope, depth)
            return False
        if prop in _ROUTE_METHODS:
            return self._route(call, router, _ROUTE_METHODS[prop], args, depth, scope)
        if prop == "use" and args:
            prefix = _string(args[0]) or ""
            layers: list[AuthAlternatives] = []
            for arg in args[1:] if _string(args[0]) is not None else args:
                for item in named_children(arg) if arg.type == "array" else [arg]:
                    child = self._router_of(item, scope)
                    auth = self._auth(item)
                    if child is not None and child != router and not auth and "#fn:" not in child:
                        self.graph.add(router, Mount(prefix, child, tuple(layers)))
                    elif auth:
                        if prefix:
                            self.graph.add(router, Use(auth, prefix))
                        else:
                            layers.append(auth)
                            self.graph.add(router, Use(auth))
            return False
        if prop == "register" and args:
            options = _object_props(args[1] if len(args) > 1 else None)
            prefix = _string(options.get("prefix")) or ""
            plugin = _unwrap(args[0])
            if plugin is not None and plugin.type in _FUNCTIONS:
                child = self._new(plugin)
                self.graph.add(router, Mount(prefix, child))
                self._visit(plugin, scope, depth + 1, bound=child)
                return True
            target = self.project.function(self.module, plugin)
            if target is not None:
                name = next(k for k, v in target[0].functions.items() if v == target[1])
                self.graph.add(router, Mount(prefix, f"{target[0].parsed.path}#fn:{name}:0"))
            return False
        if prop == "addHook" and len(args) > 1 and _string(args[0]) in _HOOKS:
            self.graph.add(router, Use(self._auth(args[1])))
            return False
        if prop == "route" and args and args[0].type == "object":
            options = _object_props(args[0])
            methods = options.get("method")
            verbs = (
                [_string(m) for m in named_children(methods)]
                if methods is not None and methods.type == "array"
                else [_string(methods)]
            )
            middleware = [options[k] for k in _HOOKS if k in options]
            for verb in verbs:
                method = _ROUTE_METHODS.get((verb or "").lower())
                decl = self._add_route(
                    call,
                    router,
                    method,
                    _string(options.get("url") or options.get("path")),
                    options.get("handler"),
                    middleware,
                )
                self._route_schema(decl, options.get("schema"))
            return False
        if prop == "prefix" and args and _string(args[0]) is not None:
            self.graph.router(router).prefix = _string(args[0]) or ""
        return False

    def _route(
        self,
        call: Node,
        router: str,
        method: HttpMethod | None,
        args: list[Node],
        depth: int,
        scope: dict[str, str],
    ) -> bool:
        if router in self.chains:
            self._add_route(call, router, method, "", args[-1] if args else None, args[:-1])
            return False
        if len(args) < 2 or _string(args[0]) is None:
            if args and args[0].type not in ("string", "template_string"):
                return False
            if len(args) >= 2:
                self.warnings.append(f"{self.path}:{line(call)}: route path is not a string literal, skipped")
            return False
        middleware = list(args[1:-1])
        options_node = self._literal(args[1]) if len(args) > 2 else None
        options: dict[str, Node] = {}
        if options_node is not None and options_node.type == "object":
            options = _object_props(options_node)
            middleware = [options[k] for k in _HOOKS if k in options] + list(args[2:-1])
        decl = self._add_route(call, router, method, _string(args[0]), args[-1], middleware)
        self._route_schema(decl, options.get("schema"))
        type_args = field_(call, "type_arguments")
        if type_args is not None:
            self._fastify_generics(type_args)
        return False

    def _fastify_generics(self, type_args: Node) -> None:
        route = self.graph.router(self._last_router).events[-1]
        for obj in named_children(type_args):
            for member in named_children(obj) if obj.type == "object_type" else []:
                key = text(field_(member, "name"))
                schema = self.types.of(field_(member, "type"))
                if not isinstance(route, RouteDecl):
                    continue
                if key == "Body":
                    route.request_body = schema
                elif key == "Reply":
                    success = sorted(s for s in route.responses if s.startswith("2")) or ["200"]
                    route.responses[success[0]] = schema
                elif key in ("Querystring", "Params", "Headers"):
                    location = {"Querystring": "query", "Params": "path", "Headers": "header"}[key]
                    resolved = self.types.resolved(schema)
                    required = set(resolved.get("required", []))
                    extra = [
                        Parameter(k, location, v, required=k in required)  # type: ignore[arg-type]
                        for k, v in resolved.get("properties", {}).items()
                    ]
                    route.parameters = (*route.parameters, *extra)

    def _literal(self, node: Node | None) -> Node | None:
        """An object/array literal, also when given by the name of a constant."""
        node = _unwrap(node)
        if node is not None and node.type in ("identifier", "shorthand_property_identifier"):
            assert self.module is not None
            return _unwrap(self.project.value(self.module, text(node)))
        return node

    def _js_value(self, node: Node | None, depth: int = 0, *, inline: bool = False) -> Any:
        """The JSON value of a literal expression; _NotLiteral for anything computed.

        A named constant holding a JSON Schema inside a route schema becomes a component schema
        (`orderSchema` → `#/components/schemas/Order`) unless `inline` (a spread merges it).
        """
        named = _unwrap(node)
        node = self._literal(node)
        if node is None or depth > 32:
            raise _NotLiteral
        if (
            not inline
            and depth > 0
            and named is not None
            and named.type in ("identifier", "shorthand_property_identifier")
            and node.type == "object"
        ):
            value = self._js_value(node, depth, inline=True)
            if isinstance(value, dict) and ("type" in value or "properties" in value):
                return self._component(text(named), value)
            return value
        kind = node.type
        if kind in ("string", "template_string"):
            value = _string(node)
            if value is None:
                raise _NotLiteral
            return value
        if kind == "number":
            number = text(node).replace("_", "")
            return float(number) if any(c in number for c in ".eE") else int(number, 0)
        if kind in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[kind]
        if kind == "unary_expression" and text(field_(node, "operator")) == "-":
            return -self._js_value(field_(node, "argument"), depth + 1)
        if kind == "array":
            return [self._js_value(item, depth + 1) for item in named_children(node)]
        if kind != "object":
            raise _NotLiteral
        result: dict[str, Any] = {}
        for member in named_children(node):
            if member.type == "pair":
                key = field_(member, "key")
                name = _string(key) if key is not None and key.type == "string" else None
                result[name or text(key)] = self._js_value(field_(member, "value"), depth + 1)
            elif member.type == "shorthand_property_identifier":
                result[text(member)] = self._js_value(member, depth + 1)
            elif member.type == "spread_element":
                spread = self._js_value(named_children(member)[0], depth + 1, inline=True)
                if not isinstance(spread, dict):
                    raise _NotLiteral
                result.update(spread)
            else:
                raise _NotLiteral
        return result

    def _component(self, constant: str, schema: dict[str, Any]) -> dict[str, str]:
        base = re.sub(r"_?[Ss]chema$", "", constant) or constant
        name = base[:1].upper() + base[1:]
        candidate, n = name, 1
        while self.types.schemas.get(candidate, schema) != schema:
            n += 1
            candidate = f"{name}{n}"
        self.types.schemas[candidate] = schema
        return {"$ref": f"#/components/schemas/{candidate}"}

    def _route_schema(self, decl: RouteDecl | None, schema: Node | None) -> None:
        if decl is None or schema is None:
            return
        try:
            value = self._js_value(schema)
        except _NotLiteral:
            decl.unresolved["schema"] = "the route schema is computed (e.g. TypeBox or zod), not a literal"
            return
        if isinstance(value, dict):
            apply_route_schema(decl, value)

    def _add_route(
        self,
        call: Node,
        router: str,
        method: HttpMethod | None,
        path: str | None,
        handler: Node | None,
        middleware: list[Node],
    ) -> RouteDecl | None:
        if path is None:
            self.warnings.append(f"{self.path}:{line(call)}: route path is not a string literal, skipped")
            return None
        layers: list[AuthAlternatives] = []
        for item in middleware:
            for part in named_children(item) if item.type == "array" else [item]:
                if auth := self._auth(part):
                    layers.append(auth)
        decl = RouteDecl(method, path, self.path, line(call), auth=tuple(layers))
        assert self.module is not None
        found = self.project.function(self.module, handler)
        if found is not None:
            _handler_details(decl, found[1], self.types)
        self.graph.add(router, decl)
        self._last_router = router
        return decl

    _last_router = ""

    def _auth(self, expr: Node | None) -> AuthAlternatives:
        """What a middleware expression checks (a function, a factory call, passport/express-jwt)."""
        expr = _unwrap(expr)
        if expr is None or self.module is None:
            return ()
        if expr.type == "call_expression":
            callee = field_(expr, "function")
            callee_text = text(callee)
            package = self.project.package_of(self.module, callee_text.split(".")[0])
            literal_args = [v for a in _args(expr) if (v := _string(a)) is not None]
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
        return classify_auth(_literals(found[1]), text(found[1]))

    def _calls_with_routers(self, call: Node, scope: dict[str, str], depth: int) -> None:
        """`require('./routes')(app)` / `registerRoutes(app)`: the function's parameter is that router."""
        assert self.module is not None
        fn = field_(call, "function")
        target = (
            self.project.function(self.module, fn)
            if fn is not None and fn.type != "member_expression"
            else None
        )
        if target is None:
            return
        name = next((k for k, v in target[0].functions.items() if v == target[1]), None)
        if name is None:
            return
        for i, arg in enumerate(_args(call)):
            router = self._router_of(arg, scope)
            if router is not None:
                self.graph.add(router, Mount("", f"{target[0].parsed.path}#fn:{name}:{i}"))


def _handler_details(decl: RouteDecl, fn: Node, types: _Types) -> None:
    """Query parameters, typed bodies and response statuses visible in a handler's body."""
    names = _param_names(fn)
    req = names[0] if names else "req"
    res = names[1] if len(names) > 1 else "res"
    params: dict[str, Parameter] = {}
    # Koa: `ctx.status = 201` and `ctx.body = …` instead of response calls.
    assigned_statuses: list[str] = []
    assigns_body = False
    queries = (f"{req}.query", f"{req}.request.query")
    for node in walk(fn):
        if node.type == "member_expression":
            obj, prop = _member(node)
            if text(obj) in queries:
                params[prop] = Parameter(prop, "query")
        elif node.type == "assignment_expression":
            assigned = text(field_(node, "left"))
            value = _unwrap(field_(node, "right"))
            if assigned == f"{req}.status" and value is not None and value.type == "number":
                assigned_statuses.append(text(value))
            elif assigned == f"{req}.body":
                assigns_body = True
        elif node.type == "subscript_expression" and text(field_(node, "object")) in queries:
            if (key := _string(field_(node, "index"))) is not None:
                params[key] = Parameter(key, "query")
        elif node.type == "variable_declarator":
            value = _unwrap(field_(node, "value"))
            name = field_(node, "name")
            if text(value) in queries and name is not None and name.type == "object_pattern":
                for part in named_children(name):
                    target = field_(part, "left") or field_(part, "key") or part
                    params[text(target)] = Parameter(text(target), "query")
            if text(value) in (f"{req}.body", f"{req}.request.body") and field_(node, "type") is not None:
                decl.request_body = types.of(field_(node, "type"))
        elif (
            node.type == "as_expression"
            and named_children(node)
            and text(named_children(node)[0]) in (f"{req}.body", f"{req}.request.body")
        ):
            decl.request_body = types.of(named_children(node)[-1])
        elif node.type == "call_expression":
            obj, prop = _member(field_(node, "function"))
            args = _args(node)
            if prop in ("json", "send") and obj is not None:
                inner_obj, inner_prop = (
                    _member(field_(obj, "function")) if obj.type == "call_expression" else (None, "")
                )
                if inner_prop in ("status", "code") and text(inner_obj) == res:
                    status = text(_args(obj)[0]) if _args(obj) else "200"
                    status_schema(decl.responses, status, {} if args else None)
                elif text(obj) == res:
                    status_schema(decl.responses, "200", {} if args else None)
            elif prop == "sendStatus" and text(obj) == res and args:
                status_schema(decl.responses, text(args[0]), None)
    for status in assigned_statuses:
        status_schema(decl.responses, status, {} if assigns_body and status.startswith("2") else None)
    if assigns_body and not any(s.startswith("2") for s in assigned_statuses):
        status_schema(decl.responses, "200", {})
    decl.parameters = tuple(params[k] for k in sorted(params))


class _Nest:
    """NestJS controllers: @Controller prefix + method decorators, params, DTO bodies, guards."""

    def __init__(self, project: _Project, types: _Types, warnings: list[str]) -> None:
        self.project = project
        self.types = types
        self.warnings = warnings
        self.global_prefix = ""
        self.global_guards: tuple[AuthAlternatives, ...] = ()
        self._schemes: dict[str, Any] = {}

    def run(self) -> tuple[list[Operation], dict[str, Any]]:
        for module in self.project.modules.values():
            for node in walk(module.parsed.root):
                if node.type != "call_expression":
                    continue
                _, prop = _member(field_(node, "function"))
                args = _args(node)
                if prop == "setGlobalPrefix" and args:
                    self.global_prefix = _string(args[0]) or ""
                elif prop == "useGlobalGuards":
                    self.global_guards += tuple(a for a in (self._guard(module, g) for g in args) if a)
        operations: list[Operation] = []
        schemes: dict[str, Any] = {}
        for module in self.project.modules.values():
            for name, cls in module.classes.items():
                decorators = _decorators(cls)
                if "Controller" in decorators:
                    ops = self._controller(module, name, cls, decorators)
                    operations.extend(ops)
        for op in operations:
            for requirement in op.security or []:
                for scheme in requirement:
                    schemes[scheme] = self._schemes.get(scheme, {})
        return operations, schemes

    def _guard(self, module: _Module, guard: Node) -> AuthAlternatives:
        expr = _unwrap(guard)
        if expr is not None and expr.type == "new_expression":
            expr = field_(expr, "constructor")
        if expr is None:
            return ()
        if expr.type == "call_expression":
            literal = _string(next(iter(_args(expr)), None))
            if text(field_(expr, "function")) == "AuthGuard":
                return (AuthHint("bearer", jwt=literal == "jwt"),) if literal in ("jwt", "bearer") else ()
        name = text(expr)
        cls = self.project.types.get(name)
        if cls is None:
            return ()
        return classify_auth(_literals(cls), text(cls))

    def _controller(
        self, module: _Module, name: str, cls: Node, decorators: dict[str, Node]
    ) -> list[Operation]:
        ctrl_args = _args(decorators["Controller"])
        prefix = _string(ctrl_args[0]) if ctrl_args else ""
        if ctrl_args and ctrl_args[0].type == "object":
            prefix = _string(_object_props(ctrl_args[0]).get("path")) or ""
        class_guards = self._guards(module, decorators)
        operations: list[Operation] = []
        pending: list[Node] = []
        for member in named_children(field_(cls, "body")):
            if member.type == "decorator":
                pending.append(member)
                continue
            if member.type != "method_definition":
                pending = []
                continue
            method_decorators = _decorators(member, pending)
            pending = []
            for verb, method in _NEST_METHODS.items():
                if verb not in method_decorators:
                    continue
                route_args = _args(method_decorators[verb])
                sub = _string(route_args[0]) if route_args else ""
                paths = (
                    [_string(p) or "" for p in named_children(route_args[0])]
                    if route_args and route_args[0].type == "array"
                    else [sub or ""]
                )
                for sub_path in paths:
                    operations.extend(
                        self._operation(
                            module,
                            member,
                            method,
                            join_paths(self.global_prefix, prefix or "", sub_path),
                            method_decorators,
                            (*class_guards, *self._guards(module, method_decorators)),
                        )
                    )
        return operations

    def _guards(self, module: _Module, decorators: dict[str, Node]) -> tuple[AuthAlternatives, ...]:
        if "UseGuards" not in decorators:
            return ()
        return tuple(a for a in (self._guard(module, g) for g in _args(decorators["UseGuards"])) if a)

    def _operation(
        self,
        module: _Module,
        method_node: Node,
        method: HttpMethod | None,
        raw_path: str,
        decorators: dict[str, Node],
        guards: tuple[AuthAlternatives, ...],
    ) -> list[Operation]:
        template, notes = to_template(raw_path)
        decl = RouteDecl(method, raw_path, module.parsed.path, line(method_node))
        params: list[Parameter] = []
        for param in named_children(field_(method_node, "parameters")):
            param_decorators = _decorators(param)
            type_node = field_(param, "type")
            optional = param.type == "optional_parameter" or field_(param, "value") is not None
            for deco, location in (("Param", "path"), ("Query", "query"), ("Headers", "header")):
                if deco not in param_decorators:
                    continue
                key = _string(next(iter(_args(param_decorators[deco])), None))
                if key is None:
                    if location == "query":
                        params.extend(self._dto_params(type_node))
                    continue
                schema = self.types.of(type_node) or {"type": "string"}
                if schema.get("type") == "number" and location == "path":
                    schema = {"type": "number"}
                params.append(Parameter(key, location, schema, required=location == "path" or not optional))  # type: ignore[arg-type]
            if "Body" in param_decorators:
                decl.request_body = self.types.of(type_node)
        decl.parameters = tuple(params)
        status = "201" if method == "post" else "200"
        if "HttpCode" in decorators and _args(decorators["HttpCode"]):
            code = text(_args(decorators["HttpCode"])[0])
            status = code if code.isdigit() else _HTTP_STATUS_NAMES.get(code.split(".")[-1], status)
        returns = self.types.of(field_(method_node, "return_type"))
        decl.responses[status] = returns or None
        layers = (*self.global_guards, *guards)
        self._schemes.update(security_schemes(layers))
        methods: tuple[HttpMethod, ...] = (method,) if method else ("get",)
        unresolved = dict(notes)
        if method is None:
            unresolved["method"] = "@All() accepts any HTTP method; GET assumed for the spec"
        return [
            build_operation(m, template, decl, security_requirements(layers), unresolved) for m in methods
        ]

    def _dto_params(self, type_node: Node | None) -> list[Parameter]:
        resolved = self.types.resolved(self.types.of(type_node))
        required = set(resolved.get("required", []))
        return [
            Parameter(k, "query", v, required=k in required)
            for k, v in resolved.get("properties", {}).items()
        ]


_HTTP_STATUS_NAMES = {"OK": "200", "CREATED": "201", "ACCEPTED": "202", "NO_CONTENT": "204"}


def _decorators(node: Node, extra: list[Node] | None = None) -> dict[str, Node]:
    """Decorator name → its call node (or the bare decorator), including those on `export class`."""
    found = list(extra or [])
    found += [c for c in node.children if c.type == "decorator"]
    if node.parent is not None and node.parent.type == "export_statement":
        found += [c for c in node.parent.children if c.type == "decorator"]
    out: dict[str, Node] = {}
    for deco in found:
        inner = named_children(deco)[0] if named_children(deco) else deco
        name = text(field_(inner, "function")) if inner.type == "call_expression" else text(inner)
        out[name.split(".")[-1]] = inner
    return out


def _load(root: Path, warnings: list[str]) -> _Project:
    return _Project(parse_all(root, _SUFFIXES, _grammar, warnings))


def extract(root: Path, profile: ProjectProfile) -> ExtractedApi:
    """Routes, schemas and security of an Express / Fastify / Koa / NestJS service."""
    warnings: list[str] = []
    project = _load(root, warnings)
    types = _Types(project)
    walker = _Walker(project, types, warnings)
    walker.run()
    operations, schemes = operations_from_graph(walker.graph, warnings)
    nest = _Nest(project, types, warnings)
    nest_ops, nest_schemes = nest.run()
    api = ExtractedApi(
        operations=sort_operations([*operations, *nest_ops]),
        schemas=dict(sorted(types.schemas.items())),
        security_schemes=dict(sorted({**schemes, **nest_schemes}.items())),
        warnings=warnings,
    )
    return rebase_api(api, profile.app_dir)


def _env_default(node: Node) -> str | None:
    """`process.env.X || 'd'`, `?? 3000`, also through Number()/parseInt() wrappers."""
    current = node
    for _ in range(3):
        parent = current.parent
        if parent is None:
            return None
        if (
            parent.type == "binary_expression"
            and text(field_(parent, "operator")) in ("||", "??")
            and field_(parent, "left") == current
        ):
            right = field_(parent, "right")
            value = _string(right)
            if value is None and right is not None and right.type in ("number", "true", "false"):
                value = text(right)
            return value
        if parent.type in ("arguments", "parenthesized_expression") or (
            parent.type == "call_expression"
            and text(field_(parent, "function")) in ("Number", "parseInt", "String", "parseFloat")
        ):
            current = parent
            continue
        return None
    return None


def _env_reads(project: _Project) -> list[tuple[EnvVar, Node]]:
    found: list[tuple[EnvVar, Node]] = []
    for module in project.modules.values():
        path = module.parsed.path
        for node in walk(module.parsed.root):
            name: str | None = None
            if node.type == "member_expression" and text(field_(node, "object")) == "process.env":
                name = text(field_(node, "property"))
            elif node.type == "subscript_expression" and text(field_(node, "object")) == "process.env":
                name = _string(field_(node, "index"))
            elif node.type == "variable_declarator" and text(field_(node, "value")) == "process.env":
                pattern = field_(node, "name")
                for part in named_children(pattern):
                    if part.type == "shorthand_property_identifier_pattern":
                        found.append((env_var(text(part), None, evidence(path, part)), part))
                    elif part.type == "object_assignment_pattern":
                        key = text(field_(part, "left"))
                        right = field_(part, "right")
                        default = _string(right) if _string(right) is not None else text(right) or None
                        found.append((env_var(key, default, evidence(path, part)), part))
                    elif part.type == "pair_pattern":
                        found.append((env_var(text(field_(part, "key")), None, evidence(path, part)), part))
                continue
            if name:
                found.append((env_var(name, _env_default(node), evidence(path, node)), node))
    # A variable the code tests for (`if (process.env.X)`, `process.env.X ? a : b`, `=== 'y'`) copes
    # without it, wherever else it is read.
    tested = {var.name for var, node in found if _tested(node)}
    return [(replace(var, required=False) if var.name in tested else var, node) for var, node in found]


def _tested(node: Node) -> bool:
    while node.parent is not None and node.parent.type == "parenthesized_expression":
        node = node.parent
    parent = node.parent
    if parent is None:
        return False
    if parent.type in ("if_statement", "while_statement", "unary_expression"):
        return True
    if parent.type == "ternary_expression":
        return field_(parent, "condition") == node
    if parent.type == "binary_expression":
        operator = text(field_(parent, "operator"))
        if operator == "&&":
            return field_(parent, "left") == node
        # A flag compared with a literal (`=== 'production'`); a comparison with a request value
        # (`key !== process.env.API_KEY`) needs the variable.
        other = field_(parent, "right") if field_(parent, "left") == node else field_(parent, "left")
        literal = other is not None and other.type in ("string", "number", "true", "false")
        return operator in ("===", "!==", "==", "!=") and literal
    return False


def scan_env(root: Path, profile: ProjectProfile) -> list[EnvVar]:
    """Environment variables the code reads through process.env."""
    return rebase_env((var for var, _ in _env_reads(_load(root, []))), profile.app_dir)


def _port_value(expr: Node | None, module: _Module, env: dict[str, str], depth: int = 0) -> int | None:
    expr = _unwrap(expr)
    if expr is None or depth > 6:
        return None
    if expr.type == "number" and text(expr).isdigit():
        return int(text(expr))
    if (value := _string(expr)) is not None:
        return int(value) if value.isdigit() else None
    if expr.type == "binary_expression" and text(field_(expr, "operator")) in ("||", "??"):
        return _port_value(field_(expr, "left"), module, env, depth + 1) or _port_value(
            field_(expr, "right"), module, env, depth + 1
        )
    if expr.type == "call_expression" and text(field_(expr, "function")) in (
        "Number",
        "parseInt",
        "String",
        "parseFloat",
    ):
        return _port_value(next(iter(_args(expr)), None), module, env, depth + 1)
    if expr.type == "object":
        return _port_value(_object_props(expr).get("port"), module, env, depth + 1)
    if (
        expr.type in ("member_expression", "subscript_expression")
        and text(field_(expr, "object")) == "process.env"
    ):
        name = text(field_(expr, "property")) or _string(field_(expr, "index")) or ""
        default = env.get(name)
        return int(default) if default and default.isdigit() else None
    if expr.type == "identifier":
        for node in walk(module.parsed.root):
            if node.type == "variable_declarator" and text(field_(node, "name")) == text(expr):
                return _port_value(field_(node, "value"), module, env, depth + 1)
            if node.type == "object_assignment_pattern" and text(field_(node, "left")) == text(expr):
                return _port_value(field_(node, "right"), module, env, depth + 1)
    return None


def find_port(root: Path, profile: ProjectProfile) -> tuple[int, Evidence] | None:
    """The port passed to app.listen / fastify.listen({port}) / server.listen, following env defaults."""
    project = _load(root, [])
    env = {v.name: v.default for v, _ in _env_reads(project) if v.default is not None}
    candidates: list[tuple[int, Evidence]] = []
    for module in project.modules.values():
        for node in walk(module.parsed.root):
            if node.type == "call_expression" and _member(field_(node, "function"))[1] == "listen":
                port = _port_value(next(iter(_args(node)), None), module, env)
                if port is not None:
                    candidates.append((port, evidence(module.parsed.path, node)))
    return rebase_port(first_port(candidates, profile), profile.app_dir)
