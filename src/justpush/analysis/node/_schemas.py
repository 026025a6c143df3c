"""Route schemas written as values: JSON Schema object literals (named constants become components),
TypeBox builders (`Type.Object({ page: Type.Integer() })`) and Zod schemas (`z.object({...})`, read by
``_zod``), evaluated without running the code."""

from __future__ import annotations

import re
from typing import Any

from .._treesitter import Node, field_, named_children, text
from ._project import Module, Project
from ._resolve import Resolver
from ._syntax import args, member, string, unwrap
from ._types import Types
from ._zod import Optional, read_zod

_MAX_DEPTH = 32
_TYPEBOX_SCALARS: dict[str, dict[str, Any]] = {
    "String": {"type": "string"},
    "Number": {"type": "number"},
    "Integer": {"type": "integer"},
    "Boolean": {"type": "boolean"},
    "Null": {"type": "null"},
    "Any": {},
    "Unknown": {},
    "Date": {"type": "string", "format": "date-time"},
}


class NotLiteral(Exception):
    """An expression whose value needs running the code."""


class SchemaReader:
    def __init__(self, resolver: Resolver, types: Types) -> None:
        self.resolver = resolver
        self.types = types

    def value(self, module: Module, node: Node | None, depth: int = 0, *, inline: bool = False) -> Any:
        """The JSON value of a literal expression or TypeBox builder; NotLiteral for anything computed.

        A named constant holding a JSON Schema inside a route schema becomes a component schema
        (`orderSchema` → `#/components/schemas/Order`) unless `inline` (a spread merges it).
        """
        named = unwrap(node)
        if named is None or depth > _MAX_DEPTH:
            raise NotLiteral
        if named.type in ("identifier", "shorthand_property_identifier"):
            found = self.resolver.project.value(module, text(named))
            if found is None:
                raise NotLiteral
            value = self.value(found[0], found[1], depth + 1, inline=True)
            if (
                not inline
                and depth > 0
                and isinstance(value, dict)
                and ("type" in value or "properties" in value)
            ):
                return self._component(text(named), value)
            return value
        kind = named.type
        if kind in ("string", "template_string"):
            literal = self.resolver.string(module, named)
            if literal is None:
                raise NotLiteral
            return literal
        if kind == "number":
            number = text(named).replace("_", "")
            return float(number) if any(c in number for c in ".eE") else int(number, 0)
        if kind in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[kind]
        if kind == "unary_expression" and text(field_(named, "operator")) == "-":
            return -self.value(module, field_(named, "argument"), depth + 1)
        if kind == "array":
            return [self.value(module, item, depth + 1) for item in named_children(named)]
        if kind == "call_expression":
            zod = read_zod(self, module, named, depth)
            return zod if zod is not None else self._typebox(module, named, depth)
        if kind == "member_expression":
            literal = self.resolver.string(module, named)
            if literal is None:
                raise NotLiteral
            return literal
        if kind != "object":
            raise NotLiteral
        result: dict[str, Any] = {}
        for item in named_children(named):
            if item.type == "pair":
                key = field_(item, "key")
                name = string(key) if key is not None and key.type == "string" else None
                result[name or text(key)] = self.value(module, field_(item, "value"), depth + 1)
            elif item.type == "shorthand_property_identifier":
                result[text(item)] = self.value(module, item, depth + 1)
            elif item.type == "spread_element":
                spread = self.value(module, named_children(item)[0], depth + 1, inline=True)
                if not isinstance(spread, dict):
                    raise NotLiteral
                result.update(spread)
            else:
                raise NotLiteral
        return result

    @property
    def project(self) -> Project:
        return self.resolver.project

    def plain(self, module: Module, node: Node | None, depth: int) -> Any:
        """The value of `node`, None when it is computed."""
        try:
            return self.value(module, node, depth)
        except NotLiteral:
            return None

    def _typebox(self, module: Module, call: Node, depth: int) -> dict[str, Any]:
        obj, builder = member(field_(call, "function"))
        if text(obj) not in ("Type", "t", "T"):
            raise NotLiteral
        given = args(call)
        options: dict[str, Any] = {}
        if builder in _TYPEBOX_SCALARS:
            if given and unwrap(given[0]) is not None and unwrap(given[0]).type == "object":  # type: ignore[union-attr]
                options = _plain(self.value(module, given[0], depth + 1))
            return {**_TYPEBOX_SCALARS[builder], **options}
        if builder in ("Optional", "Readonly") and given:
            return Optional(self.value(module, given[0], depth + 1, inline=True))
        if builder == "Object" and given:
            properties = self.value(module, given[0], depth + 1)
            if not isinstance(properties, dict):
                raise NotLiteral
            required = [k for k, v in properties.items() if not isinstance(v, Optional)]
            schema: dict[str, Any] = {
                "type": "object",
                "properties": {k: _plain(v) for k, v in properties.items()},
            }
            if required:
                schema["required"] = required
            return schema
        if builder == "Array" and given:
            return {"type": "array", "items": _plain(self.value(module, given[0], depth + 1))}
        if builder == "Literal" and given:
            return {"const": self.value(module, given[0], depth + 1)}
        if builder == "Union" and given:
            members = self.value(module, given[0], depth + 1)
            if not isinstance(members, list):
                raise NotLiteral
            consts = [m.get("const") for m in members if isinstance(m, dict) and "const" in m]
            if len(consts) == len(members) and all(isinstance(c, str) for c in consts):
                return {"type": "string", "enum": consts}
            return {"anyOf": [_plain(m) for m in members]}
        if builder == "Intersect" and given:
            return self._intersect(module, given[0], depth)
        if builder == "Ref" and given:
            # `Type.Ref('ApiError')`: a schema registered by `$id` (addSchema), not one of ours
            target = self.value(module, given[0], depth + 1)
            ref = target.get("$id") if isinstance(target, dict) else target
            if not isinstance(ref, str):
                raise NotLiteral
            return {"$ref": ref}
        if builder == "Enum" and given:
            members = self.value(module, given[0], depth + 1)
            values = list(members.values()) if isinstance(members, dict) else []
            if not values:
                raise NotLiteral
            kind = "string" if all(isinstance(v, str) for v in values) else None
            return {"type": kind, "enum": values} if kind else {"enum": values}
        if builder == "Partial" and given:
            inner = _plain(self.value(module, given[0], depth + 1, inline=True))
            inner.pop("required", None)
            return inner
        raise NotLiteral

    def _intersect(self, module: Module, node: Node, depth: int) -> dict[str, Any]:
        """`Type.Intersect([a, b])`: one object of all their properties when each is an object."""
        listed = unwrap(node)
        if listed is None or listed.type != "array":
            raise NotLiteral
        # Inline: merged parts must not also become components of their own.
        members = [self.value(module, item, depth + 1, inline=True) for item in named_children(listed)]
        resolved = [self.types.resolved(m) if isinstance(m, dict) else {} for m in members]
        if not all(r.get("type") == "object" for r in resolved):
            return {"allOf": [_plain(m) for m in members]}
        merged: dict[str, Any] = {"type": "object", "properties": {}}
        required: list[str] = []
        for part in resolved:
            merged["properties"].update(part.get("properties", {}))
            required += [k for k in part.get("required", []) if k not in required]
        if required:
            merged["required"] = required
        return merged

    def _component(self, constant: str, schema: dict[str, Any]) -> dict[str, str]:
        base = re.sub(r"_?[Ss]chema$", "", constant) or constant
        name = base[:1].upper() + base[1:]
        candidate, n = name, 1
        while self.types.schemas.get(candidate, schema) != schema:
            n += 1
            candidate = f"{name}{n}"
        self.types.schemas[candidate] = _plain(schema)
        return {"$ref": f"#/components/schemas/{candidate}"}


def _plain(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}
