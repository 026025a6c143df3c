"""Detection of one project: the facts of every language folded into a ProjectProfile, then overrides."""

from __future__ import annotations

import dataclasses
import importlib
import re
import shlex
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any, get_args

from justpush.errors import AnalysisError

from .._env import refine_env_vars
from .._envdocs import document_env_vars, read_env_templates
from .._files import evidence_path, iter_paths
from .._model import EnvVar, Evidence, Language, ProjectProfile
from .._release import find_release_command
from .._services import find_local_addresses, link_services
from .._writable import find_writable_paths
from ._approot import find_app_dir, manifest_language, resolve_root
from ._facts import MANIFESTS, Facts, read_text
from ._go import detect_go
from ._java import detect_java
from ._node import detect_node
from ._python import detect_python, python_start

# Ports below this one are privileged; an app reading its port from a variable gets the other instead.
_PRIVILEGED_BELOW = 1024
_UNPRIVILEGED_PORT = 8080
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
_SPEC_NAMES = tuple(f"{stem}.{ext}" for stem in ("openapi", "swagger") for ext in ("json", "yaml", "yml"))
_SPEC_DIRS = ("", "docs/", "api/", "doc/", "spec/", "openapi/")
_EXPOSE = re.compile(r"^\s*EXPOSE\s+(?:(\d+)|\$\{?(\w+)\}?)", re.IGNORECASE | re.MULTILINE)
# Backing services whose schema a release command can migrate for every pod at once.
_DATABASE_SERVERS = frozenset({"PostgreSQL", "MySQL", "MongoDB"})
# The writable-path notes of a database file (analysis/_writable.py's rules).
_EMBEDDED_DATABASE = ("SQLite database", "embedded database file")
_OVERRIDE_LOCKED = frozenset(
    {"evidence", "overridden", "env_vars", "app_dir_candidates", "runtime_limits", "dependency_conflicts"}
)
# Fields an override gives as a list (or a comma-separated string).
_LIST_FIELDS = frozenset(
    {
        "dependency_files",
        "openapi_files",
        "writable_paths",
        "native_dependencies",
        "runtime_dev_dependencies",
        "server_packages",
    }
)


def language_module(language: str, warnings: list[str]) -> ModuleType | None:
    """``justpush.analysis.<language>``, imported lazily (extractors are developed independently)."""
    try:
        return importlib.import_module(f"justpush.analysis.{language}")
    except ImportError as exc:
        warnings.append(f"{language}: extractor not available ({exc})")
        return None


def detect(
    root: Path, overrides: dict[str, Any] | None = None, warnings: list[str] | None = None
) -> ProjectProfile:
    """The upload's ProjectProfile; overrides apply, and app_dir/language ones steer detection."""
    warnings = warnings if warnings is not None else []
    overrides = dict(overrides or {})
    facts = Facts()
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
        detect_python(app_root, app_dir, facts, warnings, overrides)
    elif language == "node":
        detect_node(app_root, app_dir, facts, warnings)
    elif language == "java":
        detect_java(app_root, app_dir, facts, warnings)
    elif language == "go":
        detect_go(app_root, app_dir, facts, warnings)
    else:
        warnings.append(
            "no manifest or source files of a supported language (Python, Node.js, Java, Go) found"
        )

    _detect_files(root, app_root, app_dir, facts)
    profile = _freeze(facts)
    if language != "unknown":
        profile = _code_facts(root, app_root, profile, facts, warnings, overrides)
        profile = _release(app_root, profile, facts, warnings)
    if overrides:
        profile = apply_overrides(profile, overrides)
    return profile


def _detect_language(app_root: Path, app_dir: str, facts: Facts) -> Language:
    language = manifest_language(app_root)
    if language is not None:
        manifest = next(
            (n for n in (*MANIFESTS[language], "requirements.txt") if (app_root / n).is_file()),
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


def _detect_files(root: Path, app_root: Path, app_dir: str, facts: Facts) -> None:
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
    facts: Facts,
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
    if "port" not in overrides:
        port, env_vars = _unprivileged_port(port, env_vars, warnings)
    evidence["port"] = (port[1],)
    env_vars = refine_env_vars(env_vars, port[0], warnings)
    documented = read_env_templates(app_root, profile.app_dir, warnings)
    if profile.app_dir != ".":
        # A monorepo documents its variables at the top as often as in the app's folder.
        known = {doc.name for doc in documented}
        documented += [doc for doc in read_env_templates(root, ".", warnings) if doc.name not in known]
    env_vars = document_env_vars(env_vars, documented)
    services, env_vars = link_services(
        facts.drivers,
        env_vars,
        warnings,
        lambda: find_local_addresses(app_root, profile.app_dir, warnings),
    )
    if env_vars:
        evidence["env_vars"] = tuple(e for var in env_vars for e in var.evidence[:1])
    writable = find_writable_paths(app_root, profile.app_dir, profile.language, warnings)
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
        updated = python_start(updated, facts, overrides)
    return updated


def _unprivileged_port(
    port: tuple[int, Evidence], env_vars: list[EnvVar], warnings: list[str]
) -> tuple[tuple[int, Evidence], list[EnvVar]]:
    """An app that reads its port from a variable but falls back to one below 1024
    (`process.env.PORT || 80`) is given a port its non-root user can bind on any cluster, through
    that variable."""
    if port[0] >= _PRIVILEGED_BELOW:
        return port, env_vars
    variable = next(
        (
            var
            for var in env_vars
            if var.name == "PORT" or (var.name.endswith("_PORT") and var.default == str(port[0]))
        ),
        None,
    )
    if variable is None:
        return port, env_vars
    first = variable.evidence[0] if variable.evidence else port[1]
    where = f"{first.file}:{first.line}" if first.line else first.file
    warnings.append(
        f"{where}: the app listens on {variable.name}, {port[0]} by default, a port below 1024 that its"
        f" non-root user cannot bind on every cluster: it is deployed with"
        f" {variable.name}={_UNPRIVILEGED_PORT}"
    )
    note = f"{variable.name}, set to {_UNPRIVILEGED_PORT} instead of {port[0]}"
    moved = dataclasses.replace(variable, default=str(_UNPRIVILEGED_PORT))
    return (
        (_UNPRIVILEGED_PORT, Evidence(first.file, first.line, note)),
        [moved if var is variable else var for var in env_vars],
    )


def _config_port(root: Path, app_root: Path, profile: ProjectProfile) -> tuple[int, Evidence] | None:
    """Ports fixed outside the code: Procfile, Spring config, Dockerfile EXPOSE."""
    from ..python import procfile_port

    procfile = read_text(app_root / "Procfile")
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
        text = read_text(app_root / name)
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
        text = read_text(root / profile.dockerfile) or ""
        match = _EXPOSE.search(text)
        port = _exposed_port(text, match) if match else None
        if match and port is not None:
            line = text.count("\n", 0, match.start()) + 1
            return port, Evidence(profile.dockerfile, line, "Dockerfile EXPOSE")
    return None


def _exposed_port(text: str, match: re.Match[str]) -> int | None:
    """`EXPOSE 8000`, or `EXPOSE ${PORT}` with the value of an earlier `ARG PORT=8000` / `ENV PORT 8000`."""
    if match.group(1):
        return int(match.group(1))
    name = re.escape(match.group(2))
    defaults = re.findall(
        rf"^\s*(?:ARG|ENV)\s+{name}(?:=|\s+)[\"']?(\d+)[\"']?\s*$",
        text[: match.start()],
        re.IGNORECASE | re.MULTILINE,
    )
    return int(defaults[-1]) if defaults else None


def _release(app_root: Path, profile: ProjectProfile, facts: Facts, warnings: list[str]) -> ProjectProfile:
    dependencies = facts.values.get("dependency_names", frozenset()) if profile.language == "python" else ()
    package = facts.values.get("package_json") if profile.language == "node" else None
    # The generated Flask start command ends with the app's "module:attribute".
    start = profile.start_command
    flask_app = start[-1] if profile.framework == "flask" and start and ":" in start[-1] else None
    database = _database_server(profile)
    found = find_release_command(
        app_root,
        profile.app_dir,
        dependencies,
        package if isinstance(package, dict) else None,
        warnings,
        flask_app,
    )
    if found is None:
        return profile
    in_pod = not database and _sqlite_in_pod(profile)
    where = f"{found[1].file}: {found[1].note}"
    if in_pod:
        warnings.append(
            f"{where}; its database is a SQLite file in each pod, so each pod runs it before the app"
            " starts, on its own copy"
        )
    elif not database and PurePosixPath(found[1].file).name != "Procfile":
        # A Procfile `release:` is the project's own instruction: it runs as given.
        warnings.append(
            f"{where}, but no database server is in use (a SQLite file lives in each pod): no release"
            " command runs; set one with the release option"
        )
        return profile
    evidence = {**profile.evidence, "release_command": (found[1],)}
    return dataclasses.replace(profile, release_command=found[0], release_in_pod=in_pod, evidence=evidence)


def _sqlite_in_pod(profile: ProjectProfile) -> bool:
    """Whether the code opens a SQLite (or other embedded database) file in a folder of its own."""
    return any(e.note.startswith(_EMBEDDED_DATABASE) for e in profile.evidence.get("writable_paths", ()))


def _database_server(profile: ProjectProfile) -> bool:
    """Whether the app's data lives in a database server (a release pod's migrations reach it). A driver
    that no variable configures, in an app whose code opens a SQLite file, is taken as unused: a
    starter keeps psycopg in its requirements while its settings (the PostgreSQL block commented out)
    use SQLite."""
    sqlite = _sqlite_in_pod(profile)
    return any(
        service.kind in _DATABASE_SERVERS and (service.variables or not sqlite)
        for service in profile.backing_services
    )


def _freeze(facts: Facts) -> ProjectProfile:
    names = {f.name for f in dataclasses.fields(ProjectProfile)}
    values = {k: v for k, v in facts.values.items() if k in names and v is not None}
    evidence = {k: tuple(v) for k, v in sorted(facts.evidence.items())}
    return ProjectProfile(**values, evidence=evidence)


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
