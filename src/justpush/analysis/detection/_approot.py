"""The app's folder in a repository with several projects: the API project, not the frontend, and why."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from justpush.errors import InvalidRootError

from .._files import SKIPPED_DIRS
from .._model import Evidence, Language
from ._facts import GO_FRAMEWORKS, MANIFESTS, NODE_FRAMEWORKS, PYTHON_FRAMEWORKS, read_json, read_text
from ._go import go_direct_requires
from ._node import node_deps
from ._python import python_deps

_MAX_APP_DIR_DEPTH = 3
_BACKEND_NAMES = frozenset({"backend", "server", "api", "back-end", "service"})


def _manifest_languages(directory: Path) -> list[Language]:
    found = [lang for lang, names in MANIFESTS.items() if any((directory / n).is_file() for n in names)]
    if "python" not in found and any(directory.glob("requirements*.txt")):
        found.append("python")
    return found


def manifest_language(directory: Path) -> Language | None:
    """The folder's language by manifest; with several (a React package.json next to a pom.xml), the one
    whose manifest declares a web framework."""
    found = _manifest_languages(directory)
    declared = next((lang for lang in found if _manifest_framework(directory, lang)), None)
    if declared is not None:
        return declared
    if len(found) > 1 and "node" in found and _builds_assets_only(directory):
        # A package.json for CSS / asset tools beside a go.mod or pom.xml: the server is the other one.
        found.remove("node")
    return found[0] if found else None


def _builds_assets_only(directory: Path) -> bool:
    """A package.json that starts nothing: no `start` script and no `main`."""
    package = read_json(directory / "package.json") or {}
    scripts = package.get("scripts")
    return "start" not in (scripts if isinstance(scripts, dict) else {}) and "main" not in package


def _is_build_root(directory: Path) -> bool:
    """A multi-module Maven/Gradle build: its modules are built from here, so it stays the app directory."""
    pom = read_text(directory / "pom.xml") or ""
    settings = (read_text(directory / "settings.gradle") or "") + (
        read_text(directory / "settings.gradle.kts") or ""
    )
    return "<modules>" in pom or "include" in settings


def _part_of_root(root: Path, folder: str) -> bool:
    """A Python package of the root project, or a folder whose requirements the root includes (`-r a/…`).
    Without a Python manifest at the root there is no root project for a package to belong to."""
    if (root / folder / "__init__.py").is_file() and manifest_language(root) == "python":
        return True
    included = "".join(read_text(p) or "" for p in sorted(root.glob("requirements*.txt")))
    return f"{folder}/" in included


@dataclass(frozen=True)
class AppDirChoice:
    """The folder chosen as the app's, why, and every folder that could be."""

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
        language = manifest_language(Path(dirpath))
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
    manifest = next(n for n in (*MANIFESTS[best[3]], "requirements.txt") if (root / best[2] / n).is_file())
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
    manifest = next((n for n in (*MANIFESTS[language], "requirements.txt") if (root / n).is_file()), ".")
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
    package = read_json(root / "package.json")
    if not isinstance(package, dict) or "workspaces" not in package:
        return False
    deps = {**package.get("dependencies", {}), **package.get("devDependencies", {})}
    return not any(dep in deps for dep, _ in NODE_FRAMEWORKS)


def _manifest_framework(directory: Path, language: Language) -> str | None:
    if language == "node":
        package = read_json(directory / "package.json")
        deps = node_deps(package)
        return next((fw for dep, fw in NODE_FRAMEWORKS if dep in deps), None)
    if language == "python":
        declared = {name for name, _, _ in python_deps(directory, [])}
        return next((fw for dep, fw in PYTHON_FRAMEWORKS if dep in declared), None)
    if language == "go":
        direct = go_direct_requires(read_text(directory / "go.mod") or "")
        return next((fw for dep, fw in GO_FRAMEWORKS if dep in direct), None)
    text = read_text(directory / "pom.xml") or read_text(directory / "build.gradle") or ""
    text = text or read_text(directory / "build.gradle.kts") or ""
    return "spring-boot" if "spring-boot" in text else None
