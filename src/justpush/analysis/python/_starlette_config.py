"""Starlette's ``Config``: the variables read through ``config = Config(".env")``.

``config("X", cast=int, default=3)`` / ``config.get(...)`` read X (key, cast, default by position or
name); a read without a default is required, one cast to ``Secret`` is a secret. FastAPI projects use it
as often as Starlette ones.
"""

from __future__ import annotations

import ast

from .._env import make_env_var
from .._model import EnvVar, Evidence
from ._index import External, Module, PythonIndex, Symbol, const_str, kwarg, literal_text

_CONFIG = ("starlette.config.Config",)
_SECRET = ("starlette.datastructures.Secret", "starlette.config.Secret")


def _is_config(index: PythonIndex, module: Module, expr: ast.expr) -> bool:
    """Whether ``expr`` names a ``starlette.config.Config(...)`` instance (also imported from elsewhere)."""
    resolved = index.resolve_expr(module, expr)
    if not (isinstance(resolved, Symbol) and isinstance(resolved.node, ast.Call)):
        return False
    target = index.call_target(resolved.module, resolved.node)
    return isinstance(target, External) and target.dotted in _CONFIG


def _is_secret_cast(index: PythonIndex, module: Module, cast: ast.expr | None) -> bool:
    if cast is None:
        return False
    resolved = index.resolve_expr(module, cast)
    return isinstance(resolved, External) and resolved.dotted in _SECRET


def starlette_config_vars(index: PythonIndex, module: Module, where: str) -> list[EnvVar]:
    """Every read through a Starlette ``Config`` in ``module``."""
    found: list[EnvVar] = []
    for call in module.calls:
        if isinstance(call.func, ast.Attribute) and call.func.attr == "get":
            owner = call.func.value
        elif isinstance(call.func, ast.Name):
            owner = call.func
        else:
            continue
        if not _is_config(index, module, owner):
            continue
        key = call.args[0] if call.args else kwarg(call, "key")
        name = const_str(key) if key is not None else None
        if name is None:
            continue
        cast = call.args[1] if len(call.args) > 1 else kwarg(call, "cast")
        default_expr = call.args[2] if len(call.args) > 2 else kwarg(call, "default")
        default = literal_text(default_expr) if default_expr is not None else None
        secret = True if _is_secret_cast(index, module, cast) else None
        evidence = Evidence(where, call.lineno, "config() (Starlette Config)")
        found.append(make_env_var(name, default, default_expr is None, evidence, secret=secret))
    return found
