"""Golden pairs tests/golden/manifests/NN-case.input.yaml → NN-case.expected.yaml (compared as parsed YAML).

An input opens with a comment stating the case, holds the app under `app` and ManifestOptions under
`x-test-config` (snake_case field names). Each run writes NN-case.generated.yaml (gitignored) for diffing.
Inputs in invalid/ carry `x-expected-error`, a substring of the GenerationError message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from justpush.errors import GenerationError
from justpush.k8s import (
    AppDeployment,
    Autoscaling,
    EgressRule,
    EnvEntry,
    LimitDefaults,
    ManifestOptions,
    Quota,
    Resources,
    dump_yaml,
    render_manifests,
)

GOLDEN = Path(__file__).parents[2] / "golden" / "manifests"
CASES = sorted(GOLDEN.glob("*.input.yaml"))
INVALID = sorted((GOLDEN / "invalid").glob("*.input.yaml"))


def _options(config: dict[str, Any]) -> ManifestOptions:
    values = dict(config)
    for key, cls in (("quota", Quota), ("limit_range", LimitDefaults)):
        if key in values and values[key] is not None:
            values[key] = cls(**values[key])
    if "egress" in values:
        values["egress"] = tuple(EgressRule(r["cidr"], tuple(r.get("ports", ()))) for r in values["egress"])
    if "gateway_pod_labels" in values:
        values["gateway_pod_labels"] = tuple(sorted(values["gateway_pod_labels"].items()))
    for key in ("gateway_cidrs", "image_pull_secrets"):
        if key in values:
            values[key] = tuple(values[key])
    return ManifestOptions(**values)


def _app(data: dict[str, Any]) -> AppDeployment:
    values = dict(data)
    values["env"] = tuple(EnvEntry(**e) for e in values.get("env", ()))
    if values.get("autoscaling") is not None:
        values["autoscaling"] = Autoscaling(**values["autoscaling"])
    if values.get("resources") is not None:
        values["resources"] = Resources(**values["resources"])
    values["command"] = tuple(values.get("command", ()))
    return AppDeployment(**values)


def _render(case: Path) -> tuple[dict[str, Any], str]:
    data = yaml.safe_load(case.read_text())
    text = dump_yaml(render_manifests(_app(data["app"]), _options(data.get("x-test-config", {}))))
    return data, text


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 3 and INVALID


@pytest.mark.parametrize("case", CASES, ids=[c.name.removesuffix(".input.yaml") for c in CASES])
def test_golden(case: Path) -> None:
    assert case.read_text().startswith("#"), "a golden input opens with a comment stating the case"
    _, text = _render(case)
    stem = case.name.removesuffix(".input.yaml")
    (GOLDEN / f"{stem}.generated.yaml").write_text(text)
    expected = list(yaml.safe_load_all((GOLDEN / f"{stem}.expected.yaml").read_text()))
    assert list(yaml.safe_load_all(text)) == expected


@pytest.mark.parametrize("case", INVALID, ids=[c.name.removesuffix(".input.yaml") for c in INVALID])
def test_invalid(case: Path) -> None:
    data = yaml.safe_load(case.read_text())
    with pytest.raises(GenerationError) as caught:
        _render(case)
    assert data["x-expected-error"] in caught.value.message
