"""TypeScript interfaces, type aliases, enums and DTO classes as JSON Schemas (components)."""

from __future__ import annotations

from typing import Any

from .._treesitter import Node, field_, named_children, text, unresolved_type, walk
from ._project import Project
from ._syntax import string

_TS_PRIMITIVES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "bigint": {"type": "integer"},
    "any": {},
    "unknown": {},
    "object": {"type": "object"},
    "Date": {"type": "string", "format": "date-time"},
    "null": {"type": "null"},
}


class Types:
    """Schemas of TypeScript types, collected into ``schemas`` by name as they are referenced."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.schemas: dict[str, dict[str, Any]] = {}

    def of(self, node: Node | None) -> dict[str, Any]:
        if node is not None and node.type == "type_annotation":
            node = next(iter(named_children(node)), None)
        if node is None:
            return {}
        kind = node.type
        value = text(node)
        if kind == "predefined_type" or value in _TS_PRIMITIVES:
            return dict(_TS_PRIMITIVES.get(value, {}))
        if kind == "array_type":
            return {"type": "array", "items": self.of(named_children(node)[0])}
        if kind == "generic_type":
            name = text(field_(node, "name"))
            args = named_children(field_(node, "type_arguments"))
            if name in ("Array", "ReadonlyArray", "Set") and args:
                return {"type": "array", "items": self.of(args[0])}
            if name in ("Promise", "Observable", "Partial", "Readonly", "Required") and args:
                return self.of(args[0])
            if name == "Record" and len(args) == 2:
                return {"type": "object", "additionalProperties": self.of(args[1])}
            return self.ref(name)
        if kind == "union_type":
            members = [m for m in named_children(node)]
            literals = [
                string(named_children(m)[0])
                for m in members
                if m.type == "literal_type" and named_children(m)
            ]
            non_null = [m for m in members if text(m) not in ("null", "undefined")]
            if literals and all(v is not None for v in literals) and len(literals) == len(members):
                return {"type": "string", "enum": literals}
            if len(non_null) == 1:
                return self.of(non_null[0])
            return {"anyOf": [self.of(m) for m in non_null]}
        if kind == "literal_type":
            literal = string(named_children(node)[0]) if named_children(node) else None
            return {"type": "string", "enum": [literal]} if literal is not None else {}
        if kind == "object_type":
            return self._members(node)
        if kind == "parenthesized_type":
            return self.of(named_children(node)[0] if named_children(node) else None)
        if kind == "type_identifier":
            return self.ref(value)
        return {}

    def ref(self, name: str) -> dict[str, Any]:
        declaration = self.project.types.get(name)
        if declaration is None:
            return unresolved_type(name)
        if name not in self.schemas:
            self.schemas[name] = {}
            self.schemas[name] = self._declaration(declaration)
        return {"$ref": f"#/components/schemas/{name}"}

    def resolved(self, schema: dict[str, Any]) -> dict[str, Any]:
        """A $ref's target schema (or the schema itself)."""
        name = str(schema.get("$ref", "")).rsplit("/", 1)[-1]
        return self.schemas.get(name, schema) if name else schema

    def _declaration(self, node: Node) -> dict[str, Any]:
        parents = [
            self.ref(text(t))
            for clause in node.named_children
            if clause.type in ("extends_type_clause", "class_heritage")
            for t in walk(clause)
            if t.type in ("type_identifier", "identifier")
            and t.parent is not None
            and t.parent.type != "implements_clause"
        ]
        if parents:
            own = self._members(field_(node, "body") or node)
            return {"allOf": [*[p for p in parents if p], own]}
        if node.type == "type_alias_declaration":
            return self.of(field_(node, "value"))
        if node.type == "enum_declaration":
            values = [
                string(field_(m, "value")) or text(field_(m, "name"))
                if m.type == "enum_assignment"
                else text(m)
                for m in named_children(field_(node, "body"))
            ]
            return {"type": "string", "enum": values}
        return self._members(field_(node, "body") or node)

    def _members(self, body: Node) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        for member in named_children(body):
            if member.type not in ("property_signature", "public_field_definition"):
                continue
            if any(
                c.type in ("static", "accessibility_modifier") and text(c) in ("static", "private")
                for c in member.children
            ):
                continue
            name = text(field_(member, "name")).strip("'\"")
            decorators = [text(d) for d in member.children_by_field_name("decorator")] + [
                text(d) for d in member.children if d.type == "decorator"
            ]
            prop_schema = self.of(field_(member, "type"))
            if any(d.startswith("@IsEmail") for d in decorators):
                prop_schema = {**prop_schema, "format": "email"}
            properties[name] = prop_schema
            optional = any(c.type == "?" for c in member.children) or any(
                d.startswith("@IsOptional") for d in decorators
            )
            if not optional and field_(member, "value") is None:
                required.append(name)
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = sorted(set(required))
        return schema
