"""Each fixture app's extract/scan_env/find_port output against its hand-checked expected file."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from justpush.analysis import go as _go
from justpush.analysis import java as _java
from justpush.analysis import node as _node
from tests.unit.analysis.lang.expectations import EXPECTED, assert_matches, load_expected

MODULES: dict[str, tuple[ModuleType, str]] = {
    "go": (_go, "go"),
    "node": (_node, "node"),
    "java": (_java, "java"),
}
CASES = sorted(p.stem for p in EXPECTED.glob("*.yaml"))


def _module(name: str) -> tuple[ModuleType, str]:
    return MODULES[name.split("-", 1)[0]]


@pytest.mark.parametrize("name", CASES)
def test_operations_schemas_and_security(name: str, fixture_app: Any) -> None:
    module, language = _module(name)
    root, profile = fixture_app(name, language)
    api = module.extract(root, profile)
    assert api.warnings == []
    assert_matches(api, load_expected(name))


@pytest.mark.parametrize("name", CASES)
def test_env_vars(name: str, fixture_app: Any) -> None:
    module, language = _module(name)
    root, profile = fixture_app(name, language)
    found = {
        v.name: {"default": v.default, "secret": v.secret, "required": v.required}
        for v in module.scan_env(root, profile)
    }
    assert found == load_expected(name).get("env", {})


@pytest.mark.parametrize("name", CASES)
def test_port(name: str, fixture_app: Any) -> None:
    module, language = _module(name)
    root, profile = fixture_app(name, language)
    port = module.find_port(root, profile)
    assert (port[0] if port else None) == load_expected(name).get("port")
    if port is not None:
        assert (root / port[1].file).is_file()


def test_every_language_has_three_fixtures() -> None:
    for prefix in MODULES:
        assert len([c for c in CASES if c.startswith(prefix + "-")]) >= 3


def test_evidence_is_relative_to_the_upload_root(fixture_app: Any) -> None:
    from dataclasses import replace

    root, profile = fixture_app("go-gin", "go")
    profile = replace(profile, app_dir="services/books")
    api = _go.extract(root, profile)
    assert all(
        op.evidence is not None and op.evidence.file.startswith("services/books/") for op in api.operations
    )
    port = _go.find_port(root, profile)
    assert port is not None and port[1].file == "services/books/main.go"
    assert all(e.file.startswith("services/books/") for v in _go.scan_env(root, profile) for e in v.evidence)


def test_operation_evidence_points_at_the_registration(fixture_app: Any) -> None:
    root, profile = fixture_app("node-express", "node")
    ops = {(op.method, op.path): op for op in _node.extract(root, profile).operations}
    ev = ops[("get", "/api/products/{productId}")].evidence
    assert ev is not None and ev.file == "src/routes/products.js"
    assert ev.line is not None
    line = (root / ev.file).read_text().splitlines()[ev.line - 1]
    assert "'/:productId'" in line


def test_fastify_route_schemas_keep_their_json_schema_details(fixture_app: Any) -> None:
    root, profile = fixture_app("node-fastify-schemas", "node")
    operations = {f"{op.method.upper()} {op.path}": op for op in _node.extract(root, profile).operations}
    limit = next(p for p in operations["GET /orders"].parameters if p.name == "limit")
    assert limit.schema == {"type": "integer", "default": 20, "maximum": 100}
    status = next(p for p in operations["GET /orders"].parameters if p.name == "status")
    assert status.schema == {"type": "string", "enum": ["open", "shipped"]}
    (order_id,) = operations["GET /orders/{id}"].parameters
    assert order_id.schema == {"type": "integer"}
