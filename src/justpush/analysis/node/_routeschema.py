"""Route schemas declared as JSON Schema (Fastify's `schema: {body, querystring, params, headers,
response}`) applied to a route: what the developer declared wins over what the handler suggests."""

from __future__ import annotations

import re
from typing import Any

from .._model import Parameter, ParamLocation
from .._treesitter import RouteDecl

_PARAMETER_PARTS: tuple[tuple[str, ParamLocation], ...] = (
    ("querystring", "query"),
    ("query", "query"),
    ("params", "path"),
    ("headers", "header"),
)
_STATUS = re.compile(r"^[1-5](\d\d|XX)$")


def _local_refs_only(schema: Any) -> bool:
    """JSON Schema `$ref`s to shared schemas (`user#`) have no meaning in the generated spec."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if ref is not None and not str(ref).startswith("#/components/schemas/"):
            return False
        return all(_local_refs_only(v) for v in schema.values())
    if isinstance(schema, list):
        return all(_local_refs_only(v) for v in schema)
    return True


def _status(key: str) -> str | None:
    code = key.upper()
    if code == "DEFAULT":
        return "default"
    return code if _STATUS.match(code) else None


def apply_route_schema(decl: RouteDecl, schema: dict[str, Any]) -> None:
    """Set the declared body, parameters and responses on `decl`; parts it cannot use are marked."""
    body = schema.get("body")
    if isinstance(body, dict):
        if _local_refs_only(body):
            decl.request_body = body
        else:
            decl.unresolved["body"] = "the body schema refers to a shared schema ($ref) by id"
    params = {(p.name, p.location): p for p in decl.parameters}
    for part, location in _PARAMETER_PARTS:
        declared = schema.get(part)
        if not isinstance(declared, dict):
            continue
        required = set(declared.get("required") or ())
        for name, prop in (declared.get("properties") or {}).items():
            if isinstance(prop, dict) and _local_refs_only(prop):
                params[(name, location)] = Parameter(
                    name, location, prop, required=location == "path" or name in required
                )
    decl.parameters = tuple(params.values())
    responses = schema.get("response")
    if not isinstance(responses, dict):
        return
    declared = {status: value for key, value in responses.items() if (status := _status(str(key)))}
    if any(status.startswith("2") for status in declared):
        # Declared success statuses replace the one the handler suggested.
        for guessed in [s for s in decl.responses if s.startswith("2") and s not in declared]:
            del decl.responses[guessed]
    for status, value in declared.items():
        if not isinstance(value, dict):
            continue
        if _local_refs_only(value):
            decl.responses[status] = value
        else:
            decl.unresolved["response"] = f"the {status} response schema refers to a shared schema ($ref)"
