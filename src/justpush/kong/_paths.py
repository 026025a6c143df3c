"""OpenAPI path templates → Kong 3.x regex paths, capture names, and specificity order."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from justpush.errors import GenerationError

from ._names import ascii_fold

# PCRE (Kong's traditional router) and Rust regex (ATC router) both accept this capture name form;
# PCRE2 before 10.44 limits names to 32 characters.
CAPTURE_MAX = 32
PARAM_REGEX = "[^#?/]+"
# Reserved for the prefix-stripping rewrite (see MAPPING.md); parameters never get this name.
REST_CAPTURE = "jp_path"

_TEMPLATE = re.compile(r"\{([^{}]*)\}")
_REGEX_META = set("\\.^$|?*+()[]{}")
# RFC 3986 pchar minus "%": kept as-is; everything else is percent-encoded the way Kong normalises it.
_PCHAR_SAFE = "-._~!$&'()*+,;=:@"


@dataclass(frozen=True)
class PathPattern:
    template: str  # the full public template: prefix + base path + OpenAPI path
    regex: str  # without the leading "~"
    captures: tuple[tuple[str, str], ...]  # (parameter name, capture name)
    literal_segments: int
    literal_chars: int
    segment_shape: tuple[int, ...]  # 1 = literal segment, 0 = segment with a parameter

    @property
    def kong_path(self) -> str:
        return f"~{self.regex}"

    def specificity(self) -> tuple[int, int, tuple[int, ...], str]:
        """Higher sorts first; the template breaks ties so the order is total."""
        return (self.literal_segments, self.literal_chars, self.segment_shape, self.template)


def sanitize_capture(name: str, taken: set[str]) -> str:
    """A PCRE/Rust-regex capture name for a path parameter, unique among ``taken`` (which it extends)."""
    base = re.sub(r"[^A-Za-z0-9_]", "_", ascii_fold(name)).strip("_")
    base = re.sub(r"_+", "_", base) or "param"
    if base[0].isdigit():
        base = f"p_{base}"
    base = base[:CAPTURE_MAX]
    candidate, n = base, 2
    while candidate in taken or candidate == REST_CAPTURE:
        suffix = f"_{n}"
        candidate = f"{base[: CAPTURE_MAX - len(suffix)]}{suffix}"
        n += 1
    taken.add(candidate)
    return candidate


def _escape_literal(text: str) -> str:
    encoded = quote(text, safe=_PCHAR_SAFE)
    return "".join(f"\\{c}" if c in _REGEX_META else c for c in encoded)


def join_paths(*parts: str) -> str:
    joined = "/".join(p.strip("/") for p in parts if p.strip("/"))
    return f"/{joined}"


def compile_path(tenant: str, prefix: str, base: str, path: str, *, strip_prefix: bool) -> PathPattern:
    """Regex for ``/tenant + prefix + base + path``; all after the tenant segment (after the prefix too
    with ``strip_prefix``) is captured as jp_path, which is what the upstream receives."""
    _check_tenant(tenant)
    if not path.startswith("/"):
        raise GenerationError(f"OpenAPI path {path!r} must start with '/'")
    if _TEMPLATE.sub("", path).count("{") or _TEMPLATE.sub("", path).count("}"):
        raise GenerationError(f"OpenAPI path {path!r} has unbalanced braces")
    prefix_path = join_paths(prefix) if prefix.strip("/") else ""
    rest = join_paths(base, path) if base.strip("/") else path
    template = f"/{tenant}{prefix_path}{rest}"
    taken: set[str] = set()
    captures: list[tuple[str, str]] = []
    literal_segments = literal_chars = 0
    shape: list[int] = []
    rest_regex_parts: list[str] = []
    for segment in rest.split("/")[1:]:
        pieces: list[str] = []
        pos = 0
        has_param = False
        for match in _TEMPLATE.finditer(segment):
            if not match.group(1):
                raise GenerationError(f"OpenAPI path {path!r} has an empty parameter name")
            literal = segment[pos : match.start()]
            literal_chars += len(literal)
            pieces.append(_escape_literal(literal))
            capture = sanitize_capture(match.group(1), taken)
            captures.append((match.group(1), capture))
            pieces.append(f"(?<{capture}>{PARAM_REGEX})")
            pos = match.end()
            has_param = True
        tail = segment[pos:]
        literal_chars += len(tail)
        pieces.append(_escape_literal(tail))
        if not has_param:
            literal_segments += 1
        shape.append(0 if has_param else 1)
        rest_regex_parts.append("".join(pieces))
    rest_regex = "/" + "/".join(rest_regex_parts)
    return PathPattern(
        template=template,
        regex=_full_regex(tenant, prefix_path, rest_regex, strip_prefix=strip_prefix),
        captures=tuple(captures),
        literal_segments=literal_segments,
        literal_chars=literal_chars,
        segment_shape=tuple(shape),
    )


def compile_catch_all(tenant: str, prefix: str, base: str, *, strip_prefix: bool) -> PathPattern:
    """Regex for every path under ``/tenant + prefix + base``: the route of an API whose operations are
    not known. What follows the tenant segment (and the prefix, with ``strip_prefix``) is jp_path."""
    _check_tenant(tenant)
    prefix_path = join_paths(prefix) if prefix.strip("/") else ""
    base_path = join_paths(base) if base.strip("/") else ""
    base_regex = _literal_regex(base_path)
    rest_regex = f"{base_regex}(?:/[^#?]*)?" if base_regex else "/[^#?]*"
    return PathPattern(
        template=f"/{tenant}{prefix_path}{base_path}/*",
        regex=_full_regex(tenant, prefix_path, rest_regex, strip_prefix=strip_prefix),
        captures=(),
        literal_segments=0,
        literal_chars=0,
        segment_shape=(),
    )


def _check_tenant(tenant: str) -> None:
    if not tenant or "/" in tenant:
        raise GenerationError(f"tenant segment {tenant!r} must be one non-empty path segment")


def _literal_regex(path: str) -> str:
    return "/".join(_escape_literal(segment) for segment in path.split("/"))


def _full_regex(tenant: str, prefix_path: str, rest_regex: str, *, strip_prefix: bool) -> str:
    """`/tenant` + prefix + the rest, capturing as jp_path what the upstream receives."""
    tenant_regex, prefix_regex = f"/{_escape_literal(tenant)}", _literal_regex(prefix_path)
    if strip_prefix:
        return f"{tenant_regex}{prefix_regex}(?<{REST_CAPTURE}>{rest_regex})$"
    return f"{tenant_regex}(?<{REST_CAPTURE}>{prefix_regex}{rest_regex})$"


def public_prefix(tenant: str, prefix: str) -> str:
    """The URL path before the spec's paths: ``/tenant`` + prefix, percent-encoded like the routes."""
    return quote(join_paths(tenant, prefix), safe=_PCHAR_SAFE + "/")


def matching_shape(pattern: PathPattern) -> str:
    """The regex with capture names erased: two paths with equal shapes match exactly the same requests."""
    return re.sub(r"\(\?<[A-Za-z0-9_]+>", "(", pattern.regex)


def priorities(patterns: list[PathPattern]) -> dict[str, int]:
    """regex_priority per template: a strict total order, most specific highest (0 for the least)."""
    ordered = sorted({p.template: p for p in patterns}.values(), key=PathPattern.specificity)
    return {p.template: rank for rank, p in enumerate(ordered)}
