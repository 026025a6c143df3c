"""A start script that needs development tools at run time, replaced by a build and a plain node start.

``nest start``, ``nx serve app``, ``ts-node src/main.ts``, ``tsx``, ``vite-node`` or ``npm run build &&
node dist/main.js`` run a CLI from devDependencies (or compile while starting); the runtime image has
only production dependencies. The build runs in the image's build stage instead, and the container
starts the built output with node: the path comes from nest-cli.json, an Nx project's build target,
tsconfig's ``outDir`` / ``rootDir``, or the script itself.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._files import iter_paths, read_source

# CLI -> the package that provides it.
_CLI_PACKAGES = {
    "nest": "@nestjs/cli",
    "nx": "nx",
    "ts-node": "ts-node",
    "ts-node-dev": "ts-node-dev",
    "tsnd": "ts-node-dev",
    "tsx": "tsx",
    "vite-node": "vite-node",
    "tsc": "typescript",
    "nodemon": "nodemon",
}
_MANAGERS = ("npm", "yarn", "pnpm")
# Scripts that conventionally start the built app (Nest's own template has "start:prod").
_PRODUCTION_SCRIPTS = ("start:prod", "start:production", "prod", "serve:prod")
_SOURCE = re.compile(r"\.(?:[cm]?ts|[cm]?js)$")
# The image's helper that compiles sources with the project's Babel: the Dockerfile generator adds it
# to the build context when a build command names it (build/helpers/babel-build.cjs).
BABEL_BUILD = ".justpush/babel-build.cjs"


@dataclass(frozen=True)
class BuiltStart:
    """The build step and start command that replace a start script needing dev tools."""

    start: tuple[str, ...]
    # Shell command for the build stage; empty when the project's build command already does it.
    build: str
    note: str


def built_start(app_root: Path, package: dict[str, Any], manager: str) -> BuiltStart | None:
    """The build and ``node <output>`` start replacing a start script that needs dev tools, else None."""
    found = package.get("scripts")
    scripts: dict[str, Any] = found if isinstance(found, dict) else {}
    script = scripts.get("start")
    if not isinstance(script, str):
        return None
    deps = package.get("dependencies")
    runtime: dict[str, Any] = deps if isinstance(deps, dict) else {}
    build_script = scripts.get("build") if isinstance(scripts.get("build"), str) else None
    project_build = f"{manager} run build" if build_script else ""
    parts = _expand(script, scripts)
    if not parts:
        return None
    *before, last = parts
    words = _words(last)
    if not words:
        return None
    tool = words[0]
    babel = _babel_start(words, package)
    if babel is not None:
        return babel
    if tool == "node":
        if not before:
            return None
        # "npm run build && node dist/main.js": the build moves to the build stage.
        return BuiltStart(tuple(words), " && ".join(_bin(p) for p in before), f"scripts.start: {script}")
    package_name = _CLI_PACKAGES.get(tool)
    if package_name is None or package_name in runtime:
        return None
    production = production_start(scripts)
    if production is not None:
        start, name = production
        return BuiltStart(start, project_build, f"scripts.start runs {tool} (dev tool); scripts.{name}")
    note = f"scripts.start runs {tool} from devDependencies; built in the image, started with node"
    if tool == "nest":
        config = _read_json(app_root / "nest-cli.json")
        entry = str(config.get("entryFile") or "main") if isinstance(config, dict) else "main"
        out = _compiler_options(app_root, "tsconfig.build.json").get("outDir") or "dist"
        return BuiltStart(
            ("node", f"{_norm(out)}/{entry}.js"), project_build or "./node_modules/.bin/nest build", note
        )
    if tool == "nx":
        return _nx(app_root, words, project_build, note)
    source = next((w for w in words[1:] if not w.startswith("-") and _SOURCE.search(w)), None)
    if source is None:
        return None
    if not source.endswith((".ts", ".mts", ".cts")):
        return BuiltStart(("node", _norm(source)), "", note)
    if not project_build and "typescript" not in _all_deps(package):
        return None
    output = built_output(app_root, source, build_script)
    if output is None:
        return None
    return BuiltStart(("node", output), project_build or "./node_modules/.bin/tsc", note)


def _babel_start(words: list[str], package: dict[str, Any]) -> BuiltStart | None:
    """`babel-node src/index.js`, `nodemon --exec babel-node src/index.js`, `node -r @babel/register
    src/index.js`: the sources compiled once in the image by the project's Babel, started with node."""
    # `nodemon --exec 'babel-node src/index.js'`: a quoted command is words too
    words = [part for word in words for part in word.split()]
    runner = {words[0]} | {w for w in words[1:] if not w.startswith("-") and not _SOURCE.search(w)}
    registers = any(a == "@babel/register" or a == "babel-register" for a in words[1:])
    if "babel-node" not in runner and not registers:
        return None
    deps = _all_deps(package)
    if "@babel/core" not in deps and "babel-core" not in deps:
        return None
    source = next((w for w in words[1:] if not w.startswith("-") and _SOURCE.search(w)), None)
    folder = _norm(source).split("/", 1)[0] if source is not None and "/" in _norm(source) else None
    if source is None or folder is None or folder in (".", "..", "node_modules"):
        return None
    output = "dist" if folder != "dist" else "dist-babel"
    start = ("node", posixpath.join(output, posixpath.relpath(_norm(source), folder)))
    note = f"scripts.start runs {' '.join(words[:3])} (Babel at each start); compiled once in the image"
    return BuiltStart(start, f"node {BABEL_BUILD} {folder} {output}", note)


def production_start(scripts: dict[str, Any]) -> tuple[tuple[str, ...], str] | None:
    """A script that conventionally starts the built app (``start:prod``) when it is a plain
    ``node <file>`` command: its words and its name."""
    for name in _PRODUCTION_SCRIPTS:
        words = _words(str(scripts.get(name, "")))
        if words[:1] == ["node"]:
            return tuple(words), name
    return None


def built_output(app_root: Path, source: str, build_script: str | None) -> str | None:
    """The JavaScript tsc writes for the TypeScript file ``source`` (the tsconfig the build script
    names, its outDir and rootDir, else tsc's common source folder), or None when it is outside."""
    options = _compiler_options(app_root, _project_file(build_script) or "tsconfig.json")
    out = _norm(str(options.get("outDir") or "."))
    root = _norm(str(options.get("rootDir") or _common_root(app_root, out)))
    relative = posixpath.relpath(_norm(source), root)
    if relative.startswith(".."):
        return None
    return re.sub(r"\.([cm]?)ts$", r".\1js", posixpath.normpath(posixpath.join(out, relative)))


def _nx(app_root: Path, words: list[str], project_build: str, note: str) -> BuiltStart | None:
    # `nx serve app`, `nx run app:serve`
    args = [w for w in words[1:] if not w.startswith("-")]
    if len(args) >= 2 and args[0] == "serve":
        app = args[1]
    elif len(args) >= 2 and args[0] == "run" and ":" in args[1]:
        app = args[1].split(":", 1)[0]
    else:
        return None
    if not re.fullmatch(r"[\w.@/-]+", app):
        return None
    output = f"dist/apps/{app}"
    for candidate in (f"apps/{app}/project.json", f"{app}/project.json", "project.json"):
        project = _read_json(app_root / candidate)
        if isinstance(project, dict):
            build = project.get("targets", {}).get("build", {})
            options = build.get("options", {}) if isinstance(build, dict) else {}
            if isinstance(options, dict) and isinstance(options.get("outputPath"), str):
                output = _norm(options["outputPath"])
            break
    return BuiltStart(("node", f"{output}/main.js"), f"./node_modules/.bin/nx build {app}", note)


def _expand(script: str, scripts: dict[str, Any], depth: int = 0) -> list[str]:
    """The script's `&&` steps, with `npm run x` / `yarn x` steps replaced by x's steps."""
    steps: list[str] = []
    for part in (p.strip() for p in script.split("&&")):
        words = _words(part)
        name = None
        if len(words) >= 3 and words[0] in _MANAGERS and words[1] == "run":
            name = words[2]
        elif len(words) == 2 and words[0] in ("yarn", "pnpm") and words[1] in scripts:
            name = words[1]
        target = scripts.get(name) if name else None
        if isinstance(target, str) and depth < 3 and name != "build":
            steps.extend(_expand(target, scripts, depth + 1))
        elif part:
            steps.append(part)
    return steps


def _words(command: str) -> list[str]:
    try:
        words = shlex.split(command)
    except ValueError:
        return []
    if words[:1] == ["cross-env"]:
        words = words[1:]
    # Leading VAR=value assignments set the script's env; the deployment's env does that here.
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=\S*", words[0]):
        words = words[1:]
    return words


def _bin(step: str) -> str:
    """A build step as the build stage runs it: a CLI from node_modules/.bin by its path."""
    words = _words(step)
    if words and words[0] in _CLI_PACKAGES:
        return shlex.join([f"./node_modules/.bin/{words[0]}", *words[1:]])
    return step


def _project_file(build_script: str | None) -> str | None:
    match = re.search(r"(?:-p|--project)\s+(\S+)", build_script or "")
    return match.group(1) if match else None


def _compiler_options(app_root: Path, name: str) -> dict[str, Any]:
    """compilerOptions of a tsconfig file, following `extends` within the project."""
    path = app_root / name
    if not path.is_file():
        path = app_root / "tsconfig.json"
    options: dict[str, Any] = {}
    for _ in range(3):
        if not path.resolve().is_relative_to(app_root.resolve()):
            break  # an `extends` outside the upload is not read
        config = _read_json(path)
        if not isinstance(config, dict):
            break
        found = config.get("compilerOptions")
        if isinstance(found, dict):
            options = {**found, **options}
        parent = config.get("extends")
        if not isinstance(parent, str) or not parent.startswith("."):
            break
        path = path.parent / (parent if parent.endswith(".json") else f"{parent}.json")
    return options


def _common_root(app_root: Path, out: str) -> str:
    """tsc's default rootDir: the longest folder common to the TypeScript sources."""
    folders: set[str] = set()
    for path in iter_paths(app_root, (".ts", ".mts", ".cts")):
        rel = path.relative_to(app_root).as_posix()
        if rel.endswith(".d.ts") or rel.startswith(f"{out}/") or ".spec." in rel or ".test." in rel:
            continue
        folders.add(posixpath.dirname(rel))
    if not folders:
        return "."
    common = posixpath.commonpath(sorted(folders)) if all(folders) else ""
    return common or "."


def _norm(path: str) -> str:
    return posixpath.normpath(path.removeprefix("./"))


def _all_deps(package: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key in ("dependencies", "devDependencies"):
        if isinstance(package.get(key), dict):
            found.update(package[key])
    return found


def _read_json(path: Path) -> Any:
    """JSON, or tsconfig's JSON with comments and trailing commas."""
    if not path.is_file() or path.is_symlink():
        return None
    source = read_source(path.parent, path, [])
    if source is None:
        return None
    text = source.text
    try:
        return json.loads(text)
    except ValueError:
        pass
    stripped = re.sub(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/', lambda m: m.group(1) or "", text, flags=re.S)
    stripped = re.sub(r",(\s*[}\]])", r"\1", stripped)
    try:
        return json.loads(stripped)
    except ValueError:
        return None
