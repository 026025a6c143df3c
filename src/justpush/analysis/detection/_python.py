"""Python projects: dependencies, framework, version, start command."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from .._conflicts import find_conflicts
from .._files import evidence_path
from .._model import Evidence, ProjectProfile
from .._runtime_limits import find_runtime_limits
from .._services import find_drivers
from ._facts import (
    PYTHON_FRAMEWORKS,
    Facts,
    first_line,
    line_of,
    module_file,
    norm,
    read_json,
    read_text,
    read_toml,
    rebase,
)

# Source-only packages whose install compiles against a system library (the -binary wheels do not).
_NATIVE_PYTHON = frozenset({"psycopg2", "mysqlclient"})
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_VERSION = re.compile(r"(\d+(?:\.\d+)?)")
# One exact requirement: `name[extras] == version` and nothing else (no wildcard, no second clause).
_EXACT_PIN = re.compile(r"^\s*[A-Za-z0-9][\w.-]*\s*(?:\[[^\]]*\])?\s*===?\s*([0-9][\w.!+-]*)\s*$")
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
        for line in (read_text(app_root / name) or "").splitlines():
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


def python_deps(app_root: Path, warnings: list[str]) -> list[tuple[str, str, int | None]]:
    """(normalised name, file, line) of every declared dependency."""
    found: list[tuple[str, str, int | None]] = []
    for name in _requirement_files(app_root):
        text = read_text(app_root / name) or ""
        for number, line in enumerate(text.splitlines(), start=1):
            match = _REQ_NAME.match(line)
            if match and not line.strip().startswith(("#", "-")):
                found.append((norm(match.group(1)), name, number))
    pyproject = read_toml(app_root / "pyproject.toml", warnings)
    text = read_text(app_root / "pyproject.toml") or ""
    for dep in pyproject.get("project", {}).get("dependencies", []) or []:
        match = _REQ_NAME.match(str(dep))
        if match:
            found.append((norm(match.group(1)), "pyproject.toml", line_of(text, match.group(1))))
    poetry = pyproject.get("tool", {}).get("poetry", {})
    for dep in poetry.get("dependencies", {}) or {}:
        if dep != "python":
            found.append((norm(dep), "pyproject.toml", line_of(text, dep)))
    pipfile = read_toml(app_root / "Pipfile", warnings)
    pip_text = read_text(app_root / "Pipfile") or ""
    for dep in pipfile.get("packages", {}) or {}:
        found.append((norm(dep), "Pipfile", line_of(pip_text, dep)))
    return found


_REQ_EXTRAS = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*\[([^\]]*)\]")


def python_extras(app_root: Path, warnings: list[str]) -> list[tuple[str, str, int | None]]:
    """(``name[extra]``, file, line) of every extra a declared dependency asks for (``databases[postgresql]``,
    poetry's and Pipfile's ``extras = [...]``), names and extras normalised: what else it installs."""
    found: list[tuple[str, str, int | None]] = []

    def add(name: str, extras: object, file: str, line: int | None) -> None:
        listed = extras.split(",") if isinstance(extras, str) else extras if isinstance(extras, list) else []
        for extra in listed:
            if isinstance(extra, str) and extra.strip():
                found.append((f"{norm(name)}[{norm(extra.strip())}]", file, line))

    for name in _requirement_files(app_root):
        for number, line in enumerate((read_text(app_root / name) or "").splitlines(), start=1):
            if (match := _REQ_EXTRAS.match(line)) is not None:
                add(match.group(1), match.group(2), name, number)
    pyproject = read_toml(app_root / "pyproject.toml", warnings)
    text = read_text(app_root / "pyproject.toml") or ""
    for dep in pyproject.get("project", {}).get("dependencies", []) or []:
        if (match := _REQ_EXTRAS.match(str(dep))) is not None:
            add(match.group(1), match.group(2), "pyproject.toml", line_of(text, str(dep)))
    for dep, spec in (pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {}) or {}).items():
        if isinstance(spec, dict):
            add(dep, spec.get("extras"), "pyproject.toml", line_of(text, dep))
    pip_text = read_text(app_root / "Pipfile") or ""
    for dep, spec in (read_toml(app_root / "Pipfile", warnings).get("packages", {}) or {}).items():
        if isinstance(spec, dict):
            add(dep, spec.get("extras"), "Pipfile", line_of(pip_text, dep))
    return found


def _exact(spec: str) -> str | None:
    """The version an exact pin names (``Django==1.10.5``, ``===2.7``); None for a range or a wildcard."""
    match = _EXACT_PIN.match(spec)
    return match.group(1) if match else None


def python_specs(app_root: Path, warnings: list[str]) -> list[tuple[str, str, str, int | None]]:
    """(normalised name, requirement as PEP 508 text, file, line) of every declared runtime dependency:
    the requirement files (and what they include), pyproject.toml (PEP 621 and poetry) and Pipfile."""
    found: list[tuple[str, str, str, int | None]] = []
    for name in _requirement_files(app_root):
        for number, line in enumerate((read_text(app_root / name) or "").splitlines(), start=1):
            # An environment marker stays: a pin for some environments only is not an exact pin.
            text = line.split(" #", 1)[0].strip()
            match = _REQ_NAME.match(text)
            if match and not text.startswith("-"):
                found.append((norm(match.group(1)), text, name, number))
    pyproject = read_toml(app_root / "pyproject.toml", warnings)
    text = read_text(app_root / "pyproject.toml") or ""
    for dep in pyproject.get("project", {}).get("dependencies", []) or []:
        match = _REQ_NAME.match(str(dep))
        if match:
            found.append((norm(match.group(1)), str(dep), "pyproject.toml", line_of(text, str(dep))))
    for dep, spec in (pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {}) or {}).items():
        if dep != "python" and isinstance(spec, str):
            # Poetry reads a bare version ("1.10.5") as an exact pin; its ^ and ~ are not PEP 440.
            requirement = f"{dep}=={spec}" if re.match(r"^\d[\w.]*$", spec.strip()) else f"{dep}{spec}"
            found.append((norm(dep), requirement, "pyproject.toml", line_of(text, dep)))
    pipfile = read_toml(app_root / "Pipfile", warnings)
    pip_text = read_text(app_root / "Pipfile") or ""
    for dep, spec in (pipfile.get("packages", {}) or {}).items():
        if isinstance(spec, str):
            found.append(
                (norm(dep), f"{dep}{'' if spec.strip() == '*' else spec}", "Pipfile", line_of(pip_text, dep))
            )
    return found


def python_pins(
    app_root: Path, specs: list[tuple[str, str, str, int | None]], warnings: list[str]
) -> list[tuple[str, str, str, int | None]]:
    """(normalised name, exact version, file, line) of the exact pins among the declared requirements
    (`specs`, from `python_specs`), then the lockfiles' versions (all exact). A lock counts only for a
    declared runtime dependency: it also locks development tools the image leaves out."""
    declared = {name for name, _, _, _ in specs}
    found: list[tuple[str, str, str, int | None]] = []
    for name, requirement, file, line in specs:
        if (version := _exact(requirement)) is not None:
            found.append((name, version, file, line))
    for lock in ("poetry.lock", "uv.lock"):
        lock_text = read_text(app_root / lock) or ""
        for package in read_toml(app_root / lock, warnings).get("package", []) or []:
            name, version = norm(str(package.get("name", ""))), package.get("version")
            if name in declared and isinstance(version, str):
                found.append((name, version, lock, line_of(lock_text, f'name = "{package.get("name")}"')))
    locked = read_json(app_root / "Pipfile.lock")
    lock_text = read_text(app_root / "Pipfile.lock") or ""
    for dep, entry in (locked.get("default", {}) if isinstance(locked, dict) else {}).items():
        spec = entry.get("version") if isinstance(entry, dict) else None
        version = _exact(f"{dep}{spec}") if isinstance(spec, str) and norm(dep) in declared else None
        if version is not None:
            found.append((norm(dep), version, "Pipfile.lock", line_of(lock_text, f'"{dep}"')))
    return found


def detect_python(
    app_root: Path, app_dir: str, facts: Facts, warnings: list[str], overrides: dict[str, Any]
) -> None:
    deps = python_deps(app_root, warnings)
    names = {name for name, _, _ in deps}
    # Kept for the release command's detection, which reads the same files.
    facts.values["dependency_names"] = frozenset(names)
    pyproject = read_toml(app_root / "pyproject.toml", [])
    pipfile = read_toml(app_root / "Pipfile", [])
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
    declared = (
        (n, Evidence(evidence_path(app_dir, f), line)) for n, f, line in [*deps, *python_extras(app_root, [])]
    )
    facts.drivers = find_drivers("python", declared)
    facts.values["python_deps"] = frozenset(n for n, _, _ in deps)
    native = [(n, f, line) for n, f, line in deps if n in _NATIVE_PYTHON]
    if native:
        facts.values["native_dependencies"] = tuple(sorted({n for n, _, _ in native}))
        first = native[0]
        facts.set(
            "native_dependencies",
            facts.values["native_dependencies"],
            Evidence(evidence_path(app_dir, first[1]), first[2], "compiles against system libraries"),
        )
    specs = python_specs(app_root, [])
    facts.values["runtime_limits"] = find_runtime_limits("python", python_pins(app_root, specs, []), app_dir)
    if not (lock and (app_root / lock).is_file()):
        # A lockfile decides every version itself, the dependencies' dependencies included.
        facts.values["dependency_conflicts"] = find_conflicts("python", specs, app_dir)
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
    facts.set_read("language_version", version, app_dir)
    if version is not None and version[1] in (".python-version", "runtime.txt"):
        facts.set_read("language_range", _python_range(app_root, pyproject), app_dir)

    framework = None
    for dep, name in PYTHON_FRAMEWORKS:
        hit = next(((f, line) for n, f, line in deps if n == dep), None)
        if hit is not None:
            framework = name
            facts.set(
                "framework", name, Evidence(evidence_path(app_dir, hit[0]), hit[1], f"dependency {dep}")
            )
            break
    from .. import python as _python  # lazily: the Python package imports this package's core

    if "framework" in overrides:
        framework = str(overrides["framework"])
    code = _python.framework_from_code(app_root)
    if code is not None and (framework is None or (code[0] != framework and code[0] in names)):
        framework = code[0]
        facts.set("framework", framework, rebase(code[1], app_dir, "app object in code"))
    if framework == "django" and "djangorestframework" in names:
        facts.add_evidence(
            "framework", Evidence(evidence_path(app_dir, manifest), None, "with Django REST framework")
        )
    facts.values["framework"] = framework

    app = _python.find_app(app_root, framework, app_dir)
    if app is not None:
        entry = module_file(app_root / app.directory, app.module)
        facts.set("entrypoint", entry if app.directory == "." else f"{app.directory}/{entry}", app.evidence)
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
    pinned = first_line(app_root / ".python-version")
    if pinned and _VERSION.search(pinned[0]):
        return pinned[0].removeprefix("python-"), ".python-version", pinned[1], "pinned version"
    runtime = first_line(app_root / "runtime.txt")
    if runtime and re.match(r"python-\d", runtime[0]):
        return runtime[0].removeprefix("python-"), "runtime.txt", runtime[1], "runtime"
    declared = _python_range(app_root, pyproject)
    if declared is not None:
        return declared
    pip_text = read_text(app_root / "Pipfile") or ""
    for key in ("python_version", "python_full_version"):
        pip_python = pipfile.get("requires", {}).get(key)
        if isinstance(pip_python, str) and _VERSION.search(pip_python):
            return pip_python.strip(), "Pipfile", line_of(pip_text, key), key
    return None


def _python_range(app_root: Path, pyproject: dict[str, Any]) -> tuple[str, str, int | None, str] | None:
    """The Python versions pyproject.toml declares the project runs on, its line and key."""
    text = read_text(app_root / "pyproject.toml") or ""
    requires = pyproject.get("project", {}).get("requires-python")
    poetry_python = pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {}).get("python")
    for spec, key, note in (
        (requires, "requires-python", "requires-python"),
        (poetry_python, "python", "poetry python"),
    ):
        if isinstance(spec, str) and _VERSION.search(spec):
            return spec.strip(), "pyproject.toml", line_of(text, f"{key} ="), note
    return None


# The servers a generated Python start command runs, as installed when the project lacks them.
_SERVER_PACKAGES = {"gunicorn": "gunicorn>=22,<24", "uvicorn": "uvicorn>=0.29,<1"}


def python_start(profile: ProjectProfile, facts: Facts, overrides: dict[str, Any]) -> ProjectProfile:
    from ..python import PythonApp

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
            where = ("--app-dir", app.directory) if app.directory != "." else ()
            command = ("uvicorn", *where, target, "--host", "0.0.0.0", "--port", port)
        else:
            # A Django project runs from its manage.py folder; a src/ layout only imports from src/.
            option = "--chdir" if app.framework == "django" else "--pythonpath"
            where = (option, app.directory) if app.directory != "." else ()
            command = ("gunicorn", *where, "--bind", f"0.0.0.0:{port}", target)
        evidence["start_command"] = (app.evidence,)
        # The server runs the app; a project that declares none (Django's runserver in development)
        # gets it installed next to its dependencies.
        if command[0] not in facts.values.get("python_deps", frozenset()):
            servers = (_SERVER_PACKAGES[command[0]],)
    elif profile.entrypoint:
        command = ("python", profile.entrypoint)
        if profile.entrypoint == "manage.py":
            command = ("python", "manage.py", "runserver", f"0.0.0.0:{port}")
        evidence["start_command"] = evidence.get("entrypoint", ())
    return dataclasses.replace(profile, start_command=command, evidence=evidence, server_packages=servers)
