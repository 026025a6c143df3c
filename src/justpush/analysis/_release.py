"""The release command: what runs once per deploy, before the new version serves (migrations).

Given first (a Procfile ``release:`` line, an ``app.json`` ``postdeploy`` script that migrates), then
detected from the migration tool among the dependencies: Django ``migrate``, Flask-Migrate, Alembic,
Prisma ``migrate deploy``, and a Knex / TypeORM project's own migrate script in package.json.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from ._files import SKIPPED_DIRS, evidence_path, read_source
from ._model import Evidence

ReleaseCommand = tuple[tuple[str, ...], Evidence]

# Heroku runs Procfile and app.json commands through a shell; these need one.
_SHELL_SYNTAX = re.compile(r"[;&|<>$`*?(){}\[\]~\\]|\n")
# A postdeploy script is a release step only when it clearly migrates (it may also seed or notify).
_MIGRATES = re.compile(r"\b(migrate|migrations?|upgrade\s+head|db\s+upgrade|db:migrate)\b")
# package.json scripts that run a Knex / TypeORM project's migrations, most explicit first.
_NODE_MIGRATE_SCRIPTS = (
    "migrate:deploy",
    "migrate:latest",
    "migration:run",
    "migrations:run",
    "db:migrate",
    "migrate",
)


def find_release_command(
    app_root: Path,
    app_dir: str,
    python_deps: Collection[str] = (),
    package: Mapping[str, Any] | None = None,
    warnings: list[str] | None = None,
    flask_app: str | None = None,
) -> ReleaseCommand | None:
    """The release command and where it came from, or None. ``python_deps`` are normalised names
    ("flask-migrate"); ``package`` is the parsed package.json of a Node app; ``flask_app`` the detected
    Flask app ("module:app"), which `flask db` is told, as it may not find it by itself. A detected
    command whose tool the runtime image will not hold (a devDependency) gets a warning.

    A Procfile ``release:`` is the project's own instruction and always kept."""
    given = _procfile_release(app_root, app_dir)
    if given is not None:
        return given
    notes: list[str] = []
    detected = _app_json_postdeploy(app_root, app_dir)
    if detected is None and python_deps:
        detected = _python_release(app_root, app_dir, set(python_deps), flask_app)
    elif detected is None and package is not None:
        detected = _node_release(app_root, app_dir, package, notes)
    if warnings is not None:
        warnings.extend(notes)
    return detected


def command_from_text(text: str) -> tuple[str, ...]:
    """Exec form of a command line: split like a shell, or ``sh -c`` when it uses shell syntax."""
    text = text.strip()
    if _SHELL_SYNTAX.search(text):
        return ("sh", "-c", text)
    try:
        return tuple(shlex.split(text))
    except ValueError:
        return ("sh", "-c", text)


def _read(app_root: Path, name: str) -> str | None:
    path = app_root / name
    if not path.is_file():
        return None
    source = read_source(app_root, path, [])
    return source.text if source is not None else None


def _procfile_release(app_root: Path, app_dir: str) -> ReleaseCommand | None:
    text = _read(app_root, "Procfile")
    for number, line in enumerate((text or "").splitlines(), start=1):
        key, sep, value = line.partition(":")
        if sep and key.strip() == "release" and value.strip():
            where = Evidence(evidence_path(app_dir, "Procfile"), number, "Procfile release process")
            return command_from_text(value), where
    return None


def _app_json_postdeploy(app_root: Path, app_dir: str) -> ReleaseCommand | None:
    text = _read(app_root, "app.json")
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    scripts = data.get("scripts") if isinstance(data, dict) else None
    script = scripts.get("postdeploy") if isinstance(scripts, dict) else None
    if isinstance(script, dict):  # {"command": "...", "size": "..."} form
        script = script.get("command")
    if not isinstance(script, str) or not _MIGRATES.search(script):
        return None
    line = _line_of(text, '"postdeploy"')
    return command_from_text(script), Evidence(
        evidence_path(app_dir, "app.json"), line, "app.json postdeploy migrates"
    )


def _django_manage(app_root: Path) -> str | None:
    """manage.py in the app folder, or in the one subfolder holding the Django project (a repository
    whose requirements sit at the top and the project in src/ or app/)."""
    if (app_root / "manage.py").is_file():
        return "manage.py"
    found = [p for p in app_root.glob("*/manage.py") if p.parent.name not in SKIPPED_DIRS | {"tests", "test"}]
    return f"{found[0].parent.name}/manage.py" if len(found) == 1 else None


def _python_release(
    app_root: Path, app_dir: str, deps: set[str], flask_app: str | None
) -> ReleaseCommand | None:
    manage = _django_manage(app_root) if "django" in deps else None
    if manage is not None:
        return ("python", manage, "migrate", "--noinput"), Evidence(
            evidence_path(app_dir, manage), None, "Django project: apply its migrations"
        )
    if "flask-migrate" in deps and (app_root / "migrations" / "env.py").is_file():
        target = ("--app", flask_app) if flask_app else ()
        return ("flask", *target, "db", "upgrade"), Evidence(
            evidence_path(app_dir, "migrations/env.py"), None, "Flask-Migrate migrations"
        )
    if "alembic" in deps and (app_root / "alembic.ini").is_file():
        return ("alembic", "upgrade", "head"), Evidence(
            evidence_path(app_dir, "alembic.ini"), None, "Alembic migrations"
        )
    return None


def _node_release(
    app_root: Path, app_dir: str, package: Mapping[str, Any], warnings: list[str]
) -> ReleaseCommand | None:
    production = _section(package, "dependencies")
    deps = production | _section(package, "devDependencies")
    schema = "prisma/schema.prisma"
    if deps & {"prisma", "@prisma/client"} and (app_root / schema).is_file():
        _needs_at_run_time("prisma", production, app_dir, warnings)
        # --no-install: never fetch a CLI from the network at release time.
        return ("npx", "--no-install", "prisma", "migrate", "deploy"), Evidence(
            evidence_path(app_dir, schema), None, "Prisma schema: apply its migrations"
        )
    tools = sorted(deps & {"knex", "typeorm"})
    if not tools:
        return None
    scripts = package.get("scripts")
    if not isinstance(scripts, dict):
        return None
    for name in _NODE_MIGRATE_SCRIPTS:
        if isinstance(scripts.get(name), str):
            _needs_at_run_time(tools[0], production, app_dir, warnings)
            text = _read(app_root, "package.json") or ""
            return ("npm", "run", name), Evidence(
                evidence_path(app_dir, "package.json"), _line_of(text, f'"{name}"'), f"{name} script"
            )
    return None


def _section(package: Mapping[str, Any], key: str) -> set[str]:
    section = package.get(key)
    return set(section) if isinstance(section, dict) else set()


def _needs_at_run_time(tool: str, production: set[str], app_dir: str, warnings: list[str]) -> None:
    if tool not in production:
        warnings.append(
            f"{evidence_path(app_dir, 'package.json')}: the release command needs {tool}, a devDependency; "
            "the image holds production dependencies only: move it to dependencies or set the release option"
        )


def _line_of(text: str, needle: str) -> int | None:
    index = text.find(needle)
    return None if index < 0 else text.count("\n", 0, index) + 1
