"""Fastify: apps, plugins registered with a prefix (also through @fastify/autoload's folder layout),
`fastify.route({...})`, hooks, and route schemas (JSON Schema literals, TypeBox, type generics)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Sequence
from typing import Any

from .._model import Parameter
from .._treesitter import (
    AuthAlternatives,
    AuthHint,
    Mount,
    Node,
    RouteDecl,
    Use,
    field_,
    join_paths,
    line,
    named_children,
    text,
)
from ._project import Module
from ._routers import ROUTE_METHODS, RouterWalker
from ._routeschema import apply_route_schema
from ._schemas import NotLiteral, SchemaReader
from ._syntax import FUNCTIONS, args, member, object_props, param_names, string, unwrap

_HOOKS = ("onRequest", "preHandler", "preValidation", "preParsing")
_AUTOLOAD = ("@fastify/autoload", "fastify-autoload")
_UNDER_PRESSURE = ("@fastify/under-pressure", "under-pressure")
_DIRNAMES = ("__dirname", "import.meta.dirname", "import.meta.url")
# Instance methods that return the instance itself, so routes can be chained on their result:
# `app.withTypeProvider<ZodTypeProvider>().register(auth).get(...)`.
_CHAINABLE = frozenset(
    {
        "withTypeProvider",
        "register",
        "addHook",
        "addSchema",
        "decorate",
        "decorateRequest",
        "decorateReply",
        "setErrorHandler",
        "setNotFoundHandler",
        "setValidatorCompiler",
        "setSerializerCompiler",
        "setReplySerializer",
        "setSchemaErrorFormatter",
        "addContentTypeParser",
        "route",
    }
)


class Fastify:
    def __init__(self, schemas: SchemaReader) -> None:
        self.schemas = schemas

    def creates(self, walker: RouterWalker, call: Node, scope: dict[str, str]) -> str | None:
        fn = field_(call, "function")
        if fn is None or call.type != "call_expression":
            return None
        if fn.type == "call_expression" and text(field_(fn, "function")) == "require":
            spec = string(next(iter(args(fn)), None))
            return walker.new_router(call, app=True) if spec == "fastify" else None
        if walker.package(text(fn)) == "fastify" and "." not in text(fn):
            return walker.new_router(call, app=True)
        return None

    def returns_router(self, walker: RouterWalker, router: str, prop: str, call: Node) -> str | None:
        return router if prop in _CHAINABLE else None

    def method(
        self, walker: RouterWalker, call: Node, router: str, prop: str, scope: dict[str, str], depth: int
    ) -> bool | None:
        given = args(call)
        if prop == "register" and given:
            return self._register(walker, call, router, given, scope, depth)
        if prop == "addHook" and len(given) > 1 and string(given[0]) in _HOOKS:
            walker.graph.add(router, Use(_hook_auth(walker, given[1])))
            return False
        if prop == "route" and given:
            found = walker.resolver.literal(walker.module, given[0], walker.bindings)
            if found is not None and found[1].type == "object":
                self._route_object(walker, call, router, found[0], found[1])
            return False
        return None

    def _register(
        self,
        walker: RouterWalker,
        call: Node,
        router: str,
        given: list[Node],
        scope: dict[str, str],
        depth: int,
    ) -> bool:
        options_node = (
            walker.resolver.literal(walker.module, given[1], walker.bindings) if len(given) > 1 else None
        )
        options = object_props(options_node[1]) if options_node else {}
        plugin = unwrap(given[0])
        if plugin is not None and walker.package(text(plugin)) in _AUTOLOAD:
            self._autoload(walker, call, router, options)
            return False
        if plugin is not None and walker.package(text(plugin)) in _UNDER_PRESSURE:
            self._status_route(walker, call, router, options.get("exposeStatusRoute"))
            return False
        prefix = self._prefix(walker, call, options)
        if plugin is not None and plugin.type in FUNCTIONS:
            child = walker.new_router(plugin)
            walker.graph.add(router, Mount(prefix, child))
            walker.visit(plugin, scope, depth + 1, bound=child)
            return True
        target = walker.project.function(walker.module, plugin)
        if target is not None:
            name = walker.fn_name(target[1], target[0])
            walker.graph.add(router, Mount(prefix, f"{target[0].path}#fn:{name}:0"))
            if self._skips_override(walker, plugin):
                # fastify-plugin: its hooks apply to the registering instance, not to a child context.
                walker.graph.add(router, Use(_hook_auth(walker, plugin)))
        return False

    def _status_route(self, walker: RouterWalker, call: Node, router: str, option: Node | None) -> None:
        """@fastify/under-pressure's `exposeStatusRoute`: `true` (GET /status), a url, or `{ url }`."""
        option = unwrap(option)
        if option is None or option.type == "false":
            return
        url: str | None = "/status"
        if option.type == "object":
            given = object_props(option).get("url")
            url = walker.resolver.string(walker.module, given, walker.bindings) if given else "/status"
        elif option.type != "true":
            url = walker.resolver.string(walker.module, option, walker.bindings)
        if url is None:
            walker.warnings.append(f"{walker.path}:{line(call)}: status route url is not known statically")
            return
        walker.graph.add(router, RouteDecl("get", url, walker.path, line(call)))

    def _skips_override(self, walker: RouterWalker, plugin: Node | None) -> bool:
        """`export const auth = fastifyPlugin(async (app) => ...)` (also imported, also `fp(...)`)."""
        if plugin is None or plugin.type != "identifier":
            return False
        found = walker.project.value(walker.module, text(plugin))
        value = unwrap(found[1]) if found is not None else None
        if found is None or value is None or value.type != "call_expression":
            return False
        return walker.project.package_of(found[0], text(field_(value, "function"))) == "fastify-plugin"

    def _prefix(self, walker: RouterWalker, call: Node, options: dict[str, Node]) -> str:
        node = options.get("prefix")
        if node is None:
            return ""
        prefix = walker.resolver.string(walker.module, node, walker.bindings)
        if prefix is None:
            walker.warnings.append(
                f"{walker.path}:{line(call)}: plugin prefix `{text(node)}` is not known statically"
            )
            return ""
        return prefix

    def _autoload(self, walker: RouterWalker, call: Node, router: str, options: dict[str, Node]) -> None:
        """@fastify/autoload: every plugin file under `dir`, prefixed by its folders and `autoPrefix`."""
        folder = self._folder(walker, options.get("dir"))
        if folder is None:
            walker.warnings.append(f"{walker.path}:{line(call)}: autoload folder is not known statically")
            return
        nested = walker.resolver.literal(walker.module, options.get("options"), walker.bindings)
        # `options: { prefix }` is what autoload passes to every plugin; a top-level `prefix` is older usage.
        base = join_paths(
            self._prefix(walker, call, options),
            self._prefix(walker, call, object_props(nested[1]) if nested else {}),
        )
        by_folder = text(options.get("dirNameRoutePrefix")) != "false"
        route_params = text(options.get("routeParams")) == "true"
        filters = [
            (name, _path_filter(options[name]))
            for name in ("matchFilter", "ignoreFilter", "ignorePattern")
            if name in options
        ]
        for name, test in filters:
            if test is None:
                walker.warnings.append(
                    f"{walker.path}:{line(call)}: autoload {name} is not known statically;"
                    " every file is loaded"
                )
        inside_folder = {
            path: path if folder == "." else path.removeprefix(folder + "/")
            for path in walker.project.modules
            if folder == "." or path.startswith(folder + "/")
        }
        # A folder with an index file loads only that file (and its sub-folders).
        indexed = {
            posixpath.dirname(i) for i in inside_folder.values() if _INDEX.match(posixpath.basename(i))
        }
        for path, inside in inside_folder.items():
            parts = inside.split("/")
            if parts[-1].startswith(("autohooks", ".", "_")):
                continue
            target = walker.project.exported(path, "*")
            owner = walker.project.modules.get(target[0]) if target else None
            if target is None or owner is None or target[1] not in owner.functions:
                continue
            beside_index = posixpath.dirname(inside) in indexed and not _INDEX.match(parts[-1])
            if beside_index or not _loaded(inside, filters):
                walker.graph.unserved.add(f"{target[0]}#fn:{target[1]}:0")
                continue
            module = walker.project.modules[path]
            override = self._exported_string(walker, module, "prefixOverride")
            folders = parts[:-1] if by_folder else []
            if route_params:
                folders = [f":{f[1:]}" if f.startswith("_") else f for f in folders]
            prefix = (
                override
                if override is not None
                else join_paths(base, *folders, self._exported_string(walker, module, "autoPrefix") or "")
            )
            walker.graph.add(router, Mount(prefix, f"{target[0]}#fn:{target[1]}:0"))

    def _exported_string(self, walker: RouterWalker, module: Module, name: str) -> str | None:
        """`export const autoPrefix = '/v1'` / `module.exports.prefixOverride = ''`: what autoload reads."""
        node = module.values.get(name)
        return walker.resolver.string(module, node) if node is not None else None

    def _folder(self, walker: RouterWalker, node: Node | None) -> str | None:
        """`path.join(__dirname, 'routes')` (also `import.meta.dirname`, template strings) → project path."""
        node = unwrap(node)
        if node is None:
            return None
        here = posixpath.dirname(walker.path)
        parts: list[str] = []
        if node.type == "call_expression":
            given = args(node)
            if not given or text(given[0]) not in _DIRNAMES:
                return None
            for arg in given[1:]:
                value = walker.resolver.string(walker.module, arg, walker.bindings)
                if value is None:
                    return None
                parts.append(value)
        elif node.type == "template_string":
            raw = text(node).strip("`")
            for name in _DIRNAMES:
                raw = raw.replace("${" + name + "}", "")
            if "${" in raw:
                return None
            parts.append(raw.lstrip("/"))
        else:
            value = walker.resolver.string(walker.module, node, walker.bindings)
            if value is None:
                return None
            parts.append(value)
        folder = posixpath.normpath(posixpath.join(here, *parts))
        return None if folder.startswith("..") else folder

    def _route_object(self, walker: RouterWalker, call: Node, router: str, module: Module, obj: Node) -> None:
        options = object_props(obj)
        methods = options.get("method")
        verbs = (
            [walker.resolver.string(module, m) for m in named_children(methods)]
            if methods is not None and methods.type == "array"
            else [walker.resolver.string(module, methods)]
        )
        hooks = [options[k] for k in _HOOKS if k in options]
        for verb in verbs:
            decl = walker.route(
                call,
                router,
                ROUTE_METHODS.get((verb or "").lower()),
                [],
                path_node=options.get("url") or options.get("path"),
                handler=options.get("handler"),
                middleware=hooks,
            )
            if decl is not None:
                self._schema(module, decl, options.get("schema"))

    def route_declared(self, walker: RouterWalker, decl: RouteDecl, call: Node, given: list[Node]) -> None:
        if len(given) > 2:
            found = walker.resolver.literal(walker.module, given[1], walker.bindings)
            if found is not None and found[1].type == "object":
                options = object_props(found[1])
                layers: list[AuthAlternatives] = [
                    a for k in _HOOKS if k in options if (a := _hook_auth(walker, options[k]))
                ]
                decl.auth = (*decl.auth, *layers)
                self._schema(found[0], decl, options.get("schema"))
        type_args = field_(call, "type_arguments")
        if type_args is not None:
            self._generics(walker, decl, type_args)

    def _schema(self, module: Module, decl: RouteDecl, schema: Node | None) -> None:
        if schema is None:
            return
        try:
            value: Any = self.schemas.value(module, schema)
        except NotLiteral:
            decl.unresolved["schema"] = "the route schema is computed (e.g. zod), not a literal"
            return
        if isinstance(value, dict):
            for part in ("querystring", "query", "params", "headers"):
                if isinstance(value.get(part), dict):
                    # Parameters are listed one by one, so a named schema is read through its $ref.
                    value[part] = self.schemas.types.resolved(value[part])
            apply_route_schema(decl, value)

    def _generics(self, walker: RouterWalker, decl: RouteDecl, type_args: Node) -> None:
        types = walker.types
        for obj in named_children(type_args):
            for item in named_children(obj) if obj.type == "object_type" else []:
                key = text(field_(item, "name"))
                schema = types.of(field_(item, "type"))
                if key == "Body":
                    decl.request_body = schema
                elif key == "Reply":
                    success = sorted(s for s in decl.responses if s.startswith("2")) or ["200"]
                    decl.responses[success[0]] = schema
                elif key in ("Querystring", "Params", "Headers"):
                    location = {"Querystring": "query", "Params": "path", "Headers": "header"}[key]
                    resolved = types.resolved(schema)
                    required = set(resolved.get("required", []))
                    extra = [
                        Parameter(k, location, v, required=k in required)  # type: ignore[arg-type]
                        for k, v in resolved.get("properties", {}).items()
                    ]
                    decl.parameters = (*decl.parameters, *extra)


def _hook_auth(walker: RouterWalker, hook: Node | None) -> AuthAlternatives:
    """What a hook checks; `request.jwtVerify()` is @fastify/jwt's Bearer JWT check."""
    found = walker.auth(hook)
    if found:
        return found
    target = walker.project.function(walker.module, hook)
    return (AuthHint("bearer", jwt=True),) if target is not None and ".jwtVerify(" in text(target[1]) else ()


_INDEX = re.compile(r"^index\.(?:[cm]?js|[cm]?ts)$")
PathTest = Callable[[str], bool]


def _loaded(inside: str, filters: Sequence[tuple[str, PathTest | None]]) -> bool:
    """Whether autoload loads a file (its path under `dir`) past `matchFilter` / `ignoreFilter`."""
    path = "/" + inside
    for name, test in filters:
        if test is None:
            continue
        if name == "ignorePattern":
            # The older option: a RegExp tested against the file name.
            if test(posixpath.basename(path)):
                return False
        elif test(path) != (name == "matchFilter"):
            return False
    return True


def _path_filter(node: Node | None) -> PathTest | None:
    """An autoload filter as a test of the file's path: a string (contained), a RegExp, or an arrow
    function of the path built from `endsWith` / `startsWith` / `includes` / `RegExp.test`, `!`, `&&`,
    `||`; None when it is anything else."""
    node = unwrap(node)
    if node is None:
        return None
    if node.type == "string":
        needle = string(node) or ""
        return lambda path: needle in path
    if node.type == "regex":
        return _regex_test(node)
    if node.type == "arrow_function":
        params = param_names(node)
        body = unwrap(field_(node, "body"))
        return _predicate(body, params[0]) if len(params) == 1 and params[0] and body is not None else None
    return None


def _regex_test(node: Node) -> PathTest | None:
    pattern = text(field_(node, "pattern"))
    flags = re.IGNORECASE if "i" in text(field_(node, "flags")) else 0
    try:
        compiled = re.compile(pattern, flags)
    except re.error:
        return None
    return lambda path: compiled.search(path) is not None


def _predicate(node: Node | None, param: str) -> PathTest | None:
    node = unwrap(node)
    if node is None:
        return None
    if node.type == "unary_expression" and text(field_(node, "operator")) == "!":
        inner = _predicate(field_(node, "argument"), param)
        return None if inner is None else lambda path: not inner(path)
    if node.type == "binary_expression" and text(field_(node, "operator")) in ("&&", "||"):
        left, right = _predicate(field_(node, "left"), param), _predicate(field_(node, "right"), param)
        if left is None or right is None:
            return None
        if text(field_(node, "operator")) == "&&":
            return lambda path: left(path) and right(path)
        return lambda path: left(path) or right(path)
    if node.type != "call_expression":
        return None
    obj, method = member(field_(node, "function"))
    given = args(node)
    if len(given) != 1 or obj is None:
        return None
    pattern = unwrap(obj)
    if method == "test" and pattern is not None and pattern.type == "regex" and text(given[0]) == param:
        return _regex_test(pattern)
    needle = string(given[0])
    if text(obj) != param or needle is None:
        return None
    if method == "endsWith":
        return lambda path: path.endswith(needle)
    if method == "startsWith":
        return lambda path: path.startswith(needle)
    if method == "includes":
        return lambda path: needle in path
    return None
