"""Go types → JSON Schema; named structs become components referenced by $ref."""

from __future__ import annotations

import re
from typing import Any

from .._treesitter import Node, field_, named_children, text, unresolved_type, walk
from ._index import GoIndex
from ._syntax import go_string

BASIC_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "bool": {"type": "boolean"},
    "byte": {"type": "integer"},
    "rune": {"type": "integer"},
    "float32": {"type": "number", "format": "float"},
    "float64": {"type": "number", "format": "double"},
    "any": {},
    "error": {"type": "string"},
    **{
        t: {"type": "integer", "format": "int64" if "64" in t else "int32"}
        for t in ("int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64")
    },
}
_QUALIFIED_TYPES: dict[str, dict[str, Any]] = {
    "time.Time": {"type": "string", "format": "date-time"},
    "time.Duration": {"type": "integer", "format": "int64"},
    "uuid.UUID": {"type": "string", "format": "uuid"},
    "json.RawMessage": {},
    "json.Number": {"type": "number"},
}


class Schemas:
    def __init__(self, index: GoIndex) -> None:
        self.structs: dict[str, Node] = {}
        for (_, name), spec in index.types.items():
            self.structs.setdefault(name, spec)
        self.schemas: dict[str, dict[str, Any]] = {}

    def of_type(self, node: Node | None) -> dict[str, Any]:
        if node is None:
            return {}
        kind = node.type
        if kind == "pointer_type":
            return self.of_type(named_children(node)[0] if named_children(node) else None)
        if kind in ("slice_type", "array_type"):
            return {"type": "array", "items": self.of_type(field_(node, "element"))}
        if kind == "map_type":
            return {"type": "object", "additionalProperties": self.of_type(field_(node, "value"))}
        if kind == "struct_type":
            return self._struct(node)
        if kind == "interface_type":
            return {}
        if kind == "qualified_type":
            known = _QUALIFIED_TYPES.get(text(node))
            if known is not None:
                return dict(known)
            return self.ref(text(field_(node, "name")))
        if kind == "type_identifier":
            return self.ref(text(node))
        if kind == "generic_type":
            return self.of_type(field_(node, "type"))
        return {}

    def ref(self, name: str) -> dict[str, Any]:
        if name in BASIC_TYPES:
            return dict(BASIC_TYPES[name])
        spec = self.structs.get(name)
        if spec is None:
            return unresolved_type(name)
        underlying = field_(spec, "type")
        if underlying is None or underlying.type != "struct_type":
            return self.of_type(underlying)
        if name not in self.schemas:
            self.schemas[name] = {}
            self.schemas[name] = self._struct(underlying)
        return {"$ref": f"#/components/schemas/{name}"}

    def tagged_fields(self, node: Node | None, tag: str, depth: int = 0) -> list[str]:
        """Names a struct type's fields carry in one tag (`form:"page"`), for query-bound structs; an
        embedded struct's fields are bound too."""
        spec = self.structs.get(text(node).lstrip("*").split(".")[-1]) if node is not None else None
        body = field_(spec, "type") if spec is not None else None
        names: list[str] = []
        for decl in walk(body) if body is not None else ():
            if decl.type != "field_declaration":
                continue
            found = re.search(tag + r':"([^",]+)', go_string(field_(decl, "tag")) or "")
            if found and found.group(1) != "-":
                names.append(found.group(1))
            elif not decl.children_by_field_name("name") and depth < 4:
                names.extend(self.tagged_fields(field_(decl, "type"), tag, depth + 1))
        return names

    def _struct(self, node: Node) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        for decl in walk(node):
            if decl.type != "field_declaration" or decl.parent is None or decl.parent.parent != node:
                continue
            tag = go_string(field_(decl, "tag")) or ""
            json_tag = re.search(r'json:"([^"]*)"', tag)
            parts = json_tag.group(1).split(",") if json_tag else [""]
            if parts[0] == "-" and len(parts) == 1:
                continue
            type_node = field_(decl, "type")
            names = [text(n) for n in decl.children_by_field_name("name")]
            if not names:
                # An embedded struct's fields are promoted into the JSON object.
                embedded = self.structs.get(text(type_node).lstrip("*").split(".")[-1])
                inner = field_(embedded, "type") if embedded is not None else None
                if inner is not None and inner.type == "struct_type":
                    sub = self._struct(inner)
                    properties.update(sub.get("properties", {}))
                    required.extend(sub.get("required", []))
                continue
            for go_name in names:
                if not go_name[:1].isupper():
                    continue
                key = parts[0] or go_name
                properties[key] = self.of_type(type_node)
                validation = re.search(r'(?:binding|validate):"([^"]*)"', tag)
                if "omitempty" not in parts[1:] or (validation and "required" in validation.group(1)):
                    required.append(key)
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = sorted(set(required))
        return schema
