"""Import aliases from tsconfig/jsconfig `paths` and `baseUrl` (`@config/app` → `src/configs/app`) and
package.json subpath imports (`"imports": { "#src/*": "./src/*" }`: `#src/app.ts` → `src/app.ts`)."""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import json5


@dataclass(frozen=True)
class PathAliases:
    """tsconfig/jsconfig `compilerOptions.paths` and `baseUrl`: `@config/app` → `src/configs/app`."""

    base_url: str | None = None
    paths: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # package.json "imports" (`#name` specifiers), relative to the project root
    subpaths: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def read(cls, root: Path) -> PathAliases:
        aliases = cls._read_tsconfig(root)
        subpaths = _subpath_imports(root)
        return cls(aliases.base_url, aliases.paths, subpaths) if subpaths else aliases

    @classmethod
    def _read_tsconfig(cls, root: Path) -> PathAliases:
        """The first tsconfig/jsconfig at the root or in `src/`; its folder is where `baseUrl` starts."""
        for folder in ("", "src"):
            for name in ("tsconfig.json", "jsconfig.json", "tsconfig.base.json"):
                config = posixpath.join(folder, name) if folder else name
                options = _compiler_options(root, config, 0)
                if options is None:
                    continue
                base = options.get("baseUrl")
                base_url = posixpath.normpath(posixpath.join(folder, base)) if isinstance(base, str) else None
                paths = options.get("paths")
                entries = tuple(
                    (str(k), tuple(str(t) for t in v if isinstance(t, str)))
                    for k, v in (paths.items() if isinstance(paths, dict) else ())
                    if isinstance(v, list)
                )
                return cls(base_url if base_url is not None or not entries else folder or ".", entries)
        return cls()

    def candidates(self, spec: str) -> list[str]:
        if spec.startswith("#"):
            return _expand(self.subpaths, ".", spec)
        base = self.base_url or "."
        found: list[str] = []
        for pattern, targets in self.paths:
            if pattern.endswith("*") and spec.startswith(pattern[:-1]):
                rest = spec[len(pattern) - 1 :]
                found += [posixpath.normpath(posixpath.join(base, t.replace("*", rest))) for t in targets]
            elif pattern == spec:
                found += [posixpath.normpath(posixpath.join(base, t)) for t in targets]
        if self.base_url is not None:
            found.append(posixpath.normpath(posixpath.join(base, spec)))
        return [f for f in found if not f.startswith("..")]


def _compiler_options(root: Path, name: str, depth: int) -> dict[str, Any] | None:
    """compilerOptions of a tsconfig (JSON with comments), merged over the one it `extends` in the project."""
    path = root / name
    if depth > 4 or not path.is_file():
        return None
    try:
        data = json5.loads(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    options: dict[str, Any] = {}
    parent = data.get("extends")
    if isinstance(parent, str) and parent.startswith("."):
        inherited = _compiler_options(
            root, posixpath.normpath(posixpath.join(posixpath.dirname(name), parent)), depth + 1
        )
        options.update(inherited or {})
    own = data.get("compilerOptions")
    if isinstance(own, dict):
        options.update(own)
    return options


def _expand(patterns: tuple[tuple[str, tuple[str, ...]], ...], base: str, spec: str) -> list[str]:
    found: list[str] = []
    for pattern, targets in patterns:
        if "*" in pattern:
            head, _, tail = pattern.partition("*")
            if spec.startswith(head) and spec.endswith(tail) and len(spec) >= len(head) + len(tail):
                rest = spec[len(head) : len(spec) - len(tail)]
                found += [posixpath.normpath(posixpath.join(base, t.replace("*", rest))) for t in targets]
        elif pattern == spec:
            found += [posixpath.normpath(posixpath.join(base, t)) for t in targets]
    return [f for f in found if not f.startswith("..")]


def _subpath_imports(root: Path) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """package.json `imports`: a target string, or conditions (`{ "node": ..., "default": ... }`)."""
    try:
        # strict JSON (json5 is far slower on a large manifest)
        data = json.loads((root / "package.json").read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError, RecursionError):
        return ()
    imports = data.get("imports") if isinstance(data, dict) else None
    if not isinstance(imports, dict):
        return ()
    entries: list[tuple[str, tuple[str, ...]]] = []
    for key, target in imports.items():
        if isinstance(target, dict):
            target = next((v for v in target.values() if isinstance(v, str)), None)
        if isinstance(key, str) and key.startswith("#") and isinstance(target, str):
            entries.append((key, (target,)))
    return tuple(entries)
