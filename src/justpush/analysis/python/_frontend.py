"""The Python extractor (stdlib ``ast``): FastAPI, Flask, Django/DRF routes; env vars; the listening port.

Follows the extractor contract in ``justpush.analysis``. The parsed index is kept for the running analysis
(``_scope``), so ``extract``, ``scan_env``, ``find_port`` and detection parse each file once.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, replace
from pathlib import Path

from .._env import COMPUTED_EMBEDDED_FALLBACK, COMPUTED_FALLBACK, make_env_var, merge_env_vars
from .._files import evidence_path, read_source
from .._model import EnvVar, Evidence, ExtractedApi, ProjectProfile
from .._scope import once_per_analysis
from ._base import FrameworkExtractor
from ._environ import environ_vars
from ._index import (
    External,
    Module,
    PythonIndex,
    Symbol,
    build_index,
    const_str,
    kwarg,
    literal,
    returned_values,
    simple_name,
)
from ._resolve import env_prefix, settings_option
from ._starlette_config import starlette_config_vars

_ENV_FUNCS = ("getenv", "get")
_APP_CLASSES = {"FastAPI": "fastapi", "Flask": "flask", "APIFlask": "flask"}
# Module names that conventionally hold the app a server imports.
_ENTRY_STEMS = frozenset({"main", "app", "application", "server", "wsgi", "asgi", "api"})


@dataclass(frozen=True)
class PythonApp:
    """Where the WSGI/ASGI application object lives, for the start command."""

    framework: str
    # Dotted module as imported from ``directory`` ("app.main") and the attribute ("app" / "create_app()").
    module: str
    attribute: str
    evidence: Evidence
    # The folder (relative to the app directory) the server runs from: a Django project whose manage.py
    # sits in a subfolder imports its modules from there ("project.settings", not "src.project.settings").
    directory: str = "."


def load_index(root: Path) -> tuple[PythonIndex, list[str]]:
    """The project's index (built once per analysis) and the warnings reading it produced (a fresh list)."""
    index, warnings = once_per_analysis(("python-index", str(root.resolve())), lambda: _build_index(root))
    return index, list(warnings)


def _build_index(root: Path) -> tuple[PythonIndex, tuple[str, ...]]:
    warnings: list[str] = []
    index = build_index(root, warnings)
    return index, tuple(warnings)


# ---- the extractor contract ---------------------------------------------------------------------
def extract(root: Path, profile: ProjectProfile) -> ExtractedApi:
    index, warnings = load_index(root)
    api = ExtractedApi()
    api.warnings.extend(_prefixed(warnings, profile.app_dir))
    framework = profile.framework or _framework_from_code(index)
    extractor = _extractor(framework)
    if extractor is not None:
        extractor(index, api, profile.app_dir, profile.entrypoint).run()
    else:
        api.warnings.append(f"python: no supported web framework found ({framework or 'none'}); no routes")
    return api


def _extractor(framework: str | None) -> type[FrameworkExtractor] | None:
    """The framework's extractor; each is imported only for a project using it (a CLI start pays for one)."""
    if framework == "fastapi":
        from ._fastapi import FastApiExtractor

        return FastApiExtractor
    if framework == "flask":
        from ._flask import FlaskExtractor

        return FlaskExtractor
    if framework == "django":
        from ._django import DjangoExtractor

        return DjangoExtractor
    return None


def scan_env(root: Path, profile: ProjectProfile) -> list[EnvVar]:
    index, _ = load_index(root)
    found: list[EnvVar] = []
    for module in index.app_modules:
        where = evidence_path(profile.app_dir, module.path)
        fallbacks = _or_fallbacks(module)
        for call in module.calls:
            var = _env_call(index, module, call, where)
            if var is not None and var.default is None and id(call) in fallbacks:
                var = make_env_var(var.name, fallbacks[id(call)], False, var.evidence[0])
            elif var is not None and var.default is None and id(call) in module.or_operands:
                # `os.environ.get("DATABASE_URL") or "sqlite:///" + os.path.join(basedir, "app.db")`
                first = var.evidence[0]
                note = f"{first.note}, {_computed(module.or_operands[id(call)])}"
                var = make_env_var(var.name, None, False, replace(first, note=note))
            if var is not None:
                found.append(var)
        for subscript in module.subscripts:
            if _is_environ(index, module, subscript.value) and isinstance(subscript.ctx, ast.Load):
                name = _const_or_constant(index, module, subscript.slice)
                if name is not None:
                    found.append(
                        make_env_var(name, None, True, Evidence(where, subscript.lineno, "os.environ[]"))
                    )
        found.extend(_settings_vars(index, module, where))
        found.extend(environ_vars(index, module, where))
        found.extend(starlette_config_vars(index, module, where))
    # A variable the code tests for (`if "X" in os.environ: ... os.environ["X"]`) copes without it.
    tested = {
        name
        for module in index.app_modules
        for key, container in module.memberships
        if _is_environ(index, module, container)
        and (name := _const_or_constant(index, module, key)) is not None
    }
    return [replace(var, required=False) if var.name in tested else var for var in merge_env_vars(found)]


def find_port(root: Path, profile: ProjectProfile) -> tuple[int, Evidence] | None:
    index, _ = load_index(root)
    candidates: list[tuple[int, int, Evidence]] = []
    # gunicorn's config file binds the server that runs the app (the dev server's port comes after).
    configs = _gunicorn_configs(root)
    for module in index.app_modules:
        if module.path in configs:
            bind = module.defs.get("bind")
            value = literal(bind)
            binds = value if isinstance(value, list) else [value]
            ports = [int(m.group(1)) for b in binds if isinstance(b, str) and (m := _BIND_PORT.search(b))]
            if ports:
                where = evidence_path(profile.app_dir, module.path)
                candidates.append(
                    (-1, ports[0], Evidence(where, getattr(bind, "lineno", None), "gunicorn bind"))
                )
    for module in index.app_modules:
        where = evidence_path(profile.app_dir, module.path)
        for call in module.calls:
            if not (isinstance(call.func, ast.Attribute) and call.func.attr == "run"):
                continue
            port_expr = kwarg(call, "port")
            if port_expr is None:
                continue
            port = _port_value(index, module, port_expr)
            if port is not None:
                owner = ast.unparse(call.func.value)
                # uvicorn.run beats app.run beats anything else named run.
                rank = 0 if owner == "uvicorn" else 1
                candidates.append((rank, port, Evidence(where, call.lineno, f"{owner}.run(port=...)")))
        for call in module.calls:
            var = _env_call(index, module, call, where)
            if var is not None and var.name == "PORT" and var.default and var.default.isdigit():
                candidates.append((2, int(var.default), Evidence(where, call.lineno, "PORT env default")))
    if not candidates:
        return None
    _, port, evidence = min(candidates, key=lambda c: (c[0], c[2].file, c[2].line or 0))
    return port, evidence


# ---- detection helpers (used by detection) --------------------------------------------------------
def find_app(root: Path, framework: str | None, app_dir: str) -> PythonApp | None:
    """The module and attribute of the FastAPI/Flask app (or Django's WSGI application)."""
    index, _ = load_index(root)
    if framework == "django":
        return _django_app(index, app_dir)
    candidates: list[tuple[int, PythonApp]] = []
    for module in index.app_modules:
        for name, node in module.defs.items():
            app = _app_from_def(index, module, name, node, app_dir)
            if app is not None and (framework is None or app.framework == framework):
                # The conventional entry files first, then the shallowest module.
                rank = 0 if module.name.rsplit(".", 1)[-1] in _ENTRY_STEMS else 1
                candidates.append((rank * 100 + module.name.count("."), app))
    if not candidates:
        for module in index.app_modules:
            for function, owner in module.functions:
                if owner is None and function.name in ("create_app", "make_app", "app_factory"):
                    returns_flask = _returns_class(index, module, function, "Flask")
                    if returns_flask and framework in (None, "flask"):
                        evidence = Evidence(
                            evidence_path(app_dir, module.path), function.lineno, "app factory"
                        )
                        candidates.append(
                            (
                                module.name.count("."),
                                _python_app(index, "flask", module.name, f"{function.name}()", evidence),
                            )
                        )
    if not candidates:
        return None
    return min(candidates, key=lambda c: (c[0], c[1].module))[1]


def framework_from_code(root: Path) -> tuple[str, Evidence] | None:
    index, _ = load_index(root)
    app = find_app(root, None, ".")
    if app is not None:
        return app.framework, app.evidence
    django = _framework_from_code(index)
    if django == "django":
        module = next(m for m in index.app_modules if "ROOT_URLCONF" in m.defs or "INSTALLED_APPS" in m.defs)
        return "django", Evidence(module.path, None, "Django settings module")
    return None


def _framework_from_code(index: PythonIndex) -> str | None:
    for module in index.app_modules:
        for name, node in module.defs.items():
            app = _app_from_def(index, module, name, node, ".")
            if app is not None:
                return app.framework
    if any("ROOT_URLCONF" in m.defs or "INSTALLED_APPS" in m.defs for m in index.app_modules):
        return "django"
    return None


def _app_from_def(
    index: PythonIndex, module: Module, name: str, node: ast.AST, app_dir: str
) -> PythonApp | None:
    if not isinstance(node, ast.Call):
        return None
    target = index.call_target(module, node)
    if isinstance(target, Symbol) and isinstance(target.node, ast.FunctionDef | ast.AsyncFunctionDef):
        # `app = create_app()`: the project's own factory, called when the module is imported. Only in
        # an entry module (flasky.py, app/main.py): a worker module deep inside (tasks/celery.py) makes
        # an app of its own that is not the one served.
        if "." in module.name and module.name.rsplit(".", 1)[-1] not in _ENTRY_STEMS:
            return None
        factory = target.node
        made = next((c for c in _APP_CLASSES if _returns_class(index, target.module, factory, c)), None)
        if made is None:
            return None
        evidence = Evidence(evidence_path(app_dir, module.path), node.lineno, f"{name} = {factory.name}()")
        return _python_app(index, _APP_CLASSES[made], module.name, name, evidence)
    if not isinstance(target, External) or target.last not in _APP_CLASSES:
        return None
    if len(target.dotted.split(".")) == 1 and target.last not in module.imports:
        return None
    evidence = Evidence(evidence_path(app_dir, module.path), node.lineno, f"{name} = {target.last}(...)")
    return _python_app(index, _APP_CLASSES[target.last], module.name, name, evidence)


def _python_app(
    index: PythonIndex, framework: str, dotted: str, attribute: str, evidence: Evidence
) -> PythonApp:
    """The app at ``dotted:attribute``; leading folders that are no package (src/ holding the package
    khoj/, whose modules import each other as khoj.x) are where the package is imported from."""
    parts = dotted.split(".")
    skip = 0
    while skip < len(parts) - 1 and not index.is_package(".".join(parts[: skip + 1])):
        skip += 1
    if 0 < skip < len(parts) - 1 or (skip and _imports_flat(index, dotted, ".".join(parts[:skip]))):
        return PythonApp(framework, ".".join(parts[skip:]), attribute, evidence, "/".join(parts[:skip]))
    return PythonApp(framework, dotted, attribute, evidence)


def _imports_flat(index: PythonIndex, dotted: str, folder: str) -> bool:
    """Whether the module imports its neighbours by bare name (src/server.py: ``import config`` for
    src/config.py), so it runs with its folder on the import path."""
    module = index.module(dotted)
    if module is None:
        return False
    sources = {
        source.split(".")[0] for source, _ in [*module.imports.values(), *module.local_imports.values()]
    }
    return any(
        index.module(f"{folder}.{name}") is not None and not index.is_package(name) for name in sources
    )


def _returns_class(
    index: PythonIndex,
    module: Module,
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    cls: str,
    depth: int = 0,
) -> bool:
    """Whether the function makes a ``cls`` object, itself or through the project factory it returns
    (``def create_app(): return factory.create_app(blueprints=BLUEPRINTS)``)."""
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            target = index.call_target(module, node)
            if isinstance(target, External) and target.last == cls:
                return True
    if depth >= 3:
        return False
    for returned in returned_values(function):
        inner = index.call_target(module, returned) if isinstance(returned, ast.Call) else None
        if isinstance(inner, Symbol) and inner.node is function and isinstance(returned, ast.Call):
            # `def create_application(): from .api import create_application` calls the import
            inner = index.local_import(module, simple_name(returned.func))
        if (
            isinstance(inner, Symbol)
            and isinstance(inner.node, ast.FunctionDef | ast.AsyncFunctionDef)
            and inner.node is not function
            and _returns_class(index, inner.module, inner.node, cls, depth + 1)
        ):
            return True
    return False


def _django_app(index: PythonIndex, app_dir: str) -> PythonApp | None:
    for module in sorted(index.app_modules, key=lambda m: (m.name.count("."), m.name)):
        wsgi = const_str(module.defs.get("WSGI_APPLICATION"))
        if wsgi and "." in wsgi:
            target_module, attribute = wsgi.rsplit(".", 1)
            line = getattr(module.defs["WSGI_APPLICATION"], "lineno", None)
            evidence = Evidence(evidence_path(app_dir, module.path), line, "WSGI_APPLICATION")
            found = index.module(target_module)
            directory = "."
            if found is not None and found.name != target_module:
                # WSGI_APPLICATION names the module as the project imports it ("config.wsgi"); where the
                # index knows it under a longer name ("src.config.wsgi"), the rest is the folder to run from.
                directory = found.name.removesuffix(f".{target_module}").replace(".", "/")
            return PythonApp("django", target_module, attribute, evidence, directory)
    for module in sorted(index.app_modules, key=lambda m: (m.name.count("."), m.name)):
        if module.name.endswith("wsgi") and "application" in module.defs:
            evidence = Evidence(evidence_path(app_dir, module.path), None, "wsgi.py defines application")
            return PythonApp("django", module.name, "application", evidence)
    return None


# ---- env vars -----------------------------------------------------------------------------------
def _is_environ(index: PythonIndex, module: Module, expr: ast.expr) -> bool:
    resolved = index.resolve_expr(module, expr)
    return isinstance(resolved, External) and resolved.dotted in ("os.environ", "environ")


def _env_call(index: PythonIndex, module: Module, call: ast.Call, where: str) -> EnvVar | None:
    func = call.func
    if not call.args:
        return None
    if isinstance(func, ast.Attribute) and func.attr == "get" and _is_environ(index, module, func.value):
        note = "os.environ.get"
    elif isinstance(func, ast.Attribute | ast.Name):
        resolved = index.resolve_expr(module, func)
        if isinstance(resolved, Symbol) and _env_wrapper(index, resolved):
            # The project's own getter (`get_env("DATABASE_URL", "postgresql://…")`).
            assert isinstance(resolved.node, ast.FunctionDef | ast.AsyncFunctionDef)
            name = _const_or_constant(index, module, call.args[0])
            if name is None:
                return None
            params = resolved.node.args.posonlyargs + resolved.node.args.args
            default_name = params[1].arg if len(params) > 1 else "default"
            default_expr = call.args[1] if len(call.args) > 1 else kwarg(call, default_name)
            note = f"{resolved.name}() reads os.environ"
            return make_env_var(name, _default_text(default_expr), False, Evidence(where, call.lineno, note))
        if not (isinstance(resolved, External) and resolved.dotted in ("os.getenv", "getenv")):
            return None
        note = "os.getenv"
    else:
        return None
    name = _const_or_constant(index, module, call.args[0])
    if name is None:
        return None
    default_expr = call.args[1] if len(call.args) > 1 else kwarg(call, "default")
    default = _default_text(default_expr)
    if default is None and default_expr is not None and not _is_none(default_expr):
        note = f"{note}, {_computed(default_expr)}"
    return make_env_var(name, default, False, Evidence(where, call.lineno, note))


def _computed(expr: ast.expr) -> str:
    """The note for a fallback the analysis does not evaluate; one that builds a SQLite URL
    (`"sqlite:///" + os.path.join(basedir, "app.db")`, `f"sqlite:///{basedir / 'app.db'}"`) says so."""
    leading = expr
    while isinstance(leading, ast.BinOp) and isinstance(leading.op, ast.Add):
        leading = leading.left
    if isinstance(leading, ast.JoinedStr) and leading.values:
        leading = leading.values[0]
    text = leading.value if isinstance(leading, ast.Constant) else None
    embedded = isinstance(text, str) and text.startswith("sqlite")
    return COMPUTED_EMBEDDED_FALLBACK if embedded else COMPUTED_FALLBACK


def _env_wrapper(index: PythonIndex, symbol: Symbol, depth: int = 0) -> bool:
    """Whether ``symbol`` is a project function that reads the environment variable its first parameter
    names: ``os.getenv(key)``, ``os.environ.get(key)``, ``os.environ[key]`` (in a nested function or a
    lambda too), or through another such function it hands the key to."""
    function = symbol.node
    if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    cached = symbol.module.env_wrappers.get(id(function))
    if cached is not None:
        return cached
    params = function.args.posonlyargs + function.args.args
    key = params[0].arg if params else None
    # Provisional while the body is read: a function handing the key back to itself is no reader.
    symbol.module.env_wrappers[id(function)] = False
    found = key is not None and any(
        _reads_key(index, symbol.module, node, key, depth) for node in ast.walk(function)
    )
    symbol.module.env_wrappers[id(function)] = found
    return found


def _reads_key(index: PythonIndex, module: Module, node: ast.AST, key: str, depth: int) -> bool:
    """Whether ``node`` reads the environment variable named by the parameter ``key``."""
    if isinstance(node, ast.Subscript):
        return _is_name(node.slice, key) and _is_environ(index, module, node.value)
    if not isinstance(node, ast.Call):
        return False
    target = node.func
    if isinstance(target, ast.Attribute) and target.attr == "get":
        return bool(node.args) and _is_name(node.args[0], key) and _is_environ(index, module, target.value)
    if not isinstance(target, ast.Attribute | ast.Name):
        return False
    resolved = index.resolve_expr(module, target)
    if isinstance(resolved, External):
        return resolved.dotted in ("os.getenv", "getenv") and bool(node.args) and _is_name(node.args[0], key)
    if not (
        isinstance(resolved, Symbol) and isinstance(resolved.node, ast.FunctionDef | ast.AsyncFunctionDef)
    ):
        return False
    if depth >= 3:
        return False
    params = resolved.node.args.posonlyargs + resolved.node.args.args
    handed = node.args[0] if node.args else (kwarg(node, params[0].arg) if params else None)
    return handed is not None and _is_name(handed, key) and _env_wrapper(index, resolved, depth + 1)


def _is_name(expr: ast.expr, name: str | None) -> bool:
    return isinstance(expr, ast.Name) and expr.id == name


def _or_fallbacks(module: Module) -> dict[int, str]:
    """`os.environ.get("X") or "d"`: the call's id -> the literal after `or`."""
    found: dict[int, str] = {}
    for call_id, operand in module.or_operands.items():
        default = _default_text(operand)
        if default is not None:
            found[call_id] = default
    return found


def _const_or_constant(index: PythonIndex, module: Module, expr: ast.expr) -> str | None:
    text = const_str(expr)
    if text is not None:
        return text
    if isinstance(expr, ast.Name):
        resolved = index.resolve_expr(module, expr)
        if isinstance(resolved, Symbol):
            return const_str(resolved.node)
    return None


def _is_none(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None


def _default_text(expr: ast.expr | None) -> str | None:
    value = literal(expr)
    if value is None or isinstance(value, list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _settings_vars(index: PythonIndex, module: Module, where: str) -> list[EnvVar]:
    """Fields of pydantic BaseSettings classes, named with their env_prefix (upper-cased, as matched); with
    an env_nested_delimiter, the fields of a nested model field too (DATABASE__HOSTNAME)."""
    found: list[EnvVar] = []
    for cls in module.classes:
        symbol = Symbol(module, cls.name, cls)
        if not any(isinstance(b, External) and b.last == "BaseSettings" for b in index.class_bases(symbol)):
            continue
        delimiter = settings_option(cls, "env_nested_delimiter")
        for field in _settings_fields(cls, env_prefix(cls)):
            nested = _nested_model(index, module, field.annotation) if delimiter else None
            if nested is not None:
                # The nested model's module, as evidence: where ends with the settings module's path.
                nested_where = where.removesuffix(module.path) + nested.module.path
                for sub in _settings_fields(nested.node, f"{field.env_name}{delimiter}"):
                    # Required only while neither the field nor the model gives a default.
                    found.append(_settings_var(sub, sub.required and field.required, nested_where))
                continue  # the whole model as one JSON variable is an alternative nobody needs
            found.append(_settings_var(field, field.required, where))
    return found


@dataclass(frozen=True)
class _SettingsField:
    """One field of a settings class, with the variable it reads (nested models prefixed)."""

    cls: ast.ClassDef
    stmt: ast.AnnAssign
    env_name: str
    annotation: ast.expr
    default: ast.expr | None
    required: bool


def _settings_fields(cls: ast.AST, prefix: str) -> list[_SettingsField]:
    if not isinstance(cls, ast.ClassDef):
        return []
    fields: list[_SettingsField] = []
    for stmt in cls.body:
        if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
            continue
        field_name = stmt.target.id
        if field_name.startswith("_") or field_name == "model_config":
            continue
        env_name = (prefix + field_name).upper()
        default_expr: ast.expr | None = stmt.value
        required = stmt.value is None
        if isinstance(stmt.value, ast.Call) and simple_name(stmt.value) == "Field":
            alias = (
                const_str(kwarg(stmt.value, "validation_alias"))
                or const_str(kwarg(stmt.value, "alias"))
                or const_str(kwarg(stmt.value, "env"))
            )
            if alias:
                env_name = alias.upper()
            default_expr = stmt.value.args[0] if stmt.value.args else kwarg(stmt.value, "default")
            has_factory = kwarg(stmt.value, "default_factory") is not None
            is_ellipsis = isinstance(default_expr, ast.Constant) and default_expr.value is Ellipsis
            required = (default_expr is None or is_ellipsis) and not has_factory
            if is_ellipsis:
                default_expr = None
        elif (
            isinstance(stmt.value, ast.Call)
            and simple_name(stmt.value) in _SECRET_WRAPPERS
            and stmt.value.args
        ):
            default_expr = stmt.value.args[0]  # SecretStr("change-me"): the text is the default
        fields.append(_SettingsField(cls, stmt, env_name, stmt.annotation, default_expr, required))
    return fields


# pydantic's wrappers of a secret value: a default written as SecretStr("...") is that text.
_SECRET_WRAPPERS = frozenset({"SecretStr", "SecretBytes"})


def _settings_var(field: _SettingsField, required: bool, where: str) -> EnvVar:
    assert isinstance(field.stmt.target, ast.Name)
    return make_env_var(
        field.env_name,
        _default_text(field.default),
        required,
        Evidence(where, field.stmt.lineno, f"{field.cls.name}.{field.stmt.target.id} (BaseSettings)"),
        secret="Secret" in ast.unparse(field.annotation) or None,
    )


def _nested_model(index: PythonIndex, module: Module, annotation: ast.expr) -> Symbol | None:
    """The project pydantic model a settings field is typed with (``database: Database``), if any."""
    resolved = index.resolve_expr(module, annotation)
    if not (isinstance(resolved, Symbol) and isinstance(resolved.node, ast.ClassDef)):
        return None
    bases = list(index.class_bases(resolved))
    if any(isinstance(b, External) and b.last == "BaseSettings" for b in bases):
        return None  # a settings class of its own reads its own variables
    return resolved if any(isinstance(b, External) and b.last == "BaseModel" for b in bases) else None


# ---- port ---------------------------------------------------------------------------------------
def _port_value(index: PythonIndex, module: Module, expr: ast.expr) -> int | None:
    value = literal(expr)
    if isinstance(value, int) and 0 < value < 65536:
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    # int(os.getenv("PORT", 8000)) / int(os.environ.get("PORT", "8000"))
    if isinstance(expr, ast.Call) and simple_name(expr) == "int" and expr.args:
        return _port_value(index, module, expr.args[0])
    if isinstance(expr, ast.Call):
        var = _env_call(index, module, expr, module.path)
        if var is not None and var.default and var.default.isdigit():
            return int(var.default)
    if isinstance(expr, ast.Name | ast.Attribute):  # PORT, config.PORT
        resolved = index.resolve_expr(module, expr)
        if isinstance(resolved, Symbol) and isinstance(resolved.node, ast.expr):
            return _port_value(index, resolved.module, resolved.node)
    return None


_BIND_PORT = re.compile(r":(\d{2,5})$")
# `gunicorn --config gunicorn-cfg.py` / `-c conf/gunicorn.py` in a Dockerfile or Procfile (shell, exec form).
_GUNICORN_CONFIG = re.compile(r"(?:--config|-c)[\"',\s=]+([\w./-]+\.py)\b")


def _gunicorn_configs(root: Path) -> set[str]:
    """The gunicorn config files the project runs with: named in its Dockerfile or Procfile, and
    gunicorn.conf.py, which gunicorn reads by default from the folder it starts in."""
    names = {"gunicorn.conf.py"}
    for start_file in ("Dockerfile", "Procfile"):
        source = read_source(root, root / start_file, [])
        if source is not None:
            names.update(m.group(1).removeprefix("./") for m in _GUNICORN_CONFIG.finditer(source.text))
    return names


_PROCFILE_PORT = re.compile(r"(?:--port[= ]|-p |--bind[= ]|-b )(?:[\w.]*:)?(\d{2,5})\b")


def procfile_port(text: str) -> tuple[int, int] | None:
    """(port, 1-based line) from a Procfile ``web:`` line that fixes the port, else None."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip().startswith("web:"):
            match = _PROCFILE_PORT.search(line)
            if match:
                return int(match.group(1)), number
    return None


def _prefixed(warnings: list[str], app_dir: str) -> list[str]:
    if app_dir in ("", "."):
        return warnings
    return [f"{app_dir.rstrip('/')}/{w}" for w in warnings]
