"""Reading an upload's source files safely: skipped folders, size caps, a deadline, binary and non-UTF-8
input."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from justpush.errors import AnalysisTimeoutError

# Folders that never hold the application's own source.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "vendor",
        "__pycache__",
        ".venv",
        "venv",
        "env",
        ".tox",
        ".mypy_cache",
        ".pytest_cache",
        "dist",
        "build",
        "target",
        ".gradle",
        ".idea",
        ".next",
        "coverage",
        "site-packages",
    }
)
MAX_SOURCE_BYTES = 1_000_000


@dataclass(frozen=True)
class ReadLimits:
    """Bounds on what one analysis reads: the size of a file, and a deadline."""

    max_file_bytes: int = MAX_SOURCE_BYTES
    # A `time.monotonic()` value; past it no further file is read.
    deadline: float | None = None


# Set by `analyze` for the analysis it runs, so every front-end's reads obey it without passing it along.
_DEFAULT_LIMITS = ReadLimits()
_limits: ContextVar[ReadLimits] = ContextVar("analysis_read_limits", default=_DEFAULT_LIMITS)


@contextmanager
def read_limits(limits: ReadLimits) -> Iterator[None]:
    token = _limits.set(limits)
    try:
        yield
    finally:
        _limits.reset(token)


def check_deadline() -> None:
    """AnalysisTimeoutError once the running analysis is past its deadline."""
    deadline = _limits.get().deadline
    if deadline is not None and time.monotonic() > deadline:
        raise AnalysisTimeoutError("the analysis took longer than its time limit (analysis.timeoutSeconds)")


@dataclass(frozen=True)
class SourceFile:
    """A file read for the analysis: its path and decoded text."""

    # POSIX path relative to the analysed root.
    path: str
    text: str


def _skipped(parent: str, name: str) -> bool:
    # `env/` is a virtualenv's usual name but also a source folder (`lib/env`): skip only a virtualenv.
    if name == "env":
        return os.path.isfile(os.path.join(parent, name, "pyvenv.cfg"))
    return name in SKIPPED_DIRS or name.startswith(".")


def iter_paths(root: Path, suffixes: Iterable[str]) -> Iterator[Path]:
    """Files under root with one of the suffixes, in a stable order, skipping vendored/generated folders."""
    wanted = tuple(suffixes)
    # str paths until a file is yielded: every analysis walks the tree several times, and Path is slow.
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not _skipped(dirpath, d))
        for name in sorted(filenames):
            if name.endswith(wanted):
                path = os.path.join(dirpath, name)
                if not os.path.islink(path):
                    yield Path(path)


def read_source(root: Path, path: Path, warnings: list[str]) -> SourceFile | None:
    """The file's text, or None with a warning when it is too large, binary or not UTF-8."""
    relative = path.relative_to(root).as_posix()
    limit = _limits.get().max_file_bytes
    try:
        size = path.stat().st_size
        if size > limit:
            warnings.append(f"{relative}: skipped, {size} bytes is over the {limit}-byte limit")
            return None
        data = path.read_bytes()
    except OSError as exc:
        warnings.append(f"{relative}: skipped, cannot read ({exc.strerror})")
        return None
    if b"\0" in data:
        warnings.append(f"{relative}: skipped, binary content")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        warnings.append(f"{relative}: not valid UTF-8, undecodable bytes replaced")
        text = data.decode("utf-8", errors="replace")
    # Front-ends walk the YAML they load (Spring's application.yml): an alias bomb must not reach them.
    problem = _yaml_problem(text) if relative.endswith((".yml", ".yaml")) else None
    if problem is not None:
        warnings.append(f"{relative}: skipped, {problem}")
        return None
    return SourceFile(relative, text)


def iter_sources(root: Path, suffixes: Iterable[str], warnings: list[str]) -> Iterator[SourceFile]:
    for path in iter_paths(root, suffixes):
        check_deadline()
        source = read_source(root, path, warnings)
        if source is not None:
            yield source


def evidence_path(profile_app_dir: str, path: str) -> str:
    """A path relative to the app directory made relative to the upload root, as Evidence wants it."""
    if profile_app_dir in ("", "."):
        return path
    return f"{profile_app_dir.rstrip('/')}/{path}"


def _yaml_problem(text: str) -> str | None:
    # PyYAML is loaded with the first YAML file: most projects' sources have none.
    from ._yaml import expansion_problem

    return expansion_problem(text)


def is_test_source(path: str) -> bool:
    """A test file or a file in a test folder (relative path), in any language."""
    parts = path.split("/")
    name = parts[-1]
    return (
        any(p in ("test", "tests", "__tests__", "spec", "testdata") for p in parts[:-1])
        or name.startswith("test_")
        or name.endswith(("_test.py", "_test.go", ".test.js", ".test.ts", ".spec.js", ".spec.ts"))
    )
