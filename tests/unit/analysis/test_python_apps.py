"""Golden tests: each tests/fixtures/apps/python-*/ app against its hand-written *.expected.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from justpush.analysis import AnalysisResult, analyze, validation_error
from tests.unit.analysis.spec_summary import APPS, summarize

CASES = sorted(p for p in APPS.glob("python-*.expected.yaml"))


def _profile_value(result: AnalysisResult, field: str) -> Any:
    value = getattr(result.profile, field)
    return list(value) if isinstance(value, tuple) else value


@pytest.fixture(scope="module", params=CASES, ids=[c.name.removesuffix(".expected.yaml") for c in CASES])
def case(request: pytest.FixtureRequest) -> tuple[dict[str, Any], AnalysisResult]:
    expected_file: Path = request.param
    app = APPS / expected_file.name.removesuffix(".expected.yaml")
    expected = yaml.safe_load(expected_file.read_text())
    expected["_app"] = app.name
    result = analyze(app)
    generated = {
        "profile": {k: _profile_value(result, k) for k in expected.get("profile", {})},
        "operations": summarize(result.spec),
        "env": {v.name: {"secret": v.secret, "required": v.required, "default": v.default}
                for v in result.profile.env_vars},
    }  # fmt: skip
    # Written for diffing by hand; *.generated.* is gitignored.
    expected_file.with_name(expected_file.name.replace(".expected.", ".generated.")).write_text(
        yaml.safe_dump(generated, sort_keys=False)
    )
    return expected, result


def test_spec_validates(case: tuple[dict[str, Any], AnalysisResult]) -> None:
    _, result = case
    assert result.spec["openapi"] == "3.1.0"
    assert validation_error(result.spec) is None


def test_profile(case: tuple[dict[str, Any], AnalysisResult]) -> None:
    expected, result = case
    for field, value in expected["profile"].items():
        assert _profile_value(result, field) == value, field
        assert result.profile.evidence.get(field), f"{field} has no evidence"


def test_operations(case: tuple[dict[str, Any], AnalysisResult]) -> None:
    expected, result = case
    actual = summarize(result.spec)
    assert sorted(actual) == sorted(expected["operations"])
    for key, want in expected["operations"].items():
        got = actual[key]
        assert got["params"] == sorted(want["params"]), key
        assert got["security"] == want["security"], key
        assert got["body"] == want.get("body"), key
        for status, schema in want.get("responses", {}).items():
            assert status in got["responses"], (key, status)
            assert got["responses"][status] == schema, (key, status)


def test_security_schemes_and_schemas(case: tuple[dict[str, Any], AnalysisResult]) -> None:
    expected, result = case
    components = result.spec.get("components", {})
    schemes = components.get("securitySchemes", {})
    assert sorted(schemes) == sorted(expected["security_schemes"])
    for name, want in expected["security_schemes"].items():
        assert {k: schemes[name].get(k) for k in want} == want, name
    assert sorted(components.get("schemas", {})) == sorted(expected["schemas"])


def test_env_vars(case: tuple[dict[str, Any], AnalysisResult]) -> None:
    expected, result = case
    found = {v.name: v for v in result.profile.env_vars}
    assert sorted(found) == sorted(expected["env"])
    for name, want in expected["env"].items():
        var = found[name]
        assert (var.secret, var.required, var.default) == (
            want["secret"],
            want["required"],
            want["default"],
        ), name
        assert var.evidence and var.evidence[0].line, name


def test_operations_carry_evidence(case: tuple[dict[str, Any], AnalysisResult]) -> None:
    expected, result = case
    app = APPS / expected["_app"]
    for item in result.spec["paths"].values():
        for op in item.values():
            file, _, line = op["x-justpush-source"].rpartition(":")
            assert (app / file).is_file(), file
            assert line.isdigit() and int(line) <= len((app / file).read_text().splitlines())
