"""The Go front-end: parses the sources (never tests, testdata or vendored code), builds the package
index and the value resolver, walks the routes and reads env vars and the port."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from .._files import iter_paths
from .._model import EnvVar, Evidence, ExtractedApi, ProjectProfile
from .._treesitter import (
    Parsed,
    first_port,
    operations_from_graph,
    parse_all,
    rebase_api,
    rebase_env,
    rebase_port,
    sort_operations,
)
from ._envport import env_reads, port_candidates
from ._handlers import Handlers
from ._index import GoIndex
from ._resolve import Resolver
from ._routes import RouteWalker
from ._schemas import Schemas


def _is_source(path: str) -> bool:
    return not path.endswith("_test.go") and "testdata" not in PurePosixPath(path).parts


# The last project loaded: one analysis asks for routes, env vars and the port of the same sources.
_LAST: dict[tuple[str, tuple[tuple[str, int, int], ...]], tuple[GoIndex, Resolver, list[str]]] = {}


def _load(root: Path, warnings: list[str]) -> tuple[GoIndex, Resolver]:
    """The parsed, indexed project (reused while its files are unchanged), parse warnings added."""
    signature = tuple(
        (p.as_posix(), st.st_mtime_ns, st.st_size)
        for p in iter_paths(root, (".go", ".mod"))
        if (st := p.stat())
    )
    key = (str(root.resolve()), signature)
    if key in _LAST:
        index, resolver, parse_warnings = _LAST[key]
        warnings.extend(parse_warnings)
        return index, resolver
    own: list[str] = []
    index, resolver = _build(root, own)
    _LAST.clear()
    _LAST[key] = (index, resolver, own)
    warnings.extend(own)
    return index, resolver


def _build(root: Path, warnings: list[str]) -> tuple[GoIndex, Resolver]:
    parsed: list[Parsed] = parse_all(root, (".go",), lambda p: "go" if _is_source(p) else None, warnings)
    go_mod = root / "go.mod"
    try:
        module_text = go_mod.read_text(encoding="utf-8", errors="replace") if go_mod.is_file() else None
    except OSError:
        module_text = None
    index = GoIndex.build(parsed, module_text)
    resolver = Resolver(index)
    resolver.env_vars = env_reads(index, resolver)
    resolver.env = {var.name: var.default for var in resolver.env_vars if var.default is not None}
    return index, resolver


def extract(root: Path, profile: ProjectProfile) -> ExtractedApi:
    """Routes, schemas and security of a Go service."""
    warnings: list[str] = []
    index, resolver = _load(root, warnings)
    schemas = Schemas(index)
    graph = RouteWalker(index, resolver, Handlers(resolver, schemas), warnings).run()
    operations, schemes = operations_from_graph(graph, warnings)
    api = ExtractedApi(
        operations=sort_operations(operations),
        schemas=dict(sorted(schemas.schemas.items())),
        security_schemes=dict(sorted(schemes.items())),
        warnings=warnings,
    )
    return rebase_api(api, profile.app_dir)


def scan_env(root: Path, profile: ProjectProfile) -> list[EnvVar]:
    """Environment variables the Go code reads (os.Getenv, os.LookupEnv, getenv-with-default helpers)."""
    _, resolver = _load(root, [])
    return rebase_env(resolver.env_vars, profile.app_dir)


def find_port(root: Path, profile: ProjectProfile) -> tuple[int, Evidence] | None:
    """The port from ListenAndServe / Run / Start / Listen / http.Server{Addr}, following env defaults."""
    index, resolver = _load(root, [])
    return rebase_port(first_port(port_candidates(index, resolver), profile), profile.app_dir)
