"""Django and Django REST framework: urlpatterns, include(), views, ViewSets, routers, serializers."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import partial
from typing import Any

from .._model import Evidence, ExtractedApi, HttpMethod, Operation, Parameter
from ._auth import schemes_from_checks
from ._base import FrameworkExtractor
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
    simple_name,
    str_list,
)
from ._ninja import NinjaRoutes
from ._schema import REF_PREFIX, nullable

_METHODS: tuple[HttpMethod, ...] = ("get", "post", "put", "patch", "delete")
_VERB: dict[str, HttpMethod] = {
    "get": "get",
    "post": "post",
    "put": "put",
    "patch": "patch",
    "delete": "delete",
}
_CONVERTERS: dict[str, dict[str, Any]] = {
    "int": {"type": "integer"},
    "str": {"type": "string"},
    "slug": {"type": "string"},
    "path": {"type": "string"},
    "uuid": {"type": "string", "format": "uuid"},
}
_PATH_CONVERTER = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^()]*)\)")
_REGEX_LEFTOVER = re.compile(r"[()\[\]*+?|\\{}]")
# ViewSet action -> (method, detail route)
_ACTIONS: dict[str, tuple[HttpMethod, bool]] = {
    "list": ("get", False),
    "create": ("post", False),
    "retrieve": ("get", True),
    "update": ("put", True),
    "partial_update": ("patch", True),
    "destroy": ("delete", True),
}
_BASE_ACTIONS: dict[str, tuple[str, ...]] = {
    "ModelViewSet": ("list", "create", "retrieve", "update", "partial_update", "destroy"),
    "ReadOnlyModelViewSet": ("list", "retrieve"),
    "ListModelMixin": ("list",),
    "CreateModelMixin": ("create",),
    "RetrieveModelMixin": ("retrieve",),
    "UpdateModelMixin": ("update", "partial_update"),
    "DestroyModelMixin": ("destroy",),
}
_GENERIC_VIEWS: dict[str, tuple[HttpMethod, ...]] = {
    "ListAPIView": ("get",),
    "CreateAPIView": ("post",),
    "RetrieveAPIView": ("get",),
    "DestroyAPIView": ("delete",),
    "UpdateAPIView": ("put", "patch"),
    "ListCreateAPIView": ("get", "post"),
    "RetrieveUpdateAPIView": ("get", "put", "patch"),
    "RetrieveDestroyAPIView": ("get", "delete"),
    "RetrieveUpdateDestroyAPIView": ("get", "put", "patch", "delete"),
    "TemplateView": ("get",),
    "ListView": ("get",),
    "DetailView": ("get",),
    # RedirectView redirects whatever the method; Django's form views take PUT as they take POST, and
    # DeleteView (DeletionMixin) answers DELETE too.
    "RedirectView": ("get", "post", "put", "patch", "delete"),
    "CreateView": ("get", "post", "put"),
    "UpdateView": ("get", "post", "put"),
    "DeleteView": ("get", "post", "delete"),
    "FormView": ("get", "post", "put"),
    # Token endpoints of DRF's authtoken and djangorestframework-simplejwt, subclassed or routed directly.
    "ObtainAuthToken": ("post",),
    "TokenObtainPairView": ("post",),
    "TokenObtainSlidingView": ("post",),
    "TokenRefreshView": ("post",),
    "TokenRefreshSlidingView": ("post",),
    "TokenVerifyView": ("post",),
    "TokenBlacklistView": ("post",),
}
_AUTH_SCHEMES: dict[str, tuple[str, dict[str, Any]]] = {
    "TokenAuthentication": (
        "TokenAuth",
        {"type": "apiKey", "in": "header", "name": "Authorization", "description": 'Value "Token <key>"'},
    ),
    "BasicAuthentication": ("BasicAuth", {"type": "http", "scheme": "basic"}),
    "SessionAuthentication": ("SessionAuth", {"type": "apiKey", "in": "cookie", "name": "sessionid"}),
    "JWTAuthentication": ("JWTAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}),
    "JSONWebTokenAuthentication": ("JWTAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}),
}
_DRF_DEFAULT_AUTH = ("SessionAuthentication", "BasicAuthentication")
_MAX_URLCONF_DEPTH = 32
# DRF pagination classes -> the query parameters they read (and the class attribute renaming each).
_PAGINATION: dict[str, tuple[tuple[str, str], ...]] = {
    "PageNumberPagination": (("page", "page_query_param"),),
    "LimitOffsetPagination": (("limit", "limit_query_param"), ("offset", "offset_query_param")),
    "CursorPagination": (("cursor", "cursor_query_param"),),
}
_QUERY_READERS = frozenset({"query_params", "GET"})
_MODEL_FIELDS: dict[str, dict[str, Any]] = {
    "AutoField": {"type": "integer"},
    "BigAutoField": {"type": "integer"},
    "SmallAutoField": {"type": "integer"},
    "IntegerField": {"type": "integer"},
    "BigIntegerField": {"type": "integer"},
    "SmallIntegerField": {"type": "integer"},
    "PositiveIntegerField": {"type": "integer", "minimum": 0},
    "PositiveSmallIntegerField": {"type": "integer", "minimum": 0},
    "PositiveBigIntegerField": {"type": "integer", "minimum": 0},
    "FloatField": {"type": "number"},
    "DecimalField": {"type": "string", "format": "decimal"},
    "BooleanField": {"type": "boolean"},
    "NullBooleanField": {"type": ["boolean", "null"]},
    "CharField": {"type": "string"},
    "TextField": {"type": "string"},
    "SlugField": {"type": "string"},
    "EmailField": {"type": "string", "format": "email"},
    "URLField": {"type": "string", "format": "uri"},
    "UUIDField": {"type": "string", "format": "uuid"},
    "DateTimeField": {"type": "string", "format": "date-time"},
    "DateField": {"type": "string", "format": "date"},
    "TimeField": {"type": "string", "format": "time"},
    "DurationField": {"type": "string"},
    "IPAddressField": {"type": "string"},
    "GenericIPAddressField": {"type": "string"},
    "JSONField": {},
    "DictField": {"type": "object"},
    "ListField": {"type": "array"},
    "ChoiceField": {"type": "string"},
    "FileField": {"type": "string", "format": "uri"},
    "ImageField": {"type": "string", "format": "uri"},
    "ForeignKey": {"type": "integer"},
    "OneToOneField": {"type": "integer"},
    "PrimaryKeyRelatedField": {"type": "integer"},
    "ManyToManyField": {"type": "array", "items": {"type": "integer"}},
    "SerializerMethodField": {},
    "ReadOnlyField": {},
    "HyperlinkedIdentityField": {"type": "string", "format": "uri"},
}


@dataclass(frozen=True)
class _Security:
    """The auth/permission classes in force for a view (names of DRF classes)."""

    authentication: tuple[str, ...]
    permissions: tuple[str, ...]


class DjangoExtractor(FrameworkExtractor):
    framework = "django"

    def __init__(
        self, index: PythonIndex, api: ExtractedApi, app_dir: str, entrypoint: str | None = None
    ) -> None:
        super().__init__(index, api, app_dir, entrypoint)
        self.defaults = _Security(_DRF_DEFAULT_AUTH, ("AllowAny",))
        # The DEFAULT_PAGINATION_CLASS of REST_FRAMEWORK (its class name), if set.
        self.pagination: str | None = None
        self._visited: set[int] = set()
        self.ninja = NinjaRoutes(index, self.resolver, api, self._where)
        # Path prefixes standing for a url route the code computes at run time -> why.
        self._unknown: dict[str, str] = {}

    def run(self) -> None:
        root = self._root_urlconf()
        if root is None:
            self.api.warnings.append("django: no ROOT_URLCONF or urls.py found; no routes extracted")
            return
        self._module_patterns(root, "", 0)

    def _root_urlconf(self) -> Module | None:
        settings = sorted(
            (m for m in self.index.app_modules if "ROOT_URLCONF" in m.defs),
            key=lambda m: (m.name.count("."), m.name),
        )
        for module in settings:
            self._read_settings(module)
            name = const_str(module.defs["ROOT_URLCONF"])
            found = self.index.module(name) if name else None
            if found is not None:
                return found
        urls = sorted(
            (
                m
                for m in self.index.app_modules
                if m.name.rsplit(".", 1)[-1] == "urls" and "urlpatterns" in m.defs
            ),
            key=lambda m: (m.name.count("."), m.name),
        )
        return urls[0] if urls else None

    def _read_settings(self, module: Module) -> None:
        conf = module.defs.get("REST_FRAMEWORK")
        if not isinstance(conf, ast.Dict):
            return
        auth, perms = self.defaults.authentication, self.defaults.permissions
        for key, value in zip(conf.keys, conf.values, strict=True):
            names = [s.rsplit(".", 1)[-1] for s in (str_list(value) or [])]
            if const_str(key) == "DEFAULT_AUTHENTICATION_CLASSES":
                auth = tuple(names)
            elif const_str(key) == "DEFAULT_PERMISSION_CLASSES":
                perms = tuple(names)
            elif const_str(key) == "DEFAULT_PAGINATION_CLASS":
                dotted = self.resolver.string(module, value)
                self.pagination = dotted.rsplit(".", 1)[-1] if dotted else None
        self.defaults = _Security(auth, perms)

    # ---- urlpatterns ----------------------------------------------------------------------------
    def _module_patterns(self, module: Module, prefix: str, depth: int) -> None:
        if id(module) in self._visited or depth > 16:
            self.api.warnings.append(f"{self._where(module)}: urlconf included in a cycle; ignored")
            return
        self._visited.add(id(module))
        history = module.history.get("urlpatterns") or []
        if history:
            self._patterns(module, history[-1], prefix, depth, tuple(history[:-1]))
        for extra in module.augments.get("urlpatterns", []):
            self._patterns(module, extra, prefix, depth)
        self._visited.discard(id(module))

    def _patterns(
        self, module: Module, expr: ast.expr, prefix: str, depth: int, earlier: tuple[ast.expr, ...] = ()
    ) -> None:
        """Routes of a urlpatterns expression; ``earlier`` are the module's previous urlpatterns values."""
        if depth > _MAX_URLCONF_DEPTH:
            self.api.warnings.append(
                f"{self._where(module)}:{getattr(expr, 'lineno', '?')}: urlpatterns nested too deeply; "
                "the rest is left out"
            )
            return
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            self._patterns(module, expr.left, prefix, depth + 1, earlier)
            self._patterns(module, expr.right, prefix, depth + 1, earlier)
            return
        if isinstance(expr, ast.List | ast.Tuple):
            for item in expr.elts:
                if isinstance(item, ast.Starred):
                    self._patterns(module, item.value, prefix, depth + 1, earlier)
                elif isinstance(item, ast.Call):
                    guarded(
                        self.api.warnings,
                        self._where(module),
                        item.lineno,
                        f"url pattern {ast.unparse(item)[:60]}",
                        partial(self._pattern, module, item, prefix, depth),
                    )
            return
        if isinstance(expr, ast.Attribute) and expr.attr == "urls":
            self._router(module, expr.value, prefix)
            return
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name | ast.Attribute) and expr.args:
            # format_suffix_patterns([...]), urlpatterns = helper.do_urls(urlpatterns) and similar wrappers
            self._patterns(module, expr.args[0], prefix, depth + 1, earlier)
            return
        if isinstance(expr, ast.Name):
            if expr.id == "urlpatterns" and module.history.get("urlpatterns"):
                # A reassignment reading urlpatterns means the value before it, never itself.
                if earlier:
                    self._patterns(module, earlier[-1], prefix, depth + 1, earlier[:-1])
                return
            resolved = self.index.resolve_expr(module, expr)
            if isinstance(resolved, Symbol) and isinstance(resolved.node, ast.expr):
                history = tuple(resolved.module.history.get(resolved.name, ()))[:-1]
                self._patterns(resolved.module, resolved.node, prefix, depth + 1, history)

    def _pattern(self, module: Module, call: ast.Call, prefix: str, depth: int) -> None:
        target = self.index.call_target(module, call)
        kind = target.last if isinstance(target, External) else None
        # path(route, view, kwargs=None, name=None): the first two may be given by keyword
        keywords = {k.arg: k.value for k in call.keywords if k.arg in ("route", "regex", "view")}
        given = [*call.args[:2], *(keywords[k] for k in ("route", "regex", "view") if k in keywords)]
        if kind not in ("path", "re_path", "url") or len(given) < 2:
            return
        route_expr = given[0]
        route = self.resolver.string(module, route_expr)
        reason = None
        if route is None:
            # Kept as a {unresolved} segment; every operation under it is marked with the reason.
            reason = f"url route {ast.unparse(route_expr)!r} is not known statically"
            self.api.warnings.append(
                f"{self._where(module)}:{call.lineno}: {reason}; its routes are listed under /{{unresolved}}"
            )
            route = "<unresolved>/" if kind == "path" else r"^(?P<unresolved>[^/]+)/"
        piece, params, unresolved = _django_route(route, regex=kind != "path")
        full = prefix + piece
        if reason is not None:
            self._unknown["/" + full] = reason
        view = given[1]
        if isinstance(view, ast.Attribute) and view.attr == "urls":
            # path("api/", api.urls): a django-ninja API (or a router's urls) mounted here.
            self._router(module, view.value, full)
            return
        if isinstance(view, ast.Call):
            view_target = self.index.call_target(module, view)
            if isinstance(view_target, External) and view_target.last == "include" and view.args:
                self._include(module, view.args[0], full, depth)
                return
        if kind != "path" and _CATCH_ALL.match(route):
            # `re_path(r"^.*", TemplateView.as_view(template_name="index.html"))`: a single-page app's
            # fallback (or a 404 page), not an API endpoint.
            return
        func = view.func if isinstance(view, ast.Call) else None
        if isinstance(view, ast.Call) and isinstance(func, ast.Attribute) and func.attr == "as_view":
            self._class_view(module, view, full, params, unresolved, call)
            return
        resolved = self.index.resolve_expr(module, view)
        if isinstance(resolved, Symbol) and isinstance(resolved.node, ast.FunctionDef | ast.AsyncFunctionDef):
            self._function_view(resolved, full, params, unresolved)

    def _include(self, module: Module, arg: ast.expr, prefix: str, depth: int) -> None:
        if isinstance(arg, ast.Tuple) and arg.elts:
            arg = arg.elts[0]
        name = const_str(arg)
        if name is not None:
            included = self.index.module(name)
            if included is None:
                self.api.warnings.append(f"{self._where(module)}: include({name!r}) not found in the project")
                return
            self._module_patterns(included, prefix, depth + 1)
            return
        if isinstance(arg, ast.Attribute) and arg.attr == "urls":
            self._router(module, arg.value, prefix)
            return
        resolved = self.index.resolve_expr(module, arg)
        if isinstance(resolved, Module):
            self._module_patterns(resolved, prefix, depth + 1)
        elif isinstance(resolved, Symbol) and isinstance(resolved.node, ast.expr):
            self._patterns(resolved.module, resolved.node, prefix, depth + 1)
        else:
            self._patterns(module, arg, prefix, depth + 1)

    # ---- routers and viewsets -------------------------------------------------------------------
    def _router(self, module: Module, router_expr: ast.expr, prefix: str) -> None:
        resolved = self.index.resolve_expr(module, router_expr)
        if not (isinstance(resolved, Symbol) and isinstance(resolved.node, ast.Call)):
            return
        if self.ninja.is_api(resolved):
            self.ninja.emit(resolved, prefix)
            return
        trailing = "" if literal(kwarg(resolved.node, "trailing_slash")) is False else "/"
        router_module = resolved.module
        router_class = self.index.call_target(router_module, resolved.node)
        if isinstance(router_class, External) and router_class.last.startswith("Nested"):
            # drf-nested-routers: NestedSimpleRouter(parent, "clients", lookup="client") serves its viewsets
            # under clients/{client_pk}/.
            parent = self.resolver.string(
                router_module,
                resolved.node.args[1]
                if len(resolved.node.args) > 1
                else kwarg(resolved.node, "parent_prefix"),
            )
            lookup = self.resolver.string(router_module, kwarg(resolved.node, "lookup")) or "parent"
            if parent is None:
                where = f"{self._where(router_module)}:{resolved.node.lineno}"
                self.api.warnings.append(
                    f"{where}: nested router parent prefix is not known statically; its routes are left out"
                )
                return
            prefix = f"{prefix}{parent.strip('/')}/{{{lookup}_pk}}/"
        if isinstance(router_class, External) and router_class.last == "DefaultRouter":
            # DefaultRouter serves an API root view listing its registered viewsets.
            self._emit(
                resolved,
                "get",
                f"/{prefix}",
                (),
                self.defaults,
                f"{resolved.name}.api_root",
                None,
                {"200": {"type": "object"}},
                {},
                resolved.node.lineno,
            )
        for call in router_module.calls:
            if not (
                isinstance(call.func, ast.Attribute)
                and call.func.attr == "register"
                and len(call.args) >= 2
                and self.index.resolve_expr(router_module, call.func.value) == resolved
            ):
                continue
            route = self.resolver.string(router_module, call.args[0])
            viewset = self.index.resolve_expr(router_module, call.args[1])
            if route is None or not isinstance(viewset, Symbol):
                continue
            self._viewset(viewset, prefix + route.strip("/"), trailing)

    def _viewset(self, viewset: Symbol, base: str, trailing: str) -> None:
        node = viewset.node
        if not isinstance(node, ast.ClassDef):
            return
        actions: set[str] = set()
        for cls in [viewset, *self._project_bases(viewset)]:
            assert isinstance(cls.node, ast.ClassDef)
            actions.update(
                i.name for i in cls.node.body if isinstance(i, ast.FunctionDef) and i.name in _ACTIONS
            )
        for base_cls in self.index.class_bases(viewset):
            if isinstance(base_cls, External):
                actions.update(_BASE_ACTIONS.get(base_cls.last, ()))
        lookup = (
            const_str(self._class_attr(viewset, "lookup_url_kwarg"))
            or const_str(self._class_attr(viewset, "lookup_field"))
            or "pk"
        )
        lookup_param = Parameter(lookup, "path", {"type": "string"}, required=True)
        security = self._class_security(viewset)
        serializer = self._serializer_ref(viewset)
        # `router.register("", ViewSet)` under an include's prefix: the viewset is the prefix's own root.
        base = base.strip("/")
        collection = f"/{base}{trailing}" if base else "/"
        detail = f"/{base}/{{{lookup}}}{trailing}" if base else f"/{{{lookup}}}{trailing}"
        for action in sorted(actions, key=list(_ACTIONS).index):
            verb, is_detail = _ACTIONS[action]
            self._emit(
                viewset,
                verb,
                detail if is_detail else collection,
                (lookup_param,) if is_detail else (),
                security,
                f"{node.name}.{action}",
                _action_body(action, serializer),
                _action_response(action, serializer),
                {},
                listing=action == "list",
            )
        for item in node.body:
            if not isinstance(item, ast.FunctionDef):
                continue
            for decorator in item.decorator_list:
                if not (isinstance(decorator, ast.Call) and simple_name(decorator.func) == "action"):
                    continue
                is_detail = literal(kwarg(decorator, "detail")) is True
                url_path = const_str(kwarg(decorator, "url_path")) or item.name
                methods = [m.lower() for m in (str_list(kwarg(decorator, "methods")) or ["get"])]
                path = (
                    f"/{base}/{{{lookup}}}/{url_path}{trailing}"
                    if is_detail
                    else f"/{base}/{url_path}{trailing}"
                )
                for method in methods:
                    if method in _VERB:
                        self._emit(
                            viewset,
                            _VERB[method],
                            path,
                            (lookup_param,) if is_detail else (),
                            security,
                            f"{node.name}.{item.name}",
                            None,
                            {"200": None},
                            {},
                            item.lineno,
                        )

    # ---- class and function views ---------------------------------------------------------------
    def _class_view(
        self,
        module: Module,
        view: ast.Call,
        path: str,
        params: list[Parameter],
        unresolved: dict[str, str],
        pattern: ast.Call,
    ) -> None:
        assert isinstance(view.func, ast.Attribute)
        cls = self.index.resolve_expr(module, view.func.value)
        if isinstance(cls, External):
            # A library's view (drf-spectacular's schema view, Django's TemplateView): its known methods.
            known = _GENERIC_VIEWS.get(cls.last)
            notes = dict(unresolved)
            if known is None:
                notes["method"] = f"{cls.dotted} is a library view; GET assumed"
            owner = Symbol(module, cls.last, view)
            verbs: tuple[HttpMethod, ...] = known or ("get",)
            for verb in verbs:
                self._emit(
                    owner,
                    verb,
                    path,
                    tuple(params),
                    None,
                    f"{cls.last}.{verb}",
                    None,
                    {"200": None},
                    notes,
                    pattern.lineno,
                )
            return
        if not (isinstance(cls, Symbol) and isinstance(cls.node, ast.ClassDef)):
            self.api.warnings.append(
                f"{self._where(module)}:{pattern.lineno}: view class not found in the project"
            )
            return
        mapping = view.args[0] if view.args else None
        security = self._class_security(cls)
        serializer = self._serializer_ref(cls)
        if isinstance(mapping, ast.Dict):
            # ViewSet.as_view({"get": "list", "post": "create"})
            for key, value in zip(mapping.keys, mapping.values, strict=True):
                method, action = (const_str(key) or "").lower(), const_str(value) or ""
                if method in _METHODS:
                    self._emit(
                        cls,
                        _VERB[method],
                        path,
                        tuple(params),
                        security,
                        f"{cls.node.name}.{action}",
                        _action_body(action, serializer),
                        _action_response(action, serializer),
                        unresolved,
                        listing=action == "list",
                    )
            return
        methods: set[HttpMethod] = set()
        for item_cls in [cls, *self._project_bases(cls)]:
            assert isinstance(item_cls.node, ast.ClassDef)
            for item in item_cls.node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name in _METHODS:
                    methods.add(_VERB[item.name])
        lists = False
        library: list[str] = []
        for base in self.index.class_bases(cls):
            if isinstance(base, External):
                methods.update(_GENERIC_VIEWS.get(base.last, ()))
                listed = base.last.startswith("List") and base.last.endswith(("APIView", "View"))
                lists = lists or listed
                library.append(base.dotted)
        if not methods:
            self.api.warnings.append(
                f"{self._where(module)}:{pattern.lineno}: {cls.node.name} defines no HTTP method handler "
                f"and its library bases ({', '.join(library) or 'none'}) are not known; "
                f"its route /{path.lstrip('/')} is left out"
            )
        for method in sorted(methods, key=_METHODS.index):
            body = {"$ref": serializer} if serializer and method in ("post", "put", "patch") else None
            response = _generic_response(method, serializer, cls, self.index)
            self._emit(
                cls,
                method,
                path,
                tuple(params),
                security,
                f"{cls.node.name}.{method}",
                body,
                response,
                unresolved,
                listing=lists and method == "get",
            )

    def _function_view(
        self, view: Symbol, path: str, params: list[Parameter], unresolved: dict[str, str]
    ) -> None:
        node = view.node
        assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        methods: list[str] | None = None
        auth: tuple[str, ...] | None = None
        perms: tuple[str, ...] | None = None
        is_drf = False
        for decorator in node.decorator_list:
            name = simple_name(decorator.func if isinstance(decorator, ast.Call) else decorator)
            args = decorator.args if isinstance(decorator, ast.Call) else []
            if name in ("api_view", "require_http_methods") and args:
                methods = str_list(args[0])
                is_drf = is_drf or name == "api_view"
            elif name == "api_view":
                methods, is_drf = ["GET"], True
            elif name in ("require_GET", "require_safe"):
                methods = ["GET"]
            elif name == "require_POST":
                methods = ["POST"]
            elif name == "authentication_classes" and args:
                auth = tuple(_class_names(args[0]))
            elif name == "permission_classes" and args:
                perms = tuple(_class_names(args[0]))
        notes = dict(unresolved)
        if methods is None:
            # A plain view answers every method: the ones its code tells apart, else all of them.
            methods = ["GET", *(_compared_methods(node) or ["POST", "PUT", "PATCH", "DELETE"])]
            notes.setdefault(
                "method", "plain Django view accepts any method; listed the ones the code checks, or all"
            )
        security: _Security | None = None
        if is_drf:
            security = _Security(auth or self.defaults.authentication, perms or self.defaults.permissions)
        guard_schemes = schemes_from_checks(node, self.api.security_schemes)
        for method in dict.fromkeys(m.lower() for m in methods):
            if method not in _METHODS:
                continue
            self._emit(
                view,
                _VERB[method],
                path,
                tuple(params),
                security,
                node.name,
                None,
                {"200": None},
                notes,
                node.lineno,
                guard_schemes,
            )

    # ---- helpers --------------------------------------------------------------------------------
    def _emit(
        self,
        owner: Symbol,
        method: HttpMethod,
        path: str,
        params: tuple[Parameter, ...],
        security: _Security | None,
        operation_id: str,
        body: dict[str, Any] | None,
        responses: dict[str, dict[str, Any] | None],
        unresolved: dict[str, str],
        line: int | None = None,
        extra_schemes: list[str] | None = None,
        *,
        listing: bool = False,
    ) -> None:
        requirement = self._requirement(security, method, extra_schemes or [])
        node = owner.node
        declared = {p.name for p in params if p.location == "path"}
        params = params + tuple(
            Parameter(name, "path", {"type": "string"}, required=True)
            for name in dict.fromkeys(re.findall(r"\{(\w+)\}", path))
            if name not in declared
        )
        if method == "get":
            taken = {(p.location, p.name) for p in params}
            params = params + tuple(
                p for p in self._query_params(owner, listing) if (p.location, p.name) not in taken
            )
        self.api.operations.append(
            Operation(
                method=method,
                path=path if path.startswith("/") else "/" + path,
                operation_id=operation_id.replace(".", "_"),
                parameters=params,
                request_body=body,
                responses=responses,
                security=requirement,
                unresolved=self._with_unknown(unresolved, path),
                evidence=Evidence(
                    self._where(owner.module),
                    line or getattr(node, "lineno", None),
                    getattr(node, "name", owner.name),
                ),
            )
        )

    def _with_unknown(self, unresolved: dict[str, str], path: str) -> dict[str, str]:
        path = path if path.startswith("/") else "/" + path
        reasons = [why for start, why in self._unknown.items() if path.startswith(start)]
        return {**unresolved, "path": "; ".join(reasons)} if reasons else dict(unresolved)

    def _requirement(
        self, security: _Security | None, method: HttpMethod, extra: list[str]
    ) -> list[dict[str, list[str]]] | None:
        if security is None:
            return [{name: [] for name in extra}] if extra else None
        permissions = set(security.permissions)
        public = not permissions or permissions <= {"AllowAny"}
        if "IsAuthenticatedOrReadOnly" in permissions and method == "get":
            public = True
        if public:
            return [{name: [] for name in extra}] if extra else []
        names: list[str] = []
        for auth in security.authentication:
            known = _AUTH_SCHEMES.get(auth)
            if known is not None:
                self.api.security_schemes.setdefault(known[0], known[1])
                names.append(known[0])
        # DRF accepts any one of the authentication classes: alternatives, not a combination.
        requirements: list[dict[str, list[str]]] = [{name: []} for name in dict.fromkeys(names)]
        return requirements or None

    def _query_params(self, owner: Symbol, listing: bool) -> list[Parameter]:
        """Query parameters a GET view reads: query_params/GET reads (directly or through a serializer
        bound to them), pagination (the view's, or one passed as pagination_class=), filter fields."""
        found: dict[str, Parameter] = {}

        def add(name: str, schema: dict[str, Any]) -> None:
            found.setdefault(name, Parameter(name, "query", schema))

        scopes = [owner]
        if isinstance(owner.node, ast.ClassDef):
            scopes += self._project_bases(owner)
        for scope in scopes:
            for node in ast.walk(scope.node):
                name = _query_read(node)
                if name is not None:
                    add(name, {"type": "string"})
                if not isinstance(node, ast.Call):
                    continue
                bound = kwarg(node, "data") or (node.args[0] if node.args else None)
                if isinstance(bound, ast.Attribute) and bound.attr in _QUERY_READERS:
                    # FilterSerializer(data=request.query_params): the serializer's fields are the filters.
                    serializer = self._class_ref(owner, scope.module, node.func)
                    if serializer is not None:
                        for field, schema in self._serializer_schema(serializer)["properties"].items():
                            add(field, schema)
                paginator = kwarg(node, "pagination_class")
                if paginator is not None:
                    for field in self._pagination_names(
                        self._class_ref(owner, scope.module, paginator), None
                    ):
                        add(field, {"type": "integer"})
        if listing and isinstance(owner.node, ast.ClassDef):
            for name in self._pagination_params(owner):
                add(name, {"type": "integer"})
            if self._class_attr(owner, "paginate_by") is not None:
                # Django's MultipleObjectMixin pages by ?page= (its page_kwarg)
                add(const_str(self._class_attr(owner, "page_kwarg")) or "page", {"type": "integer"})
            for attr, param in (("search_fields", "search"), ("ordering_fields", "ordering")):
                if self._class_attr(owner, attr) is not None:
                    add(param, {"type": "string"})
            filters = self._class_attr(owner, "filterset_fields")
            names = str_list(filters) or (
                [k for k in (const_str(k) for k in filters.keys) if k]
                if isinstance(filters, ast.Dict)
                else []
            )
            for name in names:
                add(name, {"type": "string"})
            filterset = self._class_attr(owner, "filterset_class")
            if filterset is not None:
                resolved = self.index.resolve_expr(self._attr_module(owner, "filterset_class"), filterset)
                if isinstance(resolved, Symbol) and isinstance(resolved.node, ast.ClassDef):
                    for name in self._filterset_names(resolved):
                        add(name, {"type": "string"})
        return list(found.values())

    def _filterset_names(self, filterset: Symbol) -> list[str]:
        """django-filter's FilterSet: a query parameter per declared filter (`author = CharFilter(...)`)
        and per `Meta.fields` entry (a dict's keys with their lookups: `year__gte`)."""
        names: list[str] = []
        for cls in [filterset, *self._project_bases(filterset)]:
            assert isinstance(cls.node, ast.ClassDef)
            for stmt in cls.node.body:
                if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
                    callee = simple_name(stmt.value.func)
                    if callee.endswith("Filter"):
                        names += [t.id for t in stmt.targets if isinstance(t, ast.Name)]
                elif isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
                    fields = class_attributes(stmt).get("fields")
                    if isinstance(fields, ast.Dict):
                        for key, lookups in zip(fields.keys, fields.values, strict=True):
                            field = const_str(key) if key is not None else None
                            for lookup in str_list(lookups) or []:
                                if field:
                                    names.append(field if lookup == "exact" else f"{field}__{lookup}")
                    else:
                        names += str_list(fields) or []
        return list(dict.fromkeys(names))

    def _class_ref(self, owner: Symbol, module: Module, expr: ast.expr) -> Symbol | None:
        """A class named in a view: ``self.FilterSerializer`` (nested in the view) or an imported one."""
        if (
            isinstance(expr, ast.Attribute)
            and isinstance(expr.value, ast.Name)
            and expr.value.id == "self"
            and isinstance(owner.node, ast.ClassDef)
        ):
            for cls in [owner, *self._project_bases(owner)]:
                assert isinstance(cls.node, ast.ClassDef)
                for stmt in cls.node.body:
                    if isinstance(stmt, ast.ClassDef) and stmt.name == expr.attr:
                        return Symbol(cls.module, stmt.name, stmt)
            attr = self._class_attr(owner, expr.attr)
            if attr is None:
                return None
            module, expr = self._attr_module(owner, expr.attr), attr
        resolved = self.index.resolve_expr(module, expr)
        if isinstance(resolved, Symbol) and isinstance(resolved.node, ast.ClassDef):
            return resolved
        return None

    def _pagination_params(self, view: Symbol) -> list[str]:
        expr = self._class_attr(view, "pagination_class")
        if isinstance(expr, ast.Constant) and expr.value is None:
            return []
        if expr is None:
            return self._pagination_names(None, self.pagination)
        resolved = self.index.resolve_expr(self._attr_module(view, "pagination_class"), expr)
        if isinstance(resolved, External):
            return self._pagination_names(None, resolved.last)
        custom = self._class_ref(view, view.module, expr) if isinstance(expr, ast.Attribute) else None
        if isinstance(resolved, Symbol) and isinstance(resolved.node, ast.ClassDef):
            custom = resolved
        return self._pagination_names(custom, None)

    def _pagination_names(self, custom: Symbol | None, kind: str | None) -> list[str]:
        """The query parameters of a DRF pagination class: a library one by name, or a project subclass."""
        if custom is not None:
            kind = next(
                (
                    b.last
                    for b in self.index.class_bases(custom)
                    if isinstance(b, External) and b.last in _PAGINATION
                ),
                None,
            )
        names: list[str] = []
        for default, attr in _PAGINATION.get(kind or "", ()):
            renamed = const_str(self._class_attr(custom, attr)) if custom is not None else None
            names.append(renamed or default)
        if custom is not None:
            size = const_str(self._class_attr(custom, "page_size_query_param"))
            if size:
                names.append(size)
        return names

    def _class_security(self, cls: Symbol) -> _Security:
        auth = self._class_attr(cls, "authentication_classes")
        perms = self._class_attr(cls, "permission_classes")
        return _Security(
            tuple(_class_names(auth)) if auth is not None else self.defaults.authentication,
            tuple(_class_names(perms)) if perms is not None else self.defaults.permissions,
        )

    def _class_attr(self, cls: Symbol, name: str) -> ast.expr | None:
        for item_cls in [cls, *self._project_bases(cls)]:
            assert isinstance(item_cls.node, ast.ClassDef)
            for stmt in item_cls.node.body:
                if isinstance(stmt, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == name for t in stmt.targets
                ):
                    return stmt.value
        return None

    def _project_bases(self, cls: Symbol) -> list[Symbol]:
        return [
            b
            for b in self.index.class_bases(cls)
            if isinstance(b, Symbol) and isinstance(b.node, ast.ClassDef)
        ]

    def _serializer_ref(self, view: Symbol) -> str | None:
        expr = self._class_attr(view, "serializer_class")
        if expr is None:
            return None
        resolved = self.index.resolve_expr(self._attr_module(view, "serializer_class"), expr)
        if not (isinstance(resolved, Symbol) and isinstance(resolved.node, ast.ClassDef)):
            return None
        name = resolved.node.name
        if name not in self.api.schemas:
            self.api.schemas[name] = {}
            self.api.schemas[name] = self._serializer_schema(resolved)
        return REF_PREFIX + name

    def _attr_module(self, cls: Symbol, name: str) -> Module:
        for item_cls in [cls, *self._project_bases(cls)]:
            assert isinstance(item_cls.node, ast.ClassDef)
            for stmt in item_cls.node.body:
                if isinstance(stmt, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == name for t in stmt.targets
                ):
                    return item_cls.module
        return cls.module

    def _serializer_schema(self, serializer: Symbol) -> dict[str, Any]:
        assert isinstance(serializer.node, ast.ClassDef)
        properties: dict[str, Any] = {}
        required: list[str] = []
        meta = next(
            (s for s in serializer.node.body if isinstance(s, ast.ClassDef) and s.name == "Meta"),
            None,
        )
        read_only: set[str] = set()
        if meta is not None:
            meta_values = {
                t.id: s.value
                for s in meta.body
                if isinstance(s, ast.Assign)
                for t in s.targets
                if isinstance(t, ast.Name)
            }
            read_only = set(str_list(meta_values.get("read_only_fields")) or [])
            model_expr = meta_values.get("model")
            model = self.index.resolve_expr(serializer.module, model_expr) if model_expr is not None else None
            wanted = str_list(meta_values.get("fields"))
            if isinstance(model, Symbol) and isinstance(model.node, ast.ClassDef):
                model_fields = self._model_fields(model)
                names = wanted if wanted is not None else list(model_fields)
                for name in names:
                    if name in model_fields:
                        schema, is_required = model_fields[name]
                        properties[name] = schema
                        if is_required and name not in read_only:
                            required.append(name)
        for stmt in serializer.node.body:
            if not (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call)):
                continue
            for target in stmt.targets:
                if not isinstance(target, ast.Name):
                    continue
                field_name = simple_name(stmt.value.func)
                if field_name in _MODEL_FIELDS or field_name.endswith("Serializer"):
                    schema, is_required = self._serializer_field(serializer.module, stmt.value, field_name)
                    properties[target.id] = schema
                    if is_required and target.id not in required:
                        required.append(target.id)
        for name in read_only:
            if name in properties:
                properties[name] = {**properties[name], "readOnly": True}
        out: dict[str, Any] = {"title": serializer.node.name, "type": "object", "properties": properties}
        if required:
            out["required"] = required
        return out

    def _serializer_field(self, module: Module, call: ast.Call, kind: str) -> tuple[dict[str, Any], bool]:
        if kind.endswith("Serializer"):
            nested = self.index.resolve_expr(module, call.func)
            if isinstance(nested, Symbol) and isinstance(nested.node, ast.ClassDef):
                name = nested.node.name
                if name not in self.api.schemas:
                    self.api.schemas[name] = {}
                    self.api.schemas[name] = self._serializer_schema(nested)
                schema: dict[str, Any] = {"$ref": REF_PREFIX + name}
            else:
                schema = {}
            if literal(kwarg(call, "many")) is True:
                schema = {"type": "array", "items": schema}
        else:
            schema = dict(_MODEL_FIELDS[kind])
        read_only = literal(kwarg(call, "read_only")) is True
        if read_only:
            schema = {**schema, "readOnly": True}
        if literal(kwarg(call, "write_only")) is True:
            schema = {**schema, "writeOnly": True}
        if literal(kwarg(call, "allow_null")) is True:
            schema = nullable(schema)
        max_length = literal(kwarg(call, "max_length"))
        if isinstance(max_length, int):
            schema["maxLength"] = max_length
        required = literal(kwarg(call, "required"))
        has_default = kwarg(call, "default") is not None
        return schema, not read_only and not has_default and required is not False

    def _model_fields(self, model: Symbol) -> dict[str, tuple[dict[str, Any], bool]]:
        fields: dict[str, tuple[dict[str, Any], bool]] = {
            "id": ({"type": "integer", "readOnly": True}, False)
        }
        for cls in [*reversed(self._project_bases(model)), model]:
            assert isinstance(cls.node, ast.ClassDef)
            for stmt in cls.node.body:
                if not (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call)):
                    continue
                kind = simple_name(stmt.value.func)
                if kind not in _MODEL_FIELDS:
                    continue
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        schema = dict(_MODEL_FIELDS[kind])
                        if literal(kwarg(stmt.value, "null")) is True:
                            schema = nullable(schema)
                        max_length = literal(kwarg(stmt.value, "max_length"))
                        if isinstance(max_length, int):
                            schema["maxLength"] = max_length
                        if literal(kwarg(stmt.value, "primary_key")) is True:
                            fields.pop("id", None)
                        optional = (
                            literal(kwarg(stmt.value, "blank")) is True
                            or literal(kwarg(stmt.value, "null")) is True
                            or kwarg(stmt.value, "default") is not None
                            or literal(kwarg(stmt.value, "auto_now")) is True
                            or literal(kwarg(stmt.value, "auto_now_add")) is True
                            or kind.endswith("AutoField")
                        )
                        if (
                            literal(kwarg(stmt.value, "auto_now")) is True
                            or literal(kwarg(stmt.value, "auto_now_add")) is True
                        ):
                            schema["readOnly"] = True
                        fields[target.id] = (schema, not optional)
        return fields


def _query_read(node: ast.AST) -> str | None:
    """``x`` of ``request.query_params.get("x")`` / ``self.request.GET["x"]``, else None."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
        reader = node.func.value
        if (
            node.func.attr in ("get", "getlist")
            and isinstance(reader, ast.Attribute)
            and reader.attr in _QUERY_READERS
        ):
            return const_str(node.args[0])
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr in _QUERY_READERS
        and isinstance(node.ctx, ast.Load)
    ):
        return const_str(node.slice)
    return None


# A regular-expression route that matches every path: `^.*`, `^(?:.*)$`, `^(?P<path>.*)/?$`.
_CATCH_ALL = re.compile(r"^\^?(?:\((?:\?:|\?P<\w+>)?\.[*+]\)|\.[*+])(?:/\??)?\$?$")


def _django_route(route: str, *, regex: bool) -> tuple[str, list[Parameter], dict[str, str]]:
    params: list[Parameter] = []
    unresolved: dict[str, str] = {}
    if not regex:

        def replace(match: re.Match[str]) -> str:
            schema = _CONVERTERS.get(match.group("conv") or "str", {"type": "string"})
            params.append(Parameter(match.group("name"), "path", dict(schema), required=True))
            return "{" + match.group("name") + "}"

        return _PATH_CONVERTER.sub(replace, route), params, unresolved

    body = route.removeprefix("^").removesuffix("$")

    def replace_group(match: re.Match[str]) -> str:
        group = match.group("body")
        schema = {"type": "integer"} if group in (r"\d+", "[0-9]+") else {"type": "string"}
        params.append(Parameter(match.group("name"), "path", schema, required=True))
        return "{" + match.group("name") + "}"

    converted = _REGEX_GROUP.sub(replace_group, body)
    stripped = _REGEX_LEFTOVER.sub("", re.sub(r"\{\w+\}", "", converted))
    if stripped != re.sub(r"\{\w+\}", "", converted):
        unresolved["path"] = f"regular-expression route {route!r} is only approximated"
        converted = converted.replace("\\", "")
    return converted.replace("?", ""), params, unresolved


def _action_body(action: str, serializer: str | None) -> dict[str, Any] | None:
    if serializer and action in ("create", "update", "partial_update"):
        return {"$ref": serializer}
    return None


def _action_response(action: str, serializer: str | None) -> dict[str, dict[str, Any] | None]:
    if action == "destroy":
        return {"204": None}
    if action == "create":
        return {"201": {"$ref": serializer} if serializer else None}
    if action == "list":
        return {"200": {"type": "array", "items": {"$ref": serializer}} if serializer else None}
    return {"200": {"$ref": serializer} if serializer else None}


def _generic_response(
    method: HttpMethod, serializer: str | None, cls: Symbol, index: PythonIndex
) -> dict[str, dict[str, Any] | None]:
    if method == "delete":
        return {"204": None}
    if serializer is None:
        return {"200": None}
    is_list = any(isinstance(b, External) and b.last.startswith("List") for b in index.class_bases(cls))
    if method == "post":
        return {"201": {"$ref": serializer}}
    if method == "get" and is_list:
        return {"200": {"type": "array", "items": {"$ref": serializer}}}
    return {"200": {"$ref": serializer}}


def _compared_methods(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """Methods a plain view handles, from ``request.method == "POST"`` / ``in ("PUT", ...)`` checks."""
    found: list[str] = []
    for node in ast.walk(function):
        if not (isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute)):
            continue
        if node.left.attr != "method":
            continue
        for comparator in node.comparators:
            single = const_str(comparator)
            values = str_list(comparator) or ([single] if single else [])
            found.extend(v.upper() for v in values if v.upper() != "GET")
    return sorted(set(found))


def _class_names(expr: ast.expr | None) -> list[str]:
    if not isinstance(expr, ast.List | ast.Tuple):
        return []
    return [simple_name(e) for e in expr.elts if simple_name(e)]
