"""Prisma: the database a `datasource` block names and the variables it reads.

``datasource db { provider = "postgresql"  url = env("DATABASE_URL") }`` in ``prisma/schema.prisma``
(or ``schema.prisma``, the files of a ``prisma/schema/`` folder, or package.json's ``prisma.schema``)
means the app needs PostgreSQL at DATABASE_URL; Prisma 7 moves the URL to ``prisma.config.ts``
(``url: env("DATABASE_URL")``). ``url`` and ``directUrl`` (what ``prisma migrate deploy`` uses) must be
set; ``shadowDatabaseUrl`` only serves ``migrate dev``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .._files import read_source
from .._model import Evidence

_SCHEMAS = ("prisma/schema.prisma", "schema.prisma")
_CONFIGS = ("prisma.config.ts", "prisma.config.js", "prisma.config.mjs", "prisma.config.cjs")
_DATASOURCE = re.compile(r"^[ \t]*datasource\s+\w+\s*\{(?P<body>[^}]*)\}", re.MULTILINE)
_SETTING = re.compile(r"^[ \t]*(?P<key>\w+)\s*=\s*(?P<value>[^\n]+?)\s*(?://[^\n]*)?$", re.MULTILINE)
_ENV_CALL = re.compile(r"""^env\(\s*["'](?P<name>[A-Za-z_][A-Za-z0-9_]*)["']\s*\)""")
_CONFIG_URL = re.compile(
    r"""\b(?:url|directUrl)\s*:\s*env\(\s*["'](?P<name>[A-Za-z_][A-Za-z0-9_]*)["']\s*\)"""
)
_URL_KEYS = ("url", "directUrl")
# Prisma's provider names -> the backing services analysis knows.
_SERVICES = {
    "postgresql": "PostgreSQL",
    "postgres": "PostgreSQL",
    "cockroachdb": "PostgreSQL",
    "mysql": "MySQL",
    "mongodb": "MongoDB",
}


@dataclass(frozen=True)
class PrismaDatasource:
    """One `datasource` block: its provider, where it is, and the variables (with their lines) it reads."""

    provider: str
    evidence: Evidence
    variables: tuple[tuple[str, Evidence], ...]

    @property
    def service(self) -> str | None:
        return _SERVICES.get(self.provider)


def _configured_schema(root: Path) -> str | None:
    """package.json's `"prisma": {"schema": "db/schema.prisma"}`, when it stays inside the app."""
    try:
        package = json.loads((root / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    prisma = package.get("prisma") if isinstance(package, dict) else None
    schema = prisma.get("schema") if isinstance(prisma, dict) else None
    if not isinstance(schema, str) or not schema.strip():
        return None
    path = PurePosixPath(schema.strip().removeprefix("./"))
    if path.is_absolute() or ".." in path.parts or not (root / path).is_file():
        return None
    return path.as_posix()


def _schema_files(root: Path) -> list[str]:
    configured = _configured_schema(root)
    found = [configured] if configured else []
    found += [name for name in _SCHEMAS if name != configured and (root / name).is_file()]
    folder = root / "prisma" / "schema"
    if folder.is_dir():
        found += sorted(f"prisma/schema/{p.name}" for p in folder.glob("*.prisma") if p.is_file())
    return found


def _text(root: Path, name: str, warnings: list[str]) -> str | None:
    path = root / name
    if not path.is_file():
        return None
    source = read_source(root, path, warnings)
    return None if source is None else source.text


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def prisma_datasources(root: Path, warnings: list[str]) -> list[PrismaDatasource]:
    """The datasources of the Prisma schema under ``root`` (paths relative to it)."""
    config_vars: list[tuple[str, Evidence]] = []
    for name in _CONFIGS:
        source = _text(root, name, warnings)
        if source is not None:
            config_vars += [
                (
                    m.group("name"),
                    Evidence(name, _line(source, m.start()), f'env("{m.group("name")}") in {name}'),
                )
                for m in _CONFIG_URL.finditer(source)
            ]
    found: list[PrismaDatasource] = []
    for path in _schema_files(root):
        text = _text(root, path, warnings)
        if text is None:
            continue
        for block in _DATASOURCE.finditer(text):
            provider = ""
            variables: list[tuple[str, Evidence]] = []
            for setting in _SETTING.finditer(block.group("body")):
                key, value = setting.group("key"), setting.group("value").strip()
                if key == "provider":
                    provider = value.strip("\"'").lower()
                elif key in _URL_KEYS and (call := _ENV_CALL.match(value)):
                    line = _line(text, block.start("body") + setting.start("value"))
                    note = f'{key} = env("{call.group("name")}") in the Prisma datasource'
                    variables.append((call.group("name"), Evidence(path, line, note)))
            evidence = Evidence(path, _line(text, block.start()), f"Prisma datasource ({provider})")
            found.append(PrismaDatasource(provider, evidence, tuple(variables or config_vars)))
    return found
