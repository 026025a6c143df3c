"""django-environ: the variables read through an ``environ.Env`` instance.

``env = environ.Env(DEBUG=(bool, False))`` declares defaults in its scheme; ``env("X")``,
``env.str("X", default="y")``, ``env.bool(...)``, ``env.db()`` (DATABASE_URL), ``env.cache_url()``
(CACHE_URL) … read them. A read is required unless it or the scheme gives a default (``default=None`` is
a default too: the app copes without the variable).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .._env import make_env_var
from .._model import EnvVar, Evidence
from ._index import External, Module, PythonIndex, Symbol, const_str, kwarg, literal_text


@dataclass(frozen=True)
class _Reader:
    """How a django-environ reader takes its arguments."""

    # The variable read when the call names none (env.db() reads DATABASE_URL).
    variable: str | None
    # Position of the default among the positional arguments (after a cast, where the method takes one).
    default_at: int


_CAST_THEN_DEFAULT = _Reader(None, 2)
_DEFAULT = _Reader(None, 1)
_READERS: dict[str, _Reader] = {
    "__call__": _CAST_THEN_DEFAULT,
    "get_value": _CAST_THEN_DEFAULT,
    "list": _CAST_THEN_DEFAULT,
    "tuple": _CAST_THEN_DEFAULT,
    "dict": _CAST_THEN_DEFAULT,
    **dict.fromkeys(("str", "bytes", "bool", "int", "float", "json", "url", "path"), _DEFAULT),
    **dict.fromkeys(("db", "db_url"), _Reader("DATABASE_URL", 1)),
    **dict.fromkeys(("cache", "cache_url"), _Reader("CACHE_URL", 1)),
    **dict.fromkeys(("email", "email_url"), _Reader("EMAIL_URL", 1)),
    "search_url": _Reader("SEARCH_URL", 1),
    **dict.fromkeys(("channels", "channels_url"), _Reader("CHANNELS_URL", 1)),
}


def _env_instance(index: PythonIndex, module: Module, expr: ast.expr) -> tuple[Module, ast.Call] | None:
    """The ``environ.Env(...)`` call ``expr`` names (also imported from another settings module)."""
    resolved = index.resolve_expr(module, expr)
    if not (isinstance(resolved, Symbol) and isinstance(resolved.node, ast.Call)):
        return None
    target = index.call_target(resolved.module, resolved.node)
    if isinstance(target, External) and (
        target.is_("Env", "environ") or target.is_("FileAwareEnv", "environ")
    ):
        return resolved.module, resolved.node
    return None


def _scheme_defaults(call: ast.Call) -> dict[str, str | None]:
    """Names the scheme gives a default (`DEBUG=(bool, False)`) -> that default as text (None when it
    is not a plain value, e.g. a list: the app's own default applies)."""
    found: dict[str, str | None] = {}
    for keyword in call.keywords:
        if keyword.arg and isinstance(keyword.value, ast.Tuple) and len(keyword.value.elts) == 2:
            found[keyword.arg] = literal_text(keyword.value.elts[1])
    return found


def environ_vars(index: PythonIndex, module: Module, where: str) -> list[EnvVar]:
    """Every read through a django-environ ``Env`` in ``module``."""
    found: list[EnvVar] = []
    for call in module.calls:
        if isinstance(call.func, ast.Attribute) and call.func.attr in _READERS:
            method, owner = call.func.attr, call.func.value
        elif isinstance(call.func, ast.Name):
            method, owner = "__call__", call.func
        else:
            continue
        instance = _env_instance(index, module, owner)
        if instance is None:
            continue
        reader = _READERS[method]
        name_expr = call.args[0] if call.args else kwarg(call, "var")
        name = const_str(name_expr) if name_expr is not None else reader.variable
        if name is None:
            continue
        default_expr = (
            call.args[reader.default_at] if len(call.args) > reader.default_at else kwarg(call, "default")
        )
        scheme = _scheme_defaults(instance[1])
        if default_expr is not None:
            default, required = literal_text(default_expr), False
        elif name in scheme:
            default, required = scheme[name], False
        else:
            default, required = None, True
        note = "env()" if method == "__call__" else f"env.{method}()"
        found.append(
            make_env_var(name, default, required, Evidence(where, call.lineno, f"{note} (django-environ)"))
        )
    return found
