"""Project detection: language, framework, package manager, versions, entrypoint, commands, port, app subdir.

Manifests decide first (package.json, requirements*.txt, pyproject.toml, Pipfile, poetry.lock, pom.xml,
build.gradle(.kts), go.mod); code confirms or fills in. Every conclusion carries Evidence, and a value that
is only a framework default says so in its evidence note.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import re
import shlex
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, get_args

from justpush.errors import AnalysisError, InvalidRootError

from ._env import refine_env_vars
from ._envdocs import document_env_vars, read_env_templates
from ._files import SKIPPED_DIRS, evidence_path, iter_paths, read_source
from ._model import EnvVar, Evidence, Language, ProjectProfile
from ._release import find_release_command
from ._services import Driver, find_drivers, link_services
from ._writable import find_writable_paths

_PYTHON_MANIFESTS = ("pyproject.toml", "Pipfile", "poetry.lock", "setup.py", "setup.cfg", "uv.lock")
_MANIFESTS: dict[Language, tuple[str, ...]] = {
    "node": ("package.json",),
    "java": ("pom.xml", "build.gradle", "build.gradle.kts"),
    "go": ("go.mod",),
    "python": _PYTHON_MANIFESTS,
}
_DEFAULT_PORTS = {
    "fastapi": 8000,
    "flask": 5000,
    "django": 8000,
    "express": 3000,
    "fastify": 3000,
    "nestjs": 3000,
    "koa": 3000,
    "spring-boot": 8080,
    "jdk-httpserver": 8080,
    "net-http": 8080,
    "gin": 8080,
    "echo": 8080,
    "chi": 8080,
    "fiber": 8080,
    "gorilla-mux": 8080,
}
_LANGUAGE_DEFAULT_PORTS: dict[str, int] = {"python": 8000, "node": 3000, "java": 8080, "go": 8080}
_NODE_FRAMEWORKS = (
    ("@nestjs/core", "nestjs"),
    ("fastify", "fastify"),
    ("koa", "koa"),
    ("express", "express"),
)
# Source-only packages whose install compiles against a system library (the -binary wheels do not).
_NATIVE_PYTHON = frozenset({"psycopg2", "mysqlclient"})
_PYTHON_FRAMEWORKS = (("fastapi", "fastapi"), ("django", "django"), ("flask", "flask"))
# A module path in go.mod's require lines (block or single-line form).
_GO_REQUIRE = re.compile(r"^\s*(?:require\s+)?([a-z0-9.\-]+\.[a-z]+/[^\s]+)\s+v\S+", re.MULTILINE)
_GO_FRAMEWORKS = (
    ("github.com/gin-gonic/gin", "gin"),
    ("github.com/labstack/echo", "echo"),
    ("github.com/go-chi/chi", "chi"),
    ("github.com/gofiber/fiber", "fiber"),
    ("github.com/gorilla/mux", "gorilla-mux"),
)
_SPEC_NAMES = tuple(f"{stem}.{ext}" for stem in ("openapi", "swagger") for ext in ("json", "yaml", "yml"))
_SPEC_DIRS = ("", "docs/", "api/", "doc/", "spec/", "openapi/")
_MAX_APP_DIR_DEPTH = 3
_BACKEND_NAMES = frozenset({"backend", "server", "api", "back-end", "service"})
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_VERSION = re.compile(r"(\d+(?:\.\d+)?)")
_EXPOSE = re.compile(r"^\s*EXPOSE\s+(\d+)", re.IGNORECASE | re.MULTILINE)
# Backing services whose schema a release command can migrate for every pod at once.
_DATABASE_SERVERS = frozenset({"PostgreSQL", "MySQL", "MongoDB"})
_OVERRIDE_LOCKED = frozenset({"evidence", "overridden", "env_vars", "app_dir_candidates"})
# Fields an override gives as a list (or a comma-separated string).
_LIST_FIELDS = frozenset(
    {"dependency_files", "openapi_files", "writable_paths", "native_dependencies", "server_packages"}
)


@dataclass
class _Facts:
    """Mutable scratch space while detecting; frozen into a ProjectProfile at the end."""

    values: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, list[Evidence]] = field(default_factory=dict)
    drivers: list[Driver] = field(default_factory=list)
    # Variables read outside the code (Prisma's `url = env("DATABASE_URL")`).

    def set(self, name: str, value: Any, evidence: Evidence) -> None:
        self.values[name] = value
        self.evidence[name] = [evidence]

    def add_evidence(self, name: str, evidence: Evidence) -> None:
        self.evidence.setdefault(name, []).append(evidence)


def language_module(language: str, warnings: list[str]) -> ModuleType | None:
    """``justpush.analysis.<language>``, imported lazily (extractors are developed independently)."""
    try:
        return importlib.import_module(f"justpush.analysis.{language}")
    except ImportError as exc:
        warnings.append(f"{language}: extractor not available ({exc})")
        return None


# ---- app directory ------------------------------------------------------------------------------
def _manifest_languages(directory: Path) -> list[Language]:
    found = [lang for lang, names in _MANIFESTS.items() if any((directory / n).is_file() for n in names)]
    if "python" not in found and any(directory.glob("requirements*.txt")):
        found.append("python")
    return found


def _manifest_language(directory: Path) -> Language | None:
    """The folder's language by manifest; with several (a React package.json next to a pom.xml), the one
    whose manifest declares a web framework."""
    found = _manifest_languages(directory)
    return next((lang for lang in found if _manifest_framework(directory, lang)), found[0] if found else None)


def _is_build_root(directory: Path) -> bool:
    """A multi-module Maven/Gradle build: its modules are built from here, so it stays the app directory."""
    pom = _read_text(directory / "pom.xml") or ""
    settings = (_read_text(directory / "settings.gradle") or "") + (
        _read_text(directory / "settings.gradle.kts") or ""
    )
    return "<modules>" in pom or "include" in settings


def _part_of_root(root: Path, folder: str) -> bool:
    """A Python package of the root project, or a folder whose requirements the root includes (`-r a/…`)."""
    if (root / folder / "__init__.py").is_file():
        return True
    included = "".join(_read_text(p) or "" for p in sorted(root.glob("requirements*.txt")))
    return f"{folder}/" in included


@dataclass(frozen=True)
class AppDirChoice:
    app_dir: str
    evidence: Evidence | None
    # Every folder (depth <= 3) holding a manifest, the root as "."; the UI offers them as a picker.
    candidates: tuple[str, ...]


def find_app_dir(root: Path, warnings: list[str]) -> AppDirChoice:
    """The folder holding the API: a manifest declaring a web framework wins over one that does not
    (a React app's package.json at the root loses to backend/pom.xml with spring-boot), then the shallowest.
    The root also wins as a multi-module build (Maven <modules>, Gradle include) or with no better folder.
    """
    found: list[tuple[bool, int, str, Language]] = []
    for dirpath, dirnames, _ in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        depth = len(rel.parts)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and not d.startswith("."))
        if depth >= _MAX_APP_DIR_DEPTH:
            dirnames[:] = []
        language = _manifest_language(Path(dirpath))
        if language is not None:
            has_framework = _manifest_framework(Path(dirpath), language) is not None
            found.append((not has_framework, depth, rel.as_posix() if depth else ".", language))
    candidates = tuple(c[2] for c in sorted(found, key=lambda c: (c[1], c[2])))
    # Among equals, a folder named like a backend (backend/, server/, api/) beats e.g. linux/ or docs/.
    sub = sorted(
        (c for c in found if c[2] != "." and not _part_of_root(root, c[2])),
        key=lambda c: (c[0], c[1], c[2].rsplit("/", 1)[-1].lower() not in _BACKEND_NAMES, c[2]),
    )
    at_root = next((c for c in found if c[2] == "."), None)
    if at_root is not None:
        workspace = at_root[3] == "node" and _is_node_workspace_root(root) and bool(sub)
        if not workspace and (not at_root[0] or _is_build_root(root) or not sub or sub[0][0]):
            return AppDirChoice(".", _root_evidence(root, at_root[3], candidates), candidates)
    if not sub:
        return AppDirChoice(".", None, candidates)
    best = sub[0]
    manifest = next(n for n in (*_MANIFESTS[best[3]], "requirements.txt") if (root / best[2] / n).is_file())
    framework = _manifest_framework(root / best[2], best[3])
    reason = (
        f"{best[2]}/{manifest} declares {framework}"
        if framework
        else f"{best[2]}/{manifest} is the first manifest below the root"
    )
    if len(candidates) > 1:
        others = ", ".join(c for c in candidates if c != best[2])
        warnings.append(
            f"app directory: chose {best[2]} ({reason}) over {others}; another can be chosen as root"
        )
    return AppDirChoice(
        best[2], Evidence(f"{best[2]}/{manifest}", None, f"app directory: {reason}"), candidates
    )


def _root_evidence(root: Path, language: Language, candidates: tuple[str, ...]) -> Evidence | None:
    """Why the root won when other folders hold manifests too (None when it was the only one)."""
    if len(candidates) < 2:
        return None
    manifest = next((n for n in (*_MANIFESTS[language], "requirements.txt") if (root / n).is_file()), ".")
    framework = _manifest_framework(root, language)
    if _is_build_root(root):
        reason = f"{manifest} builds the other folders as modules"
    elif framework:
        reason = f"{manifest} declares {framework}"
    else:
        reason = "no folder below declares a web framework"
    others = [c for c in candidates if c != "."]
    listed = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
    return Evidence(manifest, None, f"app directory: the root, {reason}; other candidates: {listed}")


def resolve_root(root: Path, value: str, field_name: str = "root") -> str:
    """A user-chosen app folder, normalised ("." for the upload root), that must stay inside the upload."""

    def fail(why: str) -> InvalidRootError:
        return InvalidRootError(f"{field_name} {value!r} {why}", details={"field": field_name})

    raw = value.strip().replace("\\", "/")
    if raw in ("", ".", "./"):
        return "."
    if raw.startswith("/") or re.match(r"^[A-Za-z]:", raw):
        raise fail("must be a folder relative to the upload, not an absolute path")
    parts = [p for p in raw.strip("/").split("/") if p not in ("", ".")]
    if ".." in parts:
        raise fail("must not contain '..'")
    target = root.joinpath(*parts)
    if not target.exists():
        raise fail("is not a folder of the upload")
    try:
        inside = target.resolve(strict=True).is_relative_to(root.resolve(strict=True))
    except (OSError, RuntimeError):
        inside = False
    if not inside:
        raise fail("leaves the upload (a symlink points outside)")
    if not target.is_dir():
        raise fail("is not a folder of the upload")
    return "/".join(parts) or "."


def _is_node_workspace_root(root: Path) -> bool:
    package = _read_json(root / "package.json")
    if not isinstance(package, dict) or "workspaces" not in package:
        return False
    deps = {**package.get("dependencies", {}), **package.get("devDependencies", {})}
    return not any(dep in deps for dep, _ in _NODE_FRAMEWORKS)


def _manifest_framework(directory: Path, language: Language) -> str | None:
    if language == "node":
        package = _read_json(directory / "package.json")
        deps = _node_deps(package)
        return next((fw for dep, fw in _NODE_FRAMEWORKS if dep in deps), None)
    if language == "python":
        declared = {name for name, _, _ in _python_deps(directory, [])}
        return next((fw for dep, fw in _PYTHON_FRAMEWORKS if dep in declared), None)
    if language == "go":
        direct = _go_direct_requires(_read_text(directory / "go.mod") or "")
        return next((fw for dep, fw in _GO_FRAMEWORKS if dep in direct), None)
    text = _read_text(directory / "pom.xml") or _read_text(directory / "build.gradle") or ""
    text = text or _read_text(directory / "build.gradle.kts") or ""
    return "spring-boot" if "spring-boot" in text else None


# ---- entry point --------------------------------------------------------------------------------
def detect(
    root: Path, overrides: dict[str, Any] | None = None, warnings: list[str] | None = None
) -> ProjectProfile:
    """The upload's ProjectProfile; overrides apply, and app_dir/language ones steer detection."""
    warnings = warnings if warnings is not None else []
    overrides = dict(overrides or {})
    facts = _Facts()
    app_dir = overrides.get("app_dir")
    choice = find_app_dir(root, warnings if not (isinstance(app_dir, str) and app_dir) else [])
    if isinstance(app_dir, str) and app_dir:
        app_dir = overrides["app_dir"] = resolve_root(root, app_dir, "app_dir")
    else:
        app_dir = choice.app_dir
        if choice.evidence is not None:
            facts.set("app_dir", app_dir, choice.evidence)
    facts.values["app_dir"] = app_dir
    facts.values["app_dir_candidates"] = choice.candidates
    app_root = root / app_dir if app_dir != "." else root

    forced = overrides.get("language")
    language: Language
    if isinstance(forced, str) and forced in get_args(Language):
        language = forced  # type: ignore[assignment]
    else:
        language = _detect_language(app_root, app_dir, facts)
    facts.values["language"] = language

    if language == "python":
        _detect_python(app_root, app_dir, facts, warnings, overrides)
    elif language == "node":
        _detect_node(app_root, app_dir, facts, warnings)
    elif language == "java":
        _detect_java(app_root, app_dir, facts, warnings)
    elif language == "go":
        _detect_go(app_root, app_dir, facts, warnings)
    else:
        warnings.append(
            "no manifest or source files of a supported language (Python, Node.js, Java, Go) found"
        )

    _detect_files(root, app_root, app_dir, facts)
    profile = _freeze(facts)
    if language != "unknown":
        profile = _code_facts(root, app_root, profile, facts, warnings, overrides)
        profile = _release(app_root, profile, warnings)
    if overrides:
        profile = apply_overrides(profile, overrides)
    return profile


def _detect_language(app_root: Path, app_dir: str, facts: _Facts) -> Language:
    language = _manifest_language(app_root)
    if language is not None:
        manifest = next(
            (n for n in (*_MANIFESTS[language], "requirements.txt") if (app_root / n).is_file()),
            next((p.name for p in sorted(app_root.glob("requirements*.txt"))), ""),
        )
        facts.set("language", language, Evidence(evidence_path(app_dir, manifest), None, "manifest"))
        return language
    # No manifest: count source files.
    counts: dict[Language, tuple[int, str]] = {}
    for language_name, suffixes in (
        ("python", (".py",)),
        ("node", (".js", ".ts", ".mjs")),
        ("java", (".java",)),
        ("go", (".go",)),
    ):
        paths = list(iter_paths(app_root, suffixes))
        if paths:
            counts[language_name] = (len(paths), paths[0].relative_to(app_root).as_posix())  # type: ignore[index]
    if not counts:
        return "unknown"
    best = max(counts, key=lambda k: counts[k][0])
    facts.set(
        "language",
        best,
        Evidence(
            evidence_path(app_dir, counts[best][1]), None, f"no manifest; {counts[best][0]} source files"
        ),
    )
    return best


# ---- python -------------------------------------------------------------------------------------
_REQ_INCLUDE = re.compile(r"^\s*(?:-r|--requirement|-c|--constraint)(?:\s+|=)(\S+)")
_MAX_INCLUDES = 50


def _requirement_files(app_root: Path) -> list[str]:
    """`requirements*.txt` and the files they include (`-r requirements/prod.txt`, `-c constraints.txt`),
    followed recursively inside the app's folder; paths relative to it."""
    root = app_root.resolve()
    found = [p.name for p in sorted(app_root.glob("requirements*.txt"))]
    pending = list(found)
    while pending and len(found) < _MAX_INCLUDES:
        name = pending.pop(0)
        for line in (_read_text(app_root / name) or "").splitlines():
            match = _REQ_INCLUDE.match(line)
            if match is None:
                continue
            target = (app_root / name).parent / match.group(1)
            resolved = target.resolve()
            if not resolved.is_relative_to(root) or not resolved.is_file():
                continue
            relative = resolved.relative_to(root).as_posix()
            if relative not in found:
                found.append(relative)
                pending.append(relative)
    return found


def _python_deps(app_root: Path, warnings: list[str]) -> list[tuple[str, str, int | None]]:
    """(normalised name, file, line) of every declared dependency."""
    found: list[tuple[str, str, int | None]] = []
    for name in _requirement_files(app_root):
        text = _read_text(app_root / name) or ""
        for number, line in enumerate(text.splitlines(), start=1):
            match = _REQ_NAME.match(line)
            if match and not line.strip().startswith(("#", "-")):
                found.append((_norm(match.group(1)), name, number))
    pyproject = _read_toml(app_root / "pyproject.toml", warnings)
    text = _read_text(app_root / "pyproject.toml") or ""
    for dep in pyproject.get("project", {}).get("dependencies", []) or []:
        match = _REQ_NAME.match(str(dep))
        if match:
            found.append((_norm(match.group(1)), "pyproject.toml", _line_of(text, match.group(1))))
    poetry = pyproject.get("tool", {}).get("poetry", {})
    for dep in poetry.get("dependencies", {}) or {}:
        if dep != "python":
            found.append((_norm(dep), "pyproject.toml", _line_of(text, dep)))
    pipfile = _read_toml(app_root / "Pipfile", warnings)
    pip_text = _read_text(app_root / "Pipfile") or ""
    for dep in pipfile.get("packages", {}) or {}:
        found.append((_norm(dep), "Pipfile", _line_of(pip_text, dep)))
    return found


def _detect_python(
    app_root: Path, app_dir: str, facts: _Facts, warnings: list[str], overrides: dict[str, Any]
) -> None:
    deps = _python_deps(app_root, warnings)
    names = {name for name, _, _ in deps}
    pyproject = _read_toml(app_root / "pyproject.toml", [])
    pipfile = _read_toml(app_root / "Pipfile", [])
    if (app_root / "poetry.lock").is_file() or "poetry" in pyproject.get("tool", {}):
        manager, lock = "poetry", "poetry.lock"
    elif (app_root / "Pipfile").is_file():
        manager, lock = "pipenv", "Pipfile.lock"
    elif (app_root / "uv.lock").is_file():
        manager, lock = "uv", "uv.lock"
    elif (app_root / "pdm.lock").is_file():
        manager, lock = "pdm", "pdm.lock"
    else:
        manager, lock = "pip", ""
    manifest = next(
        (n for n in ("pyproject.toml", "Pipfile", "requirements.txt") if (app_root / n).is_file()),
        "",
    )
    facts.set(
        "package_manager", manager, Evidence(evidence_path(app_dir, lock or manifest or "."), None, manager)
    )
    if lock and (app_root / lock).is_file():
        facts.set("lockfile", lock, Evidence(evidence_path(app_dir, lock), None, "lockfile"))
    dep_files = _requirement_files(app_root)
    dep_files += [
        n
        for n in (
            "pyproject.toml",
            "poetry.lock",
            "Pipfile",
            "Pipfile.lock",
            "uv.lock",
            "pdm.lock",
            "setup.py",
            "setup.cfg",
        )
        if (app_root / n).is_file()
    ]
    facts.values["dependency_files"] = tuple(sorted(set(dep_files)))
    declared = ((n, Evidence(evidence_path(app_dir, f), line)) for n, f, line in deps)
    facts.drivers = find_drivers("python", declared)
    facts.values["_python_deps"] = frozenset(n for n, _, _ in deps)
    native = [(n, f, line) for n, f, line in deps if n in _NATIVE_PYTHON]
    if native:
        facts.values["native_dependencies"] = tuple(sorted({n for n, _, _ in native}))
        first = native[0]
        facts.set(
            "native_dependencies",
            facts.values["native_dependencies"],
            Evidence(evidence_path(app_dir, first[1]), first[2], "compiles against system libraries"),
        )
    facts.values["name"] = pyproject.get("project", {}).get("name") or pyproject.get("tool", {}).get(
        "poetry", {}
    ).get("name")
    app_version = pyproject.get("project", {}).get("version") or pyproject.get("tool", {}).get(
        "poetry", {}
    ).get("version")
    if isinstance(app_version, str) and app_version.strip():
        facts.set(
            "version",
            app_version.strip(),
            Evidence(evidence_path(app_dir, "pyproject.toml"), None, "pyproject version"),
        )

    version = _python_version(app_root, pyproject, pipfile)
    if version is not None:
        facts.set(
            "language_version",
            version[0],
            Evidence(evidence_path(app_dir, version[1]), version[2], version[3]),
        )

    framework = None
    for dep, name in _PYTHON_FRAMEWORKS:
        hit = next(((f, line) for n, f, line in deps if n == dep), None)
        if hit is not None:
            framework = name
            facts.set(
                "framework", name, Evidence(evidence_path(app_dir, hit[0]), hit[1], f"dependency {dep}")
            )
            break
    from . import python as _python  # lazily: the Python package imports this package's core

    if "framework" in overrides:
        framework = str(overrides["framework"])
    code = _python.framework_from_code(app_root)
    if code is not None and (framework is None or (code[0] != framework and code[0] in names)):
        framework = code[0]
        facts.set("framework", framework, _rebase(code[1], app_dir, "app object in code"))
    if framework == "django" and "djangorestframework" in names:
        facts.add_evidence(
            "framework", Evidence(evidence_path(app_dir, manifest), None, "with Django REST framework")
        )
    facts.values["framework"] = framework

    app = _python.find_app(app_root, framework, app_dir)
    if app is not None:
        facts.set("entrypoint", _module_file(app_root, app.module), app.evidence)
        facts.values["_python_app"] = app
    else:
        main = next(
            (n for n in ("main.py", "app.py", "server.py", "manage.py") if (app_root / n).is_file()), None
        )
        if main is not None:
            facts.set(
                "entrypoint", main, Evidence(evidence_path(app_dir, main), None, "conventional entry file")
            )


def _python_version(
    app_root: Path, pyproject: dict[str, Any], pipfile: dict[str, Any]
) -> tuple[str, str, int | None, str] | None:
    """The Python version requirement as written (pin or range), its file, line and what it is."""
    pinned = _first_line(app_root / ".python-version")
    if pinned and _VERSION.search(pinned[0]):
        return pinned[0].removeprefix("python-"), ".python-version", pinned[1], "pinned version"
    runtime = _first_line(app_root / "runtime.txt")
    if runtime and re.match(r"python-\d", runtime[0]):
        return runtime[0].removeprefix("python-"), "runtime.txt", runtime[1], "runtime"
    text = _read_text(app_root / "pyproject.toml") or ""
    requires = pyproject.get("project", {}).get("requires-python")
    poetry_python = pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {}).get("python")
    for spec, key, note in (
        (requires, "requires-python", "requires-python"),
        (poetry_python, "python", "poetry python"),
    ):
        if isinstance(spec, str) and _VERSION.search(spec):
            return spec.strip(), "pyproject.toml", _line_of(text, f"{key} ="), note
    pip_text = _read_text(app_root / "Pipfile") or ""
    for key in ("python_version", "python_full_version"):
        pip_python = pipfile.get("requires", {}).get(key)
        if isinstance(pip_python, str) and _VERSION.search(pip_python):
            return pip_python.strip(), "Pipfile", _line_of(pip_text, key), key
    return None


def _first_line(path: Path) -> tuple[str, int] | None:
    """The first line that is neither blank nor a comment (version files allow both), and its number."""
    for number, line in enumerate((_read_text(path) or "").splitlines(), start=1):
        value = line.split("#", 1)[0].strip()
        if value:
            return value, number
    return None


def _module_file(app_root: Path, module: str) -> str:
    base = module.replace(".", "/")
    return f"{base}.py" if (app_root / f"{base}.py").is_file() else f"{base}/__init__.py"


# ---- node ---------------------------------------------------------------------------------------
def _prisma_drivers(app_root: Path, app_dir: str, facts: _Facts, warnings: list[str]) -> None:
    """A Prisma datasource names the database and the variables giving its address (merged into the
    driver of the same service found among the dependencies)."""
    from .node import prisma_datasources

    for datasource in prisma_datasources(app_root, warnings):
        service = datasource.service
        if service is None:
            continue
        names = tuple(name for name, _ in datasource.variables)
        known = next((i for i, d in enumerate(facts.drivers) if d.service == service), None)
        if known is not None:
            driver = facts.drivers[known]
            facts.drivers[known] = dataclasses.replace(driver, variables=(*driver.variables, *names))
        else:
            ev = datasource.evidence
            where = Evidence(evidence_path(app_dir, ev.file), ev.line, ev.note)
            facts.drivers.append(Driver(service, "Prisma datasource", where, names))


def _detect_node(app_root: Path, app_dir: str, facts: _Facts, warnings: list[str]) -> None:
    package = _read_json(app_root / "package.json")
    if package is None:
        warnings.append(f"{evidence_path(app_dir, 'package.json')}: not valid JSON")
        package = {}
    text = _read_text(app_root / "package.json") or ""
    where = evidence_path(app_dir, "package.json")
    facts.values["name"] = package.get("name") if isinstance(package.get("name"), str) else None
    version = package.get("version")
    if isinstance(version, str) and version.strip():
        facts.set(
            "version", version.strip(), Evidence(where, _line_of(text, '"version"'), "package.json version")
        )
    deps = _node_deps(package)
    for dep, name in _NODE_FRAMEWORKS:
        if dep in deps:
            facts.set("framework", name, Evidence(where, _line_of(text, f'"{dep}"'), f"dependency {dep}"))
            break
    facts.drivers = find_drivers("node", ((d, Evidence(where, _line_of(text, f'"{d}"'))) for d in deps))
    _prisma_drivers(app_root, app_dir, facts, warnings)
    locks = (
        ("pnpm-lock.yaml", "pnpm"),
        ("yarn.lock", "yarn"),
        ("package-lock.json", "npm"),
        ("npm-shrinkwrap.json", "npm"),
        ("bun.lockb", "bun"),
    )
    manager, lock = "npm", None
    for name, tool in locks:
        if (app_root / name).is_file():
            manager, lock = tool, name
            break
    facts.set(
        "package_manager", manager, Evidence(evidence_path(app_dir, lock or "package.json"), None, manager)
    )
    if lock:
        facts.set("lockfile", lock, Evidence(evidence_path(app_dir, lock), None, "lockfile"))
    facts.values["dependency_files"] = tuple(sorted({"package.json", *([lock] if lock else [])}))
    typescript = (app_root / "tsconfig.json").is_file() or "typescript" in deps
    facts.values["typescript"] = typescript
    if typescript:
        facts.set("typescript", True, Evidence(where, None, "tsconfig.json or typescript dependency"))
    node_version = _node_version(app_root, package, text)
    if node_version is not None:
        facts.set(
            "language_version",
            node_version[0],
            Evidence(evidence_path(app_dir, node_version[1]), node_version[2], node_version[3]),
        )
    scripts = package.get("scripts", {}) if isinstance(package.get("scripts"), dict) else {}
    main = package.get("main") if isinstance(package.get("main"), str) else None
    if main:
        facts.set("entrypoint", main, Evidence(where, _line_of(text, '"main"'), "package.json main"))
    else:
        fallback = next(
            (
                n
                for n in (
                    "index.js",
                    "server.js",
                    "app.js",
                    "main.js",
                    "src/index.js",
                    "src/server.js",
                    "src/main.ts",
                    "src/index.ts",
                    "src/server.ts",
                    "src/app.ts",
                )
                if (app_root / n).is_file()
            ),
            None,
        )
        if fallback:
            facts.set(
                "entrypoint", fallback, Evidence(evidence_path(app_dir, fallback), None, "conventional entry")
            )
    if "start" in scripts:
        facts.set(
            "start_command", (manager, "start"), Evidence(where, _line_of(text, '"start"'), "scripts.start")
        )
    elif facts.values.get("entrypoint"):
        entry = str(facts.values["entrypoint"])
        facts.set("start_command", ("node", entry), Evidence(where, None, "node <entrypoint>"))
    if "build" in scripts:
        build = (manager, "run", "build")
        facts.set("build_command", build, Evidence(where, _line_of(text, '"build"'), "scripts.build"))
    from .node._start import built_start  # lazily, as the Python package

    built = built_start(app_root, package, manager)
    if built is not None:
        line = _line_of(text, '"start"')
        facts.set("start_command", built.start, Evidence(where, line, built.note))
        if built.build:
            facts.set("build_command", tuple(shlex.split(built.build)), Evidence(where, line, built.note))
        warnings.append(
            f"{where}: the start script needs development tools at run time ({scripts.get('start')!r}); "
            f"the image builds the app and starts it with {shlex.join(built.start)!r}"
        )


def _node_version(
    app_root: Path, package: dict[str, Any], text: str
) -> tuple[str, str, int | None, str] | None:
    """The Node.js version requirement as written: a version file's pin first (what the developers
    run), else ``engines.node`` (a range)."""
    for name in (".nvmrc", ".node-version"):
        pinned = _first_line(app_root / name)
        if pinned:
            return pinned[0], name, pinned[1], "pinned version"
    engines = package.get("engines", {})
    node_range = engines.get("node") if isinstance(engines, dict) else None
    if isinstance(node_range, str) and node_range.strip():
        return node_range.strip(), "package.json", _line_of(text, '"node"'), "engines.node"
    return None


def _node_deps(package: Any) -> dict[str, Any]:
    if not isinstance(package, dict):
        return {}
    deps: dict[str, Any] = {}
    for key in ("dependencies", "devDependencies", "peerDependencies"):
        section = package.get(key)
        if isinstance(section, dict):
            deps.update(section)
    return deps


# ---- java ---------------------------------------------------------------------------------------
def _detect_java(app_root: Path, app_dir: str, facts: _Facts, warnings: list[str]) -> None:
    pom = app_root / "pom.xml"
    gradle = next(
        (app_root / n for n in ("build.gradle.kts", "build.gradle") if (app_root / n).is_file()), None
    )
    if pom.is_file():
        text = _read_text(pom) or ""
        where = evidence_path(app_dir, "pom.xml")
        wrapper = (app_root / "mvnw").is_file()
        facts.set("package_manager", "maven", Evidence(where, None, "pom.xml"))
        facts.values["dependency_files"] = ("pom.xml",)
        build = ("./mvnw" if wrapper else "mvn", "-B", "-q", "-DskipTests", "package")
        facts.set("build_command", build, Evidence(where, None, "maven package"))
        version = _pom_java_version(text, warnings, where)
        if version:
            facts.set("language_version", version[0], Evidence(where, _line_of(text, version[1]), version[1]))
        artifact = re.search(
            r"<artifactId>([^<]+)</artifactId>", re.sub(r"<parent>.*?</parent>", "", text, flags=re.S)
        )
        facts.values["name"] = artifact.group(1) if artifact else None
    elif gradle is not None:
        text = _read_text(gradle) or ""
        where = evidence_path(app_dir, gradle.name)
        wrapper = (app_root / "gradlew").is_file()
        facts.set("package_manager", "gradle", Evidence(where, None, gradle.name))
        dep_files = [gradle.name] + [
            n
            for n in ("settings.gradle", "settings.gradle.kts", "gradle.properties")
            if (app_root / n).is_file()
        ]
        facts.values["dependency_files"] = tuple(sorted(dep_files))
        task = "bootJar" if "spring-boot" in text else "build"
        gradle_build = ("./gradlew" if wrapper else "gradle", "--no-daemon", "-q", task, "-x", "test")
        facts.set("build_command", gradle_build, Evidence(where, None, f"gradle {task}"))
        match = re.search(
            r"(?:JavaLanguageVersion\.of\(\s*(\d+)|sourceCompatibility\s*=\s*['\"]?(?:JavaVersion\.VERSION_)?(\d+))",
            text,
        )
        if match:
            java = match.group(1) or match.group(2)
            facts.set(
                "language_version", java, Evidence(where, _line_of(text, match.group(0)), "toolchain/source")
            )
    else:
        text = ""
    manifest = "pom.xml" if pom.is_file() else (gradle.name if gradle else "")
    at = evidence_path(app_dir, manifest)
    coordinates = _java_coordinates(text)
    facts.drivers = find_drivers(
        "java", ((c, Evidence(at, _line_of(text, c.split(":")[1]))) for c in coordinates)
    )
    if "spring-boot" in text:
        facts.set(
            "framework",
            "spring-boot",
            Evidence(
                evidence_path(app_dir, manifest), _line_of(text, "spring-boot"), "spring-boot dependency"
            ),
        )
    main_class = _grep_sources(
        app_root, (".java", ".kt"), re.compile(r"static\s+void\s+main\s*\(|fun\s+main\s*\(")
    )
    if main_class is not None:
        facts.set(
            "entrypoint",
            main_class[0],
            Evidence(evidence_path(app_dir, main_class[0]), main_class[1], "main()"),
        )
    if "framework" not in facts.values:
        jdk = _grep_sources(app_root, (".java",), re.compile(r"com\.sun\.net\.httpserver"))
        if jdk is not None:
            facts.set(
                "framework",
                "jdk-httpserver",
                Evidence(evidence_path(app_dir, jdk[0]), jdk[1], "JDK HttpServer"),
            )
    facts.set(
        "start_command",
        ("java", "-jar", "/app/app.jar"),
        Evidence(evidence_path(app_dir, manifest), None, "runnable jar built by the image build"),
    )


def _pom_java_version(text: str, warnings: list[str], where: str) -> tuple[str, str] | None:
    try:
        ET.fromstring(text)
    except ET.ParseError as exc:
        warnings.append(f"{where}: not well-formed XML ({exc})")
    for tag in ("java.version", "maven.compiler.release", "maven.compiler.source", "release"):
        match = re.search(rf"<{re.escape(tag)}>\s*(?:1\.)?(\d+)\s*</{re.escape(tag)}>", text)
        if match:
            return match.group(1), f"<{tag}>"
    return None


# ---- go -----------------------------------------------------------------------------------------
def _detect_go(app_root: Path, app_dir: str, facts: _Facts, warnings: list[str]) -> None:
    text = _read_text(app_root / "go.mod") or ""
    where = evidence_path(app_dir, "go.mod")
    facts.set("package_manager", "go", Evidence(where, None, "go modules"))
    if (app_root / "go.sum").is_file():
        facts.set("lockfile", "go.sum", Evidence(evidence_path(app_dir, "go.sum"), None, "go.sum"))
    facts.values["dependency_files"] = tuple(n for n in ("go.mod", "go.sum") if (app_root / n).is_file())
    version = re.search(r"^go\s+(\d+\.\d+(?:\.\d+)?)", text, re.MULTILINE)
    if version:
        facts.set(
            "language_version", version.group(1), Evidence(where, _line_of(text, version.group(0)), "go")
        )
    module = re.search(r"^module\s+(\S+)", text, re.MULTILINE)
    facts.values["name"] = module.group(1).rsplit("/", 1)[-1] if module else None
    framework, evidence = "net-http", Evidence(where, None, "no router library in go.mod; default net/http")
    direct = _go_direct_requires(text)
    requires = _GO_REQUIRE.finditer(direct)
    facts.drivers = find_drivers(
        "go", ((m.group(1), Evidence(where, _line_of(text, m.group(0)))) for m in requires)
    )
    for dep, name in _GO_FRAMEWORKS:
        if dep in direct:
            framework, evidence = name, Evidence(where, _line_of(text, dep), f"require {dep}")
            break
    else:
        imported = None if text else _go_imported_framework(app_root)
        if imported is not None:
            framework = imported[0]
            evidence = Evidence(evidence_path(app_dir, imported[1]), imported[2], "import")
    facts.set("framework", framework, evidence)
    main = _go_main(app_root)
    package = "."
    if main is not None:
        facts.set(
            "entrypoint",
            main[0],
            Evidence(evidence_path(app_dir, main[0]), main[1], "package main / func main"),
        )
        parent = Path(main[0]).parent.as_posix()
        package = "." if parent == "." else f"./{parent}"
    else:
        warnings.append(f"{where}: no package main with func main() found")
    build = ("go", "build", "-o", "/app/server", package)
    facts.set("build_command", build, Evidence(where, None, "go build of the main package"))
    facts.set("start_command", ("/app/server",), Evidence(where, None, "binary built by the image build"))


def _java_coordinates(manifest: str) -> list[str]:
    """ "group:artifact" of each dependency a pom.xml or Gradle build declares."""
    pom = re.findall(
        r"<groupId>\s*([^<\s]+)\s*</groupId>\s*<artifactId>\s*([^<\s]+)\s*</artifactId>", manifest
    )
    gradle = re.findall(r"['\"]([\w.\-]+):([\w.\-]+)(?::[^'\"]*)?['\"]", manifest)
    return [f"{group}:{artifact}" for group, artifact in pom + gradle]


def _go_direct_requires(go_mod: str) -> str:
    """go.mod without the `// indirect` requirements (a dependency's router is not the app's)."""
    return "\n".join(line for line in go_mod.splitlines() if "// indirect" not in line)


def _go_imported_framework(app_root: Path) -> tuple[str, str, int] | None:
    """Without go.mod (GOPATH layout): the router library the sources import, with file and line."""
    for path in iter_paths(app_root, (".go",)):
        if path.name.endswith("_test.go"):
            continue
        text = _read_text(path) or ""
        for dep, name in _GO_FRAMEWORKS:
            if f'"{dep}' in text:
                return name, path.relative_to(app_root).as_posix(), _line_of(text, dep) or 1
    return None


def _go_main(app_root: Path) -> tuple[str, int] | None:
    found: list[tuple[int, str, int]] = []
    for path in iter_paths(app_root, (".go",)):
        if path.name.endswith("_test.go"):
            continue
        text = _read_text(path) or ""
        if re.search(r"^package\s+main\b", text, re.MULTILINE) and "func main()" in text:
            rel = path.relative_to(app_root).as_posix()
            found.append((rel.count("/"), rel, _line_of(text, "func main()") or 1))
    if not found:
        return None
    _, rel, line = min(found)
    return rel, line


# ---- shared files -------------------------------------------------------------------------------
def _detect_files(root: Path, app_root: Path, app_dir: str, facts: _Facts) -> None:
    for base in (app_root, root):
        dockerfile = base / "Dockerfile"
        if dockerfile.is_file():
            rel = dockerfile.relative_to(root).as_posix()
            facts.set("dockerfile", rel, Evidence(rel, None, "existing Dockerfile"))
            break
    specs: list[str] = []
    for base in dict.fromkeys([app_root, root]):
        for folder in _SPEC_DIRS:
            for name in _SPEC_NAMES:
                path = base / folder / name
                if path.is_file():
                    specs.append(path.relative_to(root).as_posix())
    if specs:
        unique = tuple(dict.fromkeys(specs))
        facts.values["openapi_files"] = unique
        facts.evidence["openapi_files"] = [Evidence(s, None, "existing OpenAPI/Swagger file") for s in unique]


def _code_facts(
    root: Path,
    app_root: Path,
    profile: ProjectProfile,
    facts: _Facts,
    warnings: list[str],
    overrides: dict[str, Any],
) -> ProjectProfile:
    """Env vars and port from the language extractor, then the start command that needs the port."""
    module = language_module(profile.language, warnings)
    env_vars: list[EnvVar] = []
    port: tuple[int, Evidence] | None = None
    if module is not None:
        try:
            env_vars = list(module.scan_env(app_root, profile))
        except Exception as exc:
            warnings.append(f"{profile.language}: env var scan failed ({type(exc).__name__}: {exc})")
        try:
            port = module.find_port(app_root, profile)
        except Exception as exc:
            warnings.append(f"{profile.language}: port detection failed ({type(exc).__name__}: {exc})")
    evidence = dict(profile.evidence)
    if "port" in overrides:
        # The generated start command must listen on the user's port.
        port = (_coerce("port", overrides["port"]), Evidence("<override>", None, "set by the user"))
    if port is None:
        port = _config_port(root, app_root, profile)
    if port is None:
        default = _DEFAULT_PORTS.get(
            profile.framework or "", _LANGUAGE_DEFAULT_PORTS.get(profile.language, 8080)
        )
        port = (
            default,
            Evidence(profile.app_dir, None, f"default for {profile.framework or profile.language}"),
        )
    evidence["port"] = (port[1],)
    env_vars = refine_env_vars(env_vars, port[0], warnings)
    documented = read_env_templates(app_root, profile.app_dir, warnings)
    if profile.app_dir != ".":
        # A monorepo documents its variables at the top as often as in the app's folder.
        known = {doc.name for doc in documented}
        documented += [doc for doc in read_env_templates(root, ".", warnings) if doc.name not in known]
    env_vars = document_env_vars(env_vars, documented)
    services, env_vars = link_services(facts.drivers, env_vars, warnings)
    if env_vars:
        evidence["env_vars"] = tuple(e for var in env_vars for e in var.evidence[:1])
    writable = find_writable_paths(app_root, profile.app_dir, warnings)
    for found in writable:
        warnings.append(
            f"{found.evidence.file}:{found.evidence.line}: the app writes to {found.path!r} "
            f"({found.evidence.note}); it gets an emptyDir volume there, so its data is lost when the pod "
            "restarts: mount a volume or use an external database to keep it"
        )
    if writable:
        evidence["writable_paths"] = tuple(found.evidence for found in writable)
    updated = dataclasses.replace(
        profile,
        port=port[0],
        env_vars=tuple(env_vars),
        writable_paths=tuple(found.path for found in writable),
        backing_services=services,
        evidence=evidence,
    )
    if updated.language == "python":
        updated = _python_start(updated, facts, overrides)
    return updated


def _config_port(root: Path, app_root: Path, profile: ProjectProfile) -> tuple[int, Evidence] | None:
    """Ports fixed outside the code: Procfile, Spring config, Dockerfile EXPOSE."""
    from .python import procfile_port

    procfile = _read_text(app_root / "Procfile")
    if procfile:
        found = procfile_port(procfile)
        if found is not None:
            return found[0], Evidence(
                evidence_path(profile.app_dir, "Procfile"), found[1], "Procfile web port"
            )
    for name in (
        "src/main/resources/application.properties",
        "src/main/resources/application.yml",
        "src/main/resources/application.yaml",
    ):
        text = _read_text(app_root / name)
        if text:
            match = re.search(
                r"^\s*server\.port\s*[=:]\s*\$?\{?(?:PORT:)?(\d+)", text, re.MULTILINE
            ) or re.search(r"^server:\s*\n(?:\s+.*\n)*?\s+port:\s*\$?\{?(?:PORT:)?(\d+)", text, re.MULTILINE)
            if match:
                line = text[: match.start(1)].count("\n") + 1
                return int(match.group(1)), Evidence(
                    evidence_path(profile.app_dir, name), line, "server.port"
                )
    if profile.dockerfile:
        text = _read_text(root / profile.dockerfile) or ""
        match = _EXPOSE.search(text)
        if match:
            line = text.count("\n", 0, match.start()) + 1
            return int(match.group(1)), Evidence(profile.dockerfile, line, "Dockerfile EXPOSE")
    return None


# The servers a generated Python start command runs, as installed when the project lacks them.
_SERVER_PACKAGES = {"gunicorn": "gunicorn>=22,<24", "uvicorn": "uvicorn>=0.29,<1"}


def _python_start(profile: ProjectProfile, facts: _Facts, overrides: dict[str, Any]) -> ProjectProfile:
    from .python import PythonApp

    if "start_command" in overrides:
        return profile
    app = facts.values.get("_python_app")
    port = str(profile.port)
    evidence = dict(profile.evidence)
    command: tuple[str, ...] = ()
    servers: tuple[str, ...] = ()
    if isinstance(app, PythonApp):
        target = f"{app.module}:{app.attribute}"
        if app.framework == "fastapi":
            command = ("uvicorn", target, "--host", "0.0.0.0", "--port", port)
        else:
            command = ("gunicorn", "--bind", f"0.0.0.0:{port}", target)
        evidence["start_command"] = (app.evidence,)
        # The server runs the app; a project that declares none (Django's runserver in development)
        # gets it installed next to its dependencies.
        if command[0] not in facts.values.get("_python_deps", frozenset()):
            servers = (_SERVER_PACKAGES[command[0]],)
    elif profile.entrypoint:
        command = ("python", profile.entrypoint)
        if profile.entrypoint == "manage.py":
            command = ("python", "manage.py", "runserver", f"0.0.0.0:{port}")
        evidence["start_command"] = evidence.get("entrypoint", ())
    return dataclasses.replace(profile, start_command=command, evidence=evidence, server_packages=servers)


def _release(app_root: Path, profile: ProjectProfile, warnings: list[str]) -> ProjectProfile:
    python_deps = [name for name, _, _ in _python_deps(app_root, [])] if profile.language == "python" else []
    package = _read_json(app_root / "package.json") if profile.language == "node" else None
    # The generated Flask start command ends with the app's "module:attribute".
    start = profile.start_command
    flask_app = start[-1] if profile.framework == "flask" and start and ":" in start[-1] else None
    found = find_release_command(
        app_root,
        profile.app_dir,
        python_deps,
        package if isinstance(package, dict) else None,
        warnings,
        flask_app,
        database=any(service.kind in _DATABASE_SERVERS for service in profile.backing_services),
    )
    if found is None:
        return profile
    evidence = {**profile.evidence, "release_command": (found[1],)}
    return dataclasses.replace(profile, release_command=found[0], evidence=evidence)


def _freeze(facts: _Facts) -> ProjectProfile:
    names = {f.name for f in dataclasses.fields(ProjectProfile)}
    values = {k: v for k, v in facts.values.items() if k in names and v is not None}
    evidence = {k: tuple(v) for k, v in sorted(facts.evidence.items())}
    return ProjectProfile(**values, evidence=evidence)


# ---- overrides ----------------------------------------------------------------------------------
def apply_overrides(profile: ProjectProfile, overrides: dict[str, Any]) -> ProjectProfile:
    """The profile with user-set fields (values may be strings, as from ``--set field=value``)."""
    fields = {f.name: f for f in dataclasses.fields(ProjectProfile)}
    changes: dict[str, Any] = {}
    for name, raw in overrides.items():
        if name not in fields or name in _OVERRIDE_LOCKED:
            allowed = ", ".join(sorted(set(fields) - _OVERRIDE_LOCKED))
            raise AnalysisError(f"unknown profile field {name!r} (known: {allowed})", details={"field": name})
        changes[name] = _coerce(name, raw)
    evidence = dict(profile.evidence)
    for name in changes:
        evidence[name] = (Evidence("<override>", None, "set by the user"),)
    overridden = tuple(sorted(set(profile.overridden) | set(changes)))
    return dataclasses.replace(profile, **changes, evidence=evidence, overridden=overridden)


def _coerce(name: str, raw: Any) -> Any:
    def fail(expected: str) -> AnalysisError:
        return AnalysisError(
            f"profile field {name!r} must be {expected}, got {raw!r}", details={"field": name}
        )

    if name == "port":
        try:
            port = int(raw)
        except (TypeError, ValueError) as exc:
            raise fail("an integer port") from exc
        if not 0 < port < 65536:
            raise fail("a port between 1 and 65535")
        return port
    if name == "typescript":
        if isinstance(raw, bool):
            return raw
        if str(raw).lower() in ("true", "1", "yes"):
            return True
        if str(raw).lower() in ("false", "0", "no"):
            return False
        raise fail("true or false")
    if name == "language":
        if raw not in get_args(Language):
            raise fail(" / ".join(get_args(Language)))
        return raw
    if name in ("start_command", "build_command", "release_command"):
        if isinstance(raw, list | tuple):
            return tuple(str(part) for part in raw)
        return tuple(shlex.split(str(raw)))
    if name in _LIST_FIELDS:
        if isinstance(raw, list | tuple):
            return tuple(str(part) for part in raw)
        return tuple(part.strip() for part in str(raw).split(",") if part.strip())
    if raw is None or raw == "":
        return None if name != "app_dir" else "."
    if not isinstance(raw, str):
        raise fail("a string")
    return raw


# ---- small readers ------------------------------------------------------------------------------
def _read_text(path: Path) -> str | None:
    if not path.is_file():
        return None
    source = read_source(path.parent, path, [])
    return source.text if source is not None else None


def _read_json(path: Path) -> Any:
    text = _read_text(path)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _read_toml(path: Path, warnings: list[str]) -> dict[str, Any]:
    text = _read_text(path)
    if text is None:
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        warnings.append(f"{path.name}: not valid TOML ({exc})")
        return {}


def _line_of(text: str, needle: str) -> int | None:
    index = text.find(needle)
    return None if index < 0 else text.count("\n", 0, index) + 1


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _rebase(evidence: Evidence, app_dir: str, note: str) -> Evidence:
    return Evidence(evidence_path(app_dir, evidence.file), evidence.line, note)


def _grep_sources(
    app_root: Path, suffixes: tuple[str, ...], pattern: re.Pattern[str]
) -> tuple[str, int] | None:
    for path in iter_paths(app_root, suffixes):
        text = _read_text(path)
        if text is None:
            continue
        match = pattern.search(text)
        if match:
            return path.relative_to(app_root).as_posix(), text.count("\n", 0, match.start()) + 1
    return None
