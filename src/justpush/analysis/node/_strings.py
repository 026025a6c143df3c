"""JavaScript's string and path functions on known values: what `file.replace('.js', '')`,
`path.basename(file, '.ts')` or `name.split('.')[0]` give, without running the code.

Pure: the resolver works out the receiver and the arguments, these functions apply the method.
"""

from __future__ import annotations

import posixpath
import re

# An argument: a string (numbers as their text) or a regular expression literal.
Argument = str | re.Pattern[str]

STRING_METHODS = frozenset(
    {
        "replace",
        "replaceAll",
        "slice",
        "substring",
        "substr",
        "toLowerCase",
        "toUpperCase",
        "trim",
        "concat",
        "charAt",
        "indexOf",
        "lastIndexOf",
        "startsWith",
        "endsWith",
        "includes",
    }
)
PATH_FUNCTIONS = frozenset({"basename", "extname", "dirname", "join", "normalize"})
# `path.parse(file).name` and its siblings
PARSED_PATH_FIELDS = frozenset({"name", "base", "ext", "dir"})


def regex(pattern: str, flags: str) -> re.Pattern[str] | None:
    """A JavaScript regular expression literal as Python's, when it means the same (the simple ones)."""
    if re.search(r"\(\?<[^=!]|\\[pPk]", pattern):
        return None
    try:
        return re.compile(pattern, re.IGNORECASE if "i" in flags else 0)
    except re.error:
        return None


def string_method(value: str, method: str, given: list[Argument], global_flag: bool = False) -> str | None:
    """`value.method(*given)` as a string (booleans as "true"/"false"), or None when not known."""
    texts = [g for g in given if isinstance(g, str)]
    if method in ("toLowerCase", "toUpperCase", "trim") and not given:
        return {"toLowerCase": value.lower, "toUpperCase": value.upper, "trim": value.strip}[method]()
    if method in ("replace", "replaceAll") and len(given) == 2 and isinstance(given[1], str):
        if "$" in given[1]:
            return None  # replacement patterns (`$1`) are not followed
        if isinstance(given[0], str):
            return value.replace(given[0], given[1], -1 if method == "replaceAll" else 1)
        count = 0 if method == "replaceAll" or global_flag else 1
        return given[0].sub(lambda _: str(given[1]), value, count=count)
    if method == "concat" and len(texts) == len(given):
        return value + "".join(texts)
    if len(texts) != len(given):
        return None
    numbers = [_integer(t) for t in texts]
    if method in ("slice", "substring", "substr", "charAt") and None not in numbers and numbers:
        return _cut(value, method, [n for n in numbers if n is not None])
    if method in ("indexOf", "lastIndexOf") and len(texts) == 1:
        return str(value.find(texts[0]) if method == "indexOf" else value.rfind(texts[0]))
    if method in ("startsWith", "endsWith", "includes") and len(texts) == 1:
        found = {
            "startsWith": value.startswith,
            "endsWith": value.endswith,
            "includes": value.__contains__,
        }[method](texts[0])
        return "true" if found else "false"
    return None


def split_item(value: str, separator: Argument, index: int) -> str | None:
    """`value.split(separator)[index]`."""
    parts = value.split(separator) if isinstance(separator, str) else separator.split(value)
    return parts[index] if 0 <= index < len(parts) else None


def path_function(name: str, given: list[str]) -> str | None:
    """Node's `path.<name>(...)` on POSIX paths."""
    if name == "basename" and given:
        base = posixpath.basename(given[0].rstrip("/"))
        if len(given) > 1 and base.endswith(given[1]) and base != given[1]:
            base = base[: -len(given[1])]
        return base
    if name == "extname" and len(given) == 1:
        stem, ext = posixpath.splitext(posixpath.basename(given[0]))
        return ext if stem else ""
    if name == "dirname" and len(given) == 1:
        return posixpath.dirname(given[0].rstrip("/")) or "."
    if name in ("join", "normalize") and given:
        joined = "/".join(part for part in given if part)
        return posixpath.normpath(joined) if joined else "."
    return None


def parsed_path_field(value: str, field: str) -> str | None:
    """`path.parse(value).<field>`."""
    base = posixpath.basename(value)
    stem, ext = posixpath.splitext(base)
    return {"name": stem, "base": base, "ext": ext, "dir": posixpath.dirname(value)}.get(field)


def _integer(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def _cut(value: str, method: str, numbers: list[int]) -> str:
    start = numbers[0]
    if method == "charAt":
        return value[start] if 0 <= start < len(value) else ""
    if method == "substr":
        start = max(len(value) + start, 0) if start < 0 else start
        return value[start : start + numbers[1]] if len(numbers) > 1 else value[start:]
    end = numbers[1] if len(numbers) > 1 else len(value)
    if method == "substring":
        start, end = sorted((max(start, 0), max(end, 0)))
    return value[start:end]
