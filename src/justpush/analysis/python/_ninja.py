"""django-ninja: a ``NinjaAPI`` mounted in urlpatterns (``path("api/", api.urls)``), its ``Router``s.

Routes are functions decorated ``@api.get("/items/{item_id}")`` / ``@router.api_operation(["GET"], ...)``;
``api.add_router("/events", router)`` (a router object or its dotted path as a string) nests them.
Parameters follow django-ninja: path names from the template, ``Query``/``Path``/``Header``/``Cookie``
markers, a Schema class argument is the body (``Query(...)`` on one spreads its fields into the query),
other arguments after ``request`` are query parameters.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .._model import Evidence, ExtractedApi, HttpMethod, Operation, Parameter, ParamLocation
from ._index import External, Module, PythonIndex, Symbol, class_attributes, const_str, simple_name, str_list
from ._resolve import Resolver

_VERBS: dict[str, HttpMethod] = {
    "get": "get",
    "post": "post",
    "put": "put",
    "patch": "patch",
    "delete": "delete",
}
_PATH_PARAM = re.compile(r"\{(?:\w+:)?(\w+)\}")
_LOCATIONS: dict[str, ParamLocation] = {
    "Query": "query",
    "Path": "path",
    "Header": "header",
    "Cookie": "cookie",
}
_SCALARS: dict[str, str] = {"int": "integer", "float": "number", "bool": "boolean", "str": "string"}
_MAX_NESTING = 16


@dataclass
class _Router:
    """A django-ninja API or router: its routes and the routers added to it."""

    symbol: Symbol
    routes: list[tuple[str, list[HttpMethod], ast.FunctionDef | ast.AsyncFunctionDef, Module]] = field(
        default_factory=list
    )
    children: list[tuple[str, _Router]] = field(default_factory=list)


class NinjaRoutes:
    def __init__(
        self, index: PythonIndex, resolver: Resolver, api: ExtractedApi, where: Callable[[Module], str]
    ) -> None:
        self.index = index
        self.resolver = resolver
        self.api = api
        self.where = where
        self._routers: dict[int, _Router] | None = None

    def is_api(self, resolved: Symbol) -> bool:
        return (
            id(resolved.node) in self._collect() and self._kind(resolved.module, resolved.node) == "NinjaAPI"
        )

    def emit(self, resolved: Symbol, prefix: str) -> None:
        """The operations of the NinjaAPI ``resolved`` mounted at ``prefix`` (a Django route prefix)."""
        router = self._collect().get(id(resolved.node))
        if router is not None:
            self._visit(router, "/" + prefix.strip("/") if prefix.strip("/") else "", (id(router),))

    # ---- discovery ----------------------------------------------------------------------------------
    def _kind(self, module: Module, node: ast.AST) -> str | None:
        if not isinstance(node, ast.Call):
            return None
        target = self.index.call_target(module, node)
        candidates = [target] if isinstance(target, External) else []
        if isinstance(target, Symbol) and isinstance(target.node, ast.ClassDef):
            candidates = [b for b in self.index.class_bases(target) if isinstance(b, External)]
        for candidate in candidates:
            if candidate.last in ("NinjaAPI", "Router") and candidate.is_(candidate.last, "ninja"):
                return candidate.last
        return None

    def _collect(self) -> dict[int, _Router]:
        if self._routers is not None:
            return self._routers
        routers: dict[int, _Router] = {}
        self._routers = routers
        if not any(
            source.split(".")[0] == "ninja"
            for m in self.index.app_modules
            for source, _ in m.imports.values()
        ):
            return routers
        for module in self.index.app_modules:
            members = [(f"{c.name}.{n}", v) for c in module.classes for n, v in class_attributes(c).items()]
            for name, node in [*module.defs.items(), *module.local_defs.items(), *members]:
                if self._kind(module, node) is not None:
                    routers.setdefault(id(node), _Router(Symbol(module, name, node)))
        for module in self.index.app_modules:
            for function, _ in module.functions:
                for decorator in function.decorator_list:
                    self._route(module, function, decorator)
            for call in module.calls:
                if simple_name(call) == "add_router" and len(call.args) >= 2:
                    self._add_router(module, call)
        return routers

    def _router_of(self, module: Module, expr: ast.expr) -> _Router | None:
        text = const_str(expr)
        if text is not None:
            # add_router("/events", "events.api.router")
            owner, _, attr = text.replace(":", ".").rpartition(".")
            target = self.index.module(owner)
            resolved = self.index.resolve_name(target, attr) if target is not None else None
        else:
            resolved = self.index.resolve_expr(module, expr)
        if isinstance(resolved, Symbol):
            assert self._routers is not None
            return self._routers.get(id(resolved.node))
        return None

    def _route(
        self, module: Module, function: ast.FunctionDef | ast.AsyncFunctionDef, decorator: ast.expr
    ) -> None:
        if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)):
            return
        verb = decorator.func.attr
        if verb not in _VERBS and verb != "api_operation":
            return
        router = self._router_of(module, decorator.func.value)
        if router is None:
            return
        if verb == "api_operation":
            methods = [
                _VERBS[m.lower()]
                for m in str_list(decorator.args[0] if decorator.args else None) or []
                if m.lower() in _VERBS
            ]
            path_expr = decorator.args[1] if len(decorator.args) > 1 else None
        else:
            methods = [_VERBS[verb]]
            path_expr = decorator.args[0] if decorator.args else None
        path = self.resolver.string(module, path_expr) if path_expr is not None else ""
        if path is None:
            where = f"{self.where(module)}:{function.lineno}"
            self.api.warnings.append(f"{where}: route path of {function.name} is not known statically")
            return
        router.routes.append((path, methods, function, module))

    def _add_router(self, module: Module, call: ast.Call) -> None:
        assert isinstance(call.func, ast.Attribute)
        parent = self._router_of(module, call.func.value)
        child = self._router_of(module, call.args[1])
        prefix = self.resolver.string(module, call.args[0])
        if parent is None or child is None or child is parent:
            return
        if prefix is None:
            where = f"{self.where(module)}:{call.lineno}"
            self.api.warnings.append(
                f"{where}: router prefix {ast.unparse(call.args[0])!r} is not known statically; "
                "its routes are listed without it"
            )
        parent.children.append((prefix or "", child))

    # ---- operations ---------------------------------------------------------------------------------
    def _visit(self, router: _Router, prefix: str, stack: tuple[int, ...]) -> None:
        for path, methods, function, module in router.routes:
            full = _join(prefix, path)
            for method in methods:
                self.api.operations.append(self._operation(full, method, function, module))
        for child_prefix, child in router.children:
            if id(child) in stack or len(stack) > _MAX_NESTING:
                continue
            self._visit(child, _join(prefix, child_prefix), (*stack, id(child)))

    def _operation(
        self, path: str, method: HttpMethod, function: ast.FunctionDef | ast.AsyncFunctionDef, module: Module
    ) -> Operation:
        path_names = set(_PATH_PARAM.findall(path))
        params: dict[tuple[str, str], Parameter] = {}
        body = False
        positional = [*function.args.posonlyargs, *function.args.args]
        args = [*positional, *function.args.kwonlyargs][1:]  # not request
        defaults = [None] * (len(positional) - len(function.args.defaults)) + list(function.args.defaults)
        default_of = {a.arg: d for a, d in zip(positional, defaults, strict=True)}
        default_of.update(
            dict(zip((a.arg for a in function.args.kwonlyargs), function.args.kw_defaults, strict=True))
        )
        for arg in args:
            default = default_of.get(arg.arg)
            marker = simple_name(default) if isinstance(default, ast.Call) else ""
            annotation = arg.annotation
            if isinstance(annotation, ast.Subscript) and simple_name(annotation.value) in _LOCATIONS:
                marker, annotation = simple_name(annotation.value), annotation.slice
            model = self._model(module, annotation)
            if arg.arg in path_names or marker == "Path":
                params[("path", arg.arg)] = Parameter(arg.arg, "path", _schema(annotation), required=True)
            elif marker in _LOCATIONS and model is not None:
                for name in class_attributes_annotated(model):
                    params[(_LOCATIONS[marker], name)] = Parameter(name, _LOCATIONS[marker])
            elif marker in _LOCATIONS:
                location = _LOCATIONS[marker]
                params[(location, arg.arg)] = Parameter(arg.arg, location, _schema(annotation))
            elif model is not None or marker in ("Body", "Form", "File"):
                body = True
            else:
                params[("query", arg.arg)] = Parameter(arg.arg, "query", _schema(annotation), default is None)
        for name in sorted(path_names - {n for loc, n in params if loc == "path"}):
            params[("path", name)] = Parameter(name, "path", {"type": "string"}, required=True)
        doc = ast.get_docstring(function)
        return Operation(
            method=method,
            path=_PATH_PARAM.sub(lambda m: "{" + m.group(1) + "}", path) or "/",
            operation_id=function.name,
            summary=doc.strip().splitlines()[0] if doc else None,
            parameters=tuple(params.values()),
            request_body={"type": "object"} if body and method in ("post", "put", "patch") else None,
            responses={"200": None},
            evidence=Evidence(self.where(module), function.lineno, f"{function.name}()"),
        )

    def _model(self, module: Module, annotation: ast.expr | None) -> Symbol | None:
        if annotation is None:
            return None
        resolved = self.index.resolve_expr(module, annotation)
        if isinstance(resolved, Symbol) and isinstance(resolved.node, ast.ClassDef):
            return resolved
        return None


def class_attributes_annotated(model: Symbol) -> list[str]:
    assert isinstance(model.node, ast.ClassDef)
    return [
        s.target.id
        for s in model.node.body
        if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name) and not s.target.id.startswith("_")
    ]


def _schema(annotation: ast.expr | None) -> dict[str, object]:
    return {"type": _SCALARS.get(simple_name(annotation) if annotation is not None else "", "string")}


def _join(prefix: str, path: str) -> str:
    if not path:
        return prefix or "/"
    return prefix.rstrip("/") + "/" + path.lstrip("/")
