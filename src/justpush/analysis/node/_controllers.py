"""Decorator controllers (NestJS, routing-controllers): a class decorator with a path prefix, method
decorators per HTTP verb, parameter decorators for path/query/header/body. A framework module says
which decorators it owns, how full paths are built and what guards protect a route."""

from __future__ import annotations

from dataclasses import dataclass
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
    walk,
)
from ._handler import query_reads, status_code
from ._project import Module, Project
from ._resolve import Resolver
from ._syntax import args, decorators, param_names, returned, unwrap
from ._types import Types

VERBS: dict[str, HttpMethod | None] = {m.title(): m for m in HTTP_METHODS} | {"All": None}
Location = Literal["path", "query", "header", "body", "query-object"]
# How far up a controller's `extends` chain its routes are looked for.
_MAX_BASES = 6


@dataclass(frozen=True)
class _Owner:
    """The decorator that makes a class a controller, the arguments its path comes from, and the
    decorators a project's wrapper of it applies besides (`UseGuards`)."""

    decorator: Node
    given: list[Node]
    applied: dict[str, Node]


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
        given: list[Node],
        decorators_: dict[str, Node],
        sub_paths: list[str],
    ) -> list[str]:
        """The app prefix, the class decorator's path(s) (its first argument, `given`) and each method
        path."""
        bases = (self.resolver.strings(module, given[0]) if given else None) or [""]
        return [join_paths(self.prefix, base, sub) for base in bases for sub in sub_paths]

    def guards(
        self, module: Module, class_decorators: dict[str, Node], method_decorators: dict[str, Node]
    ) -> tuple[AuthAlternatives, ...]:
        return ()

    def serves(self, module: Module, name: str, cls: Node) -> bool:
        """Whether the app registers this controller class (all do unless the framework knows)."""
        return True

    # --- the walk ------------------------------------------------------------------------------

    def owns(self, module: Module, found: dict[str, Node]) -> _Owner | None:
        """What makes this class one of this framework's controllers: its class decorator (by its
        import), or a project decorator that applies it."""
        for name in self.class_decorators:
            if name in found and self._imported(module, name):
                return _Owner(found[name], args(found[name]), {})
        for decorator in found.values():
            wrapped = self._wrapped(module, decorator)
            if wrapped is not None:
                return wrapped
        return None

    def _imported(self, module: Module, name: str) -> bool:
        source = module.imports.get(name, ("", ""))[0]
        return source in self.packages or (not source and self.claims_unimported)

    def _wrapped(self, module: Module, decorator: Node) -> _Owner | None:
        """`@ApiController('users')` where `ApiController(name)` returns
        `applyDecorators(Controller(name), UseGuards(JwtGuard))`: the class decorator with the arguments
        the wrapper passes on, and the other decorators it applies."""
        if decorator.type != "call_expression":
            return None
        target = self.project.function(module, field_(decorator, "function"))
        if target is None:
            return None
        owner, fn = target
        applied: dict[str, Node] = {}
        inner: Node | None = None
        for node in walk(fn):
            if node.type != "call_expression":
                continue
            name = text(field_(node, "function"))
            if name in self.class_decorators and self._imported(owner, name):
                inner = inner or node
            elif node.parent is not None and node.parent.type == "arguments":
                applied.setdefault(name.split(".")[-1], node)
        if inner is None:
            return None
        passed = args(inner)
        first = unwrap(passed[0]) if passed else None
        params = param_names(fn)
        if first is not None and first.type == "identifier" and text(first) in params:
            # The wrapper's own argument: read where the class is decorated.
            index = params.index(text(first))
            passed = args(decorator)[index : index + 1]
        return _Owner(decorator, passed, applied)

    # whether a class decorator with no import (a global or re-export) is taken as this framework's
    claims_unimported = False

    def run(self) -> list[Operation]:
        self.prepare()
        operations: list[Operation] = []
        for module in self.project.modules.values():
            for name, cls in module.classes.items():
                found = decorators(cls)
                owner = self.owns(module, found)
                if owner is None or not self.serves(module, name, cls):
                    continue
                try:
                    operations.extend(self._controller(module, cls, {**owner.applied, **found}, owner))
                except RecursionError:
                    self.warnings.append(f"{module.path}:{line(cls)}: controller {name} nested too deeply")
                except Exception as exc:  # one controller's surprise must not lose the others
                    reason = f"{type(exc).__name__}: {exc}"
                    self.warnings.append(
                        f"{module.path}:{line(cls)}: controller {name} not analysed ({reason})"
                    )
        return operations

    def _controller(
        self, module: Module, cls: Node, class_decorators: dict[str, Node], controller: _Owner
    ) -> list[Operation]:
        """The routes of the class and of those it extends (a method it overrides is its own)."""
        operations: list[Operation] = []
        self.current = (module.path, cls.start_byte)
        seen: set[str] = set()
        current: tuple[Module, Node] | None = (module, cls)
        for _ in range(_MAX_BASES):
            if current is None:
                break
            owner, body_of = current
            pending: list[Node] = []
            for item in named_children(field_(body_of, "body")):
                if item.type == "decorator":
                    pending.append(item)
                    continue
                if item.type != "method_definition" or text(field_(item, "name")) in seen:
                    pending = []
                    continue
                seen.add(text(field_(item, "name")))
                method_decorators = decorators(item, pending, owner.imports)
                pending = []
                operations.extend(
                    self._method_routes(module, owner, item, method_decorators, class_decorators, controller)
                )
            current = self._base(owner, body_of)
        return operations

    def _method_routes(
        self,
        module: Module,
        owner: Module,
        item: Node,
        method_decorators: dict[str, Node],
        class_decorators: dict[str, Node],
        controller: _Owner,
    ) -> list[Operation]:
        """A method's routes; `owner` declares the method, `module` the controller class."""
        operations: list[Operation] = []
        for verb, method in self.verbs.items():
            if verb not in method_decorators:
                continue
            route_args = args(method_decorators[verb])
            subs = self.resolver.strings(owner, route_args[0]) if route_args else [""]
            if subs is None:
                where = f"{owner.path}:{line(method_decorators[verb])}"
                self.warnings.append(f"{where}: route path `{text(route_args[0])}` is not known statically")
                continue
            guards = self.guards(module, class_decorators, method_decorators)
            paths = self.full_paths(module, controller.decorator, controller.given, method_decorators, subs)
            for full in paths:
                operations.extend(self._operation(owner, item, method, full, method_decorators, guards))
        return operations

    def _base(self, module: Module, cls: Node) -> tuple[Module, Node] | None:
        """The class `cls` extends: a class (`extends CrudBase<T>`) or the one a function returns
        (`extends CrudController(Tag)`)."""
        heritage = next((c for c in named_children(cls) if c.type == "class_heritage"), None)
        clauses = named_children(heritage) if heritage is not None else []
        clause = next((c for c in clauses if c.type == "extends_clause"), None)
        value = unwrap(field_(clause, "value")) if clause is not None else None
        if value is None or value.type != "call_expression":
            return self.project.class_of(module, value) if value is not None else None
        target = self.project.function(module, field_(value, "function"))
        made = returned(target[1]) if target is not None else None
        if target is None or made is None:
            return None
        if made.type == "class":
            return target[0], made
        declared = (
            node
            for node in walk(target[1])
            if node.type == "class_declaration" and text(field_(node, "name")) == text(made)
        )
        found = next(declared, None)
        return (target[0], found) if found is not None else None

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
            param_decorators = decorators(param, None, module.imports)
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
