"""Folders an app writes to next to its code: SQLite files, upload and media folders (any language).

The image's root filesystem is read-only, so each such folder gets a volume of its own; this module
only finds them (relative to the app directory, "." for the app directory itself) and says why.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ._files import evidence_path, is_test_source, iter_paths, read_source
from ._model import Evidence

# The app's own language's sources only: a Java app's bundled tools (a portable office suite's Python
# scripts) write nothing of the app's, and reading them costs seconds.
_LANGUAGE_SOURCES = {
    "python": (".py",),
    "node": (".js", ".mjs", ".cjs", ".ts", ".prisma"),
    "go": (".go",),
    "java": (".java", ".properties", ".yml", ".yaml"),
}
# Of the config formats, only the files frameworks read at start (Spring's application*.yml): a repository's
# other YAML (CI, Helm charts, manifests) configures no app folder and is costly to vet.
_CONFIG_SUFFIXES = (".properties", ".yml", ".yaml")
_CONFIG_NAMES = ("application", "bootstrap")
_QUOTED = r"""["'`]([^"'`\s]+)["'`]"""


@dataclass(frozen=True)
class _Rule:
    """A pattern whose first group names a folder (or a file in one) the app writes to."""

    pattern: re.Pattern[str]
    what: str
    # The match names a file (its folder is written to) rather than a folder.
    is_file: bool
    # Words the pattern cannot match without (one of them): a substring test is far cheaper than a regex
    # scan, most of all for the patterns starting with `\b`, which the regex engine cannot skip ahead on.
    needs: tuple[str, ...]
    # The match is relative to the source file's folder (a path joined to the folder of `__file__`).
    beside_source: bool = False


_RULES = (
    # sqlite:///relative.db (four slashes would be absolute), SQLAlchemy dialects included.
    _Rule(re.compile(r"sqlite(?:\+\w+)?:///(?!:memory:)([^\"'`\s?]+)"), "SQLite database", True, ("sqlite",)),
    _Rule(re.compile(r"jdbc:(?:sqlite:|h2:file:)([^\"'`\s;?]+)"), "embedded database file", True, ("jdbc:",)),
    _Rule(re.compile(r"""url\s*=\s*["']file:([^"']+)["']"""), "SQLite database (Prisma)", True, ("file:",)),
    # Flask's usual fallback, a file next to the module: basedir = os.path.dirname(__file__), then
    # 'sqlite:///' + os.path.join(basedir, 'app.db') or f"sqlite:///{basedir / 'app.db'}".
    _Rule(
        re.compile(
            r"""sqlite(?:\+\w+)?:///(?:["']\s*\+\s*|\{)\s*(?:str\(\s*)?(?:os\.path\.join\(\s*)?"""
            r"""(?!BASE_DIR\b)\w+\s*(?:/|,)\s*["']([^"'{}]+\.(?:sqlite3?|db))["']"""
        ),
        "SQLite database",
        True,
        ("sqlite",),
        beside_source=True,
    ),
    # Django's default: NAME = BASE_DIR / 'db.sqlite3' or os.path.join(BASE_DIR, 'db.sqlite3').
    _Rule(
        re.compile(r"""BASE_DIR\s*(?:/|,)\s*["']([^"']+\.(?:sqlite3?|db))["']"""),
        "SQLite database",
        True,
        ("BASE_DIR",),
    ),
    _Rule(
        re.compile(r"""\bMEDIA_ROOT\s*=.*?BASE_DIR\s*(?:/|,)\s*["']([^"']+)["']"""),
        "media folder",
        False,
        ("MEDIA_ROOT",),
    ),
    _Rule(
        re.compile(r"""\bUPLOAD_(?:FOLDER|DIR)\b["']?\]?\s*=\s*""" + _QUOTED),
        "upload folder",
        False,
        ("UPLOAD_",),
    ),
    _Rule(re.compile(r"""\bdest\s*:\s*""" + _QUOTED), "upload folder (multer)", False, ("dest",)),
    _Rule(
        re.compile(r"""\bstorage\s*:\s*["']([^"']+\.(?:sqlite3?|db))["']"""),
        "SQLite database",
        True,
        ("storage",),
    ),
    _Rule(
        re.compile(r"""(?:sqlite3?\.Database|new\s+Database|sqlite\.Open)\(\s*""" + _QUOTED),
        "SQLite database",
        True,
        ("Database", "sqlite.Open"),
    ),
    _Rule(re.compile(r"""sqlite3\.connect\(\s*""" + _QUOTED), "SQLite database", True, ("sqlite3.connect",)),
    _Rule(
        re.compile(r"""sql\.Open\(\s*["']sqlite3?["']\s*,\s*""" + _QUOTED),
        "SQLite database",
        True,
        ("sql.Open",),
    ),
)


# Words one of the rules needs: most files have none, and one search rules them out.
_HINT = re.compile(r"sqlite|jdbc:|file:|BASE_DIR|UPLOAD_|dest\s*:|storage\s*:|Database|sql\.Open")
# Flask's instance folder (config files, the tutorial's SQLite database), used by the app: it is
# `instance/` next to the top-level package (or module) that creates the app, unless given explicitly.
_FLASK_INSTANCE = re.compile(r"\binstance_relative_config\s*=\s*True|\.instance_path\b")
_EXPLICIT_INSTANCE = re.compile(r"\binstance_path\s*=")


@dataclass(frozen=True)
class WritablePath:
    """A folder the app writes to, and the first place that says so."""

    path: str
    evidence: Evidence


def _folder(raw: str, is_file: bool, base: str) -> str | None:
    """The folder a match names, relative to the app directory; `base` is what a relative one is from."""
    value = raw.split("?", 1)[0]
    if value in ("", ":memory:") or "${" in value or "{" in value:
        return None
    if value.startswith("/"):
        folder = posixpath.dirname(value) if is_file else value
        folder = posixpath.normpath(folder)
        return None if folder in ("/", "/tmp") or folder.startswith("/tmp/") else folder
    joined = posixpath.normpath(posixpath.join(base, posixpath.dirname(value) if is_file else value))
    return None if joined.startswith("..") else joined


# A variable's value that opens a database file: SQLAlchemy's sqlite:///, libsql's / Prisma's file:.
_DATABASE_FILE_VALUE = re.compile(r"^(?:sqlite(?:\+\w+)?:///|file:(?://)?)(?!:memory:)([^?#\s]+)$")


def is_database_file_url(value: str) -> bool:
    """Whether a variable's value opens a database file (`sqlite:////tmp/app.db`, `file:./dev.db`)."""
    return _DATABASE_FILE_VALUE.match(value.strip()) is not None


def database_file_folder(value: str) -> str | None:
    """The folder a variable's value (`DATABASE_URL=file:dev.db`) puts a SQLite file in, relative to the
    working directory; None when it names none, or only /tmp. The user's value is known at deploy time
    only, so the code's own fallbacks are found by `find_writable_paths` and this reads the values."""
    match = _DATABASE_FILE_VALUE.match(value.strip())
    return _folder(match.group(1), True, ".") if match else None


def find_writable_paths(
    app_root: Path, app_dir: str, language: str, warnings: list[str]
) -> list[WritablePath]:
    """Folders the app writes to, each with the first place that says so, in a stable order."""
    found: dict[str, WritablePath] = {}
    for path in iter_paths(app_root, _LANGUAGE_SOURCES.get(language, ())):
        relative = path.relative_to(app_root).as_posix()
        if is_test_source(relative):
            continue
        if path.name.endswith(_CONFIG_SUFFIXES) and not path.name.startswith(_CONFIG_NAMES):
            continue
        source = read_source(app_root, path, warnings)
        if source is None:
            continue
        for rule, line, raw in _matches(source.text):
            if rule.beside_source and "__file__" not in source.text:
                continue
            # Prisma resolves file: URLs from the schema's folder; most from the working directory.
            beside = rule.beside_source or source.path.endswith(".prisma")
            folder = _folder(raw, rule.is_file, posixpath.dirname(source.path) if beside else ".")
            if folder is not None and folder not in found:
                note = f"{rule.what} at {raw!r}"
                found[folder] = WritablePath(
                    folder, Evidence(evidence_path(app_dir, source.path), line, note)
                )
        instance = _flask_instance(app_root, source.path, source.text)
        if instance is not None and instance[0] not in found:
            folder, line = instance
            note = "Flask instance folder"
            found[folder] = WritablePath(folder, Evidence(evidence_path(app_dir, source.path), line, note))
    return [found[k] for k in sorted(found)]


def _flask_instance(app_root: Path, path: str, text: str) -> tuple[str, int] | None:
    """The instance folder of a Flask app that uses it, with the line saying so, relative to the root."""
    if not path.endswith(".py") or _EXPLICIT_INSTANCE.search(text):
        return None
    match = _FLASK_INSTANCE.search(text)
    if match is None:
        return None
    # Flask puts it next to the top-level package: climb while the folder is a package.
    folder = posixpath.dirname(path)
    while folder and (app_root / folder / "__init__.py").is_file():
        folder = posixpath.dirname(folder)
    line = text.count("\n", 0, match.start()) + 1
    return (posixpath.join(folder, "instance") if folder else "instance"), line


def _matches(text: str) -> Iterator[tuple[_Rule, int, str]]:
    if _HINT.search(text) is None:
        return
    for rule in _RULES:
        if not any(word in text for word in rule.needs):
            continue
        for match in rule.pattern.finditer(text):
            yield rule, text.count("\n", 0, match.start()) + 1, match.group(1)
