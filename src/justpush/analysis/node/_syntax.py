"""Small readers of JavaScript/TypeScript syntax trees shared by the Node front-end's modules."""

from __future__ import annotations

from .._scope import once_per_analysis
from .._treesitter import Node, field_, named_children, text, walk

FUNCTIONS = (
    "function_declaration",
    "function_expression",
    "arrow_function",
    "function",
    "generator_function_declaration",
    "generator_function",
)
_WRAPPERS = (
    "await_expression",
    "parenthesized_expression",
    "as_expression",
    "non_null_expression",
    "satisfies_expression",
    "type_assertion",
)


def string(node: Node | None) -> str | None:
    """A string literal's value (also template strings without substitutions)."""
    if node is None:
        return None
    if node.type == "string":
        return "".join(
            text(c) for c in node.named_children if c.type in ("string_fragment", "escape_sequence")
        )
    if node.type == "template_string" and not any(
        c.type == "template_substitution" for c in node.named_children
    ):
        return "".join(text(c) for c in node.named_children)
    return None


def args(call: Node) -> list[Node]:
    return named_children(field_(call, "arguments"))


def member(node: Node | None) -> tuple[Node | None, str]:
    """(object, property) of `a.b` / `a?.b`, or (None, "") for anything else."""
    if node is not None and node.type == "member_expression":
        return field_(node, "object"), text(field_(node, "property"))
    return None, ""


def object_props(node: Node | None) -> dict[str, Node]:
    """Key → value node of an object literal (computed keys by their expression text)."""
    props: dict[str, Node] = {}
    if node is None or node.type != "object":
        return props
    for pair in named_children(node):
        if pair.type == "pair":
            key = field_(pair, "key")
            value = field_(pair, "value")
            if key is not None and value is not None:
                if key.type == "computed_property_name":
                    inner = named_children(key)
                    props[string(inner[0]) or text(inner[0]) if inner else text(key)] = value
                else:
                    props[string(key) or text(key)] = value
        elif pair.type == "shorthand_property_identifier":
            props[text(pair)] = pair
        elif pair.type == "method_definition":
            # `{ async list(ctx) { ... } }`: the method is the value
            props[text(field_(pair, "name"))] = pair
    return props


def param_names(fn: Node) -> list[str]:
    """Parameter names of a function in order; "" for a destructured parameter."""
    names: list[str] = []
    params = field_(fn, "parameters") or field_(fn, "parameter")
    if params is None:
        return names
    if params.type == "identifier":
        return [text(params)]
    for param in named_children(params):
        if param.type == "decorator":
            continue
        target = field_(param, "pattern") or field_(param, "left") or param
        names.append(text(target) if target.type == "identifier" else "")
    return names


def destructured_params(fn: Node) -> list[tuple[int, str, str]]:
    """(position, key, local name) of `({ app, router: r }) => ...` object-pattern parameters."""
    found: list[tuple[int, str, str]] = []
    params = field_(fn, "parameters")
    position = 0
    for param in named_children(params):
        if param.type == "decorator":
            continue
        target = field_(param, "pattern") or field_(param, "left") or param
        if target.type == "object_pattern":
            for part in named_children(target):
                if part.type == "shorthand_property_identifier_pattern":
                    found.append((position, text(part), text(part)))
                elif part.type == "pair_pattern" and field_(part, "value") is not None:
                    value = field_(part, "value")
                    if value is not None and value.type == "identifier":
                        found.append((position, text(field_(part, "key")), text(value)))
        position += 1
    return found


def unwrap(node: Node | None) -> Node | None:
    """The expression inside `await`, parentheses, `as T`, `x!` and `satisfies T`."""
    while node is not None and node.type in _WRAPPERS:
        children = named_children(node)
        node = children[0] if children else None
    return node


def literals(node: Node) -> list[str]:
    return [v for n in walk(node) if n.type in ("string", "template_string") and (v := string(n)) is not None]


def decorators(
    node: Node, extra: list[Node] | None = None, imports: dict[str, tuple[str, str]] | None = None
) -> dict[str, Node]:
    """Decorator name → its call node (or the bare decorator), including those on `export class`; with
    the module's `imports`, one imported under another name goes by its own (`Post as HttpPost`)."""
    found = list(extra or [])
    found += [c for c in node.children if c.type == "decorator"]
    if node.parent is not None and node.parent.type == "export_statement":
        found += [c for c in node.parent.children if c.type == "decorator"]
    out: dict[str, Node] = {}
    for deco in found:
        inner = named_children(deco)[0] if named_children(deco) else deco
        name = text(field_(inner, "function")) if inner.type == "call_expression" else text(inner)
        imported = (imports or {}).get(name, ("", ""))[1]
        out[imported if imported not in ("", "*", "default") else name.split(".")[-1]] = inner
    return out


def returned(fn: Node) -> Node | None:
    """The expression a function returns: an arrow's expression body or its only/last `return`."""
    body = field_(fn, "body")
    if body is None:
        return None
    if body.type != "statement_block":
        return unwrap(body)
    result: Node | None = None
    for statement in named_children(body):
        if statement.type == "return_statement":
            inner = named_children(statement)
            result = unwrap(inner[0]) if inner else None
    return result


def enclosing_class(node: Node) -> Node | None:
    current = node.parent
    while current is not None and current.type not in (
        "class_declaration",
        "abstract_class_declaration",
        "class",
    ):
        current = current.parent
    return current


def class_field(cls: Node, name: str) -> Node | None:
    """A class field's initial value: `router = Router()` or `this.router = Router()` in the constructor."""
    fields, assigned = once_per_analysis(("class-fields", cls.id), lambda: _class_fields(cls))[1]
    if name in fields:
        return fields[name]
    return assigned.get(name)


def _class_fields(cls: Node) -> tuple[Node, tuple[dict[str, Node], dict[str, Node | None]]]:
    """The class's field initialisers and first constructor assignments (`this.x = ...`), by name.

    Read once per class: route walks ask the same class about many `this.x`. The class node is kept with
    the result, so its tree (and with it the node id used as the key) stays alive as long as the entry.
    """
    body = field_(cls, "body")
    fields: dict[str, Node] = {}
    assigned: dict[str, Node | None] = {}
    for item in named_children(body):
        if item.type == "public_field_definition":
            value = unwrap(field_(item, "value"))
            if value is not None:
                fields.setdefault(text(field_(item, "name")), value)
    for item in named_children(body):
        if item.type == "method_definition" and text(field_(item, "name")) == "constructor":
            for node in walk(item):
                if node.type == "assignment_expression":
                    left = text(field_(node, "left"))
                    if left.startswith("this."):
                        assigned.setdefault(left[len("this.") :], unwrap(field_(node, "right")))
    return cls, (fields, assigned)


def class_function(cls: Node, name: str) -> Node | None:
    """A method, or a field holding an arrow function (`getUsers = async (req, res) => ...`)."""
    for item in named_children(field_(cls, "body")):
        if item.type == "method_definition" and text(field_(item, "name")) == name:
            return item
        if item.type == "public_field_definition" and text(field_(item, "name")) == name:
            value = unwrap(field_(item, "value"))
            if value is not None and value.type in FUNCTIONS:
                return value
    return None
