"""What the process needs at run time: the environment variables the code reads and its listen port."""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path

from .._env import make_env_var
from .._model import EnvVar, Evidence, ProjectProfile
from .._treesitter import (
    Node,
    env_var,
    evidence,
    field_,
    first_port,
    named_children,
    rebase_env,
    rebase_port,
    text,
    walk,
)
from ._envschema import schema_env_vars
from ._prisma import prisma_datasources
from ._project import Module, Project, load, nodes_of
from ._resolve import Resolver
from ._syntax import args, member, object_props, param_names, string, unwrap
from ._typeorm import typeorm_env_vars

# @t3-oss/env's createEnv option that hands process.env values to its schema
_RUNTIME_ENV = ("runtimeEnv", "experimental__runtimeEnv")


def _env_default(node: Node) -> str | None:
    """`process.env.X || 'd'`, `?? 3000`, also through Number()/parseInt() wrappers."""
    fallback = _fallback(node)
    if fallback is None:
        return None
    value = string(fallback)
    if value is None and fallback.type in ("number", "true", "false"):
        value = text(fallback)
    return value


def _fallback(node: Node) -> Node | None:
    """The right side of `process.env.X || <fallback>` (or `??`), also through Number()/parseInt()."""
    current = node
    for _ in range(6):
        parent = current.parent
        if parent is None:
            return None
        if parent.type == "binary_expression" and text(field_(parent, "operator")) in ("||", "??"):
            if field_(parent, "left") == current:
                return field_(parent, "right")
            # `process.env.PORT || process.env.ALT_PORT || 8080`: the fallback of the whole chain
            current = parent
            continue
        if parent.type in ("arguments", "parenthesized_expression") or (
            parent.type == "call_expression"
            and text(field_(parent, "function")) in ("Number", "parseInt", "String", "parseFloat")
        ):
            current = parent
            continue
        if _optional_call(parent, current):
            # `process.env.ORIGINS?.split(',') || [...]`: the fallback covers the missing variable
            current = parent.parent if parent.parent is not None else parent
            continue
        return None
    return None


def _optional_call(parent: Node, current: Node) -> bool:
    """`<current>?.method` called right away."""
    return (
        parent.type == "member_expression"
        and field_(parent, "object") == current
        and any(child.type == "optional_chain" for child in parent.children)
        and parent.parent is not None
        and parent.parent.type == "call_expression"
        and field_(parent.parent, "function") == parent
    )


@functools.lru_cache(maxsize=2)
def _env_reads(project: Project) -> tuple[tuple[EnvVar, Node], ...]:
    """Every process.env read (cached: scan_env and find_port both need them for the same project)."""
    return tuple(_find_env_reads(project))


# The nodes an env read is written as: `process.env.X`, `process.env['X']`, `const { X } = process.env`.
_ENV_READ_KINDS = ("member_expression", "subscript_expression", "variable_declarator")


def _find_env_reads(project: Project) -> list[tuple[EnvVar, Node]]:
    found: list[tuple[EnvVar, Node]] = []
    for module in project.modules.values():
        if not module.mentions("process.env"):
            continue
        path = module.parsed.path
        for node in nodes_of(module.parsed, _ENV_READ_KINDS):
            name: str | None = None
            if node.type == "member_expression" and text(field_(node, "object")) == "process.env":
                name = text(field_(node, "property"))
            elif node.type == "subscript_expression" and text(field_(node, "object")) == "process.env":
                name = string(field_(node, "index"))
            elif node.type == "variable_declarator" and text(field_(node, "value")) == "process.env":
                pattern = field_(node, "name")
                for part in named_children(pattern):
                    if part.type == "shorthand_property_identifier_pattern":
                        found.append((env_var(text(part), None, evidence(path, part)), part))
                    elif part.type == "object_assignment_pattern":
                        key = text(field_(part, "left"))
                        right = field_(part, "right")
                        default = string(right) if string(right) is not None else text(right) or None
                        found.append((env_var(key, default, evidence(path, part)), part))
                    elif part.type == "pair_pattern":
                        found.append((env_var(text(field_(part, "key")), None, evidence(path, part)), part))
                continue
            if name and (_handed_to_schema(node) or _assigned(node)):
                continue
            if name:
                # A computed fallback (`|| (env === 'production' ? 'info' : 'debug')`) has no value to
                # show, but the code copes without the variable.
                has_fallback = _fallback(node) is not None
                default = _env_default(node)
                read = env_var(
                    name, default, evidence(path, node), required=default is None and not has_fallback
                )
                found.append((read, node))
    found += _helper_reads(project)
    # A variable the code tests for (`if (process.env.X)`, `process.env.X ? a : b`, `=== 'y'`) copes
    # without it, wherever else it is read.
    tested = {var.name for var, node in found if _tested(node)}
    return [(replace(var, required=False) if var.name in tested else var, node) for var, node in found]


def _assigned(node: Node) -> bool:
    """`process.env.TZ = 'UTC'`: the code sets the variable, it does not need it."""
    parent = node.parent
    return (
        parent is not None
        and parent.type in ("assignment_expression", "augmented_assignment_expression")
        and field_(parent, "left") == node
    )


def _handed_to_schema(node: Node) -> bool:
    """`createEnv({ runtimeEnv: { X: process.env.X } })`: a value passed to an env schema, which decides
    whether the variable is required (see ``_envschema``)."""
    pair = node.parent
    holder = pair.parent if pair is not None and pair.type == "pair" else None
    outer = holder.parent if holder is not None and holder.type == "object" else None
    return outer is not None and outer.type == "pair" and text(field_(outer, "key")) in _RUNTIME_ENV


def _tested(node: Node) -> bool:
    while node.parent is not None and node.parent.type == "parenthesized_expression":
        node = node.parent
    parent = node.parent
    if parent is None:
        return False
    if parent.type in ("if_statement", "while_statement", "unary_expression"):
        return True
    if parent.type == "ternary_expression":
        return field_(parent, "condition") == node
    if parent.type == "binary_expression":
        operator = text(field_(parent, "operator"))
        if operator == "&&":
            return field_(parent, "left") == node
        # A flag compared with a literal (`=== 'production'`); a comparison with a request value
        # (`key !== process.env.API_KEY`) needs the variable.
        other = field_(parent, "right") if field_(parent, "left") == node else field_(parent, "left")
        literal = other is not None and other.type in ("string", "number", "true", "false")
        return operator in ("===", "!==", "==", "!=") and literal
    return False


def _env_helpers(project: Project) -> dict[str, int]:
    """Functions that return `process.env[param]` (`getOsEnv(key)`): name -> the parameter's position."""
    helpers: dict[str, int] = {}
    for module in project.modules.values():
        if not module.mentions("process.env["):
            continue
        for name, fn in module.functions.items():
            params = param_names(fn)
            for node in walk(fn):
                if node.type == "subscript_expression" and text(field_(node, "object")) == "process.env":
                    index = text(field_(node, "index"))
                    if index in params:
                        helpers.setdefault(name, params.index(index))
    return helpers


def _helper_reads(project: Project) -> list[tuple[EnvVar, Node]]:
    """`getOsEnv('APP_PORT')`: variables read through such a helper, by their literal name."""
    helpers = _env_helpers(project)
    found: list[tuple[EnvVar, Node]] = []
    if not helpers:
        return found
    for module in project.modules.values():
        if not module.mentions(*(f"{h}(" for h in helpers)):
            continue
        for node in walk(module.parsed.root):
            if node.type != "call_expression":
                continue
            callee = text(field_(node, "function")).rsplit(".", 1)[-1]
            position = helpers.get(callee)
            given = args(node)
            if position is None or position >= len(given):
                continue
            name = string(given[position])
            if name:
                found.append((env_var(name, _env_default(node), evidence(module.parsed.path, node)), node))
    return found


def scan_env(root: Path, profile: ProjectProfile) -> list[EnvVar]:
    """Environment variables the code reads through process.env, declares in an env schema (Joi,
    envalid, @fastify/env), names in the Prisma datasource (always required: Prisma has no fallback) or
    TypeORM reads for a connection left to it."""
    project = load(root, [])
    found = [var for var, _ in _env_reads(project)] + schema_env_vars(project)
    read = {var.name for var in found}
    found += [var for var in typeorm_env_vars(project) if var.name not in read]
    for datasource in prisma_datasources(root, []):
        # A database URL carries its password, whatever the variable is called.
        found += [make_env_var(name, None, True, where, secret=True) for name, where in datasource.variables]
    return rebase_env(found, profile.app_dir)


def _port_value(expr: Node | None, module: Module, env: dict[str, str], depth: int = 0) -> int | None:
    expr = unwrap(expr)
    if expr is None or depth > 6:
        return None
    if expr.type == "number" and text(expr).isdigit():
        return int(text(expr))
    if (value := string(expr)) is not None:
        return int(value) if value.isdigit() else None
    if expr.type == "binary_expression" and text(field_(expr, "operator")) in ("||", "??"):
        return _port_value(field_(expr, "left"), module, env, depth + 1) or _port_value(
            field_(expr, "right"), module, env, depth + 1
        )
    if expr.type == "call_expression" and text(field_(expr, "function")) in (
        "Number",
        "parseInt",
        "String",
        "parseFloat",
    ):
        return _port_value(next(iter(args(expr)), None), module, env, depth + 1)
    if expr.type == "object":
        return _port_value(object_props(expr).get("port"), module, env, depth + 1)
    if (
        expr.type in ("member_expression", "subscript_expression")
        and text(field_(expr, "object")) == "process.env"
    ):
        name = text(field_(expr, "property")) or string(field_(expr, "index")) or ""
        default = env.get(name)
        return int(default) if default and default.isdigit() else None
    if expr.type == "member_expression" and "env" in text(field_(expr, "object")).lower():
        # `env.PORT` of a validated env schema (Zod, Joi, envalid) with a default
        default = env.get(text(field_(expr, "property")))
        return int(default) if default and default.isdigit() else None
    if expr.type == "identifier":
        for node in walk(module.parsed.root):
            if node.type == "variable_declarator" and text(field_(node, "name")) == text(expr):
                return _port_value(field_(node, "value"), module, env, depth + 1)
            if node.type == "object_assignment_pattern" and text(field_(node, "left")) == text(expr):
                return _port_value(field_(node, "right"), module, env, depth + 1)
    return None


def _resolved_port(resolver: Resolver, module: Module, expr: Node | None) -> int | None:
    """`app.listen(config.port)`: a port the value resolver can evaluate (constants, config modules)."""
    found = resolver.literal(module, expr)
    if found is not None and found[1].type == "object":
        module, expr = found[0], object_props(found[1]).get("port")
    value = resolver.string(module, expr)
    return int(value) if value is not None and value.isdigit() else None


def find_port(root: Path, profile: ProjectProfile) -> tuple[int, Evidence] | None:
    """The port passed to app.listen / fastify.listen({port}) / server.listen, following env defaults."""
    project = load(root, [])
    resolver = Resolver(project)
    reads = [v for v, _ in _env_reads(project)] + schema_env_vars(project)
    env = {v.name: v.default for v in reads if v.default is not None}
    candidates: list[tuple[int, Evidence]] = []
    for module in project.modules.values():
        if not module.mentions("listen(", "listen ("):
            continue
        for node in walk(module.parsed.root):
            if node.type == "call_expression" and member(field_(node, "function"))[1] == "listen":
                first = next(iter(args(node)), None)
                port = _port_value(first, module, env) or _resolved_port(resolver, module, first)
                if port is not None:
                    candidates.append((port, evidence(module.parsed.path, node)))
    return rebase_port(first_port(candidates, profile), profile.app_dir)
