"""``--skipLibCheck`` for a plain ``tsc`` build whose tsconfig leaves ``skipLibCheck`` unset.

Type-checking the declaration (``.d.ts``) files of ``node_modules`` (tsc's default) is most of a
rebuild's time, and skipping it never changes the emitted JavaScript; the project's ``.ts`` files are
still checked, so a type error in them still fails the build. skipLibCheck skips every ``.d.ts``, so
a project with declaration files of its own keeps the full check, as does a tsconfig that sets
``skipLibCheck`` either way (itself or through an ``extends`` in the project), one that extends a
package (not installed when the Dockerfile is generated) and one that cannot be read.
"""

from __future__ import annotations

import itertools
import os
import posixpath
import shlex
from collections.abc import Collection
from pathlib import Path
from typing import Any

import json5

FLAG = "--skipLibCheck"
TSC = "./node_modules/.bin/tsc"
_MAX_EXTENDS = 5
_SOURCES = (".ts", ".tsx", ".mts", ".cts")
_DECLARATIONS = (".d.ts", ".d.mts", ".d.cts")


def default_lib_check_tsconfigs(app_root: Path) -> frozenset[str]:
    """The ``tsconfig*.json`` files at ``app_root`` whose ``skipLibCheck`` is unset along their whole
    ``extends`` chain (all of it read), by name; none when the project has ``.d.ts`` files of its own."""
    if _has_declarations(app_root):
        return frozenset()
    root = app_root.resolve()
    return frozenset(
        path.name for path in sorted(app_root.glob("tsconfig*.json")) if _unset(root, path, _MAX_EXTENDS)
    )


def with_skip_lib_check(command: str, tsconfigs: Collection[str]) -> str | None:
    """``command`` (a resolved build command) with ``--skipLibCheck`` when it is a plain ``tsc`` of
    one of ``tsconfigs`` (see default_lib_check_tsconfigs), else None."""
    words = shlex.split(command)
    # Not when already there, for a project-references build, or with files named instead of a tsconfig.
    skipped = (FLAG, "-b", "--build")
    if words[:1] != [TSC] or any(word in skipped or word.endswith(_SOURCES) for word in words):
        return None
    project = "tsconfig.json"
    for option, value in itertools.pairwise(words):
        if option in ("-p", "--project"):
            project = value
    if not project.endswith(".json"):
        project = posixpath.join(project, "tsconfig.json")
    if posixpath.normpath(project) not in tsconfigs:
        return None
    return shlex.join([*words, FLAG])


def _unset(root: Path, path: Path, depth: int) -> bool:
    if depth <= 0 or path.is_symlink() or not path.resolve().is_relative_to(root):
        return False
    try:
        config: Any = json5.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return False
    if not isinstance(config, dict):
        return False
    options = config.get("compilerOptions")
    if isinstance(options, dict) and "skipLibCheck" in options:
        return False
    parents = config.get("extends", [])
    parents = [parents] if isinstance(parents, str) else parents
    if not isinstance(parents, list):
        return False
    for parent in parents:
        if not isinstance(parent, str) or not parent.startswith("."):
            return False  # a package's config: not installed yet, so unknown
        target = path.parent / (parent if parent.endswith(".json") else f"{parent}.json")
        if not _unset(root, target, depth - 1):
            return False
    return True


def _has_declarations(app_root: Path) -> bool:
    """Whether the project has a declaration file outside node_modules and hidden folders."""
    for _, folders, names in os.walk(app_root):
        folders[:] = [name for name in folders if name != "node_modules" and not name.startswith(".")]
        if any(name.endswith(_DECLARATIONS) for name in names):
            return True
    return False
