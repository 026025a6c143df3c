"""FastAPI: apps and APIRouters, include_router/mount prefixes, parameters, models, security dependencies."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

from .._model import Evidence, ExtractedApi, HttpMethod, Operation, Parameter, ParamLocation
from ._auth import schemes_from_checks
from ._base import FrameworkExtractor
from ._guard import guarded
from ._index import (
    External,
    Module,
    PythonIndex,
    Symbol,
    const_str,
    kwarg,
    literal,
    returned_values,
    str_list,
)
from ._resolve import LoopEnv
from ._schema import SchemaBuilder, field_constraints, field_default, unresolved

_METHODS: dict[str, HttpMethod] = {
    "get": "get",
    "post": "post",
    "put": "put",
    "patch": "patch",
    "delete": "delete",
    "head": "head",
    "options": "options",
    "trace": "trace",
}
_PATH_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[A-Za-z]+)?\}")
_PARAM_MARKERS = frozenset(
    {"Query", "Path", "Header", "Cookie", "Body", "Form", "File", "Depends", "Security"}
)
# Parameters FastAPI fills itself; they are not part of the HTTP interface.
_INJECTED = frozenset(
    {
        "Request", "Response", "WebSocket", "BackgroundTasks", "HTTPConnection", "SecurityScopes",
        "Session", "AsyncSession", "Connection",
    }
)  # fmt: skip
_SECURITY_CLASSES = frozenset(
    {
        "APIKeyHeader", "APIKeyQuery", "APIKeyCookie", "HTTPBearer", "HTTPBasic", "HTTPDigest",
        "OAuth2PasswordBearer", "OAuth2AuthorizationCodeBearer", "OAuth2", "OpenIdConnect",
    }
)  # fmt: skip
_MAX_DEPENDENCY_DEPTH = 12
_ROUTER_CLASSES = frozenset({"APIRouter", "InferringRouter"})


@dataclass
class _Router:
    """A FastAPI app or APIRouter: its prefix, routes and the routers it includes."""

    symbol: Symbol
    is_app: bool
    prefix: str = ""
    tags: tuple[str, ...] = ()
    dependencies: list[ast.expr] = field(default_factory=list)
    routes: list[_Route] = field(default_factory=list)
    children: list[_Include] = field(default_factory=list)
    included: bool = False
    # Why the router's own prefix is unknown (its routes are listed without it), if it is.
    unresolved: str | None = None
    # FastAPI(root_path=...), for apps.
    root_path: str | None = None


@dataclass
class _Include:
    """One include_router (or mount) call: the router included, and with what."""

    child: _Router
    prefix: str
    tags: tuple[str, ...]
    dependencies: list[ast.expr]
    # The module of the include_router/mount call.
    module: Module
    unresolved: str | None = None


@dataclass
class _Route:
    """One route declaration: the endpoint function, its path, its methods and the call's options."""

    function: ast.FunctionDef | ast.AsyncFunctionDef
    module: Module
    path: str
    methods: list[HttpMethod]
    options: ast.Call


@dataclass
class _Found:
    """What walking an endpoint's parameters and dependencies found."""

    parameters: dict[tuple[str, str], Parameter] = field(default_factory=dict)
    body_fields: list[tuple[str, dict[str, Any], bool, bool, str]] = field(default_factory=list)
    security: dict[str, list[str]] = field(default_factory=dict)
    unresolved: dict[str, str] = field(default_factory=dict)


def _literal_str_tuple(expr: ast.expr | None) -> tuple[str, ...]:
    return tuple(str_list(expr) or ())


def _list_items(expr: ast.expr | None) -> list[ast.expr]:
    return list(expr.elts) if isinstance(expr, ast.List | ast.Tuple) else []


class FastApiExtractor(FrameworkExtractor):
    framework = "fastapi"

    def __init__(
        self, index: PythonIndex, api: ExtractedApi, app_dir: str, entrypoint: str | None = None
    ) -> None:
        super().__init__(index, api, app_dir, entrypoint)
        self.schemas = SchemaBuilder(index, api.schemas)
        self.routers: dict[int, _Router] = {}
        self._implicit: _Router | None = None

    def run(self) -> None:
        self._collect_routers()
        self._collect_routes()
        self._collect_includes()
        apps = [r for r in self.routers.values() if r.is_app]
        # An app mounted in another (app.mount("/api/v1", api)) is served through it, not on its own.
        roots = (
            [a for a in apps if not a.included]
            or apps
            or [r for r in self.routers.values() if not r.included]
        )
        roots = self._served(roots)
        for root in roots:
            # root_path tells a proxy's prefix; a mounted app gets its root_path from the mount instead.
            if root.root_path and {"url": root.root_path} not in self.api.servers:
                self.api.servers.append({"url": root.root_path})
        for root in sorted(roots, key=lambda r: (r.symbol.module.path, r.symbol.name)):
            self._visit(root, "", (), [], (), (id(root),))
        if apps:
            for router in self.routers.values():
                if not router.included and not router.is_app and router.routes:
                    where = self._where(router.symbol.module)
                    self.api.warnings.append(
                        f"{where}: router {router.symbol.name} is not included in any app; "
                        f"its {len(router.routes)} route(s) are left out"
                    )

    def _served(self, roots: list[_Router]) -> list[_Router]:
        """Of several separate apps, the one the project starts (its entry module's) when one is; the
        others (a side service with its own Dockerfile) are warned about with their routes left out."""
        entry = [r for r in roots if r.is_app and r.symbol.module.path == self.entrypoint]
        if not entry or len(entry) == len(roots):
            return roots
        for other in roots:
            if other not in entry and (other.routes or other.children):
                line = getattr(other.symbol.node, "lineno", None)
                self.api.warnings.append(
                    f"{self._where(other.symbol.module)}:{line or '?'}: app {other.symbol.name} is not the "
                    f"one {self.entrypoint} starts, nor mounted in it; its routes are left out"
                )
        return entry

    # ---- discovery ------------------------------------------------------------------------------
    def _collect_routers(self) -> None:
        for module in self.index.app_modules:
            attributes = [
                (f"{cls}.{attr}", value)
                for cls, attrs in module.instance_attrs.items()
                for attr, value in attrs.items()
            ]
            for name, node in [*module.defs.items(), *module.local_defs.items(), *attributes]:
                if not isinstance(node, ast.Call):
                    continue
                kind = self._kind(module, node)
                if kind is None or id(node) in self.routers:
                    continue
                is_app = kind == "FastAPI"
                prefix, reason = self._path_part(module, kwarg(node, "prefix"), node.lineno, "router prefix")
                router = _Router(
                    symbol=Symbol(module, name, node),
                    is_app=is_app,
                    prefix=prefix,
                    unresolved=reason,
                    tags=_literal_str_tuple(kwarg(node, "tags")),
                    dependencies=_list_items(kwarg(node, "dependencies")),
                )
                self.routers[id(node)] = router
                if is_app:
                    self.api.title = self.api.title or const_str(kwarg(node, "title"))
                    self.api.version = self.api.version or const_str(kwarg(node, "version"))
                    router.root_path = self.resolver.string(module, kwarg(node, "root_path"))
        for module in self.index.app_modules:
            for node in module.defs.values():
                made = self._made_by_factory(module, node) if isinstance(node, ast.Call) else None
                if made is not None:
                    self.routers.setdefault(id(node), made)

    def _made_by_factory(
        self, module: Module, call: ast.Call, inside: ast.AST | None = None, depth: int = 0
    ) -> _Router | None:
        """The app a project factory returns, for `app = create_app()` at top level: inside the factory,
        `app.include_router(...)` names that top-level `app` as far as lookups go, so both are one app.
        A factory may return another factory's app (`app = create_application(); app.mount(...)`)."""
        target = self.index.call_target(module, call)
        if isinstance(target, Symbol) and target.node is inside and isinstance(call.func, ast.Name):
            # `def create_application(): from .api import create_application` calls the import
            target = self.index.local_import(module, call.func.id)
        if depth > 4 or not (
            isinstance(target, Symbol) and isinstance(target.node, ast.FunctionDef | ast.AsyncFunctionDef)
        ):
            return None
        for value in returned_values(target.node):
            router = self.routers.get(id(value))
            if router is None and isinstance(value, ast.Call):
                router = self._made_by_factory(target.module, value, target.node, depth + 1)
            if router is not None and router.is_app:
                return router
        return None

    def _path_part(
        self, module: Module, expr: ast.expr | None, line: int, what: str, env: LoopEnv | None = None
    ) -> tuple[str, str | None]:
        """A prefix/path expression's value, or "" and the reason (also warned) when it is not knowable."""
        if expr is None:
            return "", None
        value = self.resolver.string(module, expr, env)
        if value is not None:
            return value, None
        reason = f"{what} {ast.unparse(expr)!r} is not known statically"
        self.api.warnings.append(
            f"{self._where(module)}:{line}: {reason}; routes below it are listed without it"
        )
        return "", reason

    def _kind(self, module: Module, call: ast.Call) -> str | None:
        """ "FastAPI" or "APIRouter" for a call creating one (subclasses too, InferringRouter and own)."""
        target = self.index.call_target(module, call)
        candidates: list[External] = []
        if isinstance(target, External):
            candidates.append(target)
        elif isinstance(target, Symbol) and isinstance(target.node, ast.ClassDef):
            candidates.extend(b for b in self.index.class_bases(target) if isinstance(b, External))
        for candidate in candidates:
            if candidate.last == "FastAPI" or candidate.last in _ROUTER_CLASSES:
                return "FastAPI" if candidate.last == "FastAPI" else "APIRouter"
        return None

    def _implicit_app(self, module: Module, expr: ast.expr) -> _Router | None:
        """The app a function only receives as a parameter (def setup(app): app.include_router(...))."""
        name = self.index.unbound_name(module, expr)
        if name is None:
            return None
        if self._implicit is None:
            self._implicit = _Router(symbol=Symbol(module, name.id, name), is_app=True)
            self.routers[id(name)] = self._implicit
        return self._implicit

    def _router_of(self, module: Module, expr: ast.expr) -> _Router | None:
        resolved = self.index.resolve_expr(module, expr)
        if isinstance(resolved, Symbol):
            return self.routers.get(id(resolved.node))
        return None

    def _collect_routes(self) -> None:
        for module in self.index.app_modules:
            # Methods too: class-based views (fastapi-utils @cbv, fastapi-restful Resource) decorate them.
            for function, _ in module.functions:
                for decorator in function.decorator_list:
                    route = self._route_from_decorator(module, function, decorator)
                    if route is not None:
                        router, item = route
                        router.routes.append(item)
            for call in module.calls:
                self._route_from_add_api_route(module, call)

    def _route_from_decorator(
        self, module: Module, function: ast.FunctionDef | ast.AsyncFunctionDef, decorator: ast.expr
    ) -> tuple[_Router, _Route] | None:
        if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)):
            return None
        verb = decorator.func.attr
        if verb not in _METHODS and verb != "api_route":
            return None
        router = self._router_of(module, decorator.func.value)
        if router is None:
            return None
        path_expr = decorator.args[0] if decorator.args else kwarg(decorator, "path")
        path = self.resolver.string(module, path_expr) if path_expr is not None else ""
        if verb == "api_route":
            methods = [_METHODS[m.lower()] for m in (str_list(kwarg(decorator, "methods")) or ["GET"])]
        else:
            methods = [_METHODS[verb]]
        if path is None:
            path = "/{unresolved}"
            self.api.warnings.append(
                f"{self._where(module)}:{function.lineno}: route path of {function.name} "
                f"({ast.unparse(path_expr) if path_expr is not None else '?'}) is not known statically"
            )
        if literal(kwarg(decorator, "include_in_schema")) is False:
            return None
        return router, _Route(function, module, path, methods, decorator)

    def _route_from_add_api_route(self, module: Module, call: ast.Call) -> None:
        if not (isinstance(call.func, ast.Attribute) and call.func.attr == "add_api_route"):
            return
        router = self._router_of(module, call.func.value)
        endpoint = call.args[1] if len(call.args) > 1 else kwarg(call, "endpoint")
        path = self.resolver.string(module, call.args[0] if call.args else kwarg(call, "path"))
        if router is None or endpoint is None or path is None:
            return
        target = self.index.resolve_expr(module, endpoint)
        if isinstance(target, Symbol) and isinstance(target.node, ast.FunctionDef | ast.AsyncFunctionDef):
            methods = [_METHODS[m.lower()] for m in (str_list(kwarg(call, "methods")) or ["GET"])]
            router.routes.append(_Route(target.node, target.module, path, methods, call))

    def _collect_includes(self) -> None:
        for module in self.index.app_modules:
            for call in module.calls:
                if not isinstance(call.func, ast.Attribute) or call.func.attr not in (
                    "include_router",
                    "mount",
                ):
                    continue
                if call.func.attr == "include_router":
                    child_expr = call.args[0] if call.args else kwarg(call, "router")
                    prefix_expr = kwarg(call, "prefix")
                else:
                    child_expr = call.args[1] if len(call.args) > 1 else kwarg(call, "app")
                    prefix_expr = call.args[0] if call.args else kwarg(call, "path")
                if child_expr is None:
                    continue
                # for router in [users.router, items.router]: app.include_router(router)
                for env in self.resolver.binding_envs(module, call):
                    # def configure_routes(app): app.include_router(...) called with the real app.
                    parent = self._router_of(
                        *self.resolver.bound(module, call.func.value, env)
                    ) or self._implicit_app(module, call.func.value)
                    child_module, bound_child = self.resolver.bound(module, child_expr, env)
                    child = self._router_of(child_module, bound_child)
                    if parent is not None and child is None and call.func.attr == "include_router":
                        # A router a library builds (fastapi_users.get_auth_router(...)): never silent.
                        warning = (
                            f"{self._where(module)}:{call.lineno}: included router "
                            f"{ast.unparse(bound_child)!r} is not defined in the project; its routes are "
                            "left out"
                        )
                        if warning not in self.api.warnings:
                            self.api.warnings.append(warning)
                    if parent is None or child is None:
                        continue
                    child.included = True
                    prefix_module, bound_prefix = (
                        self.resolver.bound(module, prefix_expr, env)
                        if prefix_expr is not None
                        else (module, None)
                    )
                    prefix, reason = self._path_part(
                        prefix_module,
                        bound_prefix,
                        call.lineno,
                        "include prefix",
                        # f"/{version}": names inside the expression are bound where it was written.
                        env if bound_prefix is prefix_expr else None,
                    )
                    parent.children.append(
                        _Include(
                            child,
                            prefix,
                            _literal_str_tuple(kwarg(call, "tags")),
                            _list_items(kwarg(call, "dependencies")),
                            module,
                            reason,
                        )
                    )

    # ---- traversal ------------------------------------------------------------------------------
    def _visit(
        self,
        router: _Router,
        prefix: str,
        tags: tuple[str, ...],
        dependencies: list[tuple[ast.expr, Module]],
        unresolved: tuple[str, ...],
        stack: tuple[int, ...],
    ) -> None:
        here = prefix + router.prefix
        tags = tags + router.tags
        deps = dependencies + [(d, router.symbol.module) for d in router.dependencies]
        if router.unresolved:
            unresolved = (*unresolved, router.unresolved)
        for route in router.routes:
            for method in route.methods:
                guarded(
                    self.api.warnings,
                    self._where(route.module),
                    route.function.lineno,
                    f"route {method.upper()} {route.path} ({route.function.name})",
                    partial(self._operation, route, method, here, tags, deps, unresolved),
                )
        for include in router.children:
            child = include.child
            if id(child) in stack:
                where = self._where(include.module)
                self.api.warnings.append(
                    f"{where}: router {child.symbol.name} includes itself; cycle ignored"
                )
                continue
            self._visit(
                child,
                here + include.prefix,
                tags + include.tags,
                deps + [(d, include.module) for d in include.dependencies],
                (*unresolved, include.unresolved) if include.unresolved else unresolved,
                (*stack, id(child)),
            )

    def _operation(
        self,
        route: _Route,
        method: HttpMethod,
        prefix: str,
        tags: tuple[str, ...],
        dependencies: list[tuple[ast.expr, Module]],
        unresolved_prefixes: tuple[str, ...],
    ) -> None:
        function, module, options = route.function, route.module, route.options
        raw_path = prefix + route.path
        path = _PATH_PARAM.sub(lambda m: "{" + m.group(1) + "}", raw_path) or "/"
        if not path.startswith("/"):
            path = "/" + path
        path_names = set(_PATH_PARAM.findall(path))
        found = _Found()
        all_deps = dependencies + [(d, module) for d in _list_items(kwarg(options, "dependencies"))]
        for dep, dep_module in all_deps:
            self._dependency_marker(dep_module, dep, found, path_names, 0, set())
        self._function_params(module, function, found, path_names, 0, set())
        for name in sorted(path_names - {p.name for p in found.parameters.values() if p.location == "path"}):
            found.parameters[("path", name)] = Parameter(name, "path", {"type": "string"}, required=True)

        request_body, content_type = self._body(found)
        responses = self._responses(module, function, options, method)
        summary = const_str(kwarg(options, "summary"))
        doc = ast.get_docstring(function)
        if summary is None and doc:
            summary = doc.strip().splitlines()[0]
        security = [dict(sorted(found.security.items()))] if found.security else None
        if unresolved_prefixes:
            found.unresolved["path"] = "; ".join(unresolved_prefixes)
        self.api.operations.append(
            Operation(
                method=method,
                path=path,
                operation_id=const_str(kwarg(options, "operation_id")) or function.name,
                summary=summary,
                tags=tuple(dict.fromkeys(tags + _literal_str_tuple(kwarg(options, "tags")))),
                parameters=tuple(found.parameters.values()),
                request_body=request_body,
                request_content_type=content_type,
                responses=responses,
                security=security,
                deprecated=literal(kwarg(options, "deprecated")) is True,
                unresolved=found.unresolved,
                evidence=Evidence(self._where(module), function.lineno, f"{function.name}()"),
            )
        )

    # ---- parameters -----------------------------------------------------------------------------
    def _function_params(
        self,
        module: Module,
        function: ast.FunctionDef | ast.AsyncFunctionDef,
        found: _Found,
        path_names: set[str],
        depth: int,
        seen: set[int],
    ) -> None:
        args = function.args
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(
            args.defaults
        )
        pairs = list(zip(positional, defaults, strict=True)) + list(
            zip(args.kwonlyargs, args.kw_defaults, strict=True)
        )
        for arg, default in pairs:
            if arg.arg in ("self", "cls"):
                continue
            self._param(module, arg, default, found, path_names, depth, seen)

    def _param(
        self,
        module: Module,
        arg: ast.arg,
        default: ast.expr | None,
        found: _Found,
        path_names: set[str],
        depth: int,
        seen: set[int],
    ) -> None:
        annotation = arg.annotation
        marker: ast.Call | None = None
        if isinstance(annotation, ast.Name | ast.Attribute) and depth <= _MAX_DEPENDENCY_DEPTH:
            type_alias = self.index.resolve_expr(module, annotation)
            if (
                isinstance(type_alias, Symbol)
                and isinstance(type_alias.node, ast.Subscript)
                and self._is(type_alias.module, type_alias.node.value, "Annotated")
            ):
                # SessionDep = Annotated[Session, Depends(get_db)]: the alias's module resolves its parts.
                aliased = ast.arg(arg=arg.arg, annotation=type_alias.node)
                self._param(type_alias.module, aliased, default, found, path_names, depth + 1, seen)
                return
        if isinstance(annotation, ast.Subscript) and self._is(module, annotation.value, "Annotated"):
            elements = (
                annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
            )
            annotation = elements[0]
            for meta in elements[1:]:
                if isinstance(meta, ast.Call) and self._marker_name(module, meta):
                    marker = meta
        if isinstance(default, ast.Call) and self._marker_name(module, default):
            marker = default
            default = None
        kind = self._marker_name(module, marker) if marker is not None else None
        if kind in ("Depends", "Security"):
            assert marker is not None
            self._dependency_marker(module, marker, found, path_names, depth, seen, annotation)
            return
        if annotation is not None and self._injected(module, annotation):
            return
        has_default = default is not None or (marker is not None and _marker_has_default(marker))
        schema = self.schemas.schema_for(module, annotation) if annotation is not None else {}
        if marker is not None:
            schema = {**schema, **_param_constraints(marker)}
        elif default is not None and literal(default) is not None:
            schema = {**schema, "default": literal(default)}
        name = arg.arg
        alias = const_str(kwarg(marker, "alias")) if marker is not None else None
        if kind == "Path" or (kind is None and name in path_names):
            found.parameters[("path", name)] = Parameter(name, "path", schema or {"type": "string"}, True)
            return
        if kind in ("Query", "Header", "Cookie"):
            location = cast(ParamLocation, kind.lower())
            wire = alias or name
            assert marker is not None
            if (
                kind == "Header"
                and alias is None
                and literal(kwarg(marker, "convert_underscores")) is not False
            ):
                wire = name.replace("_", "-")
            description = const_str(kwarg(marker, "description")) if marker is not None else None
            found.parameters[(location, wire)] = Parameter(
                wire, location, schema, not has_default, description
            )
            return
        if kind in ("Body", "Form", "File"):
            embed = literal(kwarg(marker, "embed")) is True if marker is not None else False
            content = {"Body": "application/json", "Form": "application/x-www-form-urlencoded"}.get(
                kind, "multipart/form-data"
            )
            found.body_fields.append(
                (alias or name, schema, not has_default, embed or kind != "Body", content)
            )
            return
        if annotation is not None and self._is_body_type(module, annotation):
            found.body_fields.append((name, schema, not has_default, False, "application/json"))
            return
        found.parameters[("query", name)] = Parameter(name, "query", schema, not has_default)

    def _is_body_type(self, module: Module, annotation: ast.expr) -> bool:
        """Models and non-singular types (list[...], dict) without a marker are bodies in FastAPI."""
        core = annotation
        while isinstance(core, ast.Subscript) and self._is_any(module, core.value, ("Optional", "Union")):
            core = core.slice.elts[0] if isinstance(core.slice, ast.Tuple) else core.slice
        if isinstance(core, ast.BinOp):
            core = core.left
        target = core.value if isinstance(core, ast.Subscript) else core
        resolved = self.index.resolve_expr(module, target)
        if isinstance(resolved, Symbol):
            return self.schemas.is_model(resolved)
        if isinstance(resolved, External):
            return resolved.last in (
                "list",
                "List",
                "dict",
                "Dict",
                "set",
                "Set",
                "Sequence",
                "tuple",
                "Tuple",
            )
        return False

    def _injected(self, module: Module, annotation: ast.expr) -> bool:
        resolved = self.index.resolve_expr(module, annotation)
        return (
            isinstance(resolved, External)
            and resolved.last in _INJECTED
            and len(resolved.dotted.split(".")) > 1
        )

    def _is(self, module: Module, expr: ast.expr, name: str) -> bool:
        resolved = self.index.resolve_expr(module, expr)
        return isinstance(resolved, External) and resolved.last == name

    def _is_any(self, module: Module, expr: ast.expr, names: tuple[str, ...]) -> bool:
        resolved = self.index.resolve_expr(module, expr)
        return isinstance(resolved, External) and resolved.last in names

    def _marker_name(self, module: Module, call: ast.Call | None) -> str | None:
        if call is None:
            return None
        resolved = self.index.resolve_expr(module, call.func)
        if isinstance(resolved, External) and resolved.last in _PARAM_MARKERS:
            return resolved.last
        return None

    # ---- dependencies and security --------------------------------------------------------------
    def _dependency_marker(
        self,
        module: Module,
        marker: ast.expr,
        found: _Found,
        path_names: set[str],
        depth: int,
        seen: set[int],
        annotation: ast.expr | None = None,
    ) -> None:
        if not isinstance(marker, ast.Call):
            return
        target_expr = marker.args[0] if marker.args else kwarg(marker, "dependency")
        if target_expr is None:
            target_expr = annotation  # Depends() with the class in the annotation
        scopes = str_list(kwarg(marker, "scopes")) or []
        if target_expr is not None:
            self._dependency(module, target_expr, scopes, found, path_names, depth, seen)

    def _dependency(
        self,
        module: Module,
        target_expr: ast.expr,
        scopes: list[str],
        found: _Found,
        path_names: set[str],
        depth: int,
        seen: set[int],
    ) -> None:
        if depth > _MAX_DEPENDENCY_DEPTH:
            found.unresolved.setdefault("dependencies", "dependency chain too deep")
            return
        resolved = self.index.resolve_expr(module, target_expr)
        if not isinstance(resolved, Symbol) or id(resolved.node) in seen:
            return
        seen = seen | {id(resolved.node)}
        node = resolved.node
        if isinstance(node, ast.Call):
            scheme = self._security_scheme(resolved, node)
            if scheme is not None:
                merged = found.security.setdefault(scheme, [])
                merged.extend(s for s in scopes if s not in merged)
            return
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            self._function_params(resolved.module, node, found, path_names, depth + 1, seen)
            self._header_checks(resolved.module, node, found)
        elif isinstance(node, ast.ClassDef):
            init = next(
                (
                    s
                    for s in node.body
                    if isinstance(s, ast.FunctionDef) and s.name in ("__init__", "__call__")
                ),
                None,
            )
            if init is not None:
                self._function_params(resolved.module, init, found, path_names, depth + 1, seen)
            elif self.schemas.is_model(resolved):
                self._model_params(resolved, found, path_names)

    def _model_params(self, model: Symbol, found: _Found, path_names: set[str]) -> None:
        """`query: FindPost = Depends()` on a pydantic model or dataclass: FastAPI calls the class, so
        each field is a parameter of its own (a query parameter unless the path names it)."""
        for name, stmt, module in self.schemas.model_fields(model):
            schema = self.schemas.schema_for(module, stmt.annotation)
            if schema.get("type") == "object" or "$ref" in schema:
                continue  # a nested model is a body, which FastAPI does not read from a class dependency
            required, _, _ = field_default(stmt.value)
            location: ParamLocation = "path" if name in path_names else "query"
            found.parameters.setdefault(
                (location, name), Parameter(name, location, schema, required or location == "path")
            )

    def _header_checks(
        self, module: Module, function: ast.FunctionDef | ast.AsyncFunctionDef, found: _Found
    ) -> None:
        """A dependency reading ``request.headers["X-API-Key"]`` itself guards with an API key."""
        for name in schemes_from_checks(function, self.api.security_schemes):
            found.security.setdefault(name, [])

    def _security_scheme(self, symbol: Symbol, call: ast.Call) -> str | None:
        target = self.index.call_target(symbol.module, call)
        if not isinstance(target, External) or target.last not in _SECURITY_CLASSES:
            return None
        kind = target.last
        scheme: dict[str, Any]
        if kind.startswith("APIKey"):
            location = {"APIKeyHeader": "header", "APIKeyQuery": "query", "APIKeyCookie": "cookie"}[kind]
            key_name = const_str(kwarg(call, "name")) or const_str(call.args[0] if call.args else None)
            if key_name is None:
                scheme = {"type": "apiKey", "in": location, "name": symbol.name, **unresolved("key name")}
            else:
                scheme = {"type": "apiKey", "in": location, "name": key_name}
        elif kind == "HTTPBearer":
            scheme = {"type": "http", "scheme": "bearer"}
            bearer_format = const_str(kwarg(call, "bearerFormat"))
            if bearer_format:
                scheme["bearerFormat"] = bearer_format
        elif kind == "HTTPBasic":
            scheme = {"type": "http", "scheme": "basic"}
        elif kind == "HTTPDigest":
            scheme = {"type": "http", "scheme": "digest"}
        elif kind == "OAuth2PasswordBearer":
            token_url = const_str(kwarg(call, "tokenUrl")) or const_str(call.args[0] if call.args else None)
            flow = {"tokenUrl": token_url or "token", "scopes": _dict_literal(kwarg(call, "scopes")) or {}}
            scheme = {"type": "oauth2", "flows": {"password": flow}}
        elif kind == "OAuth2AuthorizationCodeBearer":
            scheme = {
                "type": "oauth2",
                "flows": {
                    "authorizationCode": {
                        "authorizationUrl": const_str(kwarg(call, "authorizationUrl")) or "authorize",
                        "tokenUrl": const_str(kwarg(call, "tokenUrl")) or "token",
                        "scopes": _dict_literal(kwarg(call, "scopes")) or {},
                    }
                },
            }
        elif kind == "OpenIdConnect":
            scheme = {
                "type": "openIdConnect",
                "openIdConnectUrl": const_str(kwarg(call, "openIdConnectUrl")) or "",
            }
        else:
            scheme = {"type": "http", "scheme": "bearer", **unresolved(f"custom {kind} subclass")}
        description = const_str(kwarg(call, "description"))
        if description:
            scheme["description"] = description
        # FastAPI names a scheme after its class unless scheme_name= is given.
        name = const_str(kwarg(call, "scheme_name")) or kind
        existing = self.api.security_schemes.get(name)
        if existing is not None and existing != scheme:
            name = f"{kind}_{symbol.name}"
        self.api.security_schemes[name] = scheme
        return name

    # ---- bodies and responses -------------------------------------------------------------------
    def _body(self, found: _Found) -> tuple[dict[str, Any] | None, str]:
        if not found.body_fields:
            return None, "application/json"
        content_type = found.body_fields[0][4]
        if len(found.body_fields) == 1 and not found.body_fields[0][3]:
            return found.body_fields[0][1], content_type
        properties = {name: schema for name, schema, _, _, _ in found.body_fields}
        required = [name for name, _, is_required, _, _ in found.body_fields if is_required]
        body: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            body["required"] = required
        return body, content_type

    def _responses(
        self,
        module: Module,
        function: ast.FunctionDef | ast.AsyncFunctionDef,
        options: ast.Call,
        method: HttpMethod,
    ) -> dict[str, dict[str, Any] | None]:
        status = _status_code(kwarg(options, "status_code")) or "200"
        model_expr = kwarg(options, "response_model")
        schema: dict[str, Any] | None
        if model_expr is not None:
            is_none = isinstance(model_expr, ast.Constant) and model_expr.value is None
            schema = None if is_none else self.schemas.schema_for(module, model_expr)
        elif function.returns is not None and not self._injected(module, function.returns):
            schema = self._return_schema(module, function.returns)
        else:
            schema = None
        if status in ("204", "304") or method == "head":
            schema = None
        responses: dict[str, dict[str, Any] | None] = {status: schema}
        extra = kwarg(options, "responses")
        if isinstance(extra, ast.Dict):
            for key, value in zip(extra.keys, extra.values, strict=True):
                code = _status_code(key)
                if code is None or code in responses:
                    continue
                model = kwarg_dict(value, "model")
                responses[code] = self.schemas.schema_for(module, model) if model is not None else None
        return responses

    def _return_schema(self, module: Module, returns: ast.expr) -> dict[str, Any] | None:
        resolved = self.index.resolve_expr(module, returns)
        if isinstance(resolved, External) and resolved.last in ("Response", "JSONResponse", "HTMLResponse"):
            return None
        if isinstance(returns, ast.Constant) and returns.value is None:
            return None
        return self.schemas.schema_for(module, returns)


def kwarg_dict(expr: ast.expr, key: str) -> ast.expr | None:
    if isinstance(expr, ast.Dict):
        for k, v in zip(expr.keys, expr.values, strict=True):
            if const_str(k) == key:
                return v
    return None


def _dict_literal(expr: ast.expr | None) -> dict[str, str] | None:
    if not isinstance(expr, ast.Dict):
        return None
    out: dict[str, str] = {}
    for k, v in zip(expr.keys, expr.values, strict=True):
        key, value = const_str(k), const_str(v)
        if key is None or value is None:
            return None
        out[key] = value
    return out


_STATUS_NAME = re.compile(r"HTTP_(\d{3})")


def _status_code(expr: ast.expr | None) -> str | None:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, int | str) and str(expr.value).isdigit():
        return str(expr.value)
    if isinstance(expr, ast.Attribute):
        match = _STATUS_NAME.match(expr.attr)
        if match:
            return match.group(1)
    return None


def _marker_has_default(marker: ast.Call) -> bool:
    default = marker.args[0] if marker.args else kwarg(marker, "default")
    if kwarg(marker, "default_factory") is not None:
        return True
    return default is not None and not (isinstance(default, ast.Constant) and default.value is Ellipsis)


def _param_constraints(marker: ast.Call) -> dict[str, Any]:
    out = field_constraints(marker)
    out.pop("description", None)
    default = marker.args[0] if marker.args else kwarg(marker, "default")
    value = literal(default)
    if value is not None and not (isinstance(default, ast.Constant) and default.value is Ellipsis):
        out["default"] = value
    return out
