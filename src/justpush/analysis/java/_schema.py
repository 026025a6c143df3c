"""JSON Schemas of Java types: primitives, collections, wrappers, and project classes/records/enums."""

from __future__ import annotations

from typing import Any

from .._treesitter import Node, field_, named_children, text, unresolved_type
from ._annotations import annotation_args, annotations_of
from ._index import SourceIndex
from ._resolve import literal

JAVA_TYPES: dict[str, dict[str, Any]] = {
    "String": {"type": "string"},
    "CharSequence": {"type": "string"},
    "char": {"type": "string"},
    "Character": {"type": "string"},
    "UUID": {"type": "string", "format": "uuid"},
    "int": {"type": "integer", "format": "int32"},
    "Integer": {"type": "integer", "format": "int32"},
    "short": {"type": "integer"},
    "Short": {"type": "integer"},
    "byte": {"type": "integer"},
    "long": {"type": "integer", "format": "int64"},
    "Long": {"type": "integer", "format": "int64"},
    "BigInteger": {"type": "integer"},
    "double": {"type": "number", "format": "double"},
    "Double": {"type": "number", "format": "double"},
    "float": {"type": "number", "format": "float"},
    "Float": {"type": "number", "format": "float"},
    "BigDecimal": {"type": "number"},
    "boolean": {"type": "boolean"},
    "Boolean": {"type": "boolean"},
    "LocalDate": {"type": "string", "format": "date"},
    "LocalDateTime": {"type": "string", "format": "date-time"},
    "Instant": {"type": "string", "format": "date-time"},
    "OffsetDateTime": {"type": "string", "format": "date-time"},
    "ZonedDateTime": {"type": "string", "format": "date-time"},
    "Date": {"type": "string", "format": "date-time"},
    # java.sql's, bound from a request parameter like Date
    "Timestamp": {"type": "string", "format": "date-time"},
    "LocalTime": {"type": "string", "format": "time"},
    "Object": {},
    "JsonNode": {},
}
_ARRAYS = ("List", "Set", "Collection", "Iterable", "Flux", "Stream", "ArrayList", "HashSet")
_WRAPPERS = ("ResponseEntity", "Optional", "Mono", "CompletableFuture", "HttpEntity")
_REQUIRED_ANNOTATIONS = ("NotNull", "NotBlank", "NotEmpty")
_MAX_SUPERCLASSES = 8


class Schemas:
    def __init__(self, index: SourceIndex) -> None:
        self.index = index
        self.components: dict[str, dict[str, Any]] = {}

    def of(self, node: Node | None, near: str) -> dict[str, Any] | None:
        """JSON schema of a Java type; None for void."""
        if node is None or node.type == "void_type":
            return None
        if node.type in ("integral_type", "floating_point_type", "boolean_type"):
            return dict(JAVA_TYPES.get(text(node), {}))
        if node.type == "array_type":
            return {"type": "array", "items": self.of(field_(node, "element"), near) or {}}
        if node.type == "generic_type":
            children = named_children(node)
            name = text(children[0]).split(".")[-1]
            args = named_children(children[1]) if len(children) > 1 else []
            if name in _ARRAYS and args:
                return {"type": "array", "items": self.of(args[0], near) or {}}
            if name in _WRAPPERS and args:
                if args[0].type == "wildcard" or text(args[0]) in ("Void", "?"):
                    return {} if text(args[0]) != "Void" else None
                return self.of(args[0], near)
            if name in ("Map", "HashMap") and len(args) == 2:
                return {"type": "object", "additionalProperties": self.of(args[1], near) or {}}
            return self.ref(name, near)
        name = text(node).split(".")[-1]
        if name == "Void":
            return None
        if name in JAVA_TYPES:
            return dict(JAVA_TYPES[name])
        return self.ref(name, near)

    def ref(self, name: str, near: str) -> dict[str, Any]:
        found = self.index.type_(name, near)
        if found is None:
            return unresolved_type(name)
        if name not in self.components:
            self.components[name] = {}
            self.components[name] = self._class_schema(found.node, found.file)
        return {"$ref": f"#/components/schemas/{name}"}

    def properties(self, name: str, near: str, depth: int = 0) -> dict[str, Any] | None:
        """The simple-valued properties of a project class or record, its superclasses' included (what
        Spring binds from request parameters to a model attribute); None for anything else."""
        found = self.index.type_(name, near)
        if found is None or found.node.type not in ("class_declaration", "record_declaration"):
            return None
        properties: dict[str, Any] = {}
        parents = named_children(field_(found.node, "superclass"))
        if parents and depth < _MAX_SUPERCLASSES:
            parent = text(parents[0]).split("<")[0].split(".")[-1]
            properties.update(self.properties(parent, found.file, depth + 1) or {})
        properties.update(self._class_schema(found.node, found.file)["properties"])
        return {n: schema for n, schema in properties.items() if self._simple(schema)}

    def _simple(self, schema: dict[str, Any]) -> bool:
        """A value a query parameter can carry: a scalar, an enum, or an array of them."""
        if schema.get("type") == "array":
            return self._simple(schema.get("items") or {})
        if "$ref" in schema:
            return "enum" in self.components.get(str(schema["$ref"]).rsplit("/", 1)[-1], {})
        return schema.get("type") in ("string", "integer", "number", "boolean")

    def is_enum(self, name: str, near: str) -> bool:
        found = self.index.type_(name, near)
        return found is not None and found.node.type == "enum_declaration"

    def _class_schema(self, node: Node, file: str) -> dict[str, Any]:
        if node.type == "enum_declaration":
            return {
                "type": "string",
                "enum": [
                    text(field_(c, "name"))
                    for c in named_children(field_(node, "body"))
                    if c.type == "enum_constant"
                ],
            }
        members: list[tuple[Node, Node | None, str]] = []
        if node.type == "record_declaration":
            for param in named_children(field_(node, "parameters")):
                members.append((param, field_(param, "type"), text(field_(param, "name"))))
        else:
            for member in named_children(field_(node, "body")):
                if member.type != "field_declaration":
                    continue
                mods = text(next((c for c in member.children if c.type == "modifiers"), None))
                if "static" in mods:
                    continue
                for decl in member.children_by_field_name("declarator"):
                    members.append((member, field_(member, "type"), text(field_(decl, "name"))))
        properties: dict[str, Any] = {}
        required: list[str] = []
        for holder, type_node, name in members:
            found = annotations_of(holder)
            if "JsonIgnore" in found:
                continue
            if "JsonProperty" in found:
                name = literal(annotation_args(found["JsonProperty"]).get("value")) or name
            properties[name] = self.of(type_node, file) or {}
            if any(a in found for a in _REQUIRED_ANNOTATIONS):
                required.append(name)
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = sorted(required)
        return schema
