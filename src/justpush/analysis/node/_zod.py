"""Zod schemas (`z.object({ page: z.coerce.number().int().default(1) })`) read as JSON Schema, statically.

A Zod schema is a chain: a builder on `z` (or `z.coerce`) and modifiers after it. Builders give the
type; `.optional()`, `.nullish()` and `.default(v)` make an object key optional; format, length and
range modifiers become JSON Schema keywords; modifiers that only change the parsed output or add
checks JSON Schema cannot say (`.transform()`, `.refine()`, `.trim()`) leave the schema as it is.
A chain may also start from a named schema (`baseSchema.extend({...})`, `userSchema.partial()`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from .._treesitter import Node, field_, named_children, text
from ._project import Module, Project
from ._syntax import args, member, object_props, unwrap

_SCALARS: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "number": {"type": "number"},
    "bigint": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date-time"},
    "null": {"type": "null"},
    "any": {},
    "unknown": {},
    # Zod 4's top-level string formats
    "email": {"type": "string", "format": "email"},
    "uuid": {"type": "string", "format": "uuid"},
    "url": {"type": "string", "format": "uri"},
    "int": {"type": "integer"},
}
_FORMATS = {
    "email": "email",
    "uuid": "uuid",
    "url": "uri",
    "datetime": "date-time",
    "date": "date",
    "time": "time",
    "ip": "ip",
    "cuid": "cuid",
}
# Modifiers setting a bound: keyword for strings, numbers, arrays.
_BOUNDS: dict[str, tuple[str, str, str]] = {
    "min": ("minLength", "minimum", "minItems"),
    "gte": ("minLength", "minimum", "minItems"),
    "max": ("maxLength", "maximum", "maxItems"),
    "lte": ("maxLength", "maximum", "maxItems"),
    "gt": ("minLength", "exclusiveMinimum", "minItems"),
    "lt": ("maxLength", "exclusiveMaximum", "maxItems"),
}
_MAX_CHAIN = 40


# Methods only a Zod schema has: a chain starting at a named schema (`userSchema.partial()`) is Zod.
_SCHEMA_METHODS = frozenset(
    {"optional", "nullable", "nullish", "default", "extend", "merge", "partial", "pick", "omit", "describe"}
)


class Optional(dict[str, Any]):
    """A schema an object key may be missing for (Zod `.optional()`, TypeBox `Type.Optional(...)`)."""


class ValueReader(Protocol):
    @property
    def project(self) -> Project:
        """The project values are looked up in."""

    def value(self, module: Module, node: Node | None, depth: int = 0, *, inline: bool = False) -> Any:
        """The JSON value of an expression (raises NotLiteral when it is computed)."""

    def plain(self, module: Module, node: Node | None, depth: int) -> Any:
        """The JSON value of an expression, None when it is computed."""


@dataclass
class ZodSchema:
    """A schema and whether an object key holding it may be left out."""

    schema: dict[str, Any]
    optional: bool = False

    def result(self) -> dict[str, Any]:
        return Optional(self.schema) if self.optional else self.schema


def is_zod(project: Project, module: Module, call: Node) -> bool:
    """Whether a call chain starts at zod's `z` (`z.string()`, `z.coerce.number().min(1)`)."""
    root = _root(call)
    if root is None or root.type != "identifier":
        return False
    name = text(root)
    return name == "z" or project.package_of(module, name).startswith("zod")


def _root(call: Node) -> Node | None:
    node: Node | None = call
    for _ in range(_MAX_CHAIN):
        node = unwrap(node)
        if node is None:
            return None
        if node.type == "call_expression":
            node = field_(node, "function")
        elif node.type == "member_expression":
            node = field_(node, "object")
        else:
            return node
    return None


def read_zod(reader: ValueReader, module: Module, call: Node, depth: int) -> dict[str, Any] | None:
    """The JSON Schema of a Zod chain (an ``Optional`` if it may be left out); None if not Zod."""
    chain: list[tuple[str, list[Node]]] = []
    node: Node | None = call
    while node is not None and node.type == "call_expression" and len(chain) < _MAX_CHAIN:
        obj, name = member(field_(node, "function"))
        chain.append((name, args(node)))
        node = unwrap(obj)
    chain.reverse()
    if node is not None and node.type == "member_expression":
        node = unwrap(field_(node, "object"))  # `z.coerce`
    if node is None or not chain:
        return None
    if is_zod(reader.project, module, node):
        name, given = chain[0]
        result = _builder(reader, module, name, given, depth)
        chain = chain[1:]
    elif node.type == "identifier" and chain[0][0] in _SCHEMA_METHODS:
        base = reader.value(module, node, depth + 1, inline=True)
        if not isinstance(base, dict):
            return None
        result = ZodSchema(dict(base), isinstance(base, Optional))
    else:
        return None
    for name, given in chain:
        result = _modifier(reader, module, result, name, given, depth)
    return result.result()


def _inner(reader: ValueReader, module: Module, node: Node | None, depth: int) -> ZodSchema:
    found = reader.value(module, node, depth + 1)
    return ZodSchema(dict(found), isinstance(found, Optional)) if isinstance(found, dict) else ZodSchema({})


def _builder(reader: ValueReader, module: Module, name: str, given: list[Node], depth: int) -> ZodSchema:
    first = given[0] if given else None
    if name in _SCALARS:
        return ZodSchema(dict(_SCALARS[name]))
    if name in ("object", "strictObject", "looseObject") and first is not None:
        return ZodSchema(_object(reader, module, first, depth))
    if name == "array" and first is not None:
        return ZodSchema({"type": "array", "items": _inner(reader, module, first, depth).schema})
    if name == "literal" and first is not None:
        return ZodSchema({"const": reader.value(module, first, depth + 1)})
    if name == "enum" and first is not None:
        members = reader.value(module, first, depth + 1)
        if isinstance(members, list):
            return ZodSchema({"type": "string", "enum": members})
        return ZodSchema({"type": "string"})
    if name in ("union", "discriminatedUnion") and given:
        options = reader.value(module, given[-1], depth + 1)
        members = [dict(o) for o in options if isinstance(o, dict)] if isinstance(options, list) else []
        consts = [m.get("const") for m in members if isinstance(m, dict) and "const" in m]
        if members and len(consts) == len(members) and all(isinstance(c, str) for c in consts):
            return ZodSchema({"type": "string", "enum": consts})
        return ZodSchema({"anyOf": [m for m in members if isinstance(m, dict)]})
    if name == "record" and given:
        values = _inner(reader, module, given[-1], depth).schema
        return ZodSchema({"type": "object", "additionalProperties": values})
    if name in ("optional", "nullable", "nullish") and first is not None:
        return _modifier(reader, module, _inner(reader, module, first, depth), name, [], depth)
    # nativeEnum, instanceof, lazy, custom...: a value JSON Schema cannot describe from here
    return ZodSchema({})


def _object(reader: ValueReader, module: Module, node: Node, depth: int) -> dict[str, Any]:
    """`z.object({...})`: a key whose schema cannot be read (imported from outside the app) is marked."""
    literal = unwrap(node)
    if literal is not None and literal.type == "identifier":
        found = reader.project.value(module, text(literal))
        module, literal = found if found is not None else (module, None)
    props = object_props(unwrap(literal))
    if literal is None or (not props and named_children(literal)):
        return {"type": "object"}
    properties: dict[str, Any] = {}
    required: list[str] = []
    for key, item in props.items():
        schema = reader.plain(module, item, depth + 1)
        if isinstance(schema, dict):
            properties[key] = dict(schema)
        else:
            properties[key] = {"x-justpush-unresolved": f"`{text(item)}` is not known statically"}
        if not isinstance(schema, Optional):
            required.append(key)
    result: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        result["required"] = required
    return result


def _modifier(
    reader: ValueReader, module: Module, current: ZodSchema, name: str, given: list[Node], depth: int
) -> ZodSchema:
    schema = dict(current.schema)
    first = given[0] if given else None
    if name in ("optional", "nullish", "default", "catch"):
        if name == "nullish":
            schema = _nullable(schema)
        if name == "default" and first is not None and unwrap(first) is not None:
            default = _literal(reader, module, first, depth)
            if default is not None:
                schema["default"] = default
        return ZodSchema(schema, optional=True)
    if name == "nullable":
        return ZodSchema(_nullable(schema), current.optional)
    if name == "describe" and first is not None:
        described = _literal(reader, module, first, depth)
        if isinstance(described, str):
            schema["description"] = described
    elif name == "int":
        schema["type"] = "integer"
    elif name in ("positive", "nonnegative"):
        schema["exclusiveMinimum" if name == "positive" else "minimum"] = 0
    elif name in _FORMATS and schema.get("type") == "string":
        schema["format"] = _FORMATS[name]
    elif name in _BOUNDS and first is not None:
        bound = _literal(reader, module, first, depth)
        keywords = _BOUNDS[name]
        kind = schema.get("type")
        keyword = keywords[1] if kind in ("number", "integer") else keywords[2 if kind == "array" else 0]
        if isinstance(bound, int | float) and not isinstance(bound, bool):
            schema[keyword] = bound
    elif name == "length" and first is not None:
        size = _literal(reader, module, first, depth)
        if isinstance(size, int):
            kind = "Items" if schema.get("type") == "array" else "Length"
            schema[f"min{kind}"] = schema[f"max{kind}"] = size
    elif name == "array":
        return ZodSchema({"type": "array", "items": schema})
    elif name == "partial":
        schema.pop("required", None)
    elif name in ("extend", "merge", "safeExtend") and first is not None:
        extra = (
            _inner(reader, module, first, depth).schema
            if name == "merge"
            else _object(reader, module, first, depth)
        )
        properties = {**schema.get("properties", {}), **extra.get("properties", {})}
        required = [k for k in schema.get("required", []) if k not in extra.get("properties", {})]
        schema = {**schema, "type": "object", "properties": properties}
        schema.pop("required", None)
        if required + extra.get("required", []):
            schema["required"] = required + extra.get("required", [])
    elif name in ("pick", "omit") and first is not None:
        keys = reader.value(module, first, depth + 1)
        chosen = set(keys) if isinstance(keys, dict) else set()
        pick = name == "pick"
        schema["properties"] = {
            k: v for k, v in schema.get("properties", {}).items() if (k in chosen) == pick
        }
        if "required" in schema:
            schema["required"] = [k for k in schema["required"] if (k in chosen) == pick]
    return ZodSchema(schema, current.optional)


def _literal(reader: ValueReader, module: Module, node: Node, depth: int) -> Any:
    """A plain argument value, or None when it is computed (a default may be `() => new Date()`)."""
    found = reader.plain(module, node, depth + 1)
    return None if isinstance(found, dict | list) else found


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return {**schema, "type": [kind, "null"]}
    if not schema:
        return schema
    return {"anyOf": [schema, {"type": "null"}]}
