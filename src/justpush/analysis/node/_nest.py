"""NestJS: `@Controller('x')` / `@Controller({ path, version })` classes under the global prefix
(`app.setGlobalPrefix(prefix, { exclude })`, the prefix often read from configuration) and URI
versioning (`app.enableVersioning({ type: VersioningType.URI })`, `@Version()`); guards as security."""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from .._model import HttpMethod
from .._treesitter import (
    AuthAlternatives,
    AuthHint,
    Node,
    classify_auth,
    field_,
    join_paths,
    line,
    named_children,
    text,
    walk,
)
from ._controllers import VERBS, Controllers, Location
from ._project import Module
from ._syntax import args, decorators, literals, member, object_props, string, unwrap

_NEUTRAL = "VERSION_NEUTRAL"


class Nest(Controllers):
    class_decorators = ("Controller",)
    packages = ("@nestjs/common",)
    claims_unimported = True
    # `@Sse('events')` serves a GET that streams server-sent events.
    verbs: ClassVar[dict[str, HttpMethod | None]] = VERBS | {"Sse": "get"}
    params: ClassVar[dict[str, Location]] = {
        "Param": "path",
        "Query": "query",
        "Headers": "header",
        "Body": "body",
    }

    def prepare(self) -> None:
        self.global_prefix = ""
        self.exclude: list[str] = []
        self.global_guards: tuple[AuthAlternatives, ...] = ()
        self.uri_versioning = False
        self.version_prefix = "v"
        self.default_versions: list[str] = []
        # controller class (file, start byte) -> path from RouterModule.register([{ path, module }])
        self.module_prefix: dict[tuple[str, int], str] = {}
        self.served = self._served_controllers()
        for module in self.project.modules.values():
            if not module.mentions("setGlobalPrefix", "useGlobalGuards", "enableVersioning", "RouterModule"):
                continue
            for node in walk(module.parsed.root):
                if node.type != "call_expression":
                    continue
                _, prop = member(field_(node, "function"))
                given = args(node)
                if prop == "setGlobalPrefix" and given:
                    self._global_prefix(module, node, given)
                elif prop == "useGlobalGuards":
                    self.global_guards += tuple(a for a in (self._guard(g) for g in given) if a)
                elif prop == "enableVersioning" and given:
                    self._versioning(module, given[0])
                elif prop == "enableVersioning":
                    # No options: Nest's default is URI versioning (`/v1/...` where a version is set).
                    self.uri_versioning = True
                elif (
                    prop in ("register", "forRoutes")
                    and given
                    and text(field_(node, "function")).startswith("RouterModule.")
                ):
                    self._router_module(module, given[0], "", 0)

    def _global_prefix(self, module: Module, node: Node, given: list[Node]) -> None:
        prefix = self.resolver.string(module, given[0])
        if prefix is None:
            self.warnings.append(
                f"{module.path}:{line(node)}: global prefix `{text(given[0])}` not known statically, left out"
            )
        self.global_prefix = prefix or ""
        options = self.resolver.literal(module, given[1]) if len(given) > 1 else None
        excluded = object_props(options[1]).get("exclude") if options else None
        for item in named_children(excluded):
            route = self.resolver.literal(options[0], item) if options else None
            path_node = object_props(route[1]).get("path") if route else item
            value = self.resolver.string(route[0] if route else module, path_node)
            if value is not None:
                self.exclude.append(value)

    def _router_module(self, module: Module, routes: Node | None, parent: str, depth: int) -> None:
        """`RouterModule.register([{ path: 'admin', module: AdminModule, children: [...] }])`."""
        if depth > 8:
            return
        for where, item in self._elements(module, routes) or []:
            entry = self.resolver.literal(where, item)
            props = object_props(entry[1]) if entry is not None and entry[1].type == "object" else {}
            owner = entry[0] if entry is not None else where
            path = self.resolver.string(owner, props.get("path")) if "path" in props else ""
            prefix = join_paths(parent, path or "")
            target = props.get("module") if props else item
            nest_module = self.project.class_of(owner, target)
            if nest_module is not None:
                self._module_controllers(nest_module[0], nest_module[1], prefix)
            if "children" in props:
                self._router_module(owner, props["children"], prefix, depth + 1)

    def _module_controllers(self, module: Module, cls: Node, prefix: str) -> None:
        declared = decorators(cls).get("Module")
        options = (
            self.resolver.literal(module, next(iter(args(declared)), None)) if declared is not None else None
        )
        controllers = object_props(options[1]).get("controllers") if options else None
        for found in self._classes(options[0] if options else module, controllers) or []:
            if found is not None:
                self.module_prefix[(found[0].path, found[1].start_byte)] = prefix

    def serves(self, module: Module, name: str, cls: Node) -> bool:
        if self.served is None or (module.path, cls.start_byte) in self.served:
            return True
        self.warnings.append(
            f"{module.path}:{line(cls)}: controller {name} is in no module the app's root module imports;"
            " its routes are left out"
        )
        return False

    def _served_controllers(self) -> set[tuple[str, int]] | None:
        """The controllers of the modules `NestFactory.create(AppModule)` reaches through `imports`;
        None (all controllers) when the root or any import cannot be followed."""
        pending: list[tuple[Module, Node]] = []
        for module in self.project.modules.values():
            if not module.mentions("NestFactory"):
                continue
            for node in walk(module.parsed.root):
                called = text(field_(node, "function")) if node.type == "call_expression" else ""
                if called.endswith("NestFactory.create"):
                    root = self.project.class_of(module, next(iter(args(node)), None))
                    if root is None:
                        return None
                    pending.append(root)
        if not pending:
            return None
        seen: set[tuple[str, int]] = set()
        served: set[tuple[str, int]] = set()
        while pending:
            module, cls = pending.pop()
            if (module.path, cls.start_byte) in seen:
                continue
            seen.add((module.path, cls.start_byte))
            declared = decorators(cls).get("Module")
            options = self.resolver.literal(module, next(iter(args(declared)), None)) if declared else None
            if options is None or options[1].type != "object":
                return None
            props = object_props(options[1])
            for found in self._classes(options[0], props.get("controllers")) or []:
                if found is None:
                    return None
                served.add((found[0].path, found[1].start_byte))
            imports = self._elements(options[0], props.get("imports"))
            if imports is None:
                return None
            for where, item in imports:
                target = self._imported_module(where, item)
                if target is False:
                    return None
                if isinstance(target, tuple):
                    pending.append(target)
        return served

    def _classes(self, module: Module, node: Node | None) -> list[tuple[Module, Node] | None] | None:
        """The classes a `controllers` list names (None for an item that names none): its items, spreads
        followed, or `Object.values(ns)` of a namespace import (every class the module exports)."""
        expr = unwrap(node)
        if (
            expr is not None
            and expr.type == "call_expression"
            and text(field_(expr, "function")) == "Object.values"
        ):
            given = args(expr)
            target = module.imports.get(text(given[0])) if given else None
            if target is not None and target[1] == "*":
                return list(self.project.exported_classes(target[0]))
        elements = self._elements(module, node)
        if elements is None:
            return None
        return [self.project.class_of(where, item) for where, item in elements]

    def _elements(self, module: Module, node: Node | None) -> list[tuple[Module, Node]] | None:
        """The items of an array literal, spreads followed; None when it cannot be read statically."""
        if node is None:
            return []
        found = self.resolver.literal(module, node)
        if found is None or found[1].type != "array":
            return None
        items: list[tuple[Module, Node]] = []
        for item in named_children(found[1]):
            if item.type == "spread_element":
                inner = self._elements(found[0], next(iter(named_children(item)), None))
                if inner is None:
                    return None
                items.extend(inner)
            elif item.type != "comment":
                items.append((found[0], item))
        return items

    def _imported_module(self, module: Module, item: Node) -> tuple[Module, Node] | Literal[False] | None:
        """The project module an `imports` entry brings in (`UsersModule`, `ConfigModule.forRoot()`,
        `forwardRef(() => UsersModule)`); None for a package's module, False when it cannot be told."""
        expr = unwrap(item)
        if expr is not None and expr.type == "call_expression":
            callee = field_(expr, "function")
            if text(callee) == "forwardRef":
                body = field_(next(iter(args(expr)), expr), "body")
                return self._imported_module(module, body) if body is not None else False
            # A dynamic module (`X.forRoot()`); one of the project's may add controllers of its own.
            obj, _ = member(callee)
            target = self.project.class_of(module, obj) if obj is not None else None
            if target is not None and b"controllers" in (target[1].text or b""):
                return False
            expr = unwrap(obj)
        if expr is None or expr.type not in ("identifier", "member_expression"):
            return False
        target = self.project.class_of(module, expr)
        if target is not None:
            return target
        source = module.imports.get(text(expr).split(".")[0], ("", ""))[0]
        # A package's module (`TypeOrmModule`) serves no controller of this project.
        package = source and source not in self.project.modules and not source.startswith((".", "/"))
        return None if package else False

    def _versioning(self, module: Module, options_node: Node) -> None:
        found = self.resolver.literal(module, options_node)
        options = object_props(found[1]) if found else {}
        kind = text(options.get("type"))
        self.uri_versioning = kind.endswith("URI") or kind == "0"
        prefix = options.get("prefix")
        if prefix is not None:
            value = self.resolver.string(module, prefix)
            self.version_prefix = "" if text(prefix) == "false" else (value or "")
        default = options.get("defaultVersion")
        if default is not None and found is not None:
            self.default_versions = self._versions(found[0], default)

    def _versions(self, module: Module, node: Node | None) -> list[str]:
        node = unwrap(node)
        if node is None:
            return []
        if text(node).endswith(_NEUTRAL):
            return [""]
        if node.type == "array":
            return [v for item in named_children(node) for v in self._versions(module, item)]
        value = self.resolver.string(module, node)
        return [value] if value is not None else []

    def full_paths(
        self,
        module: Module,
        controller: Node,
        given: list[Node],
        decorators_: dict[str, Node],
        sub_paths: list[str],
    ) -> list[str]:
        bases: list[str] | None = [""]
        versions: list[str] = []
        if given and unwrap(given[0]) is not None and unwrap(given[0]).type == "object":  # type: ignore[union-attr]
            options = object_props(unwrap(given[0]))
            bases = self.resolver.strings(module, options["path"]) if "path" in options else [""]
            versions = self._versions(module, options.get("version"))
        elif given:
            bases = self.resolver.strings(module, given[0])
        if bases is None:
            self.warnings.append(f"{module.path}:{line(controller)}: controller path is not known statically")
            bases = [""]
        if "Version" in decorators_:
            versions = self._versions(module, next(iter(args(decorators_["Version"])), None))
        versions = versions or self.default_versions
        segments = [f"{self.version_prefix}{v}" if v else "" for v in versions] if self.uri_versioning else []
        paths: list[str] = []
        for base in bases:
            for sub in sub_paths:
                route = join_paths(self.module_prefix.get(self.current, ""), base, sub)
                prefix = "" if self._excluded(route) else self.global_prefix
                for segment in segments or [""]:
                    paths.append(join_paths(prefix, segment, route))
        return paths

    def _excluded(self, route: str) -> bool:
        for pattern in self.exclude:
            wanted = join_paths(re.sub(r"\(\.\*\)$|\*$", "", pattern))
            if pattern.endswith(("*", "(.*)")):
                if route == wanted or route.startswith(wanted.rstrip("/") + "/"):
                    return True
            elif route == wanted:
                return True
        return False

    def guards(
        self, module: Module, class_decorators: dict[str, Node], method_decorators: dict[str, Node]
    ) -> tuple[AuthAlternatives, ...]:
        found: list[AuthAlternatives] = list(self.global_guards)
        for decorators_ in (class_decorators, method_decorators):
            if "UseGuards" in decorators_:
                found += [a for a in (self._guard(g) for g in args(decorators_["UseGuards"])) if a]
        return tuple(found)

    def _guard(self, guard: Node) -> AuthAlternatives:
        expr = unwrap(guard)
        if expr is not None and expr.type == "new_expression":
            expr = field_(expr, "constructor")
        if expr is None:
            return ()
        if expr.type == "call_expression":
            literal = string(next(iter(args(expr)), None))
            if text(field_(expr, "function")) == "AuthGuard":
                return (AuthHint("bearer", jwt=literal == "jwt"),) if literal in ("jwt", "bearer") else ()
        cls = self.project.types.get(text(expr))
        if cls is None:
            return ()
        return classify_auth(literals(cls), text(cls))
