"""POST /analyze with the real analyzer: what `analyze()` returns is what the API serves."""

from __future__ import annotations

import asyncio
import io
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

APP = Path(__file__).resolve().parents[2] / "fixtures" / "apps" / "python-fastapi-shop"


@pytest.fixture
def analyzer() -> Any:
    return None  # justpush.analysis.analyze


async def test_real_analysis_is_stored_and_served(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in sorted(APP.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(APP).as_posix())
    created = await client.post(
        "/uploads", headers=auth, files={"file": ("shop.zip", buffer.getvalue(), "application/zip")}
    )
    upload_id = created.json()["id"]
    # Started by the upload itself.
    body: dict[str, Any] = {}
    for _ in range(100):
        body = (await client.get(f"/analyze/{upload_id}", headers=auth)).json()
        if body["status"] in ("succeeded", "failed"):
            break
        await asyncio.sleep(0.1)
    assert body["status"] == "succeeded", body
    assert body["profile"]["framework"] == "fastapi"
    assert body["spec_source"] == "generated" and body["spec_reason"]
    assert body["spec"]["openapi"].startswith("3.1")
    spec = (await client.get(f"/analyze/{upload_id}/openapi.json", headers=auth)).json()
    assert spec == body["spec"] and spec["paths"]
