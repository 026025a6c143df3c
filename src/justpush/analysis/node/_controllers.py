"""Decorator controllers (NestJS, routing-controllers): a class decorator with a path prefix, method
decorators per HTTP verb, parameter decorators for path/query/header/body. A framework module says
which decorators it owns, how full paths are built and what guards protect a route."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from .._model import HttpMethod, Operation, Parameter
from .._treesitter import (
    HTTP_METHODS,
    AuthAlternatives,
    Node,
    RouteDecl,
    build_operation,
    field_,
    join_paths,
    line,
    named_children,
    security_requirements,
    security_schemes,
    text,
    to_template,
)
from ._handler import query_reads, status_code
from ._project import Module, Project
from ._resolve import Resolver
from ._syntax import args, decorators
from ._types import Types

VERBS: dict[str, HttpMethod | None] = {m.title(): m for m in HTTP_METHODS} | {"All": None}
Location = Literal["path", "query", "header", "body", "query-object"]


class Controllers:
    """The shared walk; subclasses set the decorator vocabulary and path rules."""

    class_decorators: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()
    params: ClassVar[dict[str, Location]] = {}
    # the status a POST answers with when no @HttpCode says otherwise
    post_status = "201"
    # method decorator name -> HTTP method
    verbs: ClassVar[dict[str, HttpMethod | None]] = VERBS
    # `@Query() page: number` names the parameter after the argument (tsoa), not the whole query object
    unnamed_is_argument = False

    def __init__(self, project: Project, resolver: Resolver, types: Types, warnings: list[str]) -> None:
        self.project = project
        self.resolver = resolver
        self.types = types
        self.warnings = warnings
        self.schemes: dict[str, Any] = {}
        # (file, start byte) of the controller class being read
        self.current: tuple[str, int] = ("", 0)

    # --- what subclasses decide ----------------------------------------------------------------

    def prepare(self) -> None:
        """Read app-wide settings (global prefix, versioning) before the controllers."""

    # An app-wide path before every controller's (routing-controllers' routePrefix), set by prepare().
    prefix = ""

    def full_paths(
        self,
        module: Module,
        controller: Node,
        method: Node,
        decorators_: dict[str, Node],
        sub_paths: list[str],
    ) -> list[str]:
        """The app prefix, the class decorator's path(s) (its first argument) and each method path."""
        given = args(controller)
        bases = (self.resolver.strings(module, given[0]) if given else None) or [""]
        return [join_paths(self.prefix, base, sub) for base in bases for sub in sub_paths]

    def guards(
        self, module: Module, class_decorators: dict[str, Node], method_decorators: dict[str, Node]
    ) -> tuple[AuthAlternatives, ...]:
        return ()

    # --- the walk ------------------------------------------------------------------------------

    def owns(self, module: Module, found: dict[str, Node]) -> str | None:
        """The class decorator that makes this class one of this framework's controllers (by its import)."""
        for name in self.class_decorators:
            if name in found:
                source = module.imports.get(name, ("", ""))[0]
                if source in self.packages or (not source and self.claims_unimported):
                    return name
        return None

    # whether a class decorator with no import (a global or re-export) is taken as this framework's
    claims_unimported = False

    def run(self) -> list[Operation]:
        self.prepare()
        operations: list[Operation] = []
        for module in self.project.modules.values():
            for name, cls in module.classes.items():
                found = decorators(cls)
                owner = self.owns(module, found)
                if owner is None:
                    continue
                try:
                    operations.extend(self._controller(module, cls, found, found[owner]))
                except RecursionError:
                    self.warnings.append(f"{module.path}:{line(cls)}: controller {name} nested too deeply")
                except Exception as exc:  # one controller's surprise must not lose the others
                    reason = f"{type(exc).__name__}: {exc}"
                    self.warnings.append(
                        f"{module.path}:{line(cls)}: controller {name} not analysed ({reason})"
                    )
        return operations

    def _controller(
        self, module: Module, cls: Node, class_decorators: dict[str, Node], controller: Node
    ) -> list[Operation]:
        operations: list[Operation] = []
        self.current = (module.path, cls.start_byte)
        pending: list[Node] = []
        for item in named_children(field_(cls, "body")):
            if item.type == "decorator":
                pending.append(item)
                continue
            if item.type != "method_definition":
                pending = []
                continue
            method_decorators = decorators(item, pending)
            pending = []
            for verb, method in self.verbs.items():
                if verb not in method_decorators:
                    continue
                route_args = args(method_decorators[verb])
                subs = self.resolver.strings(module, route_args[0]) if route_args else [""]
                if subs is None:
                    where = f"{module.path}:{line(method_decorators[verb])}"
                    self.warnings.append(
                        f"{where}: route path `{text(route_args[0])}` is not known statically"
                    )
                    continue
                guards = self.guards(module, class_decorators, method_decorators)
                for full in self.full_paths(module, controller, item, method_decorators, subs):
                    operations.extend(self._operation(module, item, method, full, method_decorators, guards))
        return operations

    def _operation(
        self,
        module: Module,
        method_node: Node,
        method: HttpMethod | None,
        raw_path: str,
        method_decorators: dict[str, Node],
        guards: tuple[AuthAlternatives, ...],
    ) -> list[Operation]:
        template, notes = to_template(raw_path)
        decl = RouteDecl(method, raw_path, module.path, line(method_node))
        decl.parameters = tuple(self._parameters(module, method_node, decl))
        status = self.post_status if method == "post" else "200"
        for name in ("HttpCode", "SuccessResponse"):
            if name in method_decorators and args(method_decorators[name]):
                code = self.resolver.string(module, args(method_decorators[name])[0]) or text(
                    args(method_decorators[name])[0]
                )
                status = status_code(args(method_decorators[name])[0]) or (code if code.isdigit() else status)
        returns = self.types.of(field_(method_node, "return_type"))
        decl.responses[status] = returns or None
        self.schemes.update(security_schemes(guards))
        unresolved = dict(notes)
        if method is None:
            unresolved["method"] = "@All() accepts any HTTP method; GET assumed for the spec"
        return [build_operation(method or "get", template, decl, security_requirements(guards), unresolved)]

    def _parameters(self, module: Module, method_node: Node, decl: RouteDecl) -> list[Parameter]:
        params: list[Parameter] = []
        for param in named_children(field_(method_node, "parameters")):
            param_decorators = decorators(param)
            type_node = field_(param, "type")
            optional = param.type == "optional_parameter" or field_(param, "value") is not None
            for deco, location in self.params.items():
                if deco not in param_decorators:
                    continue
                given = args(param_decorators[deco])
                key = self.resolver.string(module, given[0]) if given else None
                if key is None and self.unnamed_is_argument and location != "body":
                    key = text(field_(param, "pattern")) or None
                if location == "body":
                    decl.request_body = self.types.of(type_node)
                elif location == "query-object" or (location == "query" and key is None):
                    params.extend(self._query_object(module, method_node, param, type_node))
                elif key is not None:
                    schema = self.types.of(type_node) or {"type": "string"}
                    params.append(
                        Parameter(key, location, schema, required=location == "path" or not optional)
                    )
        return params

    def _flatten(
        self, schema: dict[str, Any], properties: dict[str, Any], required: set[str], depth: int
    ) -> None:
        """A DTO's fields including those of the classes it extends (`allOf` of its parents)."""
        resolved = self.types.resolved(schema)
        if depth > 8:
            return
        for part in resolved.get("allOf", []):
            if isinstance(part, dict):
                self._flatten(part, properties, required, depth + 1)
        properties.update(resolved.get("properties", {}))
        required.update(resolved.get("required", []))

    def _query_object(
        self, module: Module, method_node: Node, param: Node, type_node: Node | None
    ) -> list[Parameter]:
        """`@Query() dto: ListDto` → the DTO's fields; an untyped `@Query() query` → the fields read."""
        properties: dict[str, Any] = {}
        required: set[str] = set()
        if type_node is not None:
            self._flatten(self.types.of(type_node), properties, required, 0)
        if properties:
            return [Parameter(k, "query", v, required=k in required) for k, v in properties.items()]
        name = text(field_(param, "pattern"))
        if not name:
            return []
        return [Parameter(n, "query") for n in sorted(query_reads(self.project, module, method_node, {name}))]
