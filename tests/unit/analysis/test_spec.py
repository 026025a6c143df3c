"""The spec builder and the used / merged / ignored decision about a spec already in the repository."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from justpush.analysis import ExtractedApi, Operation, Parameter, analyze, build_spec, validation_error
from justpush.analysis._spec import structure_error

APP = "from fastapi import FastAPI\napp = FastAPI()\n@app.get('/pets/{pet_id}')\ndef pet(pet_id: int): ...\n"
EXISTING_30 = {
    "openapi": "3.0.3",
    "info": {"title": "Pets", "version": "2.0.0"},
    "paths": {
        "/pets/{id}": {
            "get": {
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"schema": {"type": "string", "nullable": True}}},
                    }
                },
            }
        }
    },
}


def _app(tmp_path: Path, spec: object | None, name: str = "openapi.yaml", extra: str = "") -> Path:
    (tmp_path / "requirements.txt").write_text("fastapi\n")
    (tmp_path / "main.py").write_text(APP + extra)
    if spec is not None:
        (tmp_path / "docs").mkdir()
        (tmp_path / "docs" / name).write_text(spec if isinstance(spec, str) else yaml.safe_dump(spec))
    return tmp_path


def test_valid_spec_covering_the_code_is_used(tmp_path: Path) -> None:
    result = analyze(_app(tmp_path, EXISTING_30))
    assert result.spec_source == "existing"
    assert result.spec_file == "docs/openapi.yaml"
    assert "covers all 1 operation" in result.spec_reason
    assert result.spec["info"]["title"] == "Pets"


def test_valid_spec_missing_routes_is_merged_and_upgraded(tmp_path: Path) -> None:
    extra = "@app.post('/pets')\ndef add(name: str): ...\n"
    result = analyze(_app(tmp_path, EXISTING_30, extra=extra))
    assert result.spec_source == "merged"
    assert "POST /pets" in result.spec_reason
    assert result.spec["openapi"] == "3.1.0"
    assert sorted(result.spec["paths"]) == ["/pets", "/pets/{id}"]
    schema = result.spec["paths"]["/pets/{id}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert schema["schema"] == {"type": ["string", "null"]}
    assert validation_error(result.spec) is None


def test_invalid_spec_is_ignored_with_the_validator_message(tmp_path: Path) -> None:
    broken = {"openapi": "3.1.0", "info": {"title": "x"}, "paths": {}}
    result = analyze(_app(tmp_path, broken))
    assert result.spec_source == "generated"
    assert "ignored: invalid OpenAPI" in result.spec_reason
    assert "version" in result.spec_reason


def test_swagger_2_is_ignored(tmp_path: Path) -> None:
    swagger = json.dumps({"swagger": "2.0", "info": {"title": "x", "version": "1"}, "paths": {}})
    result = analyze(_app(tmp_path, swagger, name="swagger.json"))
    assert result.spec_source == "generated"
    assert "Swagger 2.0" in result.spec_reason


def test_builder_orders_dedupes_and_marks_unresolved() -> None:
    api = ExtractedApi(
        operations=[
            Operation("post", "/b", operation_id="make"),
            Operation("get", "/b/{id}", operation_id="make"),
            Operation("get", "/a", operation_id="list a", unresolved={"body": "not declared"}),
            Operation("get", "/a", operation_id="again"),
            Operation("get", "/c/{x}", parameters=(Parameter("q", "query", {"type": "integer"}),)),
        ]
    )
    spec = build_spec(api)
    assert list(spec["paths"]) == ["/a", "/b", "/b/{id}", "/c/{x}"]
    ids = [op["operationId"] for item in spec["paths"].values() for op in item.values()]
    assert ids == ["list_a", "make", "make_2", "get_c_x"]
    assert spec["paths"]["/a"]["get"]["x-justpush-unresolved"] == {"body": "not declared"}
    assert spec["x-justpush-unresolved"] == {"duplicates": ["GET /a"]}
    # A path parameter the extractor did not declare is added and flagged rather than guessed.
    params = spec["paths"]["/b/{id}"]["get"]["parameters"]
    assert params == [
        {
            "name": "id",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "x-justpush-unresolved": "type not declared"},
        }
    ]
    assert spec["paths"]["/a"]["get"]["responses"] == {"200": {"description": "OK"}}
    assert validation_error(spec) is None


def _many_paths(schema: dict[str, object]) -> ExtractedApi:
    ops = [Operation("get", f"/r{n}/{{id}}", parameters=(Parameter("id", "path", {"type": "integer"}, True),))
           for n in range(150)]  # fmt: skip
    ops.append(Operation("post", "/last", request_body=schema))
    return ExtractedApi(operations=ops, schemas={"Thing": {"type": "object"}})


def test_large_documents_are_still_fully_checked() -> None:
    assert validation_error(build_spec(_many_paths({"$ref": "#/components/schemas/Thing"}))) is None
    bad_type = validation_error(build_spec(_many_paths({"type": "strnig"})))
    assert bad_type is not None and "/last" in bad_type
    dangling = validation_error(build_spec(_many_paths({"$ref": "#/components/schemas/Missing"})))
    assert dangling == "unresolvable $ref #/components/schemas/Missing"


def test_the_generated_spec_check_is_at_least_as_strict_as_the_full_validator() -> None:
    """The analysis checks its own output with `structure_error` (jsonschema-rs, quick to load)."""
    ok = build_spec(ExtractedApi(operations=[Operation("post", "/a", request_body={"type": "object"})]))
    assert structure_error(ok) is None and validation_error(ok) is None
    no_info = {"openapi": "3.1.0", "paths": {}}
    assert validation_error(no_info) is not None
    assert structure_error(no_info) == '"info" is a required property'
    undeclared = {**ok, "paths": {"/a/{id}": ok["paths"]["/a"]}}
    assert structure_error(undeclared) == "path parameter 'id' of POST /a/{id} is not declared"
    # Two mistakes openapi-spec-validator lets through in a 3.1 document.
    bad_type = build_spec(ExtractedApi(operations=[Operation("post", "/a", request_body={"type": "strnig"})]))
    assert "invalid schema at #/paths//a/post/requestBody" in str(structure_error(bad_type))
    dangling = build_spec(
        ExtractedApi(operations=[Operation("post", "/a", request_body={"$ref": "#/nowhere"})])
    )
    assert structure_error(dangling) == "unresolvable $ref #/nowhere"
