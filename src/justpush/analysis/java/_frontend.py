"""The Java front-end: index the sources, load the Spring configuration, run each framework module."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .._model import EnvVar, Evidence, ExtractedApi, Operation, ProjectProfile
from .._treesitter import (
    Node,
    env_var,
    evidence,
    field_,
    first_port,
    named_children,
    rebase_api,
    rebase_env,
    rebase_port,
    sort_operations,
    text,
    walk,
)
from ._annotations import annotation_args
from ._config import PLACEHOLDER, load_config
from ._index import SourceIndex
from ._jdkhttp import JdkHttpServer
from ._resolve import Resolver, literal
from ._schema import Schemas
from ._spring import Spring


def _guarded(name: str, run: Callable[[], list[Operation]], warnings: list[str]) -> list[Operation]:
    """One framework module failing becomes a warning; the other modules' routes are still reported."""
    try:
        return run()
    except RecursionError:
        warnings.append(f"{name}: code nested too deeply to analyse; its routes are missing")
    except Exception as exc:  # a bug on unusual code must not lose the other frameworks' routes
        warnings.append(f"{name}: route extraction failed ({type(exc).__name__}: {exc})")
    return []


def extract(root: Path, profile: ProjectProfile) -> ExtractedApi:
    """Routes, schemas and security of a Spring Boot or plain-JDK HTTP service."""
    warnings: list[str] = []
    index = SourceIndex(root, warnings)
    config = load_config(index, warnings)
    warnings.extend(
        f"{f.path}: profile {f.profile!r} is not active; its settings and the variables its placeholders"
        f" read apply only with SPRING_PROFILES_ACTIVE={f.profile}"
        for f in config.inactive_files()
    )
    resolver = Resolver(index, config)
    schemas = Schemas(index)
    spring = Spring(resolver, schemas, warnings)
    operations = [
        *_guarded("spring", lambda: spring.run(profile.entrypoint), warnings),
        *_guarded("jdk-httpserver", lambda: JdkHttpServer(resolver).run(warnings), warnings),
    ]
    if not operations and index.sources:
        warnings.append("java: no HTTP routes found (Spring mappings or HttpServer.createContext)")
    api = ExtractedApi(
        operations=sort_operations(operations),
        schemas=dict(sorted(schemas.components.items())),
        security_schemes=dict(sorted(spring.security.items())) if spring.secured_by_default else {},
        warnings=warnings,
    )
    return rebase_api(api, profile.app_dir)


# --- environment and port ----------------------------------------------------------------------


def _relaxed_env_name(prop: str) -> str:
    # Spring Boot's relaxed binding: server.port ← SERVER_PORT, my-app.api-key ← MYAPP_APIKEY.
    return prop.replace("-", "").replace(".", "_").upper()


def _env_reads(index: SourceIndex) -> list[EnvVar]:
    warnings: list[str] = []
    config = load_config(index, warnings)
    found: list[EnvVar] = []
    for path in index.files_containing("getenv", "@Value"):
        for node in walk(index.parsed(path).root):
            if node.type == "method_invocation" and text(field_(node, "name")) == "getenv":
                args = named_children(field_(node, "arguments"))
                name = literal(args[0]) if args else None
                if name is not None:
                    found.append(env_var(name, _java_default(node), evidence(path, node)))
                elif not args and node.parent is not None:
                    # System.getenv().getOrDefault("X", "d")
                    outer = node.parent
                    if outer.type == "method_invocation" and text(field_(outer, "name")) in (
                        "getOrDefault",
                        "get",
                    ):
                        oargs = named_children(field_(outer, "arguments"))
                        if oargs and (name := literal(oargs[0])) is not None:
                            default = literal(oargs[1]) if len(oargs) > 1 else None
                            found.append(env_var(name, default, evidence(path, outer)))
            elif node.type == "annotation" and text(field_(node, "name")) == "Value":
                value = literal(annotation_args(node).get("value")) or ""
                for match in PLACEHOLDER.finditer(value):
                    prop, default = match.group(1), match.group(2)
                    defined = config.defined(prop)
                    if defined is not None:
                        if PLACEHOLDER.fullmatch(defined) is not None:
                            continue
                        # A value in application.properties/yml wins over the @Value fallback.
                        default = defined
                    found.append(
                        env_var(_relaxed_env_name(prop), default, evidence(path, node, f"@Value {prop}"))
                    )
    for config_file in config.files:
        # Another profile's file is not read unless that profile is activated (see extract's warning).
        if not config.applies(config_file):
            continue
        for key, (value, number) in config_file.values.items():
            for match in PLACEHOLDER.finditer(value):
                prop, default = match.group(1), match.group(2)
                defined = config.defined(prop)
                if defined is not None:
                    # `${database}` names another property of the configuration, not an env variable.
                    if PLACEHOLDER.search(defined) is not None:
                        continue
                    default = defined
                found.append(
                    env_var(_relaxed_env_name(prop), default, Evidence(config_file.path, number, key))
                )
    return found


def _java_default(getenv: Node) -> str | None:
    """Fallbacks around System.getenv("X"): getOrDefault, Optional…orElse("d"), `x != null ? x : "d"`."""
    parent = getenv.parent
    for _ in range(4):
        if parent is None:
            return None
        if parent.type == "method_invocation" and text(field_(parent, "name")) == "orElse":
            args = named_children(field_(parent, "arguments"))
            return literal(args[0]) if args else None
        if parent.type == "ternary_expression" and "getenv" in text(field_(parent, "consequence")):
            alternative = field_(parent, "alternative")
            return literal(alternative) or (
                text(alternative)
                if alternative is not None and alternative.type == "decimal_integer_literal"
                else None
            )
        parent = parent.parent
    return None


def scan_env(root: Path, profile: ProjectProfile) -> list[EnvVar]:
    """Environment variables from System.getenv, @Value placeholders and application.properties/yml."""
    return rebase_env(_env_reads(SourceIndex(root, [])), profile.app_dir)


def find_port(root: Path, profile: ProjectProfile) -> tuple[int, Evidence] | None:
    """server.port from Spring config, HttpServer.create(new InetSocketAddress(N)), else Spring's 8080."""
    warnings: list[str] = []
    candidates: list[tuple[int, Evidence]] = []
    index = SourceIndex(root, warnings)
    config = load_config(index, warnings)
    for config_file in config.files:
        if "server.port" in config_file.values:
            value, number = config_file.values["server.port"]
            placeholder = PLACEHOLDER.fullmatch(value)
            port = placeholder.group(2) if placeholder else value
            if port and port.isdigit():
                candidates.append((int(port), Evidence(config_file.path, number, "server.port")))
    sockets = index.files_containing("InetSocketAddress")
    env = {v.name: v.default for v in _env_reads(index) if v.default is not None} if sockets else {}
    for path in sockets:
        for node in walk(index.parsed(path).root):
            if (
                node.type == "object_creation_expression"
                and text(field_(node, "type")) == "InetSocketAddress"
            ):
                args = named_children(field_(node, "arguments"))
                port = _int_value(args[-1], node, env, 0) if args else None
                if port is not None:
                    candidates.append((port, evidence(path, node)))
    if candidates:
        return rebase_port(first_port(candidates, profile), profile.app_dir)
    if index.sources:
        default = Evidence(next(iter(index.sources)), None, "default port 8080")
        return rebase_port((8080, default), profile.app_dir)
    return None


def _int_value(expr: Node | None, at: Node, env: dict[str, str], depth: int) -> int | None:
    if expr is None or depth > 6:
        return None
    if expr.type == "decimal_integer_literal":
        return int(text(expr).rstrip("lL").replace("_", ""))
    if (value := literal(expr)) is not None:
        return int(value) if value.isdigit() else None
    if expr.type == "method_invocation":
        name = text(field_(expr, "name"))
        args = named_children(field_(expr, "arguments"))
        if name in ("parseInt", "valueOf", "orElse") and args:
            return _int_value(args[0], at, env, depth + 1)
        if name == "getOrDefault" and len(args) == 2:
            return _int_value(args[1], at, env, depth + 1)
        if name == "getenv" and args:
            default = env.get(literal(args[0]) or "")
            return int(default) if default and default.isdigit() else None
    if expr.type == "ternary_expression":
        return _int_value(field_(expr, "alternative"), at, env, depth + 1) or _int_value(
            field_(expr, "consequence"), at, env, depth + 1
        )
    if expr.type == "identifier":
        roots: list[Node] = []
        scope: Node | None = at
        while scope is not None:
            if scope.type in ("method_declaration", "program"):
                roots.append(scope)
            scope = scope.parent
        for root in roots:
            for node in walk(root):
                if node.type == "variable_declarator" and text(field_(node, "name")) == text(expr):
                    return _int_value(field_(node, "value"), node, env, depth + 1)
    return None
