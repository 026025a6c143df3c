"""Which files are the server's source: test code, static browser assets, bundles and nested browser
projects (a React/Vue/Angular app next to the server, with its own package.json) are left out."""

from __future__ import annotations

import json
import re
from pathlib import Path

from .._files import iter_paths
from .._treesitter import Grammar

_TEST_DIRS = frozenset(
    {
        "test",
        "tests",
        "__tests__",
        "__mocks__",
        "__fixtures__",
        "fixtures",
        "mocks",
        "e2e",
        "cypress",
        "playwright",
        "spec",
        "specs",
    }
)
# Sample and benchmark programs next to the app; deeper down such a folder is a feature of the app
# (`src/endpoints/benchmarks/benchmarks.controller.ts` of a finance API).
_TOP_LEVEL_EXTRAS = frozenset({"examples", "example", "benchmark", "benchmarks"})
_TEST_FILE = re.compile(r"\.(test|spec|e2e-spec|e2e|stories|story)\.[cm]?[jt]sx?$")
# Test runners' own configuration (`process.env.TZ = 'UTC'` in jest.config.ts is no app setting).
_TEST_CONFIG = re.compile(
    r"^(jest|vitest|playwright|cypress|karma)\.(config|setup|preset|conf)\b.*\.[cm]?[jt]s$"
)
# Browser code served as static files, and bundles: never the server's routes. Only JavaScript is
# served as it is: TypeScript in a folder of that name (a `public` endpoints module) is server code.
_ASSET_DIRS = frozenset({"public", "static", "assets", "bower_components"})
_BROWSER_SCRIPT = re.compile(r"\.[cm]?jsx?$")
_BUNDLE_FILE = re.compile(r"[.-](min|bundle)\.[cm]?js$")
_BROWSER_PACKAGES = frozenset(
    {"react", "react-dom", "vue", "@angular/core", "svelte", "next", "nuxt", "react-native", "expo", "preact"}
)
_SERVER_PACKAGES = frozenset(
    {
        "express",
        "fastify",
        "koa",
        "@koa/router",
        "koa-router",
        "@nestjs/core",
        "routing-controllers",
        "@hapi/hapi",
        "restify",
    }
)


def _is_test_or_asset(path: str) -> bool:
    parts = path.split("/")
    folders = set(parts[:-1])
    if folders & _TEST_DIRS or (len(parts) > 1 and parts[0] in _TOP_LEVEL_EXTRAS):
        return True
    if folders & _ASSET_DIRS and _BROWSER_SCRIPT.search(parts[-1]):
        return True
    name = parts[-1]
    return bool(_TEST_FILE.search(name) or _TEST_CONFIG.search(name) or _BUNDLE_FILE.search(name))


# Nx / Angular CLI builders of browser code (`project.json` targets' executors, by package)
_BROWSER_BUILDERS = frozenset(
    {
        "@nx/angular",
        "@nrwl/angular",
        "@angular-devkit/build-angular",
        "@angular/build",
        "@nx/react",
        "@nrwl/react",
        "@nx/next",
        "@nrwl/next",
        "@nx/web",
        "@nrwl/web",
        "@nx/storybook",
        "@storybook/angular",
        "@storybook/react",
    }
)
_NODE_BUILDERS = frozenset({"@nx/node", "@nrwl/node", "@nx/js", "@nrwl/js", "@nx/nest", "@nrwl/nest"})


def _nx_browser_project(manifest: Path) -> bool:
    """An Nx `project.json` built or served by browser builders only (a client app or UI library)."""
    try:
        data = json.loads(manifest.read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError):
        return False
    targets = data.get("targets") if isinstance(data, dict) else None
    if not isinstance(targets, dict):
        return False
    builders = {
        executor.split(":", 1)[0]
        for target in targets.values()
        if isinstance(target, dict) and isinstance(executor := target.get("executor"), str)
    }
    return bool(builders & _BROWSER_BUILDERS) and not builders & _NODE_BUILDERS


def browser_projects(root: Path) -> tuple[str, ...]:
    """Folders holding their own package.json (or Nx project.json) for a browser app, no server framework."""
    found: list[str] = []
    for manifest in iter_paths(root, ("package.json", "project.json")):
        if manifest.parent == root:
            continue
        if manifest.name == "project.json":
            if _nx_browser_project(manifest):
                found.append(manifest.parent.relative_to(root).as_posix() + "/")
            continue
        if manifest.name != "package.json":
            continue
        try:
            data = json.loads(manifest.read_text(encoding="utf-8", errors="replace"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict):
            continue
        deps: set[str] = set()
        for key in ("dependencies", "devDependencies", "peerDependencies"):
            section = data.get(key)
            if isinstance(section, dict):
                deps.update(str(k) for k in section)
        if deps & _BROWSER_PACKAGES and not deps & _SERVER_PACKAGES:
            found.append(manifest.parent.relative_to(root).as_posix() + "/")
    return tuple(found)


def grammar_for(path: str) -> Grammar | None:
    if path.endswith(".d.ts") or _is_test_or_asset(path):
        return None
    if path.endswith(".tsx"):
        return "tsx"
    if path.endswith((".ts", ".mts", ".cts")):
        return "typescript"
    return "javascript"
