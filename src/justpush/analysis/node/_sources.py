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
        "examples",
        "example",
        "benchmark",
        "benchmarks",
    }
)
_TEST_FILE = re.compile(r"\.(test|spec|e2e-spec|e2e|stories|story)\.[cm]?[jt]sx?$")
# Browser code served as static files, and bundles: never the server's routes.
_ASSET_DIRS = frozenset({"public", "static", "assets", "bower_components"})
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
    if folders & _TEST_DIRS or folders & _ASSET_DIRS:
        return True
    return bool(_TEST_FILE.search(parts[-1]) or _BUNDLE_FILE.search(parts[-1]))


def browser_projects(root: Path) -> tuple[str, ...]:
    """Folders holding their own package.json for a browser app with no server framework."""
    found: list[str] = []
    for manifest in iter_paths(root, ("package.json",)):
        if manifest.name != "package.json" or manifest.parent == root:
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
