"""YAML from an upload, bounded: a "billion laughs" document is a few hundred bytes of nested aliases
that expand to millions of nodes once anything walks it. Aliases may add at most MAX_ALIAS_NODES nodes
to a document; one without aliases is never refused (its size is already bounded by the file size)."""

from __future__ import annotations

from typing import Any

import yaml

MAX_ALIAS_NODES = 100_000


class AliasExpansionError(yaml.YAMLError):
    pass


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def check_expansion(root: yaml.Node) -> None:
    """AliasExpansionError when aliases add more than MAX_ALIAS_NODES nodes to the composed `root`, or
    refer to their own ancestor."""
    unique: set[int] = set()
    pending = [root]
    while pending:
        node = pending.pop()
        if id(node) not in unique:
            unique.add(id(node))
            pending.extend(_children(node))
    limit = len(unique) + MAX_ALIAS_NODES
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in in_progress:
            raise AliasExpansionError("a YAML alias refers to its own ancestor (a recursive document)")
        in_progress.add(key)
        total = 1
        for child in _children(node):
            total += size(child)
            if total > limit:
                raise AliasExpansionError(
                    f"YAML aliases expand the document by more than {MAX_ALIAS_NODES} nodes (an alias bomb?)"
                )
        in_progress.discard(key)
        sizes[key] = total
        return total

    size(root)


class BoundedLoader(yaml.SafeLoader):
    """SafeLoader that measures each composed document, aliases expanded, before building any value."""

    def compose_document(self) -> yaml.Node | None:
        node: yaml.Node | None = super().compose_document()
        if node is not None:
            check_expansion(node)
        return node


def load(text: str) -> Any:
    """``yaml.safe_load`` that refuses alias bombs (AliasExpansionError, a YAMLError)."""
    return yaml.load(text, Loader=BoundedLoader)


def expansion_problem(text: str) -> str | None:
    """Why this YAML text must not be loaded (alias bomb, recursive aliases, nesting too deep), or None.
    Text that does not parse is not a problem here: whoever loads it reports that."""
    try:
        for _ in yaml.compose_all(text, Loader=BoundedLoader):
            pass
    except AliasExpansionError as exc:
        return str(exc)
    except yaml.YAMLError:
        return None
    except RecursionError:
        return "YAML nested too deeply"
    return None
