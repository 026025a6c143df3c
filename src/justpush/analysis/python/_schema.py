"""Python annotations and classes (pydantic models, dataclasses, TypedDicts, enums) -> JSON Schema."""

from __future__ import annotations

import ast
from typing import Any

from ._index import External, Module, PythonIndex, Symbol, const_str, kwarg, literal, simple_name

REF_PREFIX = "#/components/schemas/"
_MAX_DEPTH = 24

_BUILTINS: dict[str, dict[str, Any]] = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "bytes": {"type": "string", "format": "binary"},
    "dict": {"type": "object"},
    "list": {"type": "array"},
    "set": {"type": "array", "uniqueItems": True},
    "frozenset": {"type": "array", "uniqueItems": True},
    "tuple": {"type": "array"},
    "object": {},
    "None": {"type": "null"},
}
# Well-known classes from the standard library and pydantic, by their last name.
_KNOWN: dict[str, dict[str, Any]] = {
    "Any": {},
    "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "time": {"type": "string", "format": "time"},
    "timedelta": {"type": "string", "format": "duration"},
    "UUID": {"type": "string", "format": "uuid"},
    "UUID1": {"type": "string", "format": "uuid"},
    "UUID4": {"type": "string", "format": "uuid"},
    "Decimal": {"type": "number"},
    "EmailStr": {"type": "string", "format": "email"},
    "NameEmail": {"type": "string", "format": "name-email"},
    "HttpUrl": {"type": "string", "format": "uri"},
    "AnyUrl": {"type": "string", "format": "uri"},
    "AnyHttpUrl": {"type": "string", "format": "uri"},
    "SecretStr": {"type": "string", "format": "password", "writeOnly": True},
    "SecretBytes": {"type": "string", "format": "password", "writeOnly": True},
    "IPv4Address": {"type": "string", "format": "ipv4"},
    "IPv6Address": {"type": "string", "format": "ipv6"},
    "Path": {"type": "string", "format": "path"},
    "UploadFile": {"type": "string", "format": "binary"},
    "Json": {},
    "JsonValue": {},
    "PositiveInt": {"type": "integer", "exclusiveMinimum": 0},
    "NonNegativeInt": {"type": "integer", "minimum": 0},
    "PositiveFloat": {"type": "number", "exclusiveMinimum": 0},
    "StrictStr": {"type": "string"},
    "StrictInt": {"type": "integer"},
    "StrictBool": {"type": "boolean"},
    "StrictFloat": {"type": "number"},
}
_LIST_LIKE = frozenset(
    {"List", "Sequence", "MutableSequence", "Iterable", "Collection", "list", "Deque", "deque"}
)
_SET_LIKE = frozenset({"Set", "FrozenSet", "AbstractSet", "set", "frozenset", "MutableSet"})
_DICT_LIKE = frozenset(
    {"Dict", "Mapping", "MutableMapping", "dict", "OrderedDict", "DefaultDict", "defaultdict"}
)
_MODEL_BASES = frozenset({"BaseModel", "SQLModel", "GenericModel", "RootModel", "TypedDict", "Schema"})
_ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"})
# Field(...) keyword -> JSON Schema keyword.
_CONSTRAINTS = {
    "ge": "minimum",
    "le": "maximum",
    "gt": "exclusiveMinimum",
    "lt": "exclusiveMaximum",
    "min_length": "minLength",
    "max_length": "maxLength",
    "pattern": "pattern",
    "regex": "pattern",
    "description": "description",
    "title": "title",
    "multiple_of": "multipleOf",
}


def unresolved(reason: str) -> dict[str, Any]:
    return {"x-justpush-unresolved": reason}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or null, written the JSON Schema 2020-12 way."""
    kind = schema.get("type")
    if kind == "null":
        return schema
    if isinstance(kind, str) and "enum" not in schema:
        return {**schema, "type": [kind, "null"]}
    if isinstance(kind, list):
        return schema if "null" in kind else {**schema, "type": [*kind, "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


class SchemaBuilder:
    """Turns annotations into schemas, registering named classes in ``schemas`` (components)."""

    def __init__(self, index: PythonIndex, schemas: dict[str, dict[str, Any]]) -> None:
        self.index = index
        self.schemas = schemas
        # id(class node) -> component name, so one class keeps one name.
        self._names: dict[int, str] = {}

    # ---- classification -------------------------------------------------------------------------
    def is_model(self, symbol: Symbol) -> bool:
        if not isinstance(symbol.node, ast.ClassDef):
            return False
        if any(simple_name(d) == "dataclass" for d in symbol.node.decorator_list):
            return True
        for base in self.index.class_bases(symbol):
            if isinstance(base, External) and base.last in _MODEL_BASES:
                return True
        return False

    def is_enum(self, symbol: Symbol) -> bool:
        if not isinstance(symbol.node, ast.ClassDef):
            return False
        return any(isinstance(b, External) and b.last in _ENUM_BASES for b in self.index.class_bases(symbol))

    def is_schema_class(self, symbol: Symbol) -> bool:
        return self.is_model(symbol) or self.is_enum(symbol)

    # ---- annotations ----------------------------------------------------------------------------
    def schema_for(self, module: Module, annotation: ast.expr | None, depth: int = 0) -> dict[str, Any]:
        if annotation is None:
            return {}
        if depth > _MAX_DEPTH:
            return unresolved("type nested too deeply")
        if isinstance(annotation, ast.Constant):
            if annotation.value is None:
                return {"type": "null"}
            if isinstance(annotation.value, str):
                try:
                    parsed = ast.parse(annotation.value, mode="eval").body
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    return unresolved(f"unparseable annotation {annotation.value!r}")
                return self.schema_for(module, parsed, depth + 1)
            return unresolved("literal used as a type")
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            return self._union(module, [annotation.left, annotation.right], depth)
        if isinstance(annotation, ast.Subscript):
            return self._generic(module, annotation, depth)
        if isinstance(annotation, ast.Name | ast.Attribute):
            return self._named(module, annotation, depth)
        return unresolved(f"unsupported annotation {ast.unparse(annotation)}")

    def _named(self, module: Module, expr: ast.Name | ast.Attribute, depth: int) -> dict[str, Any]:
        resolved = self.index.resolve_expr(module, expr)
        if isinstance(resolved, Symbol):
            if self.is_schema_class(resolved):
                return self.ref(resolved)
            # A type alias: "UserId = int" / "Tags = list[str]" / Annotated aliases.
            if isinstance(resolved.node, ast.expr):
                return self.schema_for(resolved.module, resolved.node, depth + 1)
            return unresolved(f"type {resolved.name} is not a model")
        if isinstance(resolved, External):
            parts = resolved.dotted.split(".")
            if len(parts) == 1 and resolved.dotted in _BUILTINS:
                return dict(_BUILTINS[resolved.dotted])
            if resolved.last in _KNOWN:
                return dict(_KNOWN[resolved.last])
            if resolved.last in _LIST_LIKE:
                return {"type": "array"}
            if resolved.last in _DICT_LIKE:
                return {"type": "object"}
            return unresolved(f"unknown type {resolved.dotted}")
        return unresolved(f"unknown type {ast.unparse(expr)}")

    def _union(self, module: Module, members: list[ast.expr], depth: int) -> dict[str, Any]:
        flat: list[ast.expr] = []
        pending = list(members)
        while pending:
            item = pending.pop(0)
            if isinstance(item, ast.BinOp) and isinstance(item.op, ast.BitOr):
                pending[:0] = [item.left, item.right]
            else:
                flat.append(item)
        has_none = any(isinstance(m, ast.Constant) and m.value is None for m in flat) or any(
            isinstance(m, ast.Name) and m.id == "None" for m in flat
        )
        others = [
            self.schema_for(module, m, depth + 1)
            for m in flat
            if not (isinstance(m, ast.Constant) and m.value is None)
            and not (isinstance(m, ast.Name) and m.id == "None")
        ]
        if not others:
            return {"type": "null"}
        base = others[0] if len(others) == 1 else {"anyOf": others}
        return nullable(base) if has_none else base

    def _generic(self, module: Module, expr: ast.Subscript, depth: int) -> dict[str, Any]:
        origin = self.index.resolve_expr(module, expr.value)
        name = origin.last if isinstance(origin, External) else None
        args = list(expr.slice.elts) if isinstance(expr.slice, ast.Tuple) else [expr.slice]
        if name == "Optional":
            return nullable(self.schema_for(module, args[0], depth + 1))
        if name == "Union":
            return self._union(module, args, depth)
        if name == "Annotated":
            annotated = self.schema_for(module, args[0], depth + 1)
            for meta in args[1:]:
                if isinstance(meta, ast.Call):
                    annotated = _merge(annotated, field_constraints(meta))
            return annotated
        if name == "Literal":
            values = [literal(a) for a in args]
            schema: dict[str, Any] = {"enum": values}
            kinds = {type(v) for v in values}
            if kinds == {str}:
                schema["type"] = "string"
            elif kinds == {int}:
                schema["type"] = "integer"
            elif kinds == {bool}:
                schema["type"] = "boolean"
            return schema
        if name in _LIST_LIKE:
            return {"type": "array", "items": self.schema_for(module, args[0], depth + 1)}
        if name in _SET_LIKE:
            return {
                "type": "array",
                "items": self.schema_for(module, args[0], depth + 1),
                "uniqueItems": True,
            }
        if name in ("Tuple", "tuple"):
            if len(args) == 2 and isinstance(args[1], ast.Constant) and args[1].value is Ellipsis:
                return {"type": "array", "items": self.schema_for(module, args[0], depth + 1)}
            items = [self.schema_for(module, a, depth + 1) for a in args]
            return {"type": "array", "prefixItems": items, "minItems": len(items), "maxItems": len(items)}
        if name in _DICT_LIKE:
            value = args[1] if len(args) > 1 else None
            return {"type": "object", "additionalProperties": self.schema_for(module, value, depth + 1)}
        if name in ("Type", "type", "ClassVar", "Final", "Required", "NotRequired", "ReadOnly"):
            return self.schema_for(module, args[0], depth + 1)
        if name in ("constr", "conint", "confloat"):
            return self.schema_for(module, expr.value, depth + 1)
        # A generic model (Page[Item]) or an unknown generic: the origin is the best static answer.
        return self.schema_for(module, expr.value, depth + 1)

    # ---- classes --------------------------------------------------------------------------------
    def ref(self, symbol: Symbol) -> dict[str, Any]:
        return {"$ref": REF_PREFIX + self.register(symbol)}

    def register(self, symbol: Symbol) -> str:
        """The component name of a model/enum class, building its schema the first time."""
        assert isinstance(symbol.node, ast.ClassDef)
        known = self._names.get(id(symbol.node))
        if known is not None:
            return known
        name = symbol.node.name
        if name in self.schemas:
            name = f"{symbol.module.name}.{name}"
        self._names[id(symbol.node)] = name
        # Placeholder first: self-referencing models (Tree.children: list["Tree"]) end here.
        self.schemas[name] = {}
        self.schemas[name] = self._enum_schema(symbol) if self.is_enum(symbol) else self._model_schema(symbol)
        return name

    def _enum_schema(self, symbol: Symbol) -> dict[str, Any]:
        assert isinstance(symbol.node, ast.ClassDef)
        values: list[Any] = []
        for stmt in symbol.node.body:
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
            ):
                value = literal(stmt.value)
                if isinstance(stmt.value, ast.Call):
                    continue
                values.append(value if value is not None else stmt.targets[0].id)
        schema: dict[str, Any] = {"title": symbol.node.name, "enum": values}
        kinds = {type(v) for v in values}
        if kinds == {str}:
            schema["type"] = "string"
        elif kinds == {int}:
            schema["type"] = "integer"
        return schema

    def model_fields(self, symbol: Symbol) -> list[tuple[str, ast.AnnAssign, Module]]:
        """Annotated fields of a class and its project base classes, bases first, overrides replacing."""
        chain: list[Symbol] = []
        for base in self.index.class_bases(symbol):
            if isinstance(base, Symbol) and isinstance(base.node, ast.ClassDef):
                chain.append(base)
        fields: dict[str, tuple[ast.AnnAssign, Module]] = {}
        for cls in [*reversed(chain), symbol]:
            assert isinstance(cls.node, ast.ClassDef)
            for stmt in cls.node.body:
                if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
                    continue
                name = stmt.target.id
                if name.startswith("_") or name == "model_config":
                    continue
                if isinstance(stmt.annotation, ast.Subscript) and ast.unparse(stmt.annotation.value).endswith(
                    "ClassVar"
                ):
                    continue
                fields[name] = (stmt, cls.module)
        return [(name, stmt, module) for name, (stmt, module) in fields.items()]

    def _model_schema(self, symbol: Symbol) -> dict[str, Any]:
        assert isinstance(symbol.node, ast.ClassDef)
        properties: dict[str, Any] = {}
        required: list[str] = []
        total = True
        for keyword in symbol.node.keywords:
            if keyword.arg == "total" and isinstance(keyword.value, ast.Constant):
                total = bool(keyword.value.value)
        for name, stmt, module in self.model_fields(symbol):
            schema = self.schema_for(module, stmt.annotation)
            is_required, default, extra = field_default(stmt.value)
            key = name
            if stmt.value is not None and isinstance(stmt.value, ast.Call):
                alias = const_str(kwarg(stmt.value, "alias")) or const_str(
                    kwarg(stmt.value, "serialization_alias")
                )
                key = alias or name
            if extra:
                schema = _merge(schema, extra)
            if default is None:
                # "x: datetime = None" is implicitly Optional (pydantic v1); null must then be allowed.
                schema = _merge(nullable(schema), {"default": None})
            elif default is not _NO_DEFAULT:
                schema = _merge(schema, {"default": default})
            properties[key] = schema
            is_typed_dict_optional = stmt.value is None and _is_not_required(stmt.annotation)
            if is_required and total and not is_typed_dict_optional:
                required.append(key)
        out: dict[str, Any] = {"title": symbol.node.name, "type": "object", "properties": properties}
        if required:
            out["required"] = required
        doc = ast.get_docstring(symbol.node)
        if doc:
            out["description"] = doc.strip().split("\n\n")[0]
        return out


_NO_DEFAULT = object()


def _merge(schema: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    # Keywords next to a $ref are allowed in 3.1, but keep refs clean for readers: wrap them.
    if "$ref" in schema and extra:
        return {"allOf": [schema], **extra}
    return {**schema, **extra}


def _is_not_required(annotation: ast.expr) -> bool:
    return isinstance(annotation, ast.Subscript) and ast.unparse(annotation.value).endswith("NotRequired")


def field_constraints(call: ast.Call) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for keyword in call.keywords:
        target = _CONSTRAINTS.get(keyword.arg or "")
        if target is None:
            continue
        value = literal(keyword.value)
        if value is not None:
            out[target] = value
    examples = literal(kwarg(call, "examples"))
    if isinstance(examples, list):
        out["examples"] = examples
    return out


def field_default(value: ast.expr | None) -> tuple[bool, object, dict[str, Any]]:
    """(required, default or _NO_DEFAULT, extra schema keywords) for a model field's right-hand side."""
    if value is None:
        return True, _NO_DEFAULT, {}
    if isinstance(value, ast.Call) and simple_name(value.func) in ("Field", "field"):
        extra = field_constraints(value)
        if kwarg(value, "default_factory") is not None:
            return False, _NO_DEFAULT, extra
        default_expr = kwarg(value, "default")
        if default_expr is None and value.args and simple_name(value.func) == "Field":
            default_expr = value.args[0]
        if default_expr is None or (
            isinstance(default_expr, ast.Constant) and default_expr.value is Ellipsis
        ):
            return True, _NO_DEFAULT, extra
        return False, _literal_default(default_expr), extra
    if isinstance(value, ast.Constant) and value.value is Ellipsis:
        return True, _NO_DEFAULT, {}
    return False, _literal_default(value), {}


def _literal_default(expr: ast.expr) -> object:
    if isinstance(expr, ast.Constant) and expr.value is None:
        return None
    value = literal(expr)
    return _NO_DEFAULT if value is None else value
