"""A compact view of a generated spec, as the *.expected.yaml files write it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

APPS = Path(__file__).resolve().parents[2] / "fixtures" / "apps"


def type_str(schema: dict[str, Any] | None) -> str | None:
    """A short name for a schema: a $ref's component, "a|b" for unions, else its type."""
    if schema is None:
        return None
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return "|".join(str(type_str(s)) for s in schema["anyOf"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return "|".join(kind)
    return str(kind) if kind else "any"


def param_str(param: dict[str, Any]) -> str:
    optional = "" if param.get("required") else "?"
    return f"{param['in']} {param['name']}{optional} {type_str(param.get('schema'))}"


def summarize(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """ "METHOD /path" -> params, body, security, responses, as the *.expected.yaml files write them."""
    out: dict[str, dict[str, Any]] = {}
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            body = op.get("requestBody", {}).get("content", {})
            body_schema = next(iter(body.values()), {}).get("schema") if body else None
            responses = {
                status: type_str(next(iter(r.get("content", {}).values()), {}).get("schema"))
                if r.get("content")
                else None
                for status, r in op.get("responses", {}).items()
            }
            out[f"{method.upper()} {path}"] = {
                "params": sorted(param_str(p) for p in op.get("parameters", [])),
                "body": type_str(body_schema) if body_schema is not None else None,
                "security": op.get("security"),
                "responses": responses,
            }
    return out
