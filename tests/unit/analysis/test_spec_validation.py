"""Large documents are validated through their skeleton: the same verdicts as the full validator."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from justpush.analysis import validation_error
from justpush.analysis._spec import _validate_one


def _document(paths: int, version: str = "3.1.0") -> dict[str, Any]:
    item = {"type": "object", "properties": {"id": {"type": "integer"}}}
    identifier = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    answer = {"description": "ok", "content": {"application/json": {"schema": item}}}
    return {
        "openapi": version,
        "info": {"title": "big", "version": "1"},
        "paths": {
            f"/r{n}/{{id}}": {
                "get": {
                    "operationId": f"get{n}",
                    "parameters": [copy.deepcopy(identifier)],
                    "responses": {"200": copy.deepcopy(answer)},
                }
            }
            for n in range(paths)
        },
    }


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_a_valid_large_document_passes(version: str) -> None:
    assert validation_error(_document(150, version)) is None


def _broken(change: str) -> dict[str, Any]:
    spec = _document(150)
    operation = spec["paths"]["/r7/{id}"]["get"]
    if change == "undeclared path parameter":
        operation["parameters"] = []
    elif change == "parameter not in the path":
        operation["parameters"].append({"name": "extra", "in": "path", "required": True, "schema": {}})
    elif change == "duplicate operationId":
        operation["operationId"] = "get3"
    elif change == "a parameter in the body":
        operation["parameters"].append({"name": "q", "in": "body", "schema": {}})
    elif change == "bad schema":
        operation["responses"]["200"]["content"]["application/json"]["schema"] = {"type": 7}
    return spec


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("undeclared path parameter", "path parameter 'id' of GET /r7/{id} is not declared"),
        ("parameter not in the path", "path parameter 'extra' of GET /r7/{id} is not in the path"),
        ("duplicate operationId", "operationId 'get3' is used by GET /r3/{id} and GET /r7/{id}"),
        ("a parameter in the body", "(at paths//r7/{id}/get/parameters/1/in)"),
        ("bad schema", "invalid schema at #/paths/~1r7~1{id}/get"),
    ],
)
def test_each_broken_rule_is_named(change: str, message: str) -> None:
    spec = _broken(change)
    error = validation_error(spec)
    assert error is not None and message.replace("~1", "/") in error.replace("~1", "/"), error
    # The full validator agrees that the document is invalid.
    assert _validate_one(copy.deepcopy(spec)) is not None
