"""An index of a Python project's modules (parsed once with ``ast``) and static name resolution across them.

Resolution follows ``import``/``from … import`` (absolute and relative) between the project's own modules;
names from outside the project resolve to an ``External`` dotted name (``fastapi.APIRouter``). Cycles
(circular imports, ``a = b; b = a``) end in ``None`` rather than recursion.
"""

from __future__ import annotations

import ast
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .._files import iter_sources

# Only files mentioning one of these are walked in full (calls/subscripts anywhere in the code); the rest
# only have their top level read, which keeps a 2,000-file repository fast.
_WALK_TRIGGERS = (
    "environ",
    # A django-environ Env imported from another settings module: `env("X")`, `env.str("X")`.
    "env(",
    "env.",
    # Starlette's Config instance: `config("X", default=...)`.
    "config(",
    "config.get(",
    "getenv",
    "include_router",
    "register_blueprint",
    "add_url_rule",
    "add_namespace",
    "add_router",
    "add_resource",
    "add_api_route",
    "mount",
    "DispatcherMiddleware",
    ".run(",
    ".register(",
    "Settings",
    "urlpatterns",
    "before_request",
    "create_app",
    "_app(",
)
_MAX_ALIAS_DEPTH = 32
# Test code never declares the app's routes, env vars or port (it builds throwaway apps of its own).
_TEST_DIRS = frozenset({"tests", "test", "__tests__"})


def is_test_path(path: str) -> bool:
    *dirs, name = path.split("/")
    return (
        any(d in _TEST_DIRS for d in dirs)
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name in ("conftest.py", "tests.py")
    )


@dataclass(frozen=True)
class External:
    """A name from outside the project, e.g. ``fastapi.FastAPI`` (or a bare name that was never imported)."""

    dotted: str

    @property
    def last(self) -> str:
        return self.dotted.rsplit(".", 1)[-1]

    def is_(self, name: str, *packages: str) -> bool:
        """Whether this is ``name`` from one of ``packages`` (a bare unimported name matches too)."""
        parts = self.dotted.split(".")
        return parts[-1] == name and (len(parts) == 1 or not packages or parts[0] in packages)


@dataclass(eq=False)
class Module:
    """One parsed Python module and what it imports and defines."""

    name: str
    # Path relative to the analysed app directory.
    path: str
    tree: ast.Module
    is_package: bool = False
    # local name -> (module, attribute) for "from m import attribute"; (module, None) for "import module".
    imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    # Top-level definitions: class/function nodes and the value expression of assignments (last one wins).
    defs: dict[str, ast.AST] = field(default_factory=dict)
    # Every top-level assignment of a name, in order ("urlpatterns = f(urlpatterns)" reads the one before).
    history: dict[str, list[ast.expr]] = field(default_factory=dict)
    # "x += [...]" at top level, in order (urlpatterns += router.urls).
    augments: dict[str, list[ast.expr]] = field(default_factory=dict)
    # Assignments inside functions (app factories), used when a name is not defined at top level.
    local_defs: dict[str, ast.AST] = field(default_factory=dict)
    # Imports inside functions ("from .api import api as api_bp" in create_app), same use as local_defs.
    local_imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    # `self.app = FastAPI()` in a top-level class's methods: class name -> attribute -> value (first one).
    instance_attrs: dict[str, dict[str, ast.expr]] = field(default_factory=dict)
    # Functions at top level, in top-level classes and in function bodies, with their class (or None).
    functions: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, ast.ClassDef | None]] = field(
        default_factory=list
    )
    classes: list[ast.ClassDef] = field(default_factory=list)
    # Filled only for walked files (see _WALK_TRIGGERS).
    calls: list[ast.Call] = field(default_factory=list)
    subscripts: list[ast.Subscript] = field(default_factory=list)
    # `call() or <operand>` (an env lookup with its fallback): id of the call -> the operand.
    or_operands: dict[int, ast.expr] = field(default_factory=dict)
    # `<key> in <container>` / `not in` (`"X" in os.environ`): (key, container).
    memberships: list[tuple[ast.expr, ast.expr]] = field(default_factory=list)
    # id of a function defined here -> whether it reads the variable its first parameter names
    # (the env scan's cache; see python/_frontend._env_wrapper).
    env_wrappers: dict[int, bool] = field(default_factory=dict)

    @property
    def package(self) -> str:
        return self.name if self.is_package else self.name.rpartition(".")[0]


@dataclass(frozen=True)
class Symbol:
    """A definition inside the project: a class, a function or an assigned value expression."""

    module: Module
    name: str
    node: ast.AST


Resolved = Module | Symbol | External


class PythonIndex:
    def __init__(self, modules: list[Module], warnings: list[str], root: Path | None = None) -> None:
        # All modules resolve names; only app_modules (no test code) are searched for routes and settings.
        self.modules = modules
        self.app_modules = [m for m in modules if not is_test_path(m.path)]
        self.warnings = warnings
        # The analysed app directory (dotenv files are read from it).
        self.root = root
        self._by_name: dict[str, Module] = {}
        for module in modules:
            self._by_name.setdefault(module.name, module)
        # Apps are often run from a subfolder (src/, a Django project dir): "pkg.mod" may be "src.pkg.mod".
        self._by_suffix: dict[str, list[Module]] = {}
        for module in modules:
            parts = module.name.split(".")
            for i in range(1, len(parts)):
                self._by_suffix.setdefault(".".join(parts[i:]), []).append(module)

    def module(self, name: str) -> Module | None:
        found = self._by_name.get(name)
        if found is not None:
            return found
        candidates = self._by_suffix.get(name, [])
        if not candidates:
            return None
        return min(candidates, key=lambda m: (len(m.name), m.name))

    def is_package(self, dotted: str) -> bool:
        """Whether the project has the package ``dotted`` itself (a folder with ``__init__.py``)."""
        found = self._by_name.get(dotted)
        return found is not None and found.is_package

    def resolve_name(
        self, module: Module, name: str, _seen: frozenset[tuple[str, str]] = frozenset()
    ) -> Resolved | None:
        key = (module.name, name)
        if key in _seen or len(_seen) > _MAX_ALIAS_DEPTH:
            return None
        seen = _seen | {key}
        node = module.defs.get(name)
        if node is not None:
            # "router = users.router" re-exports: follow plain aliases.
            if isinstance(node, ast.Name | ast.Attribute):
                target = self.resolve_expr(module, node, seen)
                if target is not None:
                    return target
            return Symbol(module, name, node)
        imported = module.imports.get(name)
        if imported is None and name not in module.local_defs:
            imported = module.local_imports.get(name)
        if imported is not None:
            source, attr = imported
            if attr is None:
                target_module = self.module(source)
                return target_module if target_module is not None else External(source)
            submodule = self.module(f"{source}.{attr}")
            if submodule is not None and self.module(source) is None:
                return submodule
            source_module = self.module(source)
            if source_module is None:
                return External(f"{source}.{attr}")
            found = self.resolve_name(source_module, attr, seen)
            if found is not None:
                return found
            return self.module(f"{source_module.name}.{attr}")
        local = module.local_defs.get(name)
        if local is not None:
            return Symbol(module, name, local)
        if module.is_package:
            submodule = self.module(f"{module.name}.{name}")
            if submodule is not None:
                return submodule
        return None

    def local_import(self, module: Module, name: str) -> Resolved | None:
        """What a name imported inside a function of the module denotes (it may shadow a top-level one)."""
        imported = module.local_imports.get(name)
        if imported is None:
            return None
        source, attr = imported
        source_module = self.module(source)
        if attr is None or source_module is None:
            return source_module
        return self.resolve_name(source_module, attr)

    def unbound_name(self, module: Module, expr: ast.expr) -> ast.Name | None:
        """`expr` when it is a bare name nothing in the project defines or imports (e.g. a parameter)."""
        if not isinstance(expr, ast.Name):
            return None
        resolved = self.resolve_expr(module, expr)
        return expr if isinstance(resolved, External) and resolved.dotted == expr.id else None

    def resolve_expr(
        self, module: Module, expr: ast.AST, _seen: frozenset[tuple[str, str]] = frozenset()
    ) -> Resolved | None:
        """What a Name / dotted Attribute refers to; bare unknown names become External(name)."""
        if isinstance(expr, ast.Name):
            found = self.resolve_name(module, expr.id, _seen)
            return found if found is not None else External(expr.id)
        if isinstance(expr, ast.Attribute):
            base = self.resolve_expr(module, expr.value, _seen)
            if isinstance(base, External) and base.dotted == "self":
                # `self.app` in a method: the attribute one of this module's classes assigns.
                found_attr = next(
                    (
                        Symbol(module, f"{cls}.{expr.attr}", attrs[expr.attr])
                        for cls, attrs in module.instance_attrs.items()
                        if expr.attr in attrs
                    ),
                    None,
                )
                return found_attr or External(f"self.{expr.attr}")
            if isinstance(base, External):
                return External(f"{base.dotted}.{expr.attr}")
            if isinstance(base, Module):
                found = self.resolve_name(base, expr.attr, _seen)
                if found is not None:
                    return found
                return self.module(f"{base.name}.{expr.attr}")
            if isinstance(base, Symbol) and isinstance(base.node, ast.ClassDef):
                # UserDto.api: a class attribute (the last assignment in the class body).
                value = class_attributes(base.node).get(expr.attr)
                if value is not None:
                    return Symbol(base.module, f"{base.name}.{expr.attr}", value)
            key = (base.module.name, f"instance:{id(base.node)}") if isinstance(base, Symbol) else ("", "")
            if isinstance(base, Symbol) and isinstance(base.node, ast.Call) and key not in _seen:
                # `creator = AppCreator(); creator.app`: what the class's methods assign to self.app.
                cls = self.resolve_expr(base.module, base.node.func, _seen | {key})
                if isinstance(cls, Symbol) and isinstance(cls.node, ast.ClassDef):
                    value = cls.module.instance_attrs.get(cls.node.name, {}).get(expr.attr)
                    if value is not None:
                        return Symbol(cls.module, f"{cls.node.name}.{expr.attr}", value)
            return None
        return None

    def call_target(self, module: Module, call: ast.Call) -> Resolved | None:
        return self.resolve_expr(module, call.func)

    def class_bases(self, symbol: Symbol, _depth: int = 0) -> Iterator[Resolved]:
        """All bases of a class, transitively (project classes first-hand, then their bases)."""
        if not isinstance(symbol.node, ast.ClassDef) or _depth > 16:
            return
        for base in symbol.node.bases:
            resolved = self.resolve_expr(symbol.module, _strip_subscript(base))
            if resolved is None:
                continue
            yield resolved
            if isinstance(resolved, Symbol) and resolved.node is not symbol.node:
                yield from self.class_bases(resolved, _depth + 1)


def _strip_subscript(expr: ast.expr) -> ast.expr:
    # Generic[T] / Base[Model] -> the class itself.
    return expr.value if isinstance(expr, ast.Subscript) else expr


def module_name_for(path: str) -> tuple[str, bool]:
    parts = path[: -len(".py")].split("/")
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts) or "__init__", is_package


def build_index(root: Path, warnings: list[str], evidence_prefix: str = "") -> PythonIndex:
    modules: list[Module] = []
    for source in iter_sources(root, (".py",), warnings):
        shown = f"{evidence_prefix}{source.path}"
        try:
            tree = _parse(source.text, source.path)
        except SyntaxError as exc:
            warnings.append(f"{shown}: skipped, syntax error at line {exc.lineno}: {exc.msg}")
            continue
        except (RecursionError, MemoryError):
            warnings.append(f"{shown}: skipped, nested too deeply to parse")
            continue
        except ValueError as exc:
            warnings.append(f"{shown}: skipped, {exc}")
            continue
        name, is_package = module_name_for(source.path)
        module = Module(name=name, path=source.path, tree=tree, is_package=is_package)
        try:
            _read_top_level(module, tree.body)
            if any(trigger in source.text for trigger in _WALK_TRIGGERS):
                _walk(module)
        except RecursionError:
            warnings.append(f"{shown}: partly read, nested too deeply")
        modules.append(module)
    return PythonIndex(modules, warnings, root)


# Syntax newer than the Python JustPush runs on, rewritten on the failing line to what it means for the
# analysis, and the parse retried: Python 3.14's (PEP 758) "except A, B:" gets its parentheses; Python
# 3.12's (PEP 695) "type Alias = ..." becomes a plain assignment and the type parameters of
# "class Box[T](Base):" / "def first[T](items):" are dropped. Lines keep their numbers.
_UNPARENTHESIZED_EXCEPT = re.compile(r"^(\s*except\*?\s+)(?!\()([^:#]+?,[^:#]+?)(\s+as\s+\w+)?\s*:")
_TYPE_ALIAS = re.compile(r"^(\s*)type\s+([A-Za-z_]\w*)\s*(?:\[.*\])?\s*=")
_TYPE_PARAMS = re.compile(r"^(\s*(?:async\s+)?(?:def|class)\s+[A-Za-z_]\w*)\[")
_MAX_SYNTAX_RETRIES = 50


def _without_type_params(line: str) -> str:
    match = _TYPE_PARAMS.match(line)
    if match is None:
        return line
    depth = 0
    for end in range(match.end() - 1, len(line)):
        depth += {"[": 1, "]": -1}.get(line[end], 0)
        if depth == 0:
            return match.group(1) + line[end + 1 :]
    return line


def _newer_syntax_rewritten(line: str) -> str:
    fixed = _UNPARENTHESIZED_EXCEPT.sub(lambda m: f"{m.group(1)}({m.group(2)}){m.group(3) or ''}:", line)
    fixed = _TYPE_ALIAS.sub(lambda m: f"{m.group(1)}{m.group(2)} =", fixed)
    return _without_type_params(fixed)


def _parse(text: str, path: str) -> ast.Module:
    for _ in range(_MAX_SYNTAX_RETRIES):
        try:
            return ast.parse(text, filename=path)
        except SyntaxError as exc:
            if not exc.lineno:
                raise
            lines = text.split("\n")
            line = lines[exc.lineno - 1]
            fixed = _newer_syntax_rewritten(line)
            if fixed == line:
                raise
            lines[exc.lineno - 1] = fixed
            text = "\n".join(lines)
    return ast.parse(text, filename=path)


def _absolute(module: Module, level: int, target: str | None) -> str:
    if level == 0:
        return target or ""
    base = module.package.split(".") if module.package else []
    if level > 1:
        base = base[: len(base) - (level - 1)]
    parts = [*base, *([target] if target else [])]
    return ".".join(p for p in parts if p)


def _read_top_level(module: Module, body: list[ast.stmt]) -> None:
    for stmt in body:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            _read_import(module, stmt, module.imports)
        elif isinstance(stmt, ast.ClassDef):
            module.defs[stmt.name] = stmt
            module.classes.append(stmt)
            for item in stmt.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    module.functions.append((item, stmt))
                    _read_method_imports(module, item.body)
                    _read_instance_attrs(module, stmt.name, item)
                    if item.name == "__init__":
                        # An app built in a constructor: its routes are functions nested in it.
                        _read_function_body(module, item.body)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            module.defs[stmt.name] = stmt
            module.functions.append((stmt, None))
            _read_function_body(module, stmt.body)
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    module.defs[target.id] = stmt.value
                    module.history.setdefault(target.id, []).append(stmt.value)
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            module.defs[stmt.target.id] = stmt.value
            module.history.setdefault(stmt.target.id, []).append(stmt.value)
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            module.augments.setdefault(stmt.target.id, []).append(stmt.value)
        elif isinstance(stmt, ast.If | ast.Try | ast.With):
            _read_top_level(module, _sub_bodies(stmt))


def _read_import(
    module: Module, stmt: ast.Import | ast.ImportFrom, into: dict[str, tuple[str, str | None]]
) -> None:
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.asname:
                into[alias.asname] = (alias.name, None)
            else:
                top = alias.name.split(".")[0]
                into[top] = (top, None)
        return
    source = _absolute(module, stmt.level, stmt.module)
    for alias in stmt.names:
        if alias.name != "*":
            into[alias.asname or alias.name] = (source, alias.name)


def _read_instance_attrs(module: Module, cls: str, method: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
    """`self.<attr> = <call>` statements of a method (the first of each attribute): an object the class
    builds (`self.app = FastAPI()`); other values (`self.x = self.x or y`) are not followed."""
    found = module.instance_attrs.setdefault(cls, {})
    for node in _statements(method.body):
        if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Call):
            continue
        if isinstance(node.value.func, ast.Attribute) and "self" in ast.unparse(node.value.func):
            continue
        for target in node.targets:
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == "self"
            ):
                found.setdefault(target.attr, node.value)


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement of a block and of the blocks nested in it; expressions are not walked (a walk
    of every node of every method was a third of a large project's analysis)."""
    for stmt in body:
        yield stmt
        for name in ("body", "orelse", "finalbody"):
            nested = getattr(stmt, name, None)
            if isinstance(nested, list):
                yield from _statements(nested)
        for handler in getattr(stmt, "handlers", ()):
            yield from _statements(handler.body)
        for case in getattr(stmt, "cases", ()):
            yield from _statements(case.body)


def _read_method_imports(module: Module, body: list[ast.stmt]) -> None:
    """Imports inside methods (deferred to avoid import cycles) resolve like imports in factories."""
    for stmt in body:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            _read_import(module, stmt, module.local_imports)
        elif isinstance(stmt, ast.If | ast.Try | ast.With):
            _read_method_imports(module, _sub_bodies(stmt))


def _sub_bodies(stmt: ast.If | ast.Try | ast.With) -> list[ast.stmt]:
    bodies: list[ast.stmt] = list(stmt.body)
    if isinstance(stmt, ast.If):
        bodies += stmt.orelse
    elif isinstance(stmt, ast.Try):
        for handler in stmt.handlers:
            bodies += handler.body
        bodies += stmt.orelse + stmt.finalbody
    return bodies


def _read_function_body(module: Module, body: list[ast.stmt]) -> None:
    """Assignments, imports and nested route functions inside a factory function (create_app)."""
    for stmt in body:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            _read_import(module, stmt, module.local_imports)
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    module.local_defs.setdefault(target.id, stmt.value)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.decorator_list:
            module.functions.append((stmt, None))
        elif isinstance(stmt, ast.ClassDef) and stmt.decorator_list:
            # @ns.route("/") on a Resource class defined inside the function building the blueprint.
            module.classes.append(stmt)
            module.functions.extend((item, stmt) for item in stmt.body if isinstance(item, ast.FunctionDef))
        elif isinstance(stmt, ast.If | ast.Try | ast.With):
            _read_function_body(module, _sub_bodies(stmt))


def _walk(module: Module) -> None:
    """One pass over the tree for everything the env/port scans need, in ``ast.walk``'s order.

    Inlined rather than ``ast.walk``: its generator per node made the walk cost as much as the parse.
    """
    todo: deque[ast.AST] = deque([module.tree])
    while todo:
        node = todo.popleft()
        if isinstance(node, ast.Call):
            module.calls.append(node)
        elif isinstance(node, ast.Subscript):
            module.subscripts.append(node)
        elif isinstance(node, ast.BoolOp):
            first = node.values[0]
            if isinstance(node.op, ast.Or) and isinstance(first, ast.Call):
                module.or_operands[id(first)] = node.values[1]
        elif (
            isinstance(node, ast.Compare)
            and len(node.ops) == 1
            and isinstance(node.ops[0], ast.In | ast.NotIn)
        ):
            module.memberships.append((node.left, node.comparators[0]))
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                todo.extend(item for item in value if isinstance(item, ast.AST))
            elif isinstance(value, ast.AST) and not isinstance(value, ast.expr_context):
                todo.append(value)


def returned_values(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.expr]:
    """What the function returns, a returned local name replaced by its assigned value
    (`app = FastAPI(); ...; return app` gives the `FastAPI()` call)."""
    assigned = {
        t.id: node.value
        for node in ast.walk(function)
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    for node in ast.walk(function):
        returned = node.value if isinstance(node, ast.Return) else None
        if isinstance(returned, ast.Name):
            returned = assigned.get(returned.id)
        if returned is not None:
            yield returned


def class_attributes(cls: ast.ClassDef) -> dict[str, ast.expr]:
    """Name -> value of the plain assignments in a class body (the last one wins)."""
    found: dict[str, ast.expr] = {}
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            found[stmt.target.id] = stmt.value
    return found


def simple_name(expr: ast.AST) -> str:
    """The last name of a callee or decorator: ``f`` for ``f``, ``f()``, ``mod.f`` and ``mod.f()``."""
    if isinstance(expr, ast.Call):
        expr = expr.func
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return expr.attr
    return ""


def const_str(expr: ast.AST | None) -> str | None:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    return None


def kwarg(call: ast.Call, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def str_list(expr: ast.AST | None) -> list[str] | None:
    """["GET", "POST"] / ("GET",) / {"GET"} as strings, or None when not a literal list of strings."""
    if isinstance(expr, ast.List | ast.Tuple | ast.Set):
        values = [const_str(e) for e in expr.elts]
        if all(v is not None for v in values):
            return [v for v in values if v is not None]
    return None


def literal(expr: ast.AST | None) -> object:
    """A JSON-able literal value, or None when the expression is not a plain literal."""
    if expr is None:
        return None
    try:
        value = ast.literal_eval(expr)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple) and all(isinstance(v, str | int | float | bool) for v in value):
        return list(value)
    return None


def literal_text(expr: ast.expr) -> str | None:
    """A scalar literal as an env value would be written (`False` -> "false"); None for anything else."""
    value = literal(expr)
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None or isinstance(value, list) else str(value)
