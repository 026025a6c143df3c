"""Golden pairs: tests/golden/kong/NN-case.input.yaml → NN-case.expected.yaml (decK output).

Options come from the input's ``x-test-config`` (``target`` → KongTarget, ``options`` → KongOptions).
Each run writes ``NN-case.generated.yaml`` (gitignored) for diffing; ``invalid/`` inputs must fail with
the message in ``x-test-config.error``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft4Validator

from justpush.errors import GenerationError
from justpush.kong import KongConfig, KongOptions, KongTarget, openapi_to_kong, to_deck

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "kong"
CASES = sorted(GOLDEN.glob("*.input.yaml"))
INVALID = sorted((GOLDEN / "invalid").glob("*.input.yaml"))


def convert(path: Path) -> tuple[KongConfig, dict[str, Any]]:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    test_config = spec.pop("x-test-config")
    target = KongTarget.model_validate(test_config["target"])
    options = KongOptions.model_validate(test_config.get("options") or {})
    return openapi_to_kong(spec, target, options), test_config


def test_there_are_cases() -> None:
    assert len(CASES) >= 6 and len(INVALID) >= 3


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name.removesuffix(".input.yaml"))
def test_golden(case: Path, deck_schema: dict[str, Any]) -> None:
    config, _ = convert(case)
    document = {**to_deck(config), "_warnings": list(config.warnings)} if config.warnings else to_deck(config)
    generated = case.with_name(case.name.replace(".input.", ".generated."))
    generated.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    expected = yaml.safe_load(
        case.with_name(case.name.replace(".input.", ".expected.")).read_text(encoding="utf-8")
    )
    assert document == expected, f"diff {generated} against the expected file"
    deck = {k: v for k, v in document.items() if k != "_warnings"}
    assert not list(Draft4Validator(deck_schema).iter_errors(deck))


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.name.removesuffix(".input.yaml"))
def test_invalid(case: Path) -> None:
    spec = yaml.safe_load(case.read_text(encoding="utf-8"))
    with pytest.raises(GenerationError) as info:
        convert(case)
    assert spec["x-test-config"]["error"] in info.value.message
