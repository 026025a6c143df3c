"""Spring interfaces generated at build time by openapi-generator from a spec kept in the repository.

Controllers `implements PetsApi` while `PetsApi` exists only after `mvn generate-sources`. The spec the
build plugin reads (`inputSpec` in pom.xml / build.gradle, else an OpenAPI file under src/main/resources)
says which operations each interface declares: with `useTags` an interface per tag (`pet-v2` -> PetV2Api),
otherwise per first path segment (`/owners/{id}` -> OwnersApi).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .._files import iter_paths
from .._model import Evidence, HttpMethod, Operation, Parameter
from .._treesitter import HTTP_METHODS, join_paths
from ._index import SourceIndex

_INPUT_SPEC = re.compile(
    r"""(?:<inputSpec>\s*([^<]+?)\s*</inputSpec>|inputSpec\s*(?:=|\.set\()\s*["']([^"']+)["'])"""
)
_BUILD_FILES = ("pom.xml", "build.gradle", "build.gradle.kts")
_SPEC_SUFFIXES = (".yaml", ".yml", ".json")


def _camel(words: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", words) if part)


class GeneratedApis:
    def __init__(self, index: SourceIndex, warnings: list[str]) -> None:
        self.index = index
        self.warnings = warnings
        self._specs: list[tuple[str, dict[str, Any]]] | None = None

    def _load(self) -> list[tuple[str, dict[str, Any]]]:
        if self._specs is not None:
            return self._specs
        self._specs = []
        root = self.index.root
        candidates: list[Path] = []
        for build in iter_paths(root, _BUILD_FILES):
            if build.name not in _BUILD_FILES:
                continue
            try:
                content = build.read_text(errors="replace")
            except OSError:
                continue
            for match in _INPUT_SPEC.finditer(content):
                raw = (match.group(1) or match.group(2)).strip()
                base = root if "rootDir" in raw else build.parent
                raw = re.sub(r"^\$\{?(project\.basedir|basedir|projectDir|rootDir)\}?/?", "", raw)
                candidates.append(base / raw)
        if not candidates:
            candidates = [
                p
                for p in iter_paths(root, _SPEC_SUFFIXES)
                if "src/main/resources/" in p.relative_to(root).as_posix()
            ]
        for path in candidates:
            spec = self._read(path)
            if spec is not None:
                self._specs.append((path.relative_to(root).as_posix(), spec))
        return self._specs

    def _read(self, path: Path) -> dict[str, Any] | None:
        try:
            resolved = path.resolve()
            resolved.relative_to(self.index.root.resolve())
            if not resolved.is_file() or resolved.stat().st_size > 2_000_000:
                return None
            data = yaml.safe_load(resolved.read_text(errors="replace"))
        except (OSError, ValueError, yaml.YAMLError):
            return None
        if (
            isinstance(data, dict)
            and ("openapi" in data or "swagger" in data)
            and isinstance(data.get("paths"), dict)
        ):
            return data
        return None

    def operations(self, interface: str, prefix: str, file: str, at_line: int) -> list[Operation]:
        """The operations of a generated interface under the controller's prefix (context path included)."""
        out: list[Operation] = []
        for spec_file, spec in self._load():
            for path, item in spec["paths"].items():
                if not isinstance(item, dict):
                    continue
                shared = item.get("parameters") or []
                for method in HTTP_METHODS:
                    operation = item.get(method)
                    if not isinstance(operation, dict):
                        continue
                    tags = operation.get("tags") or []
                    by_tag = bool(tags) and f"{_camel(str(tags[0]))}Api" == interface
                    segment = next(
                        (s for s in str(path).split("/") if s and not s.startswith("{")), "Default"
                    )
                    if not by_tag and f"{_camel(segment)}Api" != interface:
                        continue
                    out.append(
                        self._operation(
                            spec,
                            spec_file,
                            method,
                            join_paths(prefix, str(path)),
                            [*shared, *(operation.get("parameters") or [])],
                            operation,
                            file,
                            at_line,
                        )
                    )
        if not out:
            self.warnings.append(
                f"{file}:{at_line}: implements {interface}, a generated interface whose OpenAPI spec "
                "was not found; its routes are missing"
            )
        return out

    def _operation(
        self,
        spec: dict[str, Any],
        spec_file: str,
        method: HttpMethod,
        path: str,
        raw_params: list[Any],
        operation: dict[str, Any],
        file: str,
        at_line: int,
    ) -> Operation:
        params: dict[tuple[str, str], Parameter] = {}
        for raw in raw_params:
            param = _deref(spec, raw)
            if not isinstance(param, dict) or param.get("in") not in ("path", "query", "header"):
                continue
            raw_schema = param.get("schema")
            schema: dict[str, Any] = raw_schema if isinstance(raw_schema, dict) else {"type": "string"}
            params[(str(param["in"]), str(param.get("name")))] = Parameter(
                str(param.get("name")),
                param["in"],
                _inline(spec, schema),
                required=bool(param.get("required")) or param["in"] == "path",
            )
        for name in re.findall(r"\{([^}]+)\}", path):
            params.setdefault(("path", name), Parameter(name, "path", required=True))
        return Operation(
            method=method,
            path=path,
            operation_id=operation.get("operationId"),
            summary=operation.get("summary"),
            tags=tuple(str(t) for t in operation.get("tags") or ()),
            parameters=tuple(sorted(params.values(), key=lambda p: (p.location, p.name))),
            evidence=Evidence(
                file, at_line, f"operation {operation.get('operationId') or ''} of {spec_file}".strip()
            ),
        )


def _deref(spec: dict[str, Any], value: Any, depth: int = 0) -> Any:
    while isinstance(value, dict) and isinstance(value.get("$ref"), str) and depth < 10:
        node: Any = spec
        for part in value["$ref"].lstrip("#/").split("/"):
            node = node.get(part) if isinstance(node, dict) else None
        value, depth = node, depth + 1
    return value


def _inline(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    resolved = _deref(spec, schema)
    return dict(resolved) if isinstance(resolved, dict) and "$ref" not in resolved else {"type": "string"}
