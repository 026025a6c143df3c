"""How a plain ``tsc`` build runs: ``--skipLibCheck`` when its tsconfig leaves ``skipLibCheck`` unset,
and without the type check (which then runs beside the push) when its tsconfig allows tsc's own
JavaScript to be written that way.

Type-checking the declaration (``.d.ts``) files of ``node_modules`` (tsc's default) is most of a
rebuild's time, and skipping it never changes the emitted JavaScript; the project's ``.ts`` files are
still checked, so a type error in them still fails the build. skipLibCheck skips every ``.d.ts``, so
a project with declaration files of its own keeps the full check, as does a tsconfig that sets
``skipLibCheck`` either way (itself or through an ``extends`` in the project), one that extends a
package (not installed when the Dockerfile is generated) and one that cannot be read.

A tsconfig that asks for no whole-program output (``outFile``, ``composite``, decorator metadata, a
module format per package.json) is built by ``helpers/transpile.cjs``: the JavaScript tsc writes,
without parsing the lib and the packages' declarations (most of tsc's time). With ``isolatedModules``
or ``verbatimModuleSyntax`` it emits one file at a time; otherwise it runs tsc's emitter over the
project's own files, where nothing the project names resolves into those declarations (the helper
reads that from the sources), and the type check compares that emit with the whole program's. The
type check runs as its own step, beside the push. The helper checks the fully resolved tsconfig again
and runs tsc itself for what it cannot reproduce.
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
TRANSPILE = ".justpush/transpile.cjs"
# What helpers/transpile.cjs leaves to tsc: an emit of the whole program or none, and decorator
# metadata (it names a type from what the checker knows of it).
_WHOLE_PROGRAM = ("outFile", "out", "composite", "noEmit", "emitDeclarationOnly", "emitDecoratorMetadata")
# Module kinds whose output format each file takes from its nearest package.json.
_MODULE_PER_PACKAGE = ("node16", "node18", "node20", "nodenext")
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
        path.name
        for path in sorted(app_root.glob("tsconfig*.json"))
        if _option(root, path, "skipLibCheck", _MAX_EXTENDS) is _UNSET
    )


def fast_emit_tsconfigs(app_root: Path) -> frozenset[str]:
    """The ``tsconfig*.json`` files at ``app_root`` the helper may build without tsc, by name: not one
    whose emit it leaves to tsc anyway (the project would then be type-checked twice), as far as the
    project's own files (``extends`` in the project) tell."""
    root = app_root.resolve()
    return frozenset(path.name for path in sorted(app_root.glob("tsconfig*.json")) if _fast_emit(root, path))


def _fast_emit(root: Path, path: Path) -> bool:
    # An option a package's config may set is left to the helper, which reads the resolved tsconfig;
    # a tsconfig that cannot be read here is left to tsc.
    if _config(root, path) is None:
        return False
    if any(
        _option(root, path, name, _MAX_EXTENDS) not in (_UNSET, _UNKNOWN, False, None)
        for name in _WHOLE_PROGRAM
    ):
        return False
    module = _option(root, path, "module", _MAX_EXTENDS)
    return not (isinstance(module, str) and module.lower() in _MODULE_PER_PACKAGE)


def with_skip_lib_check(command: str, tsconfigs: Collection[str]) -> str | None:
    """``command`` (a resolved build command) with ``--skipLibCheck`` when it is a plain ``tsc`` of
    one of ``tsconfigs`` (see default_lib_check_tsconfigs), else None."""
    words = shlex.split(command)
    if FLAG in words or _project(words) not in tsconfigs:
        return None
    return shlex.join([*words, FLAG])


def fast_emit_build(command: str, tsconfigs: Collection[str]) -> tuple[str, str] | None:
    """For a plain ``tsc`` of one of ``tsconfigs`` (see fast_emit_tsconfigs): the command that emits the
    project without the type check and the one that type-checks it, else None."""
    words = shlex.split(command)
    if _project(words) not in tsconfigs:
        return None
    # The check is `tsc --noEmit` (and the emit's comparison), or nothing when the helper left the
    # build to tsc (which checked).
    return shlex.join(["node", TRANSPILE, *words[1:]]), shlex.join(["node", TRANSPILE, "--check", *words[1:]])


def _project(words: list[str]) -> str | None:
    """The tsconfig (relative to the app) a plain ``tsc`` command builds, else None."""
    # Not for a project-references build, or with files named instead of a tsconfig.
    if words[:1] != [TSC] or any(word in ("-b", "--build") or word.endswith(_SOURCES) for word in words):
        return None
    project = "tsconfig.json"
    for option, value in itertools.pairwise(words):
        if option in ("-p", "--project"):
            project = value
    if not project.endswith(".json"):
        project = posixpath.join(project, "tsconfig.json")
    return posixpath.normpath(project)


class _Unset:
    """An option no file of the chain sets."""


_UNSET = _Unset()
# An option whose value cannot be known here (a package's config, an unreadable file).
_UNKNOWN = object()


def _option(root: Path, path: Path, name: str, depth: int) -> object:
    """``compilerOptions[name]`` as tsc resolves it along the ``extends`` chain (the file's own value,
    else the last parent's that sets it), _UNSET or _UNKNOWN."""
    config = _config(root, path) if depth > 0 else None
    if config is None:
        return _UNKNOWN
    options = config.get("compilerOptions")
    if isinstance(options, dict) and name in options:
        return options[name]
    parents = config.get("extends", [])
    parents = [parents] if isinstance(parents, str) else parents
    if not isinstance(parents, list):
        return _UNKNOWN
    value: object = _UNSET
    for parent in parents:
        if not isinstance(parent, str) or not parent.startswith("."):
            return _UNKNOWN  # a package's config: not installed yet, so unknown
        target = path.parent / (parent if parent.endswith(".json") else f"{parent}.json")
        found = _option(root, target, name, depth - 1)
        if found is _UNKNOWN:
            return _UNKNOWN
        if found is not _UNSET:
            value = found  # a later entry of an `extends` list overrides an earlier one
    return value


def _config(root: Path, path: Path) -> dict[str, Any] | None:
    """The tsconfig at ``path`` (a file of the project under ``root``), None when it cannot be read."""
    if path.is_symlink() or not path.resolve().is_relative_to(root):
        return None
    try:
        config: Any = json5.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    return config if isinstance(config, dict) else None


def _has_declarations(app_root: Path) -> bool:
    """Whether the project has a declaration file outside node_modules and hidden folders."""
    for _, folders, names in os.walk(app_root):
        folders[:] = [name for name in folders if name != "node_modules" and not name.startswith(".")]
        if any(name.endswith(_DECLARATIONS) for name in names):
            return True
    return False
