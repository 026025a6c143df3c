"""Security inferred from hand-written checks: a function reading an API-key header or a bearer token."""

from __future__ import annotations

import ast
import re
from typing import Any

from .._scope import once_per_analysis
from ._index import const_str

# Headers read for other reasons than authentication.
_NOT_AUTH_HEADERS = frozenset(
    {"content-type", "accept", "user-agent", "host", "origin", "referer", "x-request-id"}
)
_KEY_WORDS = ("key", "token", "auth", "secret", "signature")
_SANITIZE = re.compile(r"[^A-Za-z0-9_.-]")


def header_read(node: ast.AST) -> str | None:
    """The header name in ``request.headers.get("X")`` / ``request.headers["X"]``, else None."""
    if isinstance(node, ast.Subscript):
        if isinstance(node.value, ast.Attribute) and node.value.attr == "headers":
            return const_str(node.slice)
        return None
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if (
        isinstance(func, ast.Attribute)
        and func.attr == "get"
        and isinstance(func.value, ast.Attribute)
        and func.value.attr in ("headers", "META")
        and node.args
    ):
        name = const_str(node.args[0])
        # Django exposes headers as META["HTTP_X_API_KEY"].
        if name and func.value.attr == "META":
            return name[5:].replace("_", "-").title() if name.startswith("HTTP_") else None
        return name
    return None


def query_key_read(node: ast.AST) -> str | None:
    """A query parameter read like ``request.args.get("api_key")`` whose name says it is a credential."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"):
        return None
    owner = node.func.value
    if not (isinstance(owner, ast.Attribute) and owner.attr in ("args", "query_params", "GET") and node.args):
        return None
    name = const_str(node.args[0])
    if name and any(word in name.lower() for word in ("api_key", "apikey", "token", "access_key")):
        return name
    return None


def schemes_from_checks(function: ast.AST, schemes: dict[str, dict[str, Any]]) -> list[str]:
    """Register and name the schemes a guard function implements (sorted names, [] when none)."""
    # Scanned once per analysis: the same guard decorates many views.
    headers, queries, texts = once_per_analysis(("auth-checks", id(function)), lambda: _checks(function))[1]
    names: set[str] = set()
    for header in headers:
        if header.lower() == "authorization":
            if "basic" in texts and "bearer" not in texts:
                names.add(_register(schemes, "BasicAuth", {"type": "http", "scheme": "basic"}))
            else:
                names.add(_register(schemes, "BearerAuth", {"type": "http", "scheme": "bearer"}))
        elif any(word in header.lower() for word in _KEY_WORDS):
            names.add(_register(schemes, "ApiKeyAuth", {"type": "apiKey", "in": "header", "name": header}))
    for query in queries:
        names.add(_register(schemes, "ApiKeyQuery", {"type": "apiKey", "in": "query", "name": query}))
    return sorted(names)


def _checks(function: ast.AST) -> tuple[ast.AST, tuple[list[str], list[str], set[str]]]:
    """The headers and query keys a function reads and its string constants (lowercased).

    The function is kept with the result: alive, its id (the memo key) cannot be reused.
    """
    headers: list[str] = []
    queries: list[str] = []
    texts: set[str] = set()
    for node in ast.walk(function):
        header = header_read(node)
        if header is not None and header.lower() not in _NOT_AUTH_HEADERS:
            headers.append(header)
        query = query_key_read(node)
        if query is not None:
            queries.append(query)
        text = const_str(node)
        if text is not None:
            texts.add(text.strip().lower())
    return function, (headers, queries, texts)


def _register(schemes: dict[str, dict[str, Any]], name: str, scheme: dict[str, Any]) -> str:
    existing = schemes.get(name)
    if existing is not None and existing != scheme:
        name = f"{name}_{_SANITIZE.sub('_', str(scheme.get('name', scheme.get('scheme'))))}"
    schemes.setdefault(name, scheme)
    return name
