"""A TypeORM connection whose options the code leaves to TypeORM: ``TypeOrmModule.forRoot()`` or
``createConnection()`` with no argument.

TypeORM then reads the ``TYPEORM_*`` environment variables, or else an ``ormconfig.*`` file in the app's
folder. Repositories often commit only ``ormconfig.json.example`` (the real one holds a password), so
the deployed app has no connection at all and crashes at start. Without the file the variables are the
only way in, so they become required: ``TYPEORM_URL`` (the address, which also names the database
service), ``TYPEORM_CONNECTION`` (the driver, known from the example or the dependencies) and
``TYPEORM_ENTITIES`` (where the compiled entities are in the image).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from .._env import make_env_var
from .._model import EnvVar, Evidence
from .._treesitter import evidence, field_, text, walk
from ._project import Project
from ._syntax import args

# What TypeORM 0.2 / 0.3 look for in the working directory, in its order.
_CONFIG_FILES = tuple(
    f"ormconfig.{suffix}" for suffix in ("env", "js", "cjs", "mjs", "ts", "json", "yml", "yaml", "xml")
)
# Driver packages -> TYPEORM_CONNECTION's value for them.
_CONNECTION_FOR_DRIVER = {
    "mysql": "mysql",
    "mysql2": "mysql",
    "pg": "postgres",
    "mariadb": "mariadb",
    "mongodb": "mongodb",
    "mssql": "mssql",
    "oracledb": "oracle",
}


_NOTE = "TypeORM reads its connection from TYPEORM_* (no ormconfig file)"


def _calls_without_options(project: Project) -> Evidence | None:
    """The first `TypeOrmModule.forRoot()` or typeorm's `createConnection()` called with no argument."""
    for module in project.modules.values():
        if not module.mentions("forRoot()", "createConnection()"):
            continue
        for node in walk(module.parsed.root):
            if node.type != "call_expression" or args(node):
                continue
            callee = text(field_(node, "function"))
            owner, _, name = callee.rpartition(".")
            nest = name == "forRoot" and module.imports.get(owner, ("", ""))[0] == "@nestjs/typeorm"
            plain = name == "createConnection" and module.imports.get(owner or name, ("", ""))[0] == "typeorm"
            if nest or plain:
                return evidence(module.parsed.path, node, _NOTE)
    return None


def _example_connection(root: Path) -> str | None:
    """The `type` an `ormconfig.json.example` (or `.dist`, `.sample`) gives."""
    for suffix in ("example", "dist", "sample"):
        try:
            data = json.loads((root / f"ormconfig.json.{suffix}").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        kind = data.get("type") if isinstance(data, dict) else None
        if isinstance(kind, str) and kind:
            return kind
    return None


def _dependencies(root: Path) -> set[str]:
    try:
        package = json.loads((root / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    if not isinstance(package, dict):
        return set()
    sections = (package.get(key) for key in ("dependencies", "devDependencies"))
    return {name for section in sections if isinstance(section, dict) for name in section}


def typeorm_env_vars(project: Project) -> list[EnvVar]:
    """The TYPEORM_* variables a connection configured by neither the code nor an ormconfig file needs."""
    if any((project.root / name).is_file() for name in _CONFIG_FILES):
        return []
    dependencies = _dependencies(project.root)
    if "typeorm" not in dependencies:
        return []
    where = _calls_without_options(project)
    if where is None:
        return []
    connection = _example_connection(project.root) or next(
        (value for driver, value in _CONNECTION_FOR_DRIVER.items() if driver in dependencies), None
    )
    url = make_env_var("TYPEORM_URL", None, True, where, secret=True)
    kind = make_env_var("TYPEORM_CONNECTION", connection, connection is None, where, secret=False)
    entities = make_env_var("TYPEORM_ENTITIES", None, True, where, secret=False)
    return [
        replace(url, description="the database's address, e.g. mysql://user:password@host:3306/name"),
        replace(kind, description="TypeORM's driver name (mysql, postgres, …)"),
        replace(entities, description="the compiled entity files in the image, e.g. dist/**/*.entity.js"),
    ]
