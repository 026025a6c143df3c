"""Shared machinery of the tree-sitter extractors (Node/TypeScript, Java, Go).

Parsers are cached per language; every helper here is pure. The router graph models what all
router-style frameworks share: routes, mounted sub-routers with a prefix, and middleware that
applies to whatever is registered after it.
"""

from __future__ import annotations

import functools
import importlib
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import tree_sitter

from ._env import make_env_var, merge_env_vars
from ._files import SourceFile, evidence_path, iter_sources
from ._model import (
    EnvVar,
    Evidence,
    ExtractedApi,
    HttpMethod,
    Operation,
    Parameter,
    ProjectProfile,
    with_parameters_of,
)

Node = tree_sitter.Node
Grammar = Literal["javascript", "typescript", "tsx", "java", "go"]
HTTP_METHODS: tuple[HttpMethod, ...] = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Nesting deeper than this is not walked by the recursive visitors (the iterative walk has no limit).
MAX_DEPTH = 120

# (grammar package, its language function): a package is imported when its first file is parsed, so
# analysing a Go project never loads the TypeScript grammar.
_LANGUAGE_FACTORIES: dict[Grammar, tuple[str, str]] = {
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "java": ("tree_sitter_java", "language"),
    "go": ("tree_sitter_go", "language"),
}


@functools.cache
def _parser(grammar: Grammar) -> tree_sitter.Parser:
    package, factory = _LANGUAGE_FACTORIES[grammar]
    language: Callable[[], object] = getattr(importlib.import_module(package), factory)
    return tree_sitter.Parser(tree_sitter.Language(language()))


@dataclass(frozen=True)
class Parsed:
    """A parsed source file: its path and syntax tree."""

    path: str
    root: Node


def parse(grammar: Grammar, source: SourceFile, warnings: list[str]) -> Parsed:
    """Parse one file; syntax errors become a warning and the partial tree is still used."""
    tree = _parser(grammar).parse(source.text.encode("utf-8", errors="replace"))
    root = tree.root_node
    if root.has_error:
        bad = next((n for n in walk(root) if n.is_error or n.is_missing), root)
        warnings.append(f"{source.path}:{line(bad)}: syntax error, analysed what could be parsed")
    return Parsed(source.path, root)


def parse_text(grammar: Grammar, source: str) -> Node:
    """The syntax tree of a snippet the analysis writes itself (the values a loop binds)."""
    return _parser(grammar).parse(source.encode("utf-8")).root_node


def parse_all(
    root: Path, suffixes: Iterable[str], grammar_for: Callable[[str], Grammar | None], warnings: list[str]
) -> list[Parsed]:
    parsed: list[Parsed] = []
    for source in iter_sources(root, suffixes, warnings):
        grammar = grammar_for(source.path)
        if grammar is not None:
            parsed.append(parse(grammar, source, warnings))
    return parsed


def walk(node: Node) -> Iterator[Node]:
    """Every node below (and including) node in source order, without recursion."""
    cursor = node.walk()
    while True:
        yield cursor.node  # type: ignore[misc]
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent() or cursor.node == node:
                return


def text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", errors="replace")


def line(node: Node) -> int:
    return node.start_point[0] + 1


def field_(node: Node, name: str) -> Node | None:
    return node.child_by_field_name(name)


def named_children(node: Node | None) -> list[Node]:
    if node is None:
        return []
    return [c for c in node.named_children if c.type not in ("comment", "line_comment", "block_comment")]


def evidence(path: str, node: Node, note: str = "") -> Evidence:
    # Relative to the app directory here; the public functions rebase onto the upload root.
    return Evidence(path, line(node), note)


# --- environment and evidence ------------------------------------------------------------------


def env_var(name: str, default: str | None, ev: Evidence, *, required: bool | None = None) -> EnvVar:
    """An env var read; required when read without a default unless the caller knows better."""
    return make_env_var(name, default, (default is None) if required is None else required, ev)


def unresolved_type(name: str) -> dict[str, Any]:
    return {"x-justpush-unresolved": f"type {name} is not declared in the analysed sources"}


def _rebase(ev: Evidence, app_dir: str) -> Evidence:
    return replace(ev, file=evidence_path(app_dir, ev.file))


def rebase_api(api: ExtractedApi, app_dir: str) -> ExtractedApi:
    """Evidence paths, found relative to the app directory, made relative to the upload root."""
    api.operations = [
        replace(op, evidence=_rebase(op.evidence, app_dir)) if op.evidence is not None else op
        for op in api.operations
    ]
    return api


def rebase_env(found: Iterable[EnvVar], app_dir: str) -> list[EnvVar]:
    merged = merge_env_vars(found)
    return [replace(v, evidence=tuple(_rebase(e, app_dir) for e in v.evidence)) for v in merged]


def rebase_port(port: tuple[int, Evidence] | None, app_dir: str) -> tuple[int, Evidence] | None:
    return None if port is None else (port[0], _rebase(port[1], app_dir))


# --- paths -------------------------------------------------------------------------------------


def join_paths(*parts: str) -> str:
    segments = [s for p in parts for s in p.split("/") if s]
    return "/" + "/".join(segments)


_COLON_PARAM = re.compile(r"^:([A-Za-z_][\w]*)(\([^)]*\))?(\?)?$")
_STAR_PARAM = re.compile(r"^\*([A-Za-z_]\w*)?$")
_BRACE_PARAM = re.compile(r"^\{([A-Za-z_]\w*)(?::[^}]*)?(\.\.\.)?\}$")


def to_template(path: str) -> tuple[str, dict[str, str]]:
    """Framework path syntax (`:id`, `*rest`, `{id:[0-9]+}`, `{path...}`) → OpenAPI template + notes."""
    notes: dict[str, str] = {}
    out: list[str] = []
    for segment in path.split("/"):
        if not segment:
            continue
        if segment == "{$}":
            continue
        if m := _COLON_PARAM.match(segment):
            out.append("{" + m.group(1) + "}")
            if m.group(3):
                notes["path"] = f"optional path parameter :{m.group(1)} (also matches without it)"
        elif m := _STAR_PARAM.match(segment):
            out.append("{" + (m.group(1) or "wildcard") + "}")
            notes["path"] = "catch-all segment matches any remaining path"
        elif m := _BRACE_PARAM.match(segment):
            out.append("{" + m.group(1) + "}")
            if m.group(2):
                notes["path"] = f"{{{m.group(1)}...}} matches any remaining path"
        else:
            out.append(segment)
    return "/" + "/".join(out), notes


_OPTIONAL_PARAM = re.compile(r"^:\w+\?$")


def without_optional_params(decl: RouteDecl) -> list[RouteDecl]:
    """Express's and fiber's `/:genre?` also answers without the segment: a route per shorter path."""
    shorter: list[RouteDecl] = []
    segments = decl.raw_path.split("/")
    while segments and _OPTIONAL_PARAM.match(segments[-1]):
        segments.pop()
        path = "/".join(segments) or "/"
        kept = set(re.findall(r":(\w+)", path))
        shorter.append(
            replace(
                decl,
                raw_path=path,
                parameters=tuple(p for p in decl.parameters if p.location != "path" or p.name in kept),
                responses=dict(decl.responses),
                unresolved={k: v for k, v in decl.unresolved.items() if k != "path"},
            )
        )
    return shorter


def path_parameter_names(template: str) -> list[str]:
    return re.findall(r"\{([^}]+)\}", template)


# --- security ------------------------------------------------------------------------------------

AuthKind = Literal["apiKey", "bearer", "basic"]


@dataclass(frozen=True, order=True)
class AuthHint:
    """An authentication scheme a middleware or guard checks."""

    kind: AuthKind
    header: str = ""
    jwt: bool = False

    @property
    def scheme_name(self) -> str:
        if self.kind == "bearer":
            return "BearerAuth"
        if self.kind == "basic":
            return "BasicAuth"
        if self.header.lower() == "x-api-key":
            return "ApiKeyAuth"
        return "ApiKeyAuth_" + re.sub(r"[^A-Za-z0-9]", "", self.header)

    @property
    def scheme(self) -> dict[str, Any]:
        if self.kind == "bearer":
            return {"type": "http", "scheme": "bearer", **({"bearerFormat": "JWT"} if self.jwt else {})}
        if self.kind == "basic":
            return {"type": "http", "scheme": "basic"}
        return {"type": "apiKey", "in": "header", "name": self.header}


_API_KEY_HEADER = re.compile(r"^(x-[\w-]*(key|token)|api[-_]?key)$", re.IGNORECASE)


def classify_auth(literals: Iterable[str], body: str) -> tuple[AuthHint, ...]:
    """What a middleware's string literals and code say it checks: an API-key header, Bearer or Basic."""
    lowered = body.lower()
    hints: set[AuthHint] = set()
    for literal in literals:
        value = literal.strip()
        if _API_KEY_HEADER.match(value):
            hints.add(AuthHint("apiKey", value))
        elif value.lower() == "authorization" or value.lower().startswith(("bearer", "basic")):
            if "bearer" in lowered:
                hints.add(AuthHint("bearer", jwt="jwt" in lowered))
            elif "basic" in lowered:
                hints.add(AuthHint("basic"))
            else:
                hints.add(AuthHint("apiKey", "Authorization"))
    return tuple(sorted(hints))


# Alternatives a single middleware accepts; a route behind several middlewares needs one of each.
AuthAlternatives = tuple[AuthHint, ...]


def security_requirements(layers: Iterable[AuthAlternatives]) -> list[dict[str, list[str]]] | None:
    effective = [layer for layer in layers if layer]
    if not effective:
        return None
    requirements: list[dict[str, list[str]]] = []
    for combo in itertools.product(*effective):
        requirement: dict[str, list[str]] = {hint.scheme_name: [] for hint in sorted(set(combo))}
        if requirement not in requirements:
            requirements.append(requirement)
    return requirements


def security_schemes(layers: Iterable[AuthAlternatives]) -> dict[str, dict[str, Any]]:
    return {hint.scheme_name: hint.scheme for layer in layers for hint in layer}


# --- router graph ------------------------------------------------------------------------------


@dataclass
class RouteDecl:
    """A route as registered on one router; its path is still relative to that router."""

    method: HttpMethod | None
    raw_path: str
    file: str
    line: int
    auth: tuple[AuthAlternatives, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    request_body: dict[str, Any] | None = None
    responses: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    unresolved: dict[str, str] = field(default_factory=dict)
    # Methods found inside a method-agnostic handler ("GET".equals(...), switch r.Method).
    handler_methods: tuple[HttpMethod, ...] = ()


@dataclass
class Mount:
    """A child router mounted under a prefix, with the authentication in front of it."""

    prefix: str
    child: str
    auth: tuple[AuthAlternatives, ...] = ()


@dataclass
class Use:
    """Middleware that puts authentication in front of a router's routes (under a prefix)."""

    auth: AuthAlternatives
    # Only routes under this path (relative to the router) are behind the middleware.
    prefix: str = ""


@dataclass
class Router:
    """An app or router and, in registration order, its routes, mounts and middleware."""

    key: str
    prefix: str = ""
    is_app: bool = False
    events: list[RouteDecl | Mount | Use] = field(default_factory=list)


class RouterGraph:
    """Routers, mounts and middleware in registration order; resolve() yields full paths."""

    def __init__(self) -> None:
        self.routers: dict[str, Router] = {}
        self.aliases: dict[str, str] = {}
        # Routers the app's own loader leaves out (an autoload filter): served only where mounted.
        self.unserved: set[str] = set()

    def canonical(self, key: str) -> str:
        seen: set[str] = set()
        while key in self.aliases and key not in seen:
            seen.add(key)
            key = self.aliases[key]
        return key

    def router(self, key: str, *, is_app: bool = False) -> Router:
        key = self.canonical(key)
        router = self.routers.setdefault(key, Router(key))
        router.is_app = router.is_app or is_app
        return router

    def alias(self, key: str, target: str) -> None:
        if self.canonical(target) != key:
            self.aliases[key] = target

    def add(self, key: str, event: RouteDecl | Mount | Use) -> None:
        self.router(key).events.append(event)

    def resolve(self, warnings: list[str]) -> list[tuple[RouteDecl, str, tuple[AuthAlternatives, ...], bool]]:
        """(route, full raw path, auth layers, mounted-where-known) for every reachable route."""
        mounted = {
            self.canonical(e.child) for r in self.routers.values() for e in r.events if isinstance(e, Mount)
        }
        unserved = {self.canonical(k) for k in self.unserved}
        roots = sorted(
            (
                r
                for k, r in self.routers.items()
                if k not in mounted and k not in self.aliases and k not in unserved
            ),
            key=lambda r: (not r.is_app, r.key),
        )
        out: list[tuple[RouteDecl, str, tuple[AuthAlternatives, ...], bool]] = []

        Layers = tuple[tuple[str, AuthAlternatives], ...]
        visited: set[str] = set()

        def applies(layers: Layers, path: str) -> tuple[AuthAlternatives, ...]:
            return tuple(
                a for scope, a in layers if not scope or path == scope or path.startswith(scope + "/")
            )

        def visit(router: Router, prefix: str, auth: Layers, stack: tuple[str, ...]) -> None:
            visited.add(router.key)
            if router.key in stack:
                warnings.append(f"router {router.key} is mounted inside itself; cycle ignored")
                return
            if len(stack) > MAX_DEPTH:
                warnings.append(f"router {router.key}: mounts nested too deeply, not followed")
                return
            here = join_paths(prefix, router.prefix)
            layers = auth
            for event in router.events:
                if isinstance(event, Use):
                    layers = (*layers, (join_paths(here, event.prefix) if event.prefix else "", event.auth))
                elif isinstance(event, Mount):
                    child = self.router(event.child)
                    extra = tuple(("", a) for a in event.auth)
                    visit(child, join_paths(here, event.prefix), (*layers, *extra), (*stack, router.key))
                else:
                    full = join_paths(here, event.raw_path) if event.raw_path.strip("/") else here
                    out.append(
                        (event, full, (*applies(layers, full), *event.auth), bool(stack) or router.is_app)
                    )

        for root in roots:
            visit(root, "", (), ())
        for key in sorted(self.routers):
            if key not in visited and key not in self.aliases and key not in unserved:
                # Only reachable through a mount cycle: report its routes with an unknown prefix.
                warnings.append(f"router {key} is only mounted inside a mount cycle")
                visit(self.routers[key], "", (), ())
        return out


def operations_from_graph(graph: RouterGraph, warnings: list[str]) -> tuple[list[Operation], dict[str, Any]]:
    """Turn resolved routes into Operations (one per method) plus the security schemes they use."""
    operations: list[Operation] = []
    schemes: dict[str, Any] = {}
    for decl, raw_path, layers, mounted in graph.resolve(warnings):
        template, notes = to_template(raw_path)
        unresolved = {**notes, **decl.unresolved}
        if not mounted:
            unresolved.setdefault(
                "path", "router is not mounted anywhere the analysis could follow; prefix unknown"
            )
        methods: tuple[HttpMethod, ...]
        if decl.method is not None:
            methods = (decl.method,)
        elif decl.handler_methods:
            methods = decl.handler_methods
        else:
            methods = ("get",)
            unresolved.setdefault("method", "handler accepts any HTTP method; GET assumed for the spec")
        schemes.update(security_schemes(layers))
        for method in methods:
            operations.append(
                build_operation(method, template, decl, security_requirements(layers), unresolved)
            )
    return operations, schemes


def build_operation(
    method: HttpMethod,
    template: str,
    decl: RouteDecl,
    security: list[dict[str, list[str]]] | None,
    unresolved: dict[str, str],
) -> Operation:
    declared = {(p.location, p.name): p for p in decl.parameters}
    params: list[Parameter] = []
    for name in path_parameter_names(template):
        given = declared.pop(("path", name), None)
        params.append(replace(given, required=True) if given else Parameter(name, "path", required=True))
    params.extend(p for key, p in declared.items() if key[0] != "path")
    return Operation(
        method=method,
        path=template,
        parameters=tuple(sorted(params, key=lambda p: (p.location, p.name))),
        request_body=decl.request_body,
        responses=dict(decl.responses),
        security=security,
        unresolved=dict(sorted(unresolved.items())),
        evidence=Evidence(decl.file, decl.line),
    )


def sort_operations(operations: Iterable[Operation]) -> list[Operation]:
    order = {m: i for i, m in enumerate(HTTP_METHODS)}
    unique: dict[tuple[str, str], Operation] = {}
    for op in operations:
        key = (op.path, op.method)
        unique[key] = with_parameters_of(unique[key], op) if key in unique else op
    return sorted(unique.values(), key=lambda o: (o.path, order[o.method]))


def first_port(
    candidates: Iterable[tuple[int, Evidence]], profile: ProjectProfile
) -> tuple[int, Evidence] | None:
    """The entrypoint's port if it sets one, else the first found in file order."""
    found = list(candidates)
    if not found:
        return None
    entry = (profile.entrypoint or "").lstrip("./")
    for port, ev in found:
        if entry and ev.file == entry:
            return port, ev
    return found[0]


def status_schema(
    responses: dict[str, dict[str, Any] | None], status: str, schema: dict[str, Any] | None
) -> None:
    if status not in responses or responses[status] is None:
        responses[status] = schema
