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
import posixpath
import re
from pathlib import Path

from .._treesitter import Node, field_, named_children, text, walk
from ._project import Module, Project, local_binding, nodes_of
from ._strings import (
    PARSED_PATH_FIELDS,
    PATH_FUNCTIONS,
    STRING_METHODS,
    Argument,
    parsed_path_field,
    path_function,
    regex,
    split_item,
    string_method,
)
from ._syntax import (
    FUNCTIONS,
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
_PATH_MODULES = ("path", "node:path", "path/posix", "node:path/posix")


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
        # callee name -> the calls in the project ("" for calls whose callee has no plain name)
        self._call_sites: dict[str, list[tuple[Module, Node]]] | None = None
        # file -> the names other modules import it under; (file, function) -> its calls
        self._imported_as: dict[str, set[str]] = {}
        self._calls: dict[tuple[str, int], list[tuple[Module, list[Node]]]] = {}

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
        if kind == "unary_expression" and text(field_(expr, "operator")) == "-":
            value = self.string(module, field_(expr, "argument"), bindings, depth + 1)
            return f"-{value}" if value is not None and value.isdigit() else None
        if kind == "binary_expression":
            operator = text(field_(expr, "operator"))
            left = self.string(module, field_(expr, "left"), bindings, depth + 1)
            if operator in ("||", "??"):
                return left if left else self.string(module, field_(expr, "right"), bindings, depth + 1)
            right = self.string(module, field_(expr, "right"), bindings, depth + 1)
            return left + right if operator == "+" and left is not None and right is not None else None
        if kind in ("identifier", "shorthand_property_identifier"):
            found = self._named(module, expr, bindings, depth)
            if found is None:
                return None
            # A declaration in the same module sees the loop's bindings (`const name = file.slice(0, -3)`).
            return self.string(found[0], found[1], bindings if found[0] is module else None, depth + 1)
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
            split = self._split(module, field_(expr, "object"), bindings, depth)
            if split is not None:
                return split_item(split[0], split[1], int(key)) if key.isdigit() else None
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
            if found is None:
                return None
            return self.literal(found[0], found[1], bindings if found[0] is module else None, depth + 1)
        if expr.type == "member_expression":
            obj, prop = member(expr)
            holder = self.literal(module, obj, bindings, depth + 1)
            value = object_props(holder[1]).get(prop) if holder is not None else None
            if holder is not None and value is not None:
                return self.literal(holder[0], value, None, depth + 1)
            # `require('./esm').default`: the module's export, not a member of its default export
            namespace = self._namespace_member(module, obj, prop, bindings, depth + 1)
            return self.literal(namespace[0], namespace[1], None, depth + 1) if namespace else None
        if expr.type == "call_expression":
            fn = field_(expr, "function")
            if text(fn) == "require":
                spec = self.path(module, next(iter(args(expr)), None), bindings, depth + 1)
                path = self.project.resolve_file(module.path, spec or "")
                target = self.project.exported(path, "*")
                if target is None and path in self.project.modules:
                    # `module.exports = { health: { path: ... } }`
                    target = (path, "module.exports")
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
        picked = self._picked(module, local[0], local[1], depth, bindings) if local is not None else None
        if picked is not None:
            return picked
        found = self.project.value(module, wanted)
        if found is not None:
            return found
        pick = module.picks.get(wanted)
        if pick is not None:
            return self._picked(module, pick[0], pick[1], depth)
        return self._argument_of(module, name, depth)

    def _argument_of(self, module: Module, name: Node, depth: int) -> tuple[Module, Node] | None:
        """A function's parameter, as the one call of that function in the project passes it:
        `registerItems(app, { base: '/api' })`, or `fastify.register(plugin, { prefix: '/v1' })`."""
        fn = name.parent
        while fn is not None and not (fn.type in FUNCTIONS and text(name) in param_names(fn)):
            fn = fn.parent
        if fn is None or depth > _MAX_DEPTH:
            return None
        position = param_names(fn).index(text(name))
        passed = [given for given in self._calls_to(module, fn) if position < len(given[1])]
        if len(passed) != 1:
            return None  # never called, or called with several values: not one value
        caller, given = passed[0]
        return caller, given[position]

    def _calls_to(self, module: Module, fn: Node) -> list[tuple[Module, list[Node]]]:
        """The calls of a function in the project, each with the arguments its parameters receive."""
        key = (module.path, fn.start_byte)
        if key in self._calls:
            return self._calls[key]
        if self._call_sites is None:
            self._call_sites = _call_sites(self.project)
            for other in self.project.modules.values():
                for local, (file, _) in other.imports.items():
                    self._imported_as.setdefault(file, set()).add(local)
        # Called by its own name, or by the name another module imports it under.
        names = {_function_name(fn), ""} | self._imported_as.get(module.path, set())
        found: list[tuple[Module, list[Node]]] = self._calls.setdefault(key, [])
        for caller, call in (site for n in sorted(names) for site in self._call_sites.get(n, [])):
            callee = field_(call, "function")
            given = args(call)
            if member(callee)[1] == "register" and given:
                # Fastify hands a registered plugin (instance, options).
                callee, given = given[0], [callee, *given[1:]]
            target = self.project.function(caller, callee)
            if target is not None and target[1] == fn:
                found.append((caller, given))
        return found

    def _picked(
        self, module: Module, value: Node, keys: tuple[str, ...], depth: int, bindings: Bindings | None = None
    ) -> tuple[Module, Node] | None:
        if not keys:
            return module, value
        holder = self.literal(module, value, bindings, depth + 1)
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
        parsed = unwrap(obj)
        if (
            prop in PARSED_PATH_FIELDS
            and parsed is not None
            and parsed.type == "call_expression"
            and self._path_function(module, field_(parsed, "function")) == "parse"
            and args(parsed)
        ):
            parsed_from = self.string(module, args(parsed)[0], bindings, depth + 1)
            return parsed_path_field(parsed_from, prop) if parsed_from is not None else None
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
        value = object_props(holder[1]).get(prop) if holder is not None else None
        if holder is None or value is None:
            namespace = self._namespace_member(module, obj, prop, bindings, depth + 1)
            return self.string(namespace[0], namespace[1], None, depth + 1) if namespace else None
        return self.string(holder[0], value, None, depth + 1)

    def _argument(self, module: Module, node: Node, bindings: Bindings, depth: int) -> Argument | None:
        node = unwrap(node) or node
        if node.type == "regex":
            return regex(text(field_(node, "pattern")), text(field_(node, "flags")))
        return self.string(module, node, bindings, depth + 1)

    def _split(
        self, module: Module, expr: Node | None, bindings: Bindings, depth: int
    ) -> tuple[str, Argument] | None:
        """`value.split(separator)`, as (value, separator), when both are known."""
        expr = unwrap(expr)
        if expr is None or expr.type != "call_expression":
            return None
        obj, prop = member(field_(expr, "function"))
        given = args(expr)
        if prop != "split" or obj is None or len(given) != 1:
            return None
        value = self.string(module, obj, bindings, depth + 1)
        separator = self._argument(module, given[0], bindings, depth)
        return (value, separator) if value is not None and separator is not None else None

    def _path_function(self, module: Module, fn: Node | None) -> str | None:
        """The name of Node's `path` function a callee denotes (`path.join`, `join` imported from 'path')."""
        fn = unwrap(fn)
        if fn is None:
            return None
        if fn.type == "identifier":
            imported = module.imports.get(text(fn))
            return imported[1] if imported is not None and imported[0] in _PATH_MODULES else None
        obj, prop = member(fn)
        holder = text(obj)
        if holder in ("path", "path.posix") or module.imports.get(holder, ("", ""))[0] in _PATH_MODULES:
            return prop
        return None

    def path(
        self, module: Module, expr: Node | None, bindings: Bindings | None = None, depth: int = 0
    ) -> str | None:
        """A file system path an expression holds: `path.join(__dirname, 'routes', file)`. A path the
        code anchors to its own folder (`__dirname`, `path.resolve`) comes back absolute from the project
        root ("/src/routes/users.js"); the others as written (relative to the working directory, or to
        the module for `require`)."""
        expr = unwrap(expr)
        if expr is None or depth > _MAX_DEPTH:
            return None
        bindings = bindings or {}
        kind = expr.type
        if text(expr) in ("__dirname", "import.meta.dirname"):
            return "/" + posixpath.dirname(module.path)
        if kind == "identifier" and text(expr) not in bindings:
            found = self._named(module, expr, bindings, depth)
            return self.path(found[0], found[1], None, depth + 1) if found else None
        if kind == "call_expression":
            fn = field_(expr, "function")
            if text(fn) == "process.cwd":
                return "/"
            name = self._path_function(module, fn)
            if name in ("join", "resolve"):
                parts = [self.path(module, a, bindings, depth + 1) for a in args(expr)]
                given = [p for p in parts if p is not None]
                if len(given) != len(parts):
                    return None
                if name == "resolve":
                    # Relative to the working directory: the project root, where the app is started.
                    anchored = [i for i, p in enumerate(given) if p.startswith("/")]
                    given = ["/", *given[anchored[-1] if anchored else 0 :]]
                joined = "/".join(p for p in given if p)
                return posixpath.normpath(joined).replace("//", "/")
        if kind == "binary_expression" and text(field_(expr, "operator")) == "+":
            left = self.path(module, field_(expr, "left"), bindings, depth + 1)
            right = self.path(module, field_(expr, "right"), bindings, depth + 1)
            return left + right if left is not None and right is not None else None
        if kind == "template_string":
            pieces: list[str] = []
            for child in expr.named_children:
                inner = named_children(child) if child.type == "template_substitution" else []
                piece = self.path(module, inner[0], bindings, depth + 1) if inner else text(child)
                if piece is None:
                    return None
                pieces.append(piece)
            return "".join(pieces)
        return self.string(module, expr, bindings, depth)

    def named(
        self, module: Module, name: Node, bindings: Bindings | None = None
    ) -> tuple[Module, Node] | None:
        """What a name denotes (see ``_named``)."""
        return self._named(module, name, bindings or {}, 0)

    def _namespace_member(
        self, module: Module, obj: Node | None, prop: str, bindings: Bindings | None = None, depth: int = 0
    ) -> tuple[Module, Node] | None:
        """`import * as config from './config'; config.prefix`, or `require(file).baseUrl` (also
        through a name): the module's export of that name."""
        file = self._required_file(module, obj, bindings or {}, depth)
        if file is None and obj is not None and obj.type == "identifier" and text(obj) in module.imports:
            imported, name = module.imports[text(obj)]
            file = imported if name == "*" else None
        if file is None or file not in self.project.modules:
            return None
        target = self.project.exported(file, prop)
        if target is None:
            return None
        owner = self.project.modules[target[0]]
        value = owner.values.get(target[1])
        return (owner, value) if value is not None else None

    def _required_file(self, module: Module, expr: Node | None, bindings: Bindings, depth: int) -> str | None:
        """The project file a `require(...)` call, or a name declared as one, loads."""
        expr = unwrap(expr)
        if expr is not None and expr.type == "identifier" and depth < _MAX_DEPTH:
            found = self._named(module, expr, bindings, depth)
            if found is None:
                return None
            module, expr = found[0], unwrap(found[1])
        if expr is None or expr.type != "call_expression" or text(field_(expr, "function")) != "require":
            return None
        spec = self.path(module, next(iter(args(expr)), None), bindings, depth + 1)
        return self.project.resolve_file(module.path, spec) if spec is not None else None

    def _call_string(self, module: Module, expr: Node, bindings: Bindings, depth: int) -> str | None:
        fn = field_(expr, "function")
        given = args(expr)
        if text(fn) in _STRING_CASTS and given:
            return self.string(module, given[0], bindings, depth + 1)
        obj, prop = member(fn)
        if prop in _CONFIG_GETTERS and obj is not None and given and "config" in text(obj).lower():
            key = self.string(module, given[0], bindings, depth + 1)
            return self.config(key) if key is not None else None
        if prop in STRING_METHODS and obj is not None:
            value = self.string(module, obj, bindings, depth + 1)
            arguments = [self._argument(module, a, bindings, depth) for a in given]
            if value is not None and all(a is not None for a in arguments):
                found = string_method(
                    value, prop, [a for a in arguments if a is not None], _global_regex(given)
                )
                if found is not None:
                    return found
        path_fn = self._path_function(module, fn)
        if path_fn in PATH_FUNCTIONS:
            values = [self.string(module, a, bindings, depth + 1) for a in given]
            if all(v is not None for v in values):
                return path_function(path_fn, [v for v in values if v is not None])
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


def _call_sites(project: Project) -> dict[str, list[tuple[Module, Node]]]:
    sites: dict[str, list[tuple[Module, Node]]] = {}
    for module in project.modules.values():
        for call in nodes_of(module.parsed, ("call_expression",)):
            callee = unwrap(field_(call, "function"))
            name = text(callee) if callee is not None and callee.type == "identifier" else member(callee)[1]
            if name == "register":
                name = ""  # `fastify.register(plugin, opts)` calls whatever plugin is
            sites.setdefault(name, []).append((module, call))
    return sites


def _function_name(fn: Node) -> str:
    """The name a function is called by: its own, or the variable or property it is assigned to."""
    own = field_(fn, "name")
    if own is not None:
        return text(own)
    holder = fn.parent
    if holder is not None and holder.type == "variable_declarator":
        return text(field_(holder, "name"))
    if holder is not None and holder.type == "assignment_expression":
        left = field_(holder, "left")
        return member(left)[1] if left is not None and left.type == "member_expression" else text(left)
    return ""


def _global_regex(given: list[Node]) -> bool:
    first = unwrap(given[0]) if given else None
    return first is not None and first.type == "regex" and "g" in text(field_(first, "flags"))


def _enum_member(declaration: Node, name: str) -> str | None:
    for item in named_children(field_(declaration, "body")):
        if item.type == "enum_assignment" and text(field_(item, "name")) == name:
            value = field_(item, "value")
            return string(value) if value is not None and value.type == "string" else text(value)
        if item.type == "property_identifier" and text(item) == name:
            return None
    return None
