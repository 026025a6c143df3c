"""Env vars declared in a validation schema rather than read one by one through process.env.

- Joi: ``Joi.object({ PORT: Joi.number().default(3000), DB_URL: Joi.string().required() })`` (validating
  process.env, or a NestJS ``ConfigModule`` ``validationSchema``): required with ``.required()`` and no
  ``.default()``; Joi keys are optional otherwise. ``.description('…')`` becomes the description.
- envalid: ``cleanEnv(process.env, { API_KEY: str(), PORT: port({ default: 3000 }) })``: required unless
  the validator has a ``default`` (``devDefault`` applies outside production only, so it still is).
- @fastify/env / env-schema: a JSON Schema ``{ type: 'object', required: [...], properties: { X: { type,
  default } } }``: required when listed in ``required`` and without a ``default``; a TypeBox
  ``Type.Object({...})``: required unless ``Type.Optional(...)`` or a ``default`` option.
- Zod: ``z.object({ PORT: z.coerce.number().default(3333), DATABASE_URL: z.string().url() })`` (parsed from
  process.env) and @t3-oss/env's ``createEnv({ server: {...}, shared: {...} })``: required unless the
  chain has ``.default()``, ``.optional()``, ``.nullish()`` or ``.catch()``.
- env-var: ``get('DB_HOST').required().asString()`` (also ``env.get(...)``, ``from('...').get(...)``):
  required with ``.required()`` (not ``.required(false)``) and no ``.default()``.

Only schemas whose keys all look like environment variable names (UPPER_SNAKE) count, which keeps
request-body schemas out.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .._model import EnvVar
from .._treesitter import Node, env_var, evidence, field_, named_children, text, walk
from ._project import Module, Project
from ._syntax import args, member, object_props, string, unwrap
from ._zod import is_zod

_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
_FASTIFY_ENV = ("@fastify/env", "fastify-env", "env-schema")
_ZOD_OPTIONAL = ("default", "optional", "nullish", "catch")
# @t3-oss/env's createEnv: the groups of server-side variables (`client` ones are bundled at build time)
_T3_GROUPS = ("server", "shared")


def _object(module: Module, node: Node | None) -> dict[str, Node]:
    """An object literal's properties, also through a `const` of this module naming it."""
    node = unwrap(node)
    if node is not None and node.type == "identifier":
        node = unwrap(module.values.get(text(node)))
    return object_props(node)


def _env_keys(props: dict[str, Node]) -> bool:
    return bool(props) and all(_ENV_NAME.match(key) for key in props)


def _value(node: Node | None) -> tuple[bool, str | None]:
    """(whether a default is given, its text when it is a plain value)."""
    node = unwrap(node)
    if node is None:
        return False, None
    if (value := string(node)) is not None:
        return True, value
    if node.type in ("number", "true", "false"):
        return True, text(node)
    return True, None


def _chain(node: Node | None) -> dict[str, list[Node]]:
    """`Joi.string().uri().default('x')`: method name -> its arguments, along the call chain."""
    methods: dict[str, list[Node]] = {}
    node = unwrap(node)
    while node is not None and node.type == "call_expression":
        owner, name = member(field_(node, "function"))
        if owner is None:
            break
        methods.setdefault(name, args(node))
        node = unwrap(owner)
    return methods


def _joi(module: Module) -> list[EnvVar]:
    found: list[EnvVar] = []
    for node in walk(module.parsed.root):
        if node.type != "call_expression":
            continue
        owner, name = member(field_(node, "function"))
        if owner is None or name not in ("object", "keys") or not text(owner).lower().startswith("joi"):
            continue
        props = _object(module, next(iter(args(node)), None))
        if not _env_keys(props):
            continue
        for key, value in props.items():
            methods = _chain(value)
            has_default, default = _value(next(iter(methods.get("default", [])), None))
            has_default = has_default or "default" in methods
            required = "required" in methods and not has_default
            var = env_var(key, default, evidence(module.path, value, "Joi schema"), required=required)
            described = string(next(iter(methods.get("description", [])), None))
            found.append(replace(var, description=described) if described else var)
    return found


def _envalid(module: Module) -> list[EnvVar]:
    found: list[EnvVar] = []
    for node in walk(module.parsed.root):
        if node.type != "call_expression":
            continue
        if text(field_(node, "function")).rsplit(".", 1)[-1] not in ("cleanEnv", "customCleanEnv"):
            continue
        given = args(node)
        props = _object(module, given[1] if len(given) > 1 else None)
        for key, value in props.items():
            validator = unwrap(value)
            options = (
                object_props(next(iter(args(validator)), None))
                if validator is not None and validator.type == "call_expression"
                else {}
            )
            has_default, default = _value(options.get("default"))
            ev = evidence(module.path, value, "envalid cleanEnv")
            found.append(env_var(key, default, ev, required=not has_default))
    return found


def _json_schema(module: Module) -> list[EnvVar]:
    found: list[EnvVar] = []
    for node in walk(module.parsed.root):
        if node.type != "object":
            continue
        schema = object_props(node)
        if string(schema.get("type")) != "object":
            continue
        props = object_props(unwrap(schema.get("properties")))
        if not _env_keys(props):
            continue
        listed = unwrap(schema.get("required"))
        required = {string(item) for item in named_children(listed)} if listed is not None else set()
        for key, value in props.items():
            has_default, default = _value(object_props(unwrap(value)).get("default"))
            ev = evidence(module.path, value, "@fastify/env schema")
            found.append(env_var(key, default, ev, required=key in required and not has_default))
    return found


def _typebox(module: Module) -> list[EnvVar]:
    """`Type.Object({ PORT: Type.Number({ default: 3000 }), DB_URL: Type.String() })` given to env-schema:
    required unless `Type.Optional(...)` or a `default` option."""
    found: list[EnvVar] = []
    for node in walk(module.parsed.root):
        if node.type != "call_expression":
            continue
        owner, name = member(field_(node, "function"))
        if name != "Object" or text(owner) not in ("Type", "T", "t"):
            continue
        props = _object(module, next(iter(args(node)), None))
        if not _env_keys(props):
            continue
        for key, value in props.items():
            validator = unwrap(value)
            _, builder = member(field_(validator, "function")) if validator is not None else (None, "")
            given = args(validator) if validator is not None and validator.type == "call_expression" else []
            options = object_props(unwrap(given[-1])) if given else {}
            has_default, default = _value(options.get("default"))
            optional = builder == "Optional" or "default" in options
            ev = evidence(module.path, value, "env-schema TypeBox schema")
            found.append(env_var(key, default if has_default else None, ev, required=not optional))
    return found


def _zod(project: Project, module: Module) -> list[EnvVar]:
    found: list[EnvVar] = []
    for node in walk(module.parsed.root):
        if node.type != "call_expression":
            continue
        callee = field_(node, "function")
        _, name = member(callee)
        given = args(node)
        groups: list[dict[str, Node]] = []
        if name in ("object", "strictObject") and is_zod(project, module, node):
            groups.append(_object(module, next(iter(given), None)))
        elif text(callee).rsplit(".", 1)[-1] == "createEnv":
            options = _object(module, next(iter(given), None))
            groups += [_object(module, options.get(group)) for group in _T3_GROUPS]
        for props in groups:
            if not _env_keys(props):
                continue
            for key, value in props.items():
                methods = _chain(value)
                has_default, default = _value(next(iter(methods.get("default", [])), None))
                optional = has_default or any(m in methods for m in _ZOD_OPTIONAL)
                var = env_var(
                    key, default, evidence(module.path, value, "Zod env schema"), required=not optional
                )
                described = string(next(iter(methods.get("describe", [])), None))
                found.append(replace(var, description=described) if described else var)
    return found


def _env_var_package(project: Project, module: Module) -> list[EnvVar]:
    found: list[EnvVar] = []
    for node in walk(module.parsed.root):
        if node.type != "call_expression":
            continue
        callee = field_(node, "function")
        owner, name = member(callee)
        root = text(owner).split(".")[0].split("(")[0] if owner is not None else text(callee)
        if (name or text(callee)) != "get" or project.package_of(module, root) != "env-var":
            continue
        key = string(next(iter(args(node)), None))
        if key is None or not _ENV_NAME.match(key):
            continue
        methods = _outer_chain(node)
        has_default, default = _value(next(iter(methods.get("default", [])), None))
        flag = text(next(iter(methods.get("required", [])), None))
        required = "required" in methods and flag != "false" and not has_default
        found.append(env_var(key, default, evidence(module.path, node, "env-var"), required=required))
    return found


def _outer_chain(call: Node) -> dict[str, list[Node]]:
    """`get('X').required().asString()` seen from `get(...)`: the methods called on its result."""
    methods: dict[str, list[Node]] = {}
    node = call
    while node.parent is not None and node.parent.type == "member_expression":
        outer = node.parent.parent
        if outer is None or outer.type != "call_expression":
            break
        methods.setdefault(text(field_(node.parent, "property")), args(outer))
        node = outer
    return methods


def schema_env_vars(project: Project) -> list[EnvVar]:
    """Variables declared in the project's Joi, envalid, @fastify/env and Zod schemas or read with env-var."""
    fastify_env = any(m.mentions(*_FASTIFY_ENV) for m in project.modules.values())
    found: list[EnvVar] = []
    for module in project.modules.values():
        if module.mentions("Joi.", "joi."):
            found += _joi(module)
        if module.mentions("cleanEnv"):
            found += _envalid(module)
        if fastify_env and module.mentions("properties"):
            found += _json_schema(module)
        if fastify_env and module.mentions("Object("):
            found += _typebox(module)
        if module.mentions("zod", "createEnv"):
            found += _zod(project, module)
        if module.mentions("env-var"):
            found += _env_var_package(project, module)
    return found
