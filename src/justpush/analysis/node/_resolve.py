"""The value resolver: what string an expression holds when the code makes it knowable without running it.

Literals, template literals and `+` concatenation; constants across modules and imports; members of
object literals (`env.app.routePrefix`) and TypeScript enums; simple functions that return an
expression of their parameters; `process.env.X || 'default'` with values from the project's env files
(`.env.example`, ...); NestJS configuration (`configService.get('app.apiPrefix')` through
`registerAs('app', () => ({ apiPrefix: ... }))`). Loops over array literals bind their items
(see ``Bindings``). Anything else is None: the caller marks it unresolved.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from .._treesitter import Node, field_, named_children, text, walk
from ._project import Module, Project, local_binding
from ._syntax import (
    args,
    class_field,
    enclosing_class,
    member,
    object_props,
    param_names,
    returned,
    string,
    unwrap,
)

# name -> (module the value is written in, its expression)
Bindings = dict[str, tuple[Module, Node]]
_MAX_DEPTH = 24
_ENV_FILE = re.compile(r"^(\.env(\.[\w.-]+)?|[\w.-]*\.env|env[-._][\w.-]*)$")
# `env.yaml` (yenv), `env.json`, `env.ts`: settings in another format, not KEY=value lines
_NOT_DOTENV = (".yaml", ".yml", ".json", ".toml", ".js", ".cjs", ".mjs", ".ts")
_CONFIG_GETTERS = ("get", "getOrThrow")
_STRING_CASTS = ("String", "Number", "parseInt", "parseFloat")


def env_file_values(root: Path) -> dict[str, str]:
    """KEY=value pairs from the env files at the project root; `.env` first, then examples."""
    try:
        files = tuple(
            sorted(
                (
                    (p.name, p.stat().st_mtime_ns)
                    for p in root.iterdir()
                    if p.is_file() and _ENV_FILE.match(p.name) and not p.name.endswith(_NOT_DOTENV)
                ),
                key=lambda f: (f[0] != ".env", f[0]),
            )
        )
    except OSError:
        return {}
    return dict(_read_env_files(root, files)) if files else {}


@functools.lru_cache(maxsize=4)
def _read_env_files(root: Path, files: tuple[tuple[str, int], ...]) -> tuple[tuple[str, str], ...]:
    # Imported here: most apps have no dotenv file.
    from dotenv import dotenv_values

    values: dict[str, str] = {}
    for name, _ in files:
        try:
            found = dotenv_values(root / name)
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        for key, value in found.items():
            if value is not None:
                values.setdefault(key, value)
    return tuple(values.items())


class Resolver:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.env = env_file_values(project.root)
        self._configs: dict[str, tuple[Module, Node]] | None = None

    def string(
        self, module: Module, expr: Node | None, bindings: Bindings | None = None, depth: int = 0
    ) -> str | None:
        """The string value of expr, or None when it needs running the code."""
        expr = unwrap(expr)
        if expr is None or depth > _MAX_DEPTH:
            return None
        bindings = bindings or {}
        kind = expr.type
        if kind == "string":
            return string(expr)
        if kind == "template_string":
            return self._template(module, expr, bindings, depth)
        if kind == "number":
            return text(expr)
        if kind == "binary_expression":
            operator = text(field_(expr, "operator"))
            left = self.string(module, field_(expr, "left"), bindings, depth + 1)
            if operator in ("||", "??"):
                return left if left else self.string(module, field_(expr, "right"), bindings, depth + 1)
            right = self.string(module, field_(expr, "right"), bindings, depth + 1)
            return left + right if operator == "+" and left is not None and right is not None else None
        if kind in ("identifier", "shorthand_property_identifier"):
            found = self._named(module, expr, bindings, depth)
            return self.string(found[0], found[1], None, depth + 1) if found else None
        if kind == "ternary_expression":
            # `process.env.PREFIX ? process.env.PREFIX : '/'` is `process.env.PREFIX || '/'`
            condition, chosen = field_(expr, "condition"), field_(expr, "consequence")
            if text(unwrap(condition)) != text(unwrap(chosen)):
                return None
            value = self.string(module, chosen, bindings, depth + 1)
            return value if value else self.string(module, field_(expr, "alternative"), bindings, depth + 1)
        if kind == "member_expression":
            return self._member_string(module, expr, bindings, depth)
        if kind == "subscript_expression":
            key = self.string(module, field_(expr, "index"), bindings, depth + 1)
            if key is None:
                return None
            if text(field_(expr, "object")) == "process.env":
                return self.env.get(key)
            holder = self.literal(module, field_(expr, "object"), bindings, depth + 1)
            if holder is not None:
                return self.string(holder[0], object_props(holder[1]).get(key), None, depth + 1)
            return None
        if kind == "call_expression":
            return self._call_string(module, expr, bindings, depth)
        return None

    def literal(
        self, module: Module, expr: Node | None, bindings: Bindings | None = None, depth: int = 0
    ) -> tuple[Module, Node] | None:
        """The object or array literal an expression denotes (through names, members, imports)."""
        expr = unwrap(expr)
        if expr is None or depth > _MAX_DEPTH:
            return None
        bindings = bindings or {}
        if expr.type in ("object", "array"):
            return module, expr
        if expr.type in ("identifier", "shorthand_property_identifier"):
            found = self._named(module, expr, bindings, depth)
            return self.literal(found[0], found[1], None, depth + 1) if found else None
        if expr.type == "member_expression":
            obj, prop = member(expr)
            holder = self.literal(module, obj, bindings, depth + 1)
            if holder is not None:
                return self.literal(holder[0], object_props(holder[1]).get(prop), None, depth + 1)
            namespace = self._namespace_member(module, obj, prop)
            return self.literal(namespace[0], namespace[1], None, depth + 1) if namespace else None
        if expr.type == "call_expression":
            fn = field_(expr, "function")
            if text(fn) == "require":
                path = self.project.resolve_file(module.path, string(next(iter(args(expr)), None)) or "")
                target = self.project.exported(path, "*")
                if target is None:
                    return None
                owner = self.project.modules[target[0]]
                value = owner.values.get(target[1])
                return self.literal(owner, value, None, depth + 1) if value is not None else None
            obj, prop = member(fn)
            given = args(expr)
            if prop in _CONFIG_GETTERS and obj is not None and given and "config" in text(obj).lower():
                # `configService.get('app')`: a registered config namespace, whole
                key = self.string(module, given[0], bindings, depth + 1)
                return self.config_literal(key) if key is not None else None
            called = self._called(module, expr, bindings, depth)
            if called is not None:
                return self.literal(called[0], called[1], called[2], depth + 1)
        return None

    def strings(
        self, module: Module, expr: Node | None, bindings: Bindings | None = None
    ) -> list[str] | None:
        """A string or an array of strings (`@Controller(['a', 'b'])`, `@Version(['1', '2'])`)."""
        found = self.literal(module, expr, bindings)
        if found is not None and found[1].type == "array":
            values = [self.string(found[0], item) for item in named_children(found[1])]
            return None if any(v is None for v in values) else [v for v in values if v is not None]
        value = self.string(module, expr, bindings)
        return None if value is None else [value]

    def _named(
        self, module: Module, name: Node, bindings: Bindings, depth: int
    ) -> tuple[Module, Node] | None:
        """What a name denotes: a loop's binding, a declaration of the enclosing blocks, else a constant
        of the module or an import; a destructured name (`const { prefix } = config`) is the member its
        keys lead to."""
        wanted = text(name)
        if wanted in bindings:
            return bindings[wanted]
        local = local_binding(name)
        picked = self._picked(module, local[0], local[1], depth) if local is not None else None
        if picked is not None:
            return picked
        found = self.project.value(module, wanted)
        if found is not None:
            return found
        pick = module.picks.get(wanted)
        return self._picked(module, pick[0], pick[1], depth) if pick is not None else None

    def _picked(
        self, module: Module, value: Node, keys: tuple[str, ...], depth: int
    ) -> tuple[Module, Node] | None:
        if not keys:
            return module, value
        holder = self.literal(module, value, None, depth + 1)
        for key in keys[:-1]:
            if holder is None:
                return None
            holder = self.literal(holder[0], object_props(holder[1]).get(key), None, depth + 1)
        found = object_props(holder[1]).get(keys[-1]) if holder is not None else None
        return (holder[0], found) if holder is not None and found is not None else None

    def _template(self, module: Module, expr: Node, bindings: Bindings, depth: int) -> str | None:
        parts: list[str] = []
        for child in expr.named_children:
            if child.type == "template_substitution":
                inner = named_children(child)
                value = self.string(module, inner[0] if inner else None, bindings, depth + 1)
                if value is None:
                    return None
                parts.append(value)
            else:
                parts.append(text(child))
        return "".join(parts)

    def _member_string(self, module: Module, expr: Node, bindings: Bindings, depth: int) -> str | None:
        obj, prop = member(expr)
        if text(obj) == "process.env":
            return self.env.get(prop)
        if obj is not None and obj.type == "this":
            # `${this.path}/:id` with a class field `path = '/users'`
            cls = enclosing_class(expr)
            value = class_field(cls, prop) if cls is not None else None
            return self.string(module, value, None, depth + 1) if value is not None else None
        if obj is not None and obj.type == "identifier":
            found = self._named(module, obj, bindings, depth)
            if found is not None and found[1].type == "enum_declaration":
                return _enum_member(found[1], prop)
            if found is None:
                declaration = self.project.types.get(text(obj))
                if declaration is not None and declaration.type == "enum_declaration":
                    return _enum_member(declaration, prop)
        holder = self.literal(module, obj, bindings, depth + 1)
        if holder is None:
            namespace = self._namespace_member(module, obj, prop)
            return self.string(namespace[0], namespace[1], None, depth + 1) if namespace else None
        return self.string(holder[0], object_props(holder[1]).get(prop), None, depth + 1)

    def _namespace_member(self, module: Module, obj: Node | None, prop: str) -> tuple[Module, Node] | None:
        """`import * as config from './config'; config.prefix`: the module's export of that name."""
        if obj is None or obj.type != "identifier" or text(obj) not in module.imports:
            return None
        file, name = module.imports[text(obj)]
        if name != "*" or file not in self.project.modules:
            return None
        target = self.project.exported(file, prop)
        if target is None:
            return None
        owner = self.project.modules[target[0]]
        value = owner.values.get(target[1])
        return (owner, value) if value is not None else None

    def _call_string(self, module: Module, expr: Node, bindings: Bindings, depth: int) -> str | None:
        fn = field_(expr, "function")
        given = args(expr)
        if text(fn) in _STRING_CASTS and given:
            return self.string(module, given[0], bindings, depth + 1)
        obj, prop = member(fn)
        if prop in _CONFIG_GETTERS and obj is not None and given and "config" in text(obj).lower():
            key = self.string(module, given[0], bindings, depth + 1)
            return self.config(key) if key is not None else None
        called = self._called(module, expr, bindings, depth)
        value = self.string(called[0], called[1], called[2], depth + 1) if called is not None else None
        return value if value is not None else self._env_getter(module, expr, bindings, depth)

    def _env_getter(self, module: Module, call: Node, bindings: Bindings, depth: int) -> str | None:
        """A project's own env getter, `env('GLOBAL_PREFIX', 'api')`: a function that reads
        `process.env[key]` of one parameter and returns another as it is (the default): the env files'
        value of the key, else the default given."""
        found = self.project.function(module, field_(call, "function"))
        if found is None:
            return None
        names = param_names(found[1])
        key_at = default_at = None
        for node in walk(found[1]):
            if node.type == "subscript_expression" and text(field_(node, "object")) == "process.env":
                index = text(unwrap(field_(node, "index")))
                key_at = names.index(index) if index in names else key_at
            elif node.type == "return_statement":
                inner = named_children(node)
                value = text(unwrap(inner[0])) if inner else ""
                default_at = names.index(value) if value in names else default_at
        given = args(call)
        if key_at is None or key_at >= len(given):
            return None
        key = self.string(module, given[key_at], bindings, depth + 1)
        if key is None:
            return None
        if key in self.env:
            return self.env[key]
        if default_at is None or default_at == key_at or default_at >= len(given):
            return None
        return self.string(module, given[default_at], bindings, depth + 1)

    def _called(
        self, module: Module, call: Node, bindings: Bindings, depth: int
    ) -> tuple[Module, Node, Bindings] | None:
        """A simple function's returned expression with its parameters bound to the call's arguments."""
        found = self.project.function(module, field_(call, "function"))
        if found is None:
            return None
        owner, fn = found
        result = returned(fn)
        if result is None:
            return None
        inner: Bindings = {}
        for name, arg in zip(param_names(fn), args(call), strict=False):
            if name:
                bound = self._bound(module, arg, bindings)
                if bound is not None:
                    inner[name] = bound
        return owner, result, inner

    def _bound(self, module: Module, arg: Node, bindings: Bindings) -> tuple[Module, Node] | None:
        arg = unwrap(arg) or arg
        if arg.type == "identifier" and text(arg) in bindings:
            return bindings[text(arg)]
        return module, arg

    def config(self, key: str) -> str | None:
        """`ConfigService.get('ns.a.b')`: the registered config namespace's value, else an env var."""
        namespace, _, rest = key.partition(".")
        if not rest or namespace not in self._config_namespaces():
            return self.env.get(key)
        *path, last = key.split(".")
        holder = self.config_literal(".".join(path))
        return self.string(holder[0], object_props(holder[1]).get(last)) if holder is not None else None

    def config_literal(self, key: str) -> tuple[Module, Node] | None:
        """The object a config key names: a namespace (`'app'`) or an object inside one (`'app.cors'`)."""
        namespace, *keys = key.split(".")
        holder = self._config_namespaces().get(namespace)
        for part in keys:
            if holder is None:
                return None
            holder = self.literal(holder[0], object_props(holder[1]).get(part))
        return holder

    def _config_namespaces(self) -> dict[str, tuple[Module, Node]]:
        if self._configs is None:
            self._configs = self._index_configs()
        return self._configs

    def _index_configs(self) -> dict[str, tuple[Module, Node]]:
        configs: dict[str, tuple[Module, Node]] = {}
        for module in self.project.modules.values():
            if not module.mentions("registerAs"):
                continue
            for node in walk(module.parsed.root):
                if node.type != "call_expression" or text(field_(node, "function")) != "registerAs":
                    continue
                given = args(node)
                name = self.string(module, given[0]) if given else None
                if name is None or len(given) < 2:
                    continue
                factory = self.project.function(module, given[1])
                body = returned(factory[1]) if factory else None
                found = self.literal(factory[0], body) if factory and body is not None else None
                if found is not None:
                    configs.setdefault(name, found)
        return configs


def _enum_member(declaration: Node, name: str) -> str | None:
    for item in named_children(field_(declaration, "body")):
        if item.type == "enum_assignment" and text(field_(item, "name")) == name:
            value = field_(item, "value")
            return string(value) if value is not None and value.type == "string" else text(value)
        if item.type == "property_identifier" and text(item) == name:
            return None
    return None
