"""A small HCL writer: values to expressions, and blocks laid out as `terraform fmt` would."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
INDENT = "  "


@dataclass(frozen=True)
class Raw:
    """An expression written as it is: a reference (`var.image`) or a function call."""

    text: str


@dataclass(frozen=True)
class Block:
    type: str
    labels: tuple[str, ...] = ()
    attributes: tuple[tuple[str, Any], ...] = ()
    blocks: tuple[Block, ...] = field(default_factory=tuple)


def string(value: str) -> str:
    """A quoted HCL string: JSON escapes, and template sequences escaped so they stay literal."""
    return json.dumps(value, ensure_ascii=False).replace("${", "$${").replace("%{", "%%{")


def _key(name: str) -> str:
    return name if _IDENTIFIER.match(name) else string(name)


def expression(value: Any, depth: int = 0) -> str:
    """An HCL expression for a JSON-like value; maps and lists of maps span several lines."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return string(value)
    if value is None:
        return "null"
    pad = INDENT * (depth + 1)
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        lines = _aligned([(_key(str(k)), expression(v, depth + 1)) for k, v in value.items()], pad)
        return "{\n" + "\n".join(lines) + "\n" + INDENT * depth + "}"
    if isinstance(value, Sequence):
        items = [expression(v, depth + 1) for v in value]
        if all("\n" not in item for item in items) and sum(len(i) for i in items) < 80:
            return "[" + ", ".join(items) + "]"
        return "[\n" + ",\n".join(pad + item for item in items) + ",\n" + INDENT * depth + "]"
    raise TypeError(f"no HCL expression for {type(value).__name__}")


def _aligned(pairs: Sequence[tuple[str, str]], pad: str) -> list[str]:
    """`name = value` lines with the `=` of consecutive one-line attributes aligned, as terraform fmt does."""
    lines: list[str] = []
    run: list[tuple[str, str]] = []

    def flush() -> None:
        width = max((len(name) for name, _ in run), default=0)
        lines.extend(f"{pad}{name.ljust(width)} = {value}" for name, value in run)
        run.clear()

    for name, value in pairs:
        if "\n" in value:
            flush()
            lines.append(f"{pad}{name} = {value}")
        else:
            run.append((name, value))
    flush()
    return lines


def render_block(block: Block, depth: int = 0) -> str:
    pad = INDENT * depth
    head = " ".join([block.type, *(string(label) for label in block.labels)])
    body = _aligned([(_key(k), expression(v, depth + 1)) for k, v in block.attributes], pad + INDENT)
    children = [render_block(child, depth + 1) for child in block.blocks]
    if not body and not children:
        return f"{pad}{head} {{}}"
    parts = ["\n".join(body)] if body else []
    parts.extend(children)
    return f"{pad}{head} {{\n" + "\n\n".join(parts) + f"\n{pad}}}"


def render_file(blocks: Sequence[Block], header: str = "") -> str:
    text = "\n\n".join(render_block(b) for b in blocks) + "\n"
    return (header + "\n" if header else "") + text
