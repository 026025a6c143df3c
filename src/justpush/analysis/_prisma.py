"""Prisma's datasource: the database a Node app talks to through `@prisma/client`, and the variable
its schema reads the address from (`url = env("DATABASE_URL")`). No driver package names the
database: the schema's `provider` does."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ._files import evidence_path
from ._model import Evidence

# Where `prisma` looks for the schema when package.json names none.
_DEFAULT_SCHEMAS = ("prisma/schema.prisma", "schema.prisma")
_DATASOURCE = re.compile(r"^\s*datasource\s+\w+\s*\{(?P<body>[^}]*)\}", re.MULTILINE)
_PROVIDER = re.compile(r'^\s*provider\s*=\s*"(?P<provider>[^"]+)"', re.MULTILINE)
_URL_ENV = re.compile(r'^\s*url\s*=\s*env\(\s*"(?P<name>[A-Za-z_][A-Za-z0-9_]*)"\s*\)', re.MULTILINE)
_SERVICES = {
    "postgresql": "PostgreSQL",
    "postgres": "PostgreSQL",
    "cockroachdb": "PostgreSQL",
    "mysql": "MySQL",
    "mongodb": "MongoDB",
}
_MAX_SCHEMA_BYTES = 1_000_000


@dataclass(frozen=True)
class Datasource:
    service: str
    provider: str
    # The variable `url = env("…")` reads; None for a literal URL.
    variable: str | None
    evidence: Evidence


def _schema_path(app_root: Path) -> Path | None:
    candidates = list(_DEFAULT_SCHEMAS)
    try:
        package = json.loads((app_root / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        package = {}
    configured = (package.get("prisma") or {}).get("schema") if isinstance(package, dict) else None
    if isinstance(configured, str):
        candidates.insert(0, configured)
    for candidate in candidates:
        path = (app_root / candidate).resolve()
        if path.is_relative_to(app_root.resolve()) and path.is_file():
            return path
    # Projects that keep it beside their sources (src/prisma/schema.prisma).
    root = app_root.resolve()
    found = sorted(
        path.resolve() for path in app_root.glob("src/**/schema.prisma") if "node_modules" not in path.parts
    )
    return next((path for path in found if path.is_relative_to(root) and path.is_file()), None)


def find_datasource(app_root: Path, app_dir: str) -> Datasource | None:
    """The schema's datasource when it is a network database (SQLite needs none)."""
    path = _schema_path(app_root)
    if path is None or path.stat().st_size > _MAX_SCHEMA_BYTES:
        return None
    text = path.read_text(encoding="utf-8", errors="replace")
    block = _DATASOURCE.search(text)
    provider = _PROVIDER.search(block.group("body")) if block else None
    if block is None or provider is None:
        return None
    service = _SERVICES.get(provider.group("provider").lower())
    if service is None:
        return None
    url = _URL_ENV.search(block.group("body"))
    line = text[: block.start("body") + (url or provider).start()].count("\n") + 1
    where = evidence_path(app_dir, path.resolve().relative_to(app_root.resolve()).as_posix())
    variable = url.group("name") if url else None
    return Datasource(service, provider.group("provider"), variable, Evidence(where, line))
