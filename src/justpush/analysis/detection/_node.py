"""Node projects: package.json, framework, package manager, version, start and build commands."""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
from collections.abc import Collection
from pathlib import Path
from typing import Any

from .._files import evidence_path
from .._model import Evidence
from .._runtime_limits import RUNTIME_LIMITS, find_runtime_limits, table_packages
from .._services import Driver, find_drivers
from ._facts import NODE_FRAMEWORKS, Facts, first_line, line_of, read_json, read_text

# `packageManager: "pnpm@9.12.0+sha512.…"` (corepack's field).
_PACKAGE_MANAGER = re.compile(r"^(npm|pnpm|yarn)@(\d+(?:\.\d+){0,2}(?:-[\w.]+)?)")
_LOCKFILE_VERSION = re.compile(r"""^lockfileVersion:\s*['"]?([\d.]+)""")
# package.json's exact version ("4.0.9", "=4.0.9", "v4.0.9"); anything else is a range.
_EXACT = re.compile(r"^[=v]*(\d+\.\d+\.\d+(?:[-+][\w.-]+)?)$")
# A yarn.lock entry: its header (`sqlite3@^4.0.4, "sqlite3@~4.0.0":`) then `  version "4.0.9"`.
_YARN_ENTRY = re.compile(r'^"?((?:@[^@/\s"]+/)?[^@\s"]+)@[^\n]*:\n\s+version:?\s+"?([^"\s]+)"?', re.MULTILINE)
# pnpm-lock.yaml's format (or its major) -> the pnpm major that writes it.
_PNPM_FOR_LOCKFILE = {"9": "9", "6": "8", "5.4": "7", "5.3": "6"}

# Native addons that compile with node-gyp when no prebuilt binary can be downloaded for the platform
# and Node version (an old pinned version, an offline build): they need python3, make and g++.
_NATIVE_NODE = frozenset(
    {
        "argon2",
        "bcrypt",
        "better-sqlite3",
        "bufferutil",
        "cpu-features",
        "farmhash",
        "kerberos",
        "leveldown",
        "libxmljs",
        "libxmljs2",
        "microtime",
        "re2",
        "sqlite3",
        "utf-8-validate",
        "zeromq",
    }
)


def _prisma_drivers(app_root: Path, app_dir: str, facts: Facts, warnings: list[str]) -> None:
    """A Prisma datasource names the database and the variables giving its address (merged into the
    driver of the same service found among the dependencies)."""
    from ..node import prisma_datasources

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


_TYPESCRIPT_SOURCES = (".ts", ".mts", ".cts")


# Babel plugins whose output requires a package at run time, by the names a config may give them.
_BABEL_RUNTIME_HELPERS = {
    "transform-runtime": "babel-runtime",
    "babel-plugin-transform-runtime": "babel-runtime",
    "@babel/transform-runtime": "@babel/runtime",
    "@babel/plugin-transform-runtime": "@babel/runtime",
    "source-map-support": "source-map-support",
    "babel-plugin-source-map-support": "source-map-support",
}
_BABEL_CONFIGS = (
    ".babelrc",
    ".babelrc.json",
    ".babelrc.js",
    ".babelrc.cjs",
    "babel.config.json",
    "babel.config.js",
    "babel.config.cjs",
)


def _babel_runtime_packages(app_root: Path, package: dict[str, Any]) -> set[str]:
    """The packages the Babel configuration's plugins make the build's output require."""
    texts = [read_text(app_root / name) or "" for name in _BABEL_CONFIGS]
    if isinstance(package.get("babel"), dict):
        texts.append(json.dumps(package["babel"]))
    return {
        helper
        for plugin, helper in _BABEL_RUNTIME_HELPERS.items()
        if any(f'"{plugin}"' in text or f"'{plugin}'" in text for text in texts)
    }


def detect_node(app_root: Path, app_dir: str, facts: Facts, warnings: list[str]) -> None:
    package = read_json(app_root / "package.json")
    if package is None:
        warnings.append(f"{evidence_path(app_dir, 'package.json')}: not valid JSON")
        package = {}
    facts.values["package_json"] = package
    text = read_text(app_root / "package.json") or ""
    where = evidence_path(app_dir, "package.json")
    facts.values["name"] = package.get("name") if isinstance(package.get("name"), str) else None
    version = package.get("version")
    if isinstance(version, str) and version.strip():
        facts.set(
            "version", version.strip(), Evidence(where, line_of(text, '"version"'), "package.json version")
        )
    deps = node_deps(package)
    for dep, name in NODE_FRAMEWORKS:
        if dep in deps:
            facts.set("framework", name, Evidence(where, line_of(text, f'"{dep}"'), f"dependency {dep}"))
            break
    facts.drivers = find_drivers("node", ((d, Evidence(where, line_of(text, f'"{d}"'))) for d in deps))
    native = sorted(_NATIVE_NODE.intersection(deps))
    if native:
        facts.set(
            "native_dependencies",
            tuple(native),
            Evidence(where, line_of(text, f'"{native[0]}"'), "native addon, may compile with node-gyp"),
        )
    _prisma_drivers(app_root, app_dir, facts, warnings)
    helpers = _babel_runtime_packages(app_root, package)
    missing = sorted(helper for helper in helpers if helper not in (package.get("dependencies") or {}))
    if missing:
        facts.set(
            "runtime_dev_dependencies",
            tuple(missing),
            Evidence(where, None, "Babel plugins' run-time helpers"),
        )
        warnings.append(
            f"{where}: the Babel build's output requires {', '.join(missing)} at run time, which only the "
            "development dependencies install; the image keeps every dependency (list them under "
            "dependencies for a smaller one)"
        )
    facts.values["runtime_limits"] = find_runtime_limits(
        "node", node_pins(app_root, package, text, table_packages(RUNTIME_LIMITS)), app_dir
    )
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
    if manager == "pnpm":
        facts.set_read("package_manager_version", _pnpm_version(app_root, package, text), app_dir)
    facts.values["dependency_files"] = tuple(sorted({"package.json", *([lock] if lock else [])}))
    # A tsconfig is what a TypeScript build compiles by; the typescript package alone (a library's
    # dependency, type checks in an editor) builds nothing.
    typescript = (app_root / "tsconfig.json").is_file()
    facts.values["typescript"] = typescript
    if typescript:
        tsconfig = Evidence(evidence_path(app_dir, "tsconfig.json"), None, "tsconfig.json")
        facts.set("typescript", True, tsconfig)
    version = _node_version(app_root, package, text)
    facts.set_read("language_version", version, app_dir)
    if version is not None and version[1] in (".nvmrc", ".node-version"):
        facts.set_read("language_range", _node_engines(package, text), app_dir)
    scripts = package.get("scripts", {}) if isinstance(package.get("scripts"), dict) else {}
    main = package.get("main") if isinstance(package.get("main"), str) else None
    if main and main.endswith(_TYPESCRIPT_SOURCES) and not (app_root / main).is_file():
        # A TypeScript main that is not there (`"main": "index.ts"` beside src/index.ts) names nothing.
        warnings.append(f"{where}: main names {main!r}, which the upload does not have; not used")
        main = None
    if main:
        facts.set("entrypoint", main, Evidence(where, line_of(text, '"main"'), "package.json main"))
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
    from ..node._start import built_output, built_start, production_start  # lazily, as the Python package

    production = production_start(scripts)
    if "start" in scripts:
        facts.set(
            "start_command", (manager, "start"), Evidence(where, line_of(text, '"start"'), "scripts.start")
        )
    elif production is not None:
        start, name = production
        facts.set("start_command", start, Evidence(where, line_of(text, f'"{name}"'), f"scripts.{name}"))
    elif facts.values.get("entrypoint"):
        entry = str(facts.values["entrypoint"])
        build_script = scripts.get("build") if isinstance(scripts.get("build"), str) else None
        # Node runs JavaScript: a TypeScript entry starts as what a tsc build writes for it.
        tsc_build = build_script is not None and "tsc" in build_script.replace("&&", " ").split()
        typescript_entry = tsc_build and entry.endswith(_TYPESCRIPT_SOURCES)
        output = built_output(app_root, entry, build_script) if typescript_entry else None
        if output is not None:
            note = f"node <tsc output of {entry}>"
            facts.set("start_command", ("node", output), Evidence(where, None, note))
        else:
            facts.set("start_command", ("node", entry), Evidence(where, None, "node <entrypoint>"))
    if "build" in scripts:
        build = (manager, "run", "build")
        facts.set("build_command", build, Evidence(where, line_of(text, '"build"'), "scripts.build"))
    built = built_start(app_root, package, manager)
    if built is not None:
        line = line_of(text, '"start"')
        facts.set("start_command", built.start, Evidence(where, line, built.note))
        if built.build:
            facts.set("build_command", tuple(shlex.split(built.build)), Evidence(where, line, built.note))
        warnings.append(
            f"{where}: the start script needs development tools at run time ({scripts.get('start')!r}); "
            f"the image builds the app and starts it with {shlex.join(built.start)!r}"
        )


def node_pins(
    app_root: Path, package: dict[str, Any], text: str, wanted: Collection[str]
) -> list[tuple[str, str, str, int | None]]:
    """(name, exact version, file, line) of the packages in `wanted`: package.json's exact versions,
    then the versions package-lock.json / npm-shrinkwrap.json / yarn.lock resolved. (A lockfile holds
    thousands of packages: only wanted ones are looked up in its text.)"""
    found: list[tuple[str, str, str, int | None]] = []
    for name, spec in node_deps(package).items():
        if name not in wanted:
            continue
        match = _EXACT.match(spec.strip()) if isinstance(spec, str) else None
        if match is not None:
            found.append((name, match.group(1), "package.json", line_of(text, f'"{name}"')))
    for lock in ("package-lock.json", "npm-shrinkwrap.json"):
        data = read_json(app_root / lock)
        if not isinstance(data, dict):
            continue
        lock_text = read_text(app_root / lock) or ""
        # lockfileVersion 2 and 3 key installed packages by path, version 1 by name.
        packages, legacy = data.get("packages"), data.get("dependencies")
        entries = [
            (key.rsplit("node_modules/", 1)[-1], value)
            for key, value in (packages.items() if isinstance(packages, dict) else ())
            if key
        ]
        entries += list(legacy.items()) if isinstance(legacy, dict) else []
        for name, entry in entries:
            version = entry.get("version") if isinstance(entry, dict) and name in wanted else None
            if isinstance(version, str):
                found.append((name, version, lock, line_of(lock_text, f'"{name}"')))
    yarn_text = read_text(app_root / "yarn.lock") or ""
    line, counted = 1, 0
    for match in _YARN_ENTRY.finditer(yarn_text):
        if match.group(1) not in wanted:
            continue
        line += yarn_text.count("\n", counted, match.start())
        counted = match.start()
        found.append((match.group(1), match.group(2), "yarn.lock", line))
    return found


def _node_version(
    app_root: Path, package: dict[str, Any], text: str
) -> tuple[str, str, int | None, str] | None:
    """The Node.js version requirement as written: a version file's pin first (what the developers
    run), else ``engines.node`` (a range)."""
    for name in (".nvmrc", ".node-version"):
        pinned = first_line(app_root / name)
        if pinned:
            return pinned[0], name, pinned[1], "pinned version"
    return _node_engines(package, text)


def _node_engines(package: dict[str, Any], text: str) -> tuple[str, str, int | None, str] | None:
    """package.json's `engines.node`: the Node.js versions the project declares it runs on."""
    engines = package.get("engines", {})
    node_range = engines.get("node") if isinstance(engines, dict) else None
    if isinstance(node_range, str) and node_range.strip():
        return node_range.strip(), "package.json", line_of(text, '"node"'), "engines.node"
    return None


def _pnpm_version(app_root: Path, package: Any, text: str) -> tuple[str, str, int | None, str] | None:
    """The pnpm version (file, line, why): `packageManager: pnpm@9.12.0`, else the major that writes
    the lockfile's format."""
    declared = package.get("packageManager") if isinstance(package, dict) else None
    if isinstance(declared, str):
        match = _PACKAGE_MANAGER.match(declared.strip())
        if match is not None and match.group(1) == "pnpm":
            return match.group(2), "package.json", line_of(text, '"packageManager"'), "packageManager"
    for number, line in enumerate((read_text(app_root / "pnpm-lock.yaml") or "").splitlines()[:5], 1):
        lockfile = _LOCKFILE_VERSION.match(line)
        if lockfile is not None:
            found = lockfile.group(1)
            major = _PNPM_FOR_LOCKFILE.get(found) or _PNPM_FOR_LOCKFILE.get(found.split(".")[0])
            if major is not None:
                return major, "pnpm-lock.yaml", number, f"lockfileVersion {found}"
    return None


def node_deps(package: Any) -> dict[str, Any]:
    if not isinstance(package, dict):
        return {}
    deps: dict[str, Any] = {}
    for key in ("dependencies", "devDependencies", "peerDependencies"):
        section = package.get(key)
        if isinstance(section, dict):
            deps.update(section)
    return deps
