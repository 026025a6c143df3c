"""Issue 11, item 6 through the API: an analysis past `analysis.timeoutSeconds` fails with a clear error
instead of running on."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from justpush.config import Settings

from .web_support import analyse, many_routes, upload


@pytest.fixture
def analyzer() -> Any:
    return None  # the real analysis


@pytest.fixture
def settings(make_settings: Any) -> Settings:
    settings: Settings = make_settings(analysis={"timeoutSeconds": 0.5})
    return settings


async def test_an_analysis_over_its_time_limit_fails(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    files = {f"m{i}.py": many_routes(200).encode() for i in range(50)}
    upload_id = await upload(client, auth, {**files, "requirements.txt": b"flask\n"})
    started = time.monotonic()
    body = await analyse(client, auth, upload_id)
    assert body["status"] == "failed", body
    assert "time limit" in body["error"] and "analysis.timeoutSeconds" in body["error"]
    assert time.monotonic() - started < 15
