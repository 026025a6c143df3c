"""Small helpers over the Go syntax tree shared by the Go modules."""

from __future__ import annotations

import functools

import tree_sitter
import tree_sitter_go

from .._treesitter import Node, field_, named_children, text, walk


def go_string(node: Node | None) -> str | None:
    """The value of a Go string literal ("..." with escapes, or `raw`); None for anything else."""
    if node is None:
        return None
    if node.type == "interpreted_string_literal":
        raw = text(node)[1:-1]
        try:
            return bytes(raw, "utf-8").decode("unicode_escape") if "\\" in raw else raw
        except UnicodeDecodeError:
            return raw
    if node.type == "raw_string_literal":
        return text(node)[1:-1]
    return None


def args(call: Node) -> list[Node]:
    return named_children(field_(call, "arguments"))


def callee(call: Node) -> tuple[str, str]:
    """(operand text, name) of a call: `r.GET(...)` → ("r", "GET"), `f(...)` → ("", "f")."""
    fn = field_(call, "function")
    if fn is None:
        return "", ""
    if fn.type == "selector_expression":
        return text(field_(fn, "operand")), text(field_(fn, "field"))
    return "", text(fn)


def call_operand(call: Node) -> Node | None:
    """The receiver expression of a method-style call (`x` in `x.f()`), None for a plain call."""
    fn = field_(call, "function")
    if fn is not None and fn.type == "selector_expression":
        return field_(fn, "operand")
    return None


def peel(node: Node | None) -> Node | None:
    """An expression without surrounding parentheses, `&` or `*`."""
    while node is not None and node.type in ("parenthesized_expression", "unary_expression"):
        inner = named_children(node)
        if not inner:
            return node
        node = inner[-1]
    return node


def literals(node: Node) -> list[str]:
    return [v for n in walk(node) if (v := go_string(n)) is not None]


def param_names(fn: Node) -> list[str]:
    """Parameter names in order; an unnamed parameter counts as ""."""
    names: list[str] = []
    for decl in named_children(field_(fn, "parameters")):
        found = decl.children_by_field_name("name")
        if found:
            names.extend(text(n) for n in found)
        else:
            names.append("")
    return names


def param_types(fn: Node) -> list[Node | None]:
    """The declared type of each parameter, in the order of param_names."""
    types: list[Node | None] = []
    for decl in named_children(field_(fn, "parameters")):
        count = max(1, len(decl.children_by_field_name("name")))
        types.extend([field_(decl, "type")] * count)
    return types


def enclosing_function(node: Node) -> Node | None:
    scope: Node | None = node.parent
    while scope is not None and scope.type not in (
        "function_declaration",
        "method_declaration",
        "func_literal",
    ):
        scope = scope.parent
    return scope


def returned_values(fn: Node) -> list[list[Node]]:
    """The expressions of every return statement directly in fn (not in nested func literals)."""
    out: list[list[Node]] = []
    for node in select(fn, "return_statement"):
        if enclosing_function(node) == fn:
            values = named_children(node)
            if values and values[0].type == "expression_list":
                values = named_children(values[0])
            out.append(values)
    return out


def is_function_like(node: Node) -> bool:
    """Whether an argument may be a function value (not a literal, nil or a composite value)."""
    inner = peel(node)
    return inner is not None and inner.type in (
        "func_literal",
        "identifier",
        "selector_expression",
        "call_expression",
    )


def wrapped(call: Node) -> Node | None:
    """The handler a wrapper call is given: its last function-like argument (`auth(h, true)` → h)."""
    return next((a for a in reversed(args(call)) if is_function_like(a)), None)


@functools.cache
def _query(kinds: tuple[str, ...]) -> tree_sitter.Query:
    language = tree_sitter.Language(tree_sitter_go.language())
    return tree_sitter.Query(language, " ".join(f"({kind}) @n" for kind in kinds))


def select(node: Node | None, *kinds: str) -> list[Node]:
    """The nodes of these types below node (itself included), in source order; tree-sitter finds them
    (much faster than walking the tree in Python)."""
    if node is None:
        return []
    found = tree_sitter.QueryCursor(_query(kinds)).captures(node).get("n", [])
    return sorted(found, key=lambda n: (n.start_byte, -n.end_byte))


def function_scope(node: Node) -> Node:
    """`node` itself when it is a function, method or function literal, else the one it is in (the
    file's root outside any)."""
    if node.type in ("function_declaration", "method_declaration", "func_literal"):
        return node
    return enclosing_function(node) or _root(node)


def _root(node: Node) -> Node:
    while node.parent is not None:
        node = node.parent
    return node
