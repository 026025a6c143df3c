"""Issue 11, item 6: one analysis is bounded in file size, routes, spec bytes and wall time, and says
what it cut."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from justpush.analysis import AnalysisOptions, analyze
from justpush.analysis._spec import spec_size
from justpush.config import Settings
from justpush.errors import AnalysisTimeoutError

from .web_support import analyse, many_routes, upload


def project(root: Path, routes: int) -> Path:
    (root / "app.py").write_text(many_routes(routes))
    (root / "requirements.txt").write_text("flask\n")
    return root


def test_routes_over_the_cap_are_dropped_with_a_warning(tmp_path: Path) -> None:
    result = analyze(project(tmp_path, 300), AnalysisOptions(max_routes=50))
    assert len(result.spec["paths"]) == 50
    assert any("250 of 300 routes dropped" in w and "analysis.maxRoutes" in w for w in result.warnings)


def test_the_route_cap_bounds_a_huge_file(tmp_path: Path) -> None:
    # ~5000 routes in one file: without a cap the spec holds them all and validating it takes long.
    started = time.monotonic()
    result = analyze(project(tmp_path, 5000), AnalysisOptions(max_routes=500))
    assert len(result.spec["paths"]) == 500
    assert time.monotonic() - started < 30


def test_spec_over_the_byte_cap_is_trimmed_with_a_warning(tmp_path: Path) -> None:
    result = analyze(project(tmp_path, 200), AnalysisOptions(max_spec_bytes=20_000))
    assert spec_size(result.spec) <= 20_000
    assert 0 < len(result.spec["paths"]) < 200
    assert any("analysis.maxSpecBytes" in w for w in result.warnings)


def test_files_over_the_size_cap_are_skipped(tmp_path: Path) -> None:
    result = analyze(project(tmp_path, 100), AnalysisOptions(max_file_bytes=1000))
    assert result.spec["paths"] == {}
    assert any("app.py: skipped" in w and "1000-byte limit" in w for w in result.warnings)


def test_the_analysis_stops_at_its_deadline(tmp_path: Path) -> None:
    for i in range(50):
        (tmp_path / f"m{i}.py").write_text(many_routes(200))
    (tmp_path / "requirements.txt").write_text("flask\n")
    started = time.monotonic()
    with pytest.raises(AnalysisTimeoutError):
        analyze(tmp_path, AnalysisOptions(timeout_seconds=0.5))
    assert time.monotonic() - started < 10


@pytest.fixture
def analyzer() -> Any:
    return None  # the real analysis, with the limits from settings


@pytest.fixture
def settings(make_settings: Any) -> Settings:
    settings: Settings = make_settings(analysis={"maxRoutes": 20, "maxSpecBytes": 50_000})
    return settings


async def test_the_api_applies_the_configured_limits(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    upload_id = await upload(
        client, auth, {"app.py": many_routes(100).encode(), "requirements.txt": b"flask\n"}
    )
    body = await analyse(client, auth, upload_id)
    assert body["status"] == "succeeded", body
    assert len(body["spec"]["paths"]) == 20
    assert any("80 of 100 routes dropped" in w for w in body["warnings"])
