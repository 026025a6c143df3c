"""Flask: app/Blueprint routes, register_blueprint prefixes, converters, request.args reads and guards.

Also the extensions that route through the same objects: flask-smorest and APIFlask blueprints
(``@blp.route`` on ``MethodView`` classes, ``@blp.arguments(Schema, location="query")``), Flask-RESTX /
Flask-RESTplus ``Api`` and ``Namespace`` (``@ns.route`` on ``Resource`` classes, ``add_namespace``), and
Flask-RESTful ``Api.add_resource``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from .._model import Evidence, ExtractedApi, HttpMethod, Operation, Parameter
from ._auth import schemes_from_checks
from ._base import FrameworkExtractor
from ._flask_ext import FlaskArguments
from ._guard import guarded
from ._index import (
    External,
    Module,
    PythonIndex,
    Symbol,
    class_attributes,
    const_str,
    kwarg,
    literal,
    str_list,
)
from ._resolve import LoopEnv

# Calls on an app, blueprint or Api that add routes, prefixes or guards.
_APP_CALLS = frozenset(
    {"register_blueprint", "add_namespace", "init_app", "add_resource", "add_url_rule", "before_request"}
)
_VERBS: dict[str, HttpMethod] = {
    "get": "get",
    "post": "post",
    "put": "put",
    "patch": "patch",
    "delete": "delete",
}
_RULE_PARAM = re.compile(r"<(?:(?P<conv>[a-zA-Z_]+)(?:\([^)]*\))?:)?(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)>")
_CONVERTERS: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "path": {"type": "string"},
    "uuid": {"type": "string", "format": "uuid"},
    "any": {"type": "string"},
}
_ARG_TYPES: dict[str, dict[str, Any]] = {"int": {"type": "integer"}, "float": {"type": "number"}}
_VIEW_METHODS = ("get", "post", "put", "patch", "delete")
_REST_PACKAGES = ("flask_restx", "flask_restplus", "flask_restful", "flask_smorest")
# Routing object classes -> kind, with the packages they come from.
_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Flask": ("app", ("flask",)),
    "APIFlask": ("app", ("apiflask",)),
    "Blueprint": ("blueprint", ("flask", "flask_smorest")),
    "APIBlueprint": ("blueprint", ("apiflask",)),
    "Api": ("api", _REST_PACKAGES),
    "Namespace": ("namespace", ("flask_restx", "flask_restplus")),
}


class _Unresolved(str):
    """A rule or prefix the code computes at run time: its stand-in text, and why it is not known."""

    reason: str

    def __new__(cls, text: str, reason: str) -> _Unresolved:
        part = super().__new__(cls, text)
        part.reason = reason
        return part


@dataclass
class _App:
    """A Flask app, blueprint or API: its prefix, routes, registered children and guards."""

    symbol: Symbol
    is_app: bool
    prefix: str = ""
    kind: str = "app"
    routes: list[tuple[str, list[HttpMethod], ast.FunctionDef | ast.AsyncFunctionDef, Module]] = field(
        default_factory=list
    )
    children: list[tuple[_App, str | None]] = field(default_factory=list)
    guards: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, Module]] = field(default_factory=list)
    registered: bool = False


def flask_path(rule: str) -> tuple[str, list[Parameter]]:
    """``/users/<int:id>`` -> ``/users/{id}`` and its typed path parameters."""
    params: list[Parameter] = []

    def replace(match: re.Match[str]) -> str:
        converter = match.group("conv") or "string"
        schema = _CONVERTERS.get(converter, {"type": "string"})
        params.append(Parameter(match.group("name"), "path", dict(schema), required=True))
        return "{" + match.group("name") + "}"

    return _RULE_PARAM.sub(replace, rule), params


class FlaskExtractor(FrameworkExtractor):
    framework = "flask"

    def __init__(
        self, index: PythonIndex, api: ExtractedApi, app_dir: str, entrypoint: str | None = None
    ) -> None:
        super().__init__(index, api, app_dir, entrypoint)
        self.arguments = FlaskArguments(index)
        self.apps: dict[int, _App] = {}
        # Stands for an app the code only receives as a parameter (def init_app(app): app.register_...).
        self._implicit: _App | None = None

    def run(self) -> None:
        self._collect_apps()
        self._collect_routes()
        self._collect_calls()
        apps = [a for a in self.apps.values() if a.is_app]
        roots = apps or [a for a in self.apps.values() if not a.registered]
        for root in sorted(roots, key=lambda a: (a.symbol.module.path, a.symbol.name)):
            unknown = (root.prefix.reason,) if isinstance(root.prefix, _Unresolved) else ()
            self._visit(root, root.prefix, [], (id(root),), unknown)
        if apps:
            for app in self.apps.values():
                count = _route_count(app, ()) if not app.is_app and not app.registered else 0
                if count:
                    self.api.warnings.append(
                        f"{self._where(app.symbol.module)}: {app.kind} {app.symbol.name} is never registered "
                        f"on an app; its {count} route(s) are left out"
                    )

    def _collect_apps(self) -> None:
        for module in self.index.app_modules:
            # Class attributes too: class UserDto: api = Namespace("user").
            members = [
                (f"{cls.name}.{name}", value)
                for cls in module.classes
                for name, value in class_attributes(cls).items()
            ]
            for name, node in [*module.defs.items(), *module.local_defs.items(), *members]:
                if not isinstance(node, ast.Call) or id(node) in self.apps:
                    continue
                kind = self._kind(module, node)
                if kind is None:
                    continue
                self.apps[id(node)] = _App(
                    symbol=Symbol(module, name, node),
                    is_app=kind == "app",
                    prefix=self._own_prefix(module, node, kind),
                    kind=kind,
                )
            # An Api used without a name: Api(USER_BLUEPRINT).add_resource(UserResource, "/user").
            for method_call in module.calls:
                func = method_call.func
                receiver = func.value if isinstance(func, ast.Attribute) else None
                if (
                    isinstance(receiver, ast.Call)
                    and id(receiver) not in self.apps
                    and self._kind(module, receiver) == "api"
                ):
                    self.apps[id(receiver)] = _App(
                        symbol=Symbol(module, ast.unparse(receiver), receiver),
                        is_app=False,
                        prefix=self._own_prefix(module, receiver, "api"),
                        kind="api",
                    )
        # Api(app) / Api(blueprint): the Api's routes are served under what it wraps.
        for app in list(self.apps.values()):
            call = app.symbol.node
            if app.kind == "api" and isinstance(call, ast.Call):
                wrapped = call.args[0] if call.args else kwarg(call, "app")
                if wrapped is not None:
                    self._attach(app.symbol.module, wrapped, app)

    def _kind(self, module: Module, call: ast.Call) -> str | None:
        """ "app", "blueprint", "api" or "namespace" for a call creating one (project subclasses too)."""
        target = self.index.call_target(module, call)
        candidates: list[External] = []
        if isinstance(target, External):
            candidates.append(target)
        elif isinstance(target, Symbol) and isinstance(target.node, ast.ClassDef):
            candidates.extend(b for b in self.index.class_bases(target) if isinstance(b, External))
        for candidate in candidates:
            known = _KINDS.get(candidate.last)
            if known is not None and candidate.is_(candidate.last, *known[1]):
                return known[0]
        return None

    def _own_prefix(self, module: Module, call: ast.Call, kind: str) -> str:
        expr = {"blueprint": kwarg(call, "url_prefix"), "api": kwarg(call, "prefix")}.get(kind)
        if kind == "namespace":
            expr = kwarg(call, "path")
            if expr is None:
                name = self.resolver.string(module, call.args[0] if call.args else kwarg(call, "name"))
                return f"/{name}" if name else ""
        prefix = self._path(module, expr, call.lineno)
        return "" if prefix is None else prefix

    def _path(
        self,
        module: Module,
        expr: ast.expr | None,
        line: int,
        *,
        rule: bool = False,
        env: LoopEnv | None = None,
    ) -> str | None:
        """A rule or prefix's value (None: not given). One the code computes at run time is warned about
        and stands as an ``_Unresolved`` part: a rule "/{unresolved}", a prefix "" (routes listed without it).
        """
        if expr is None or (isinstance(expr, ast.Constant) and expr.value is None):
            return None
        value = self.resolver.string(module, expr, env)
        if value is None:
            reason = f"{'route rule' if rule else 'prefix'} {ast.unparse(expr)!r} is not known statically"
            shown = (
                "the route is listed as /{unresolved}" if rule else "routes under it are listed without it"
            )
            self.api.warnings.append(f"{self._where(module)}:{line}: {reason}; {shown}")
            return _Unresolved("/{unresolved}" if rule else "", reason)
        return value

    def _attach(self, module: Module, parent_expr: ast.expr, child: _App, prefix: str | None = None) -> None:
        parent = self._app_of(module, parent_expr) or self._implicit_app(module, parent_expr)
        if parent is not None and parent is not child:
            child.registered = True
            parent.children.append((child, prefix))

    def _implicit_app(self, module: Module, expr: ast.expr) -> _App | None:
        """The app a function only receives as a parameter: a bare name that resolves to nothing."""
        name = self.index.unbound_name(module, expr)
        if name is None:
            return None
        if self._implicit is None:
            self._implicit = _App(symbol=Symbol(module, name.id, name), is_app=True)
            self.apps[id(name)] = self._implicit
        return self._implicit

    def _app_of(self, module: Module, expr: ast.expr, depth: int = 0) -> _App | None:
        if isinstance(expr, ast.Call):
            return self.apps.get(id(expr)) or self._factory_result(module, expr, depth)
        resolved = self.index.resolve_expr(module, expr)
        if not isinstance(resolved, Symbol):
            return None
        found = self.apps.get(id(resolved.node))
        if found is None and isinstance(resolved.node, ast.Call):
            found = self._factory_result(resolved.module, resolved.node, depth)
        return found

    def _factory_result(self, module: Module, call: ast.Call, depth: int) -> _App | None:
        """The app or blueprint a factory returns: app = create_app("dev"), register_blueprint(make(app))."""
        factory = self.index.call_target(module, call)
        if depth >= 4 or not (
            isinstance(factory, Symbol) and isinstance(factory.node, ast.FunctionDef | ast.AsyncFunctionDef)
        ):
            return None
        for node in ast.walk(factory.node):
            if isinstance(node, ast.Return) and node.value is not None:
                found = self._app_of(factory.module, node.value, depth + 1)
                if found is not None:
                    return found
        return None

    def _collect_routes(self) -> None:
        for module in self.index.app_modules:
            for function, owner in module.functions:
                if owner is not None:
                    continue
                for decorator in function.decorator_list:
                    self._decorator(module, function, decorator)
            for cls in module.classes:
                for decorator in cls.decorator_list:
                    self._class_decorator(module, cls, decorator)

    def _class_decorator(self, module: Module, cls: ast.ClassDef, decorator: ast.expr) -> None:
        """``@blp.route("/items")`` / ``@ns.route("/")`` on a MethodView / Resource class."""
        if not (
            isinstance(decorator, ast.Call)
            and isinstance(decorator.func, ast.Attribute)
            and decorator.func.attr == "route"
        ):
            return
        app = self._app_of(module, decorator.func.value)
        if app is None:
            return
        rule = self._path(
            module, decorator.args[0] if decorator.args else kwarg(decorator, "rule"), cls.lineno, rule=True
        )
        if rule is None:
            return
        self._class_routes(app, rule, Symbol(module, cls.name, cls), str_list(kwarg(decorator, "methods")))

    def _class_routes(self, app: _App, rule: str, cls: Symbol, explicit: list[str] | None) -> None:
        """One route per HTTP-verb method of the class (inherited ones from project bases included)."""
        seen: set[str] = set()
        owners = [cls, *(b for b in self.index.class_bases(cls) if isinstance(b, Symbol))]
        for owner in owners:
            if not isinstance(owner.node, ast.ClassDef):
                continue
            for item in owner.node.body:
                if (
                    isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                    and item.name in _VIEW_METHODS
                    and item.name not in seen
                    and (explicit is None or item.name.upper() in (m.upper() for m in explicit))
                ):
                    seen.add(item.name)
                    app.routes.append((rule, [_VERBS[item.name]], item, owner.module))

    def _decorator(
        self, module: Module, function: ast.FunctionDef | ast.AsyncFunctionDef, decorator: ast.expr
    ) -> None:
        if isinstance(decorator, ast.Attribute) and decorator.attr == "before_request":
            app = self._app_of(module, decorator.value)
            if app is not None:
                app.guards.append((function, module))
            return
        if not isinstance(decorator, ast.Call):
            return
        if not isinstance(decorator.func, ast.Attribute) or (
            decorator.func.attr != "route" and decorator.func.attr not in _VERBS
        ):
            wrapped = self._wrapped_route(module, decorator)
            if wrapped is not None:
                self._decorator(module, function, wrapped)
            return
        verb = decorator.func.attr
        app = self._app_of(module, decorator.func.value)
        if app is None:
            return
        rule = self._path(
            module,
            decorator.args[0] if decorator.args else kwarg(decorator, "rule"),
            function.lineno,
            rule=True,
        )
        if rule is None:
            return
        if verb == "route":
            names = str_list(kwarg(decorator, "methods")) or ["GET"]
            methods = [_VERBS[m.lower()] for m in names if m.lower() in _VERBS]
        else:
            methods = [_VERBS[verb]]
        app.routes.append((rule, methods, function, module))

    def _wrapped_route(self, module: Module, decorator: ast.Call) -> ast.Call | None:
        """The route a project's own decorator stands for: `@route(bp, "/<id>", methods=["DELETE"])` where
        `def route(bp, *args, **kwargs)` applies `bp.route(*args, **kwargs)`; its parameters become the
        arguments given here."""
        target = self.index.call_target(module, decorator)
        if not (isinstance(target, Symbol) and isinstance(target.node, ast.FunctionDef)):
            return None
        fn = target.node
        named = [a.arg for a in fn.args.args]
        bound = dict(zip(named, decorator.args, strict=False))
        bound.update({k.arg: k.value for k in decorator.keywords if k.arg in named})
        rest = decorator.args[len(named) :]
        options = [k for k in decorator.keywords if k.arg not in named]
        star = fn.args.vararg.arg if fn.args.vararg else None
        double_star = fn.args.kwarg.arg if fn.args.kwarg else None
        for inner in ast.walk(fn):
            if not (
                isinstance(inner, ast.Call)
                and isinstance(inner.func, ast.Attribute)
                and (inner.func.attr == "route" or inner.func.attr in _VERBS)
                and isinstance(inner.func.value, ast.Name)
                and inner.func.value.id in bound
            ):
                continue
            positional: list[ast.expr] = []
            for arg in inner.args:
                if isinstance(arg, ast.Starred) and isinstance(arg.value, ast.Name) and arg.value.id == star:
                    positional.extend(rest)
                elif isinstance(arg, ast.Name) and arg.id in bound:
                    positional.append(bound[arg.id])
                else:
                    return None
            keywords: list[ast.keyword] = []
            for keyword in inner.keywords:
                spread = isinstance(keyword.value, ast.Name) and keyword.value.id == double_star
                if keyword.arg is None and spread:
                    keywords.extend(options)
                elif isinstance(keyword.value, ast.Name) and keyword.value.id in bound:
                    keywords.append(ast.keyword(keyword.arg, bound[keyword.value.id]))
                elif isinstance(keyword.value, ast.Constant | ast.List | ast.Tuple):
                    keywords.append(keyword)
            func = ast.Attribute(value=bound[inner.func.value.id], attr=inner.func.attr, ctx=ast.Load())
            return ast.copy_location(ast.Call(func=func, args=positional, keywords=keywords), decorator)
        return None

    def _mount(self, module: Module, call: ast.Call) -> None:
        """werkzeug's `DispatcherMiddleware(front, {"/api": api})`: each mounted app serves under its key."""
        mounts = call.args[1] if len(call.args) > 1 else kwarg(call, "mounts")
        if not isinstance(mounts, ast.Dict):
            return
        front = self._app_of(module, call.args[0]) if call.args else None
        for key, value in zip(mounts.keys, mounts.values, strict=True):
            mounted = self._app_of(module, value) if key is not None else None
            if mounted is None or mounted is front or not mounted.is_app or key is None:
                continue
            prefix = self._path(module, key, call.lineno)
            mounted.prefix = _join(prefix or "", mounted.prefix) if prefix is not None else mounted.prefix

    def _collect_calls(self) -> None:
        for module in self.index.app_modules:
            for call in module.calls:
                target = self.index.call_target(module, call)
                if isinstance(target, External) and target.is_("DispatcherMiddleware", "werkzeug"):
                    self._mount(module, call)
                    continue
                if not isinstance(call.func, ast.Attribute) or call.func.attr not in _APP_CALLS:
                    continue
                # The app/blueprint/Api the call is made on, per call path when it is a function's
                # parameter: register_routes(api) called from create_app binds api to its Api(app).
                owned: list[tuple[LoopEnv, _App]] = []
                registers = call.func.attr in ("register_blueprint", "add_namespace")
                direct = None if registers else self._app_of(module, call.func.value)
                # Call paths only matter for a registration (its child and prefix) or an unknown owner.
                for env in [{}] if direct is not None else self.resolver.binding_envs(module, call):
                    owner = self._app_of(*self.resolver.bound(module, call.func.value, env))
                    if owner is None and call.func.attr == "register_blueprint":
                        owner = self._implicit_app(module, call.func.value)
                    if owner is not None:
                        owned.append((env, owner))
                if registers:
                    for env, owner in owned:
                        self._register(module, call, env, owner)
                    continue
                for owner in {id(o): o for _, o in owned}.values():
                    self._owned_call(module, call, owner)

    def _register(self, module: Module, call: ast.Call, env: LoopEnv, owner: _App) -> None:
        """``app.register_blueprint(bp, url_prefix=...)`` / ``api.add_namespace(ns, path=...)``."""
        if not call.args:
            return
        # for bp, prefix in [(users, "/u"), ...]: app.register_blueprint(bp, url_prefix=prefix)
        child = self._app_of(*self.resolver.bound(module, call.args[0], env))
        if child is None or child is owner:
            return
        assert isinstance(call.func, ast.Attribute)
        prefix_expr = kwarg(call, "url_prefix" if call.func.attr == "register_blueprint" else "path")
        prefix = None
        if prefix_expr is not None:
            prefix_module, bound_prefix = self.resolver.bound(module, prefix_expr, env)
            # f"/{root}/{BASE}": names inside the expression are bound where it was written.
            prefix = self._path(
                prefix_module, bound_prefix, call.lineno, env=env if bound_prefix is prefix_expr else None
            )
        child.registered = True
        owner.children.append((child, prefix))

    def _owned_call(self, module: Module, call: ast.Call, owner: _App) -> None:
        assert isinstance(call.func, ast.Attribute)
        attr = call.func.attr
        if attr == "init_app" and owner.kind == "api" and call.args:
            self._attach(module, call.args[0], owner)
        elif attr == "add_resource" and len(call.args) > 1:
            self._add_resource(module, owner, call)
        elif attr == "add_url_rule":
            self._add_url_rule(module, owner, call)
        elif attr == "before_request" and call.args:
            guard = self.index.resolve_expr(module, call.args[0])
            if isinstance(guard, Symbol) and isinstance(guard.node, ast.FunctionDef | ast.AsyncFunctionDef):
                owner.guards.append((guard.node, guard.module))

    def _add_resource(self, module: Module, owner: _App, call: ast.Call) -> None:
        """Flask-RESTful / RESTX ``api.add_resource(Resource, "/a", "/b")``."""
        cls = self.index.resolve_expr(module, call.args[0])
        if not (isinstance(cls, Symbol) and isinstance(cls.node, ast.ClassDef)):
            return
        for rule_expr in call.args[1:]:
            rule = self._path(module, rule_expr, call.lineno, rule=True)
            if rule is not None:
                self._class_routes(owner, rule, cls, None)

    def _add_url_rule(self, module: Module, owner: _App, call: ast.Call) -> None:
        rule = self._path(module, call.args[0] if call.args else kwarg(call, "rule"), call.lineno, rule=True)
        view = kwarg(call, "view_func") or (call.args[2] if len(call.args) > 2 else None)
        if rule is None or view is None:
            return
        explicit = str_list(kwarg(call, "methods"))
        view_module = module
        if isinstance(view, ast.Name):
            # user_view = UserAPI.as_view("users"); app.add_url_rule("/users/", view_func=user_view)
            named = self.index.resolve_expr(module, view)
            if isinstance(named, Symbol) and isinstance(named.node, ast.Call):
                view_module, view = named.module, named.node
        if (
            isinstance(view, ast.Call)
            and isinstance(view.func, ast.Attribute)
            and view.func.attr == "as_view"
        ):
            cls = self.index.resolve_expr(view_module, view.func.value)
            if isinstance(cls, Symbol) and isinstance(cls.node, ast.ClassDef):
                self._class_routes(owner, rule, cls, explicit)
            return
        target = self.index.resolve_expr(module, view)
        if isinstance(target, Symbol) and isinstance(target.node, ast.FunctionDef | ast.AsyncFunctionDef):
            methods = [_VERBS[m.lower()] for m in (explicit or ["GET"]) if m.lower() in _VERBS]
            owner.routes.append((rule, methods, target.node, target.module))

    def _visit(
        self,
        app: _App,
        here: str,
        guards: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, Module]],
        stack: tuple[int, ...],
        unknown: tuple[str, ...] = (),
    ) -> None:
        """Emit ``app``'s routes under ``here`` (its full prefix) and recurse into registered blueprints.

        ``unknown``: why parts of ``here`` are not known (they are marked on every operation below).
        """
        guards = guards + app.guards
        for rule, methods, function, module in app.routes:
            reasons = (*unknown, rule.reason) if isinstance(rule, _Unresolved) else unknown
            for method in methods:
                guarded(
                    self.api.warnings,
                    self._where(module),
                    function.lineno,
                    f"route {method.upper()} {rule} ({function.name})",
                    partial(self._operation, _join(here, rule), method, function, module, guards, reasons),
                )
        for child, url_prefix in app.children:
            if id(child) in stack:
                where = self._where(child.symbol.module)
                self.api.warnings.append(f"{where}: blueprint {child.symbol.name} is registered in a cycle")
                continue
            # register_blueprint(url_prefix=) replaces the blueprint's own url_prefix.
            own = url_prefix if url_prefix is not None else child.prefix
            reasons = (*unknown, own.reason) if isinstance(own, _Unresolved) else unknown
            self._visit(child, _join(here, own), guards, (*stack, id(child)), reasons)

    def _operation(
        self,
        rule: str,
        method: HttpMethod,
        function: ast.FunctionDef | ast.AsyncFunctionDef,
        module: Module,
        guards: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, Module]],
        unknown: tuple[str, ...] = (),
    ) -> None:
        path, parameters = flask_path(rule)
        params: dict[tuple[str, str], Parameter] = {("path", p.name): p for p in parameters}
        body, unresolved = self._reads(function, params)
        for param in self.arguments.query_params(module, function, method):
            params.setdefault(("query", param.name), param)
        scheme_names: set[str] = set()
        for guard, _ in guards:
            scheme_names.update(schemes_from_checks(guard, self.api.security_schemes))
        for decorator in function.decorator_list:
            target_expr = decorator.func if isinstance(decorator, ast.Call) else decorator
            resolved = self.index.resolve_expr(module, target_expr)
            if isinstance(resolved, Symbol) and isinstance(
                resolved.node, ast.FunctionDef | ast.AsyncFunctionDef
            ):
                scheme_names.update(schemes_from_checks(resolved.node, self.api.security_schemes))
        scheme_names.update(schemes_from_checks(function, self.api.security_schemes))
        doc = ast.get_docstring(function)
        self.api.operations.append(
            Operation(
                method=method,
                path=path if path.startswith("/") else "/" + path,
                operation_id=function.name,
                summary=doc.strip().splitlines()[0] if doc else None,
                parameters=tuple(params.values()),
                request_body=body if method in ("post", "put", "patch") else None,
                responses={"200": None},
                security=[{name: [] for name in sorted(scheme_names)}] if scheme_names else None,
                unresolved={
                    **(unresolved if method in ("post", "put", "patch") else {}),
                    **({"path": "; ".join(unknown)} if unknown else {}),
                },
                evidence=Evidence(self._where(module), function.lineno, f"{function.name}()"),
            )
        )

    def _reads(
        self, function: ast.FunctionDef | ast.AsyncFunctionDef, params: dict[tuple[str, str], Parameter]
    ) -> tuple[dict[str, Any] | None, dict[str, str]]:
        """Query parameters from ``request.args`` and whether a JSON body is read."""
        body: dict[str, Any] | None = None
        unresolved: dict[str, str] = {}
        aliases = _args_aliases(function)
        for node in ast.walk(function):
            if (
                isinstance(node, ast.Compare)
                and len(node.ops) == 1
                and isinstance(node.ops[0], ast.In | ast.NotIn)
            ):
                # `"verbose" in request.args`
                name = const_str(node.left)
                if name is not None and _is_args(node.comparators[0], aliases):
                    params.setdefault(("query", name), Parameter(name, "query", {"type": "string"}, False))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                if _is_args(owner, aliases) and node.func.attr in ("get", "getlist") and node.args:
                    name = const_str(node.args[0])
                    if name is None:
                        continue
                    kind = kwarg(node, "type")
                    schema: dict[str, Any] = (
                        dict(_ARG_TYPES.get(kind.id, {"type": "string"}))
                        if isinstance(kind, ast.Name)
                        else {"type": "string"}
                    )
                    if node.func.attr == "getlist":
                        schema = {"type": "array", "items": schema}
                    default = literal(node.args[1] if len(node.args) > 1 else kwarg(node, "default"))
                    if default is not None:
                        schema["default"] = default
                    params.setdefault(("query", name), Parameter(name, "query", schema, required=False))
                elif node.func.attr in ("get_json", "get_data"):
                    body = {"type": "object"}
            elif isinstance(node, ast.Subscript) and _is_args(node.value, aliases):
                if not isinstance(node.ctx, ast.Store):
                    name = const_str(node.slice)
                    if name is not None:
                        params.setdefault(("query", name), Parameter(name, "query", {"type": "string"}, True))
            elif (
                isinstance(node, ast.Attribute)
                and node.attr in ("json", "form")
                and isinstance(node.value, ast.Name)
                and node.value.id == "request"
            ):
                body = {"type": "object"}
        if body is not None:
            unresolved["body"] = "request body is read as untyped JSON; its fields are not declared"
        return body, unresolved


def _route_count(app: _App, stack: tuple[int, ...]) -> int:
    if id(app) in stack:
        return 0
    return len(app.routes) + sum(_route_count(child, (*stack, id(app))) for child, _ in app.children)


def _join(prefix: str, rule: str | None) -> str:
    if not rule:
        return prefix
    if not prefix:
        return rule
    return prefix.rstrip("/") + "/" + rule.lstrip("/")


def _is_args(node: ast.expr, aliases: set[str]) -> bool:
    """`request.args`, or a local name holding it or a copy of it."""
    return (isinstance(node, ast.Attribute) and node.attr == "args") or (
        isinstance(node, ast.Name) and node.id in aliases
    )


def _args_aliases(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Local names bound to the query arguments: `args = request.args`, a copy (`dict(request.args)`,
    `request.args.to_dict()`) or a mapping built from them (`CaseInsensitiveDict(request.args.items())`)."""
    aliases: set[str] = set()
    assignments = [n for n in ast.walk(function) if isinstance(n, ast.Assign) and len(n.targets) == 1]
    for _ in range(2):  # an alias of an alias
        for assign in assignments:
            target = assign.targets[0]
            if isinstance(target, ast.Name) and _holds_args(assign.value, aliases):
                aliases.add(target.id)
    return aliases


def _holds_args(value: ast.expr, aliases: set[str]) -> bool:
    if _is_args(value, aliases):
        return True
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    if isinstance(func, ast.Attribute) and func.attr in ("to_dict", "copy") and _is_args(func.value, aliases):
        return True
    for arg in value.args:
        if _is_args(arg, aliases):
            return True
        method = arg.func if isinstance(arg, ast.Call) else None
        if isinstance(method, ast.Attribute) and method.attr == "items" and _is_args(method.value, aliases):
            return True
    return False
