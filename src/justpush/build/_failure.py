"""What a user reads when a build fails: the failing step, its first error lines, then the last lines.

The tail alone often shows only the package manager's closing summary ("npm ERR! A complete log of this
run can be found in…"), while the line that says what went wrong came first; so the step's output is
kept (bounded) and searched for the first lines that look like errors. An app that fails its start
check writing a file is told where it may write.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

# Lines kept of one step's output to search for errors; a step printing more keeps its first ones.
STEP_LINES = 400
FIRST_ERRORS = 8
_ERROR_LINE = re.compile(
    r"\b(error|err!|fatal|failed|failure|exception|traceback|cannot|could not|couldn't|not found|"
    r"no such file|no matching distribution|permission denied|undefined reference|unresolved)\b",
    re.IGNORECASE,
)
# Docker's own closing line repeats the step's command; it is reported as the reason, not as output.
_DOCKER_SUMMARY = re.compile(r"^The command .* returned a non-zero code")
# The legacy builder's bookkeeping, never the user's output.
_BUILDER_NOISE = ("Removing intermediate container ", " ---> ")
# Terminal escapes: the legacy builder wraps a step's stderr in `ESC[91m … ESC[0m` (red), and tools print
# colours too; in a stored message or a JSON event they are noise ("[91m") and hide the text from searches.
_TERMINAL_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


def plain_lines(text: str) -> list[str]:
    """The non-blank lines of build output, right-stripped, without terminal escapes."""
    plain = _TERMINAL_ESCAPE.sub("", text)
    return [line.rstrip() for line in plain.splitlines() if line.strip()]


@dataclass
class StepLog:
    """The step the build is in and a bounded copy of its output."""

    step: str | None = None
    lines: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        if line.startswith("Step "):
            self.step, self.lines = line, []
        elif len(self.lines) < STEP_LINES and not line.startswith(_BUILDER_NOISE):
            self.lines.append(line)


def first_errors(lines: Sequence[str], limit: int = FIRST_ERRORS) -> list[str]:
    """The first lines that read like an error (with the line after each, often its detail)."""
    picked: list[int] = []
    for index, line in enumerate(lines):
        if _ERROR_LINE.search(line) and not _DOCKER_SUMMARY.match(line):
            picked.extend(i for i in (index, index + 1) if i < len(lines) and i not in picked)
        if len(picked) >= limit:
            break
    return [lines[i] for i in sorted(picked)[:limit]]


def failure_message(reason: str, step: StepLog, tail: Sequence[str]) -> str:
    """`reason` (the engine's error), where it failed, the step's first error lines, then the tail."""
    parts = [reason]
    if step.step is not None:
        parts.append(f"failed at {step.step}")
    errors = first_errors(step.lines)
    shown = set(errors)
    if errors:
        parts.append("first error lines:\n" + "\n".join(f"  {line}" for line in errors))
    needs = python_needed(step.lines)
    if needs:
        parts.append(needs)
    rest = [
        line
        for line in tail
        if line not in shown and line not in (reason, step.step) and not line.startswith(_BUILDER_NOISE)
    ]
    if rest:
        parts.append("last lines:\n" + "\n".join(f"  {line}" for line in rest))
    return "\n".join(parts)


# pip's account of releases it skipped for the interpreter: "5.0 Requires-Python >=3.10; 6.1 …".
_IGNORED_FOR_PYTHON = re.compile(r"require a different python version: (.*)$", re.IGNORECASE)
_REQUIRES_PYTHON = re.compile(r"(\S+) Requires-Python ([^;]+)")
_NO_DISTRIBUTION = re.compile(r"No matching distribution found for (\S+)")


def python_needed(lines: Sequence[str]) -> str:
    """When pip found no release of a requirement for this Python but has some for another: which
    Python the wanted one needs, and how to deploy on it."""
    skipped: dict[str, str] = {}
    missing: str | None = None
    for line in lines:
        if found := _IGNORED_FOR_PYTHON.search(line):
            skipped.update((v, spec.strip()) for v, spec in _REQUIRES_PYTHON.findall(found.group(1)))
        elif found := _NO_DISTRIBUTION.search(line):
            missing = missing or found.group(1)
    if missing is None or not skipped:
        return ""
    pinned = re.search(r"==\s*([\w.]+)$", missing)
    spec = skipped.get(pinned.group(1)) if pinned else None
    needs = f"Python {spec}" if spec else "another Python (" + "; ".join(sorted(set(skipped.values()))) + ")"
    return (
        f"{missing} needs {needs}, which the image's Python does not meet: deploy on a version that does"
        " (justpush deploy --set language_version=<version>, or the project's requires-python or"
        " .python-version)"
    )


# What an app prints when it cannot create or open a file for writing.
_WRITE_REFUSED = re.compile(
    r"unable to open database file|read-only file system|\bEROFS\b|\bEACCES\b|PermissionError|"
    r"permission denied",
    re.IGNORECASE,
)


# The path a refused write names: `EROFS: read-only file system, mkdir '/app/dist/logs'`,
# `[Errno 30] Read-only file system: 'uploads/a.png'`, `EACCES: permission denied, open 'store.db'`.
_REFUSED_PATH = re.compile(
    r"(?:EROFS|EACCES|read-only file system|permission denied)([^'\"\n]*)['\"]([^'\"\n]+)['\"]",
    re.IGNORECASE,
)


def write_hint(output: str, writable_dirs: Sequence[str], app_dir: str = "/app") -> str:
    """What to do when the app failed writing a file: only some folders of the image are writable."""
    if not _WRITE_REFUSED.search(output):
        return ""
    folders = ", ".join(writable_dirs) if writable_dirs else "none found"
    return (
        ": it could not write a file, and the image is read-only but for /tmp and the folders the code"
        f" was found writing to ({folders}). If it keeps files next to its code, name their folder"
        f" (justpush deploy --set writable_paths={_refused_folder(output, app_dir) or 'data'}),"
        " or point it at /tmp"
    )


def _refused_folder(output: str, app_dir: str) -> str | None:
    """The app's folder (relative to its directory) the refused write was in, when the error names it."""
    found = _REFUSED_PATH.search(output)
    if found is None:
        return None
    between, path = found.group(1), found.group(2)
    folder = path if "mkdir" in between.lower() else posixpath.dirname(path)
    if folder.startswith("/"):
        if not (folder == app_dir or folder.startswith(app_dir.rstrip("/") + "/")):
            return None
        folder = posixpath.relpath(folder, app_dir)
    folder = posixpath.normpath(folder or ".")
    return None if folder.startswith("..") else folder
