"""Static evaluation of Python expressions to strings, where the code makes the value knowable.

Frameworks ask ``Resolver.string(module, expr)`` for route paths and prefixes instead of matching literals.
It follows: literals, f-strings, ``+`` concatenation, ``str.format``-free names and attributes across
modules and imports, class attributes and field defaults (pydantic ``BaseSettings``, dataclasses,
``Field(default)``, including inherited ones), instances created by a call or returned by a function
(``settings = get_settings()``), simple function returns, ``os.getenv``/``os.environ.get`` defaults,
Flask config keys (``app.config["API_PREFIX"]``) set as attributes of a project config class, and dotenv
files in the app directory: ``.env`` (what a local run reads: it wins over a settings field's default) and
``.env.example``-style templates (used only where the code gives no default).
Cycles and deep chains end in ``None`` (unknown), never in recursion errors.
"""

from __future__ import annotations

import ast
import io
from collections.abc import Callable
from dataclasses import dataclass

from .._files import read_source
from ._index import External, Module, PythonIndex, Symbol, const_str, kwarg, simple_name

_MAX_DEPTH = 24
# How many callers up a parameter's value is followed (create_app -> register_routes -> attach_widget).
_MAX_CALL_DEPTH = 6
# Call paths bound per function: enough for helpers called once per router, bounded for generated code.
_MAX_ENVS = 64
# How far a collection's items are followed (constants, concatenations, assignments, callers' arguments).
_MAX_ELEMENT_DEPTH = 8
_FIELD_CALLS = frozenset({"Field", "field", "Column"})
_PROPERTIES = frozenset({"property", "cached_property"})
_DOTENV = ".env"
_DOTENV_TEMPLATES = (".env.example", ".env.sample", ".env.template", ".env.dist", "example.env")
_ENV_GETTERS = frozenset({"os.getenv", "getenv", "os.environ.get", "environ.get"})


@dataclass(frozen=True)
class Instance:
    """An object of a project class (``settings = Settings()``); attributes come from the class body."""

    cls: Symbol


Value = str | int | float | bool | Instance | Symbol | Module | External | None
# A for-loop's binding of its target names to one element of what it iterates (with that element's module).
LoopEnv = dict[str, tuple[Module, ast.expr]]


class Resolver:
    def __init__(self, index: PythonIndex) -> None:
        self.index = index
        self._config_keys: dict[str, list[tuple[Module, ast.expr]]] | None = None
        self._loops: dict[int, dict[int, list[LoopEnv]]] = {}
        self._dotenv: tuple[dict[str, str], dict[str, str]] | None = None
        # Functions being evaluated for their return value: (their module, parameter -> argument).
        self._frames: list[tuple[Module, LoopEnv]] = []
        # Function name -> the calls in app code that may call it (checked by resolution on use).
        self._calls_by_name: dict[str, list[tuple[Module, ast.Call]]] | None = None
        # Per function (by id): its parameters bound on each call path, and its own parameters.
        self._param_envs: dict[int, list[LoopEnv]] = {}
        self._own_params: dict[int, set[str]] = {}

    def string(self, module: Module, expr: ast.expr | None, env: LoopEnv | None = None) -> str | None:
        """The string ``expr`` evaluates to, or None when it cannot be known statically.

        ``env`` binds names in ``expr`` (a loop's or a called function's, from ``binding_envs``):
        ``f"/{version}"`` inside ``def mount(app, router, version)``.
        """
        if expr is None:
            return None
        if env:
            self._frames.append((module, env))
        try:
            value = self._eval(module, expr, 0, frozenset())
        finally:
            if env:
                self._frames.pop()
        return value if isinstance(value, str) else None

    def loop_envs(self, module: Module, node: ast.AST) -> list[LoopEnv]:
        """A binding per element when ``node`` is in ``for x in [a, b]`` (or a list constant); else [{}]."""
        loops = self._loops.get(id(module))
        if loops is None:
            loops = self._read_loops(module)
            self._loops[id(module)] = loops
        return loops.get(id(node)) or [{}]

    def binding_envs(self, module: Module, node: ast.AST) -> list[LoopEnv]:
        """``loop_envs``, and where ``node`` is in a function, its parameters bound on each call path.

        ``def create_app(router): app.include_router(router)`` called as ``create_app(router=api)``
        binds ``router`` to ``api``; an argument that is the caller's own parameter is followed to what
        the caller's callers pass (create_app -> register_routes(api) -> attach(api)). A function nobody
        in the project calls binds nothing.
        """
        loops = self.loop_envs(module, node)
        function = _enclosing_function(module, node)
        params = self._parameter_envs(module, function, 0) if function is not None else []
        if not params:
            return loops
        return [{**bound, **loop} for bound in params for loop in loops]

    def _parameter_envs(
        self, module: Module, function: ast.FunctionDef | ast.AsyncFunctionDef, depth: int
    ) -> list[LoopEnv]:
        cached = self._param_envs.get(id(function))
        if cached is None:
            self._param_envs[id(function)] = []  # a recursive call path binds nothing more
            cached = self._param_envs[id(function)] = self._compute_parameter_envs(module, function, depth)
        return cached

    def _compute_parameter_envs(
        self, module: Module, function: ast.FunctionDef | ast.AsyncFunctionDef, depth: int
    ) -> list[LoopEnv]:
        envs: list[LoopEnv] = []
        seen: set[tuple[tuple[str, int], ...]] = set()
        own = self._parameters(function)
        for call_module, call in self._call_sites(module, function):
            bound = {k: v for k, v in bind_arguments(function, module, call, call_module).items() if k in own}
            for env in self._followed(bound, call_module, call, depth):
                key = tuple(sorted((name, id(value)) for name, (_, value) in env.items()))
                if key not in seen:
                    seen.add(key)
                    envs.append(env)
        return envs[:_MAX_ENVS]

    def _followed(self, bound: LoopEnv, call_module: Module, call: ast.Call, depth: int) -> list[LoopEnv]:
        """``bound`` with arguments that are the calling function's parameters replaced by their values on
        each path that calls it; a caller nobody calls keeps its parameter names (unknown values)."""
        caller = _enclosing_function(call_module, call)
        if caller is None or depth >= _MAX_CALL_DEPTH:
            return [bound]
        passed = {id(a) for a in [*call.args, *(k.value for k in call.keywords)]}
        own = self._parameters(caller)
        relay = {
            name: value.id
            for name, (_, value) in bound.items()
            if id(value) in passed and isinstance(value, ast.Name) and value.id in own
        }
        outer = self._parameter_envs(call_module, caller, depth + 1) if relay else []
        if not outer:
            return [bound]
        return [
            {**bound, **{name: env[param] for name, param in relay.items() if param in env}} for env in outer
        ]

    def _call_sites(
        self, module: Module, function: ast.FunctionDef | ast.AsyncFunctionDef
    ) -> list[tuple[Module, ast.Call]]:
        if self._calls_by_name is None:
            self._calls_by_name = {}
            for candidate in self.index.app_modules:
                for call in _module_calls(candidate):
                    name = simple_name(call.func)
                    imported = candidate.imports.get(name) or candidate.local_imports.get(name)
                    if imported is not None and imported[1] is not None:
                        name = imported[1]  # from .setup import create_application as build
                    if name:
                        self._calls_by_name.setdefault(name, []).append((candidate, call))
        found: list[tuple[Module, ast.Call]] = []
        for call_module, call in self._calls_by_name.get(function.name, []):
            target = self.index.call_target(call_module, call)
            if isinstance(target, Symbol) and target.node is _enclosing_function(call_module, call):
                # `def create_application(): from .api import create_application` calls the import
                target = self.index.local_import(call_module, simple_name(call.func)) or target
            if isinstance(target, Symbol) and target.node is function and target.module is module:
                found.append((call_module, call))
        return found

    def bound(self, module: Module, expr: ast.expr, env: LoopEnv) -> tuple[Module, ast.expr]:
        """``expr`` with a loop variable replaced by the element ``env`` binds it to."""
        if isinstance(expr, ast.Name) and expr.id in env:
            return env[expr.id]
        return module, expr

    def _read_loops(self, module: Module) -> dict[int, list[LoopEnv]]:
        found: dict[int, list[LoopEnv]] = {}
        # ast.walk visits outer loops first, so an inner loop's bindings replace its outer loop's.
        for loop in ast.walk(module.tree):
            if not isinstance(loop, ast.For):
                continue
            envs = [env for env in map(_bind_target(loop.target), self._elements(module, loop.iter)) if env]
            if not envs:
                continue
            for stmt in loop.body:
                for node in ast.walk(stmt):
                    found[id(node)] = envs
        return found

    def _elements(
        self, module: Module, expr: ast.expr, depth: int = 0, previous: str | None = None
    ) -> list[tuple[Module, ast.expr]]:
        """The items of a collection expression: a literal, ``a + b``, a module constant, or a name a
        function assigns (all its assignments) or receives (what its callers pass). ``previous`` is the
        name being assigned: inside ``blueprints = blueprints + EXTRA`` it stands for the parameter."""
        if depth >= _MAX_ELEMENT_DEPTH:
            return []
        if isinstance(expr, ast.List | ast.Tuple | ast.Set):
            return [(module, e) for e in expr.elts if not isinstance(e, ast.Starred)]
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            return self._elements(module, expr.left, depth + 1, previous) + self._elements(
                module, expr.right, depth + 1, previous
            )
        namespace = self._namespace_values(module, expr)
        if namespace is not None:
            return namespace
        function = _enclosing_function(module, expr) if isinstance(expr, ast.Name) else None
        if isinstance(expr, ast.Name) and function is not None:
            values = _local_values(function, expr.id) if expr.id != previous else []
            if values:
                return [e for v in values for e in self._elements(module, v, depth + 1, expr.id)]
            if any(a.arg == expr.id for a in [*function.args.posonlyargs, *function.args.args]) or any(
                a.arg == expr.id for a in function.args.kwonlyargs
            ):
                return [
                    e
                    for m, v in self._arguments(module, function, expr.id)
                    for e in self._elements(m, v, depth + 1)
                ]
        if isinstance(expr, ast.Name | ast.Attribute):
            resolved = self.index.resolve_expr(module, expr)
            if isinstance(resolved, Symbol) and isinstance(resolved.node, ast.List | ast.Tuple | ast.Set):
                return self._elements(resolved.module, resolved.node, depth + 1)
        return []

    def _parameters(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
        found = self._own_params.get(id(function))
        if found is None:
            found = self._own_params[id(function)] = _parameters(function)
        return found

    def _namespace_values(self, module: Module, expr: ast.expr) -> list[tuple[Module, ast.expr]] | None:
        """``vars(routes).values()`` / ``routes.__dict__.values()`` of a project module: every name it defines
        or imports at the top (the loop filters them, e.g. with isinstance(x, Blueprint))."""
        if not (
            isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Attribute)
            and expr.func.attr == "values"
            and not expr.args
        ):
            return None
        holder = expr.func.value
        if isinstance(holder, ast.Call) and simple_name(holder) == "vars" and len(holder.args) == 1:
            target: ast.expr = holder.args[0]
        elif isinstance(holder, ast.Attribute) and holder.attr == "__dict__":
            target = holder.value
        else:
            return None
        found = self.index.resolve_expr(module, target)
        if not isinstance(found, Module):
            return None
        names = [*found.defs, *(n for n in found.imports if n not in found.defs)]
        return [(found, ast.Name(id=name, ctx=ast.Load())) for name in names]

    def _arguments(
        self, module: Module, function: ast.FunctionDef | ast.AsyncFunctionDef, name: str
    ) -> list[tuple[Module, ast.expr]]:
        """What the function's callers pass for parameter ``name`` (or its default)."""
        found: list[tuple[Module, ast.expr]] = []
        for call_module, call in self._call_sites(module, function):
            argument = bind_arguments(function, module, call, call_module).get(name)
            if argument is not None:
                found.append(argument)
        return found

    # ---- evaluation -------------------------------------------------------------------------------
    def _eval(self, module: Module, expr: ast.expr, depth: int, seen: frozenset[int]) -> Value:
        if depth > _MAX_DEPTH or id(expr) in seen:
            return None
        seen = seen | {id(expr)}
        depth += 1
        if isinstance(expr, ast.Constant):
            value = expr.value
            return value if isinstance(value, str | int | float | bool) else None
        if isinstance(expr, ast.JoinedStr):
            return self._fstring(module, expr, depth, seen)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            left = self._eval(module, expr.left, depth, seen)
            right = self._eval(module, expr.right, depth, seen)
            return left + right if isinstance(left, str) and isinstance(right, str) else None
        if isinstance(expr, ast.Name):
            if self._frames and self._frames[-1][0] is module and expr.id in self._frames[-1][1]:
                # A parameter of the function being evaluated: the argument it was called with.
                frame = self._frames.pop()
                bound_module, bound = frame[1][expr.id]
                try:  # the argument is evaluated where the call was written
                    return self._eval(bound_module, bound, depth, seen)
                finally:
                    self._frames.append(frame)
            return self._symbol_value(self.index.resolve_expr(module, expr), depth, seen)
        if isinstance(expr, ast.Attribute):
            return self._attribute(module, expr, depth, seen)
        if isinstance(expr, ast.Call):
            return self._call(module, expr, depth, seen)
        if isinstance(expr, ast.Subscript):
            return self._subscript(module, expr, depth, seen)
        return None

    def _fstring(self, module: Module, expr: ast.JoinedStr, depth: int, seen: frozenset[int]) -> str | None:
        parts: list[str] = []
        for part in expr.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                parts.append(part.value)
            elif isinstance(part, ast.FormattedValue) and part.format_spec is None:
                value = self._eval(module, part.value, depth, seen)
                if not isinstance(value, str | int) or isinstance(value, bool):
                    return None
                parts.append(str(value))
            else:
                return None
        return "".join(parts)

    def _symbol_value(self, resolved: object, depth: int, seen: frozenset[int]) -> Value:
        if isinstance(resolved, Symbol):
            node = resolved.node
            if isinstance(node, ast.expr):
                return self._eval(resolved.module, node, depth, seen)
            return resolved
        if isinstance(resolved, Module | External):
            return resolved
        return None

    def _attribute(self, module: Module, expr: ast.Attribute, depth: int, seen: frozenset[int]) -> Value:
        base = self._eval(module, expr.value, depth, seen)
        if isinstance(base, Instance):
            return self._class_attr(base.cls, expr.attr, depth, seen, instance=True)
        if isinstance(base, Symbol) and isinstance(base.node, ast.ClassDef):
            return self._class_attr(base, expr.attr, depth, seen, instance=False)
        if isinstance(base, Module):
            return self._symbol_value(self.index.resolve_name(base, expr.attr), depth, seen)
        if isinstance(base, External):
            return External(f"{base.dotted}.{expr.attr}")
        return None

    def _class_attr(
        self, cls: Symbol, name: str, depth: int, seen: frozenset[int], *, instance: bool
    ) -> Value:
        env_name = self._settings_env_name(cls, name)
        local, template = self._dotenv_values()
        if env_name is not None and env_name in local:
            return local[env_name]
        value = self._declared_attr(cls, name, depth, seen, instance=instance)
        if value is None and env_name is not None:
            return template.get(env_name)
        return value

    def _settings_env_name(self, cls: Symbol, name: str) -> str | None:
        """The env var a pydantic BaseSettings field reads (upper-cased, as dotenv keys are compared)."""
        mro = self._mro(cls)
        if not any(isinstance(b, External) and b.last == "BaseSettings" for b in self.index.class_bases(cls)):
            return None
        prefix = next(
            (p for p in (env_prefix(c.node) for c in mro if isinstance(c.node, ast.ClassDef)) if p), ""
        )
        return (prefix + name).upper()

    def _dotenv_values(self) -> tuple[dict[str, str], dict[str, str]]:
        """(.env values, template values), keys upper-cased; empty without an app directory."""
        if self._dotenv is None:
            local: dict[str, str] = {}
            template: dict[str, str] = {}
            root = self.index.root
            if root is not None:
                for name, into in ((_DOTENV, local), *((t, template) for t in _DOTENV_TEMPLATES)):
                    path = root / name
                    if not path.is_file():
                        continue
                    source = read_source(root, path, self.index.warnings)
                    if source is None:
                        continue
                    # Imported here: most apps have no dotenv file.
                    from dotenv import dotenv_values

                    for key, value in dotenv_values(stream=io.StringIO(source.text)).items():
                        if value is not None:
                            into.setdefault(key.upper(), value)
            self._dotenv = (local, template)
        return self._dotenv

    def _declared_attr(
        self, cls: Symbol, name: str, depth: int, seen: frozenset[int], *, instance: bool
    ) -> Value:
        for owner in self._mro(cls):
            assert isinstance(owner.node, ast.ClassDef)
            for stmt in reversed(owner.node.body):
                value = _assigned(stmt, name)
                if value is None:
                    continue
                if isinstance(value, ast.Call) and simple_name(value) in _FIELD_CALLS:
                    value = value.args[0] if value.args else kwarg(value, "default")
                    if value is None:
                        return None
                return self._eval(owner.module, value, depth, seen)
            if instance:
                prop = _property(owner.node, name)
                if prop is not None:
                    return self._single_return(owner.module, prop, depth, seen)
        return None

    def _mro(self, cls: Symbol) -> list[Symbol]:
        found = [cls]
        for base in self.index.class_bases(cls):
            if isinstance(base, Symbol) and isinstance(base.node, ast.ClassDef) and base not in found:
                found.append(base)
        return found

    def _call(self, module: Module, call: ast.Call, depth: int, seen: frozenset[int]) -> Value:
        default = call.args[1] if len(call.args) > 1 else kwarg(call, "default")
        is_get = isinstance(call.func, ast.Attribute) and call.func.attr == "get"
        if call.args and is_get and _is_config(call.func):
            return self._config_value(module, call.args[0], default, depth, seen)
        target = self.index.resolve_expr(module, call.func)
        if isinstance(target, External):
            if target.dotted in _ENV_GETTERS or _is_environ_get(self.index, module, call.func):
                if default is not None:
                    return self._eval(module, default, depth, seen)
                key = const_str(call.args[0]) if call.args else None
                local, template = self._dotenv_values()
                return local.get(key.upper(), template.get(key.upper())) if key else None
            if target.dotted == "str" and len(call.args) == 1:
                value = self._eval(module, call.args[0], depth, seen)
                return value if isinstance(value, str) else None
            return None
        if not isinstance(target, Symbol):
            return None
        node = target.node
        if isinstance(node, ast.ClassDef):
            return Instance(target)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.returns is not None:
                returned = self.index.resolve_expr(target.module, node.returns)
                if isinstance(returned, Symbol) and isinstance(returned.node, ast.ClassDef):
                    return Instance(returned)
            return self._returned(target.module, node, call, module, depth, seen)
        return None

    def _returned(
        self,
        module: Module,
        function: ast.FunctionDef | ast.AsyncFunctionDef,
        call: ast.Call,
        call_module: Module,
        depth: int,
        seen: frozenset[int],
    ) -> Value:
        """What ``function(args)`` returns: its parameters bound to the call's arguments, and of several
        returns the one taken: an ``if`` whose test is known, else the fall-through ``return``."""
        frame = (module, bind_arguments(function, module, call, call_module))
        self._frames.append(frame)
        try:
            for stmt in function.body:
                if isinstance(stmt, ast.If) and any(isinstance(s, ast.Return) for s in stmt.body):
                    if self._eval(module, stmt.test, depth, seen) is True:
                        branch = next(s for s in stmt.body if isinstance(s, ast.Return))
                        return self._eval(module, branch.value, depth, seen) if branch.value else None
                elif isinstance(stmt, ast.Return):
                    return self._eval(module, stmt.value, depth, seen) if stmt.value else None
            return self._single_return(module, function, depth, seen)
        finally:
            self._frames.pop()

    def _single_return(
        self,
        module: Module,
        function: ast.FunctionDef | ast.AsyncFunctionDef,
        depth: int,
        seen: frozenset[int],
    ) -> Value:
        returns = [n.value for n in ast.walk(function) if isinstance(n, ast.Return) and n.value is not None]
        if len(returns) != 1:
            return None
        return self._eval(module, returns[0], depth, seen)

    def _subscript(self, module: Module, expr: ast.Subscript, depth: int, seen: frozenset[int]) -> Value:
        key = const_str(expr.slice)
        if key is None:
            return None
        if _is_config(expr.value):
            return self._config_value(module, expr.slice, None, depth, seen)
        container = self.index.resolve_expr(module, expr.value)
        if isinstance(container, External) and container.dotted in ("os.environ", "environ"):
            local, template = self._dotenv_values()
            return local.get(key.upper(), template.get(key.upper()))
        if isinstance(container, Symbol) and isinstance(container.node, ast.Dict):
            for k, v in zip(container.node.keys, container.node.values, strict=True):
                if const_str(k) == key:
                    return self._eval(container.module, v, depth, seen)
        return None

    def _config_value(
        self, module: Module, key_expr: ast.expr, default: ast.expr | None, depth: int, seen: frozenset[int]
    ) -> Value:
        """``app.config["KEY"]``: the KEY attribute of the project's config classes, when they agree."""
        key = const_str(key_expr)
        if key is None:
            return None
        values = {
            value
            for owner, node in self._config_index().get(key, [])
            if isinstance(value := self._eval(owner, node, depth, seen), str | int | float | bool)
        }
        if len(values) == 1:
            return values.pop()
        if not values and default is not None:
            return self._eval(module, default, depth, seen)
        return None

    def _config_index(self) -> dict[str, list[tuple[Module, ast.expr]]]:
        if self._config_keys is None:
            keys: dict[str, list[tuple[Module, ast.expr]]] = {}
            for module in self.index.app_modules:
                for cls in module.classes:
                    if "config" not in cls.name.lower() and "settings" not in cls.name.lower():
                        continue
                    for stmt in cls.body:
                        for name, value in _assignments(stmt):
                            if name.isupper():
                                keys.setdefault(name, []).append((module, value))
            self._config_keys = keys
        return self._config_keys


def bind_arguments(
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    function_module: Module,
    call: ast.Call,
    call_module: Module,
) -> LoopEnv:
    """A function's parameters -> the expression each is bound to by ``call`` (argument, else default)."""
    positional = [*function.args.posonlyargs, *function.args.args]
    defaults = function.args.defaults
    bound: LoopEnv = {}
    for arg, default in zip(positional[len(positional) - len(defaults) :], defaults, strict=True):
        bound[arg.arg] = (function_module, default)
    for kwonly, kw_default in zip(function.args.kwonlyargs, function.args.kw_defaults, strict=True):
        if kw_default is not None:
            bound[kwonly.arg] = (function_module, kw_default)
    if positional and positional[0].arg in ("self", "cls"):
        positional = positional[1:]
    for arg, value in zip(positional, call.args, strict=False):
        if not isinstance(value, ast.Starred):
            bound[arg.arg] = (call_module, value)
    for keyword in call.keywords:
        if keyword.arg is not None:
            bound[keyword.arg] = (call_module, keyword.value)
    return bound


def _enclosing_function(module: Module, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The innermost plain function (not a method: its callers are not resolvable) holding ``node``."""
    line = getattr(node, "lineno", None)
    if line is None:
        return None
    best: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    for function, cls in module.functions:
        end = function.end_lineno or function.lineno
        if cls is None and function.lineno <= line <= end and (best is None or function.lineno > best.lineno):
            best = function
    return best


def _parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """The parameters the body does not assign again (``api = Api(bp)`` makes ``api`` a local)."""
    args = function.args
    names = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            names -= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _local_values(function: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> list[ast.expr]:
    """Every value the function's own body assigns to ``name`` (``=``, ``+=``), nested functions aside."""
    values: list[ast.expr] = []
    todo: list[ast.AST] = list(function.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        value = getattr(node, "value", None)
        if isinstance(value, ast.expr) and any(isinstance(t, ast.Name) and t.id == name for t in targets):
            values.append(value)
        todo.extend(ast.iter_child_nodes(node))
    return values


def _module_calls(module: Module) -> list[ast.Call]:
    """Every call of a walked module; of an unwalked one, the calls assigned at top level or in functions
    (``app = create_app(router=api)``)."""
    if module.calls:
        return module.calls
    values = [v for history in module.history.values() for v in history] + list(module.local_defs.values())
    return [v for v in values if isinstance(v, ast.Call)]


def _bind_target(target: ast.expr) -> Callable[[tuple[Module, ast.expr]], LoopEnv]:
    def bind(element: tuple[Module, ast.expr]) -> LoopEnv:
        module, value = element
        if isinstance(target, ast.Name):
            return {target.id: element}
        if (
            isinstance(target, ast.Tuple)
            and isinstance(value, ast.Tuple)
            and len(target.elts) == len(value.elts)
            and all(isinstance(t, ast.Name) for t in target.elts)
        ):
            return {
                t.id: (module, v)
                for t, v in zip(target.elts, value.elts, strict=True)
                if isinstance(t, ast.Name)
            }
        return {}

    return bind


def _assigned(stmt: ast.stmt, name: str) -> ast.expr | None:
    for target, value in _assignments(stmt):
        if target == name:
            return value
    return None


def _assignments(stmt: ast.stmt) -> list[tuple[str, ast.expr]]:
    if isinstance(stmt, ast.Assign):
        return [(t.id, stmt.value) for t in stmt.targets if isinstance(t, ast.Name)]
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
        return [(stmt.target.id, stmt.value)]
    return []


def _property(cls: ast.ClassDef, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for stmt in cls.body:
        if (
            isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef)
            and stmt.name == name
            and any(isinstance(d, ast.Name) and d.id in _PROPERTIES for d in stmt.decorator_list)
        ):
            return stmt
    return None


def _is_config(expr: ast.expr) -> bool:
    # app.config / current_app.config / self.app.config, and app.config.get for calls.
    if isinstance(expr, ast.Attribute) and expr.attr == "get":
        expr = expr.value
    return isinstance(expr, ast.Attribute) and expr.attr == "config"


def _is_environ_get(index: PythonIndex, module: Module, func: ast.expr) -> bool:
    if not (isinstance(func, ast.Attribute) and func.attr == "get"):
        return False
    owner = index.resolve_expr(module, func.value)
    return isinstance(owner, External) and owner.dotted in ("os.environ", "environ")


def env_prefix(cls: ast.ClassDef) -> str:
    """The env_prefix of a pydantic settings class (model_config or class Config), "" if none."""
    return settings_option(cls, "env_prefix") or ""


def settings_option(cls: ast.ClassDef, option: str) -> str | None:
    """A string option of a pydantic settings class (``model_config = SettingsConfigDict(...)``, a dict, or
    ``class Config``), None if not set."""
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "model_config" for t in stmt.targets
        ):
            if isinstance(stmt.value, ast.Call):
                return const_str(kwarg(stmt.value, option))
            if isinstance(stmt.value, ast.Dict):
                for key, value in zip(stmt.value.keys, stmt.value.values, strict=True):
                    if const_str(key) == option:
                        return const_str(value)
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Config":
            for inner in stmt.body:
                if isinstance(inner, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == option for t in inner.targets
                ):
                    return const_str(inner.value)
    return None
