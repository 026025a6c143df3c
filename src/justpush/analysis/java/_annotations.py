"""Reading Java annotations off tree-sitter nodes."""

from __future__ import annotations

from .._treesitter import Node, field_, named_children, text


def annotations_of(node: Node) -> dict[str, Node]:
    """The annotations of a declaration or parameter by simple name."""
    modifiers = next((c for c in node.children if c.type == "modifiers"), None)
    found: dict[str, Node] = {}
    for ann in named_children(modifiers):
        if ann.type in ("annotation", "marker_annotation"):
            found[text(field_(ann, "name")).split(".")[-1]] = ann
    return found


def annotation_args(ann: Node) -> dict[str, Node]:
    """Annotation arguments by name; a single unnamed argument is `value`."""
    out: dict[str, Node] = {}
    for arg in named_children(field_(ann, "arguments")):
        if arg.type == "element_value_pair":
            value = field_(arg, "value")
            if value is not None:
                out[text(field_(arg, "key"))] = value
        else:
            out["value"] = arg
    return out
