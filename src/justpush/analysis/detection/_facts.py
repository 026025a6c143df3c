"""What detection collects (`Facts`) and the small readers every language's detection shares."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._files import evidence_path, iter_paths, read_source
from .._model import Evidence, Language
from .._services import Driver

_PYTHON_MANIFESTS = ("pyproject.toml", "Pipfile", "poetry.lock", "setup.py", "setup.cfg", "uv.lock")
MANIFESTS: dict[Language, tuple[str, ...]] = {
    "node": ("package.json",),
    "java": ("pom.xml", "build.gradle", "build.gradle.kts"),
    "go": ("go.mod",),
    "python": _PYTHON_MANIFESTS,
}
NODE_FRAMEWORKS = (
    ("@nestjs/core", "nestjs"),
    ("fastify", "fastify"),
    ("koa", "koa"),
    ("express", "express"),
)
PYTHON_FRAMEWORKS = (("fastapi", "fastapi"), ("django", "django"), ("flask", "flask"))
GO_FRAMEWORKS = (
    ("github.com/gin-gonic/gin", "gin"),
    ("github.com/labstack/echo", "echo"),
    ("github.com/go-chi/chi", "chi"),
    ("github.com/gofiber/fiber", "fiber"),
    ("github.com/gorilla/mux", "gorilla-mux"),
)


@dataclass
class Facts:
    """Mutable scratch space while detecting; frozen into a ProjectProfile at the end."""

    values: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, list[Evidence]] = field(default_factory=dict)
    drivers: list[Driver] = field(default_factory=list)

    def set(self, name: str, value: Any, evidence: Evidence) -> None:
        self.values[name] = value
        self.evidence[name] = [evidence]

    def add_evidence(self, name: str, evidence: Evidence) -> None:
        self.evidence.setdefault(name, []).append(evidence)

    def set_read(self, name: str, read: tuple[str, str, int | None, str] | None, app_dir: str) -> None:
        """Record a value read from a file, given as (value, file, line, what it is); None records nothing."""
        if read is not None:
            value, file, line, note = read
            self.set(name, value, Evidence(evidence_path(app_dir, file), line, note))


def first_line(path: Path) -> tuple[str, int] | None:
    """The first line that is neither blank nor a comment (version files allow both), and its number."""
    for number, line in enumerate((read_text(path) or "").splitlines(), start=1):
        value = line.split("#", 1)[0].strip()
        if value:
            return value, number
    return None


def module_file(app_root: Path, module: str) -> str:
    base = module.replace(".", "/")
    return f"{base}.py" if (app_root / f"{base}.py").is_file() else f"{base}/__init__.py"


def read_text(path: Path) -> str | None:
    if not path.is_file():
        return None
    source = read_source(path.parent, path, [])
    return source.text if source is not None else None


def read_json(path: Path) -> Any:
    text = read_text(path)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def read_toml(path: Path, warnings: list[str]) -> dict[str, Any]:
    text = read_text(path)
    if text is None:
        return {}
    # Imported here: most projects have no TOML file to read.
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        warnings.append(f"{path.name}: not valid TOML ({exc})")
        return {}


def line_of(text: str, needle: str) -> int | None:
    index = text.find(needle)
    return None if index < 0 else text.count("\n", 0, index) + 1


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def rebase(evidence: Evidence, app_dir: str, note: str) -> Evidence:
    return Evidence(evidence_path(app_dir, evidence.file), evidence.line, note)


def grep_sources(
    app_root: Path, suffixes: tuple[str, ...], pattern: re.Pattern[str]
) -> tuple[str, int] | None:
    for path in iter_paths(app_root, suffixes):
        text = read_text(path)
        if text is None:
            continue
        match = pattern.search(text)
        if match:
            return path.relative_to(app_root).as_posix(), text.count("\n", 0, match.start()) + 1
    return None
