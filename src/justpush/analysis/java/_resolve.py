"""The Java value resolver: an expression evaluated to a String where the code makes it knowable.

Literals, `+` concatenation, text blocks, `static final` constants of the same class, of another class
(`ApiPaths.USERS`, also nested `Outer.Inner.X`), of an interface the class implements, or imported with
`import static`; then `${key:default}` placeholders from application.properties|yml. What stays unknown
is returned as None with the expression, so callers can mark it unresolved instead of dropping it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._treesitter import Node, field_, named_children, text
from ._config import SpringConfig
from ._index import SourceIndex, TypeDecl, enclosing_type

_MAX_DEPTH = 12


@dataclass(frozen=True)
class Scope:
    """Where an expression is written: its file and the type declaring it."""

    file: str
    type_name: str


def literal(node: Node | None) -> str | None:
    if node is None or node.type not in ("string_literal", "text_block"):
        return None
    parts = [
        text(c)
        for c in node.named_children
        if c.type in ("string_fragment", "escape_sequence", "multiline_string_fragment")
    ]
    value = "".join(parts)
    return value.strip("\n") if node.type == "text_block" else value


class Resolver:
    def __init__(self, index: SourceIndex, config: SpringConfig) -> None:
        self.index = index
        self.config = config

    def scope_of(self, node: Node, file: str) -> Scope:
        owner = enclosing_type(node)
        return Scope(file, text(field_(owner, "name")) if owner is not None else "")

    def string(self, node: Node | None, scope: Scope, depth: int = 0) -> str | None:
        """The compile-time String value of an expression (placeholders not yet expanded)."""
        if node is None or depth > _MAX_DEPTH:
            return None
        if (value := literal(node)) is not None:
            return value
        kind = node.type
        if kind == "binary_expression" and text(field_(node, "operator")) == "+":
            left = self.string(field_(node, "left"), scope, depth + 1)
            right = self.string(field_(node, "right"), scope, depth + 1)
            return left + right if left is not None and right is not None else None
        if (
            kind in ("parenthesized_expression", "element_value_array_initializer")
            and len(named_children(node)) == 1
        ):
            return self.string(named_children(node)[0], scope, depth + 1)
        if kind == "character_literal":
            return text(node)[1:-1]
        if kind in ("decimal_integer_literal", "true", "false"):
            return text(node)
        if kind == "identifier":
            return self._constant(text(node), scope, depth)
        if kind in ("field_access", "scoped_identifier"):
            owner = text(field_(node, "object") or field_(node, "scope")).split(".")[-1]
            name = text(field_(node, "field") or field_(node, "name"))
            decl = self.index.type_(owner, scope.file)
            if decl is not None and name in decl.constants:
                return self.string(decl.constants[name], Scope(decl.file, decl.name), depth + 1)
        return None

    def strings(self, node: Node | None, scope: Scope) -> list[str | None]:
        """An annotation value that may be an array: one entry per element."""
        if node is None:
            return []
        if node.type in ("element_value_array_initializer", "array_initializer"):
            return [self.string(n, scope) for n in named_children(node)]
        return [self.string(node, scope)]

    def _constant(self, name: str, scope: Scope, depth: int) -> str | None:
        for decl in self._visible_types(scope):
            if name in decl.constants:
                return self.string(decl.constants[name], Scope(decl.file, decl.name), depth + 1)
        # `import static a.b.Paths.NAME` or `import static a.b.Paths.*`.
        for dotted, static, on_demand in (
            self.index.imports(scope.file) if scope.file in self.index.sources else ()
        ):
            if not static:
                continue
            parts = dotted.split(".")
            owner = parts[-1] if on_demand else (parts[-2] if len(parts) > 1 else "")
            if not on_demand and parts[-1] != name:
                continue
            imported = self.index.type_(owner, scope.file)
            if imported is not None and name in imported.constants:
                return self.string(imported.constants[name], Scope(imported.file, imported.name), depth + 1)
        holders = self.index.names_with_constant(name)
        if len({(h.name, h.file) for h in holders}) == 1:
            decl = holders[0]
            return self.string(decl.constants[name], Scope(decl.file, decl.name), depth + 1)
        return None

    def _visible_types(self, scope: Scope) -> list[TypeDecl]:
        """The type itself, the types enclosing it, and its supertypes (interface constants are inherited)."""
        out: list[TypeDecl] = []
        pending = [scope.type_name]
        seen: set[str] = set()
        while pending and len(seen) < 20:
            name = pending.pop(0)
            if not name or name in seen:
                continue
            seen.add(name)
            decl = self.index.type_(name, scope.file)
            if decl is None:
                continue
            out.append(decl)
            outer = enclosing_type(decl.node)
            if outer is not None:
                pending.append(text(field_(outer, "name")))
            pending.extend(supertypes(decl.node))
        return out

    def expand(self, value: str) -> tuple[str, list[str]]:
        """Placeholders of a mapping path replaced from the Spring configuration."""
        return self.config.expand(value)


def supertypes(node: Node) -> list[str]:
    """Simple names of the superclass and implemented/extended interfaces of a type declaration."""
    names: list[str] = []
    for child in node.children:
        if child.type in ("superclass", "super_interfaces", "extends_interfaces"):
            for type_node in _type_names(child):
                names.append(type_node)
    return names


def _type_names(node: Node) -> list[str]:
    out: list[str] = []
    for child in named_children(node):
        if child.type in ("type_identifier", "scoped_type_identifier"):
            out.append(text(child).split(".")[-1])
        elif child.type == "generic_type":
            out.append(text(named_children(child)[0]).split(".")[-1])
        elif child.type == "type_list":
            out.extend(_type_names(child))
    return out
