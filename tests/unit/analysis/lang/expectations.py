"""Shared helpers for the tree-sitter extractor tests (Node/TypeScript, Java, Go).

Each fixture app under tests/fixtures/apps/<name> has a hand-written `expected/<name>.yaml`:

    operations:            # "METHOD /path" → what the operation must look like
      GET /users/{id}:
        params: [path id!, query q]     # "<in> <name>", "!" = required
        security: [ApiKeyAuth]          # one entry per alternative, "A+B" = both; null = none
        body: CreateUser                # $ref name, "Name[]" for arrays of refs, or a schema
        responses: {"200": User}        # same notation; null = no body
        unresolved: [path]              # keys of Operation.unresolved
    schemas: {...}                      # exact components.schemas
    security_schemes: {...}
    env: {NAME: {default: "x", secret: false, required: false}}
    port: 8080
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from justpush.analysis import ExtractedApi, Operation

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "apps"
EXPECTED = Path(__file__).resolve().parent / "expected"


def compact(schema: dict[str, Any] | None) -> Any:
    if schema is None:
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return ref.rsplit("/", 1)[-1]
    items = schema.get("items")
    if schema.get("type") == "array" and isinstance(items, dict) and "$ref" in items:
        return f"{compact(items)}[]"
    return schema


def describe(op: Operation) -> dict[str, Any]:
    params = sorted(f"{p.location} {p.name}{'!' if p.required else ''}" for p in op.parameters)
    security = None if op.security is None else ["+".join(sorted(r)) for r in op.security]
    return {
        "params": params,
        "security": security,
        "body": compact(op.request_body),
        "responses": {status: compact(schema) for status, schema in op.responses.items()},
        "unresolved": sorted(op.unresolved),
    }


def load_expected(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((EXPECTED / f"{name}.yaml").read_text())
    return data


def assert_matches(api: ExtractedApi, expected: dict[str, Any]) -> None:
    actual = {f"{op.method.upper()} {op.path}": describe(op) for op in api.operations}
    assert sorted(actual) == sorted(expected["operations"])
    for key, want in expected["operations"].items():
        got = actual[key]
        for field in ("params", "security", "body", "responses", "unresolved"):
            default: Any = [] if field in ("params", "unresolved") else ({} if field == "responses" else None)
            assert got[field] == want.get(field, default), f"{key}: {field}"
    assert api.schemas == expected.get("schemas", {})
    assert api.security_schemes == expected.get("security_schemes", {})
