"""The analysis job API, driven with a stand-in analyzer so the route contract is tested on its own."""

from __future__ import annotations

import asyncio
import io
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI

from justpush.errors import AnalysisError

SPEC = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/items": {"get": {}}}}


@dataclass
class Outcome:
    root: Path

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile": {"language": "python", "files": sorted(p.name for p in self.root.iterdir())},
            "spec": SPEC,
            # The keys of justpush.analysis.AnalysisResult.to_dict().
            "specSource": "generated",
            "specReason": "no OpenAPI file in the repository",
            "warnings": ["w1"],
        }


class Analyzer:
    """Blocks until released, so tests can observe the running state."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.fail = False
        self.roots: list[str | None] = []

    def __call__(self, root: Path, app_root: str | None = None) -> Outcome:
        self.roots.append(app_root)
        self.release.wait(10)
        if self.fail:
            raise AnalysisError("no entrypoint found")
        return Outcome(root)


@pytest.fixture
def analyzer() -> Analyzer:
    return Analyzer()


async def upload_zip(client: httpx.AsyncClient, auth: dict[str, str]) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("main.py", "print(1)\n")
    response = await client.post("/uploads", headers=auth, files={"file": ("a.zip", buffer.getvalue())})
    upload_id: str = response.json()["id"]
    return upload_id


async def wait_for(
    client: httpx.AsyncClient, auth: dict[str, str], upload_id: str, status: str
) -> dict[str, Any]:
    for _ in range(200):
        body: dict[str, Any] = (await client.get(f"/analyze/{upload_id}", headers=auth)).json()
        if body["status"] == status:
            return body
        await asyncio.sleep(0.02)
    raise AssertionError(f"analysis never reached {status}: {body}")


async def test_analysis_lifecycle_and_spec_downloads(
    client: httpx.AsyncClient, auth: dict[str, str], analyzer: Analyzer
) -> None:
    # The upload starts its analysis at once.
    upload_id = await upload_zip(client, auth)
    assert (await client.get(f"/analyze/{upload_id}", headers=auth)).json()["status"] == "running"
    assert (await client.get(f"/analyze/{upload_id}/openapi.json", headers=auth)).status_code == 404
    assert (await client.post(f"/analyze/{upload_id}", headers=auth)).status_code == 409

    analyzer.release.set()
    await wait_for(client, auth, upload_id, "succeeded")
    analyzer.release.clear()
    again = await client.post(f"/analyze/{upload_id}", headers=auth)
    assert again.status_code == 202
    assert again.json() == {"upload_id": upload_id, "status": "running"}
    assert (await client.get(f"/analyze/{upload_id}", headers=auth)).json()["status"] == "running"
    analyzer.release.set()
    body = await wait_for(client, auth, upload_id, "succeeded")
    assert body["profile"] == {"language": "python", "files": ["main.py"]}
    assert (body["spec"], body["spec_source"], body["warnings"]) == (SPEC, "generated", ["w1"])
    assert body["spec_reason"] == "no OpenAPI file in the repository"
    assert body["analyzed_at"]

    as_json = await client.get(f"/analyze/{upload_id}/openapi.json", headers=auth)
    assert as_json.json() == SPEC
    as_yaml = await client.get(f"/analyze/{upload_id}/openapi.yaml", headers=auth)
    assert as_yaml.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(as_yaml.text) == SPEC


async def test_failed_analysis_reports_the_error(
    client: httpx.AsyncClient, auth: dict[str, str], analyzer: Analyzer
) -> None:
    analyzer.fail = True
    analyzer.release.set()
    upload_id = await upload_zip(client, auth)
    body = await wait_for(client, auth, upload_id, "failed")
    assert body["error"] == "no entrypoint found"
    missing = await client.get(f"/analyze/{upload_id}/openapi.yaml", headers=auth)
    assert missing.status_code == 404
    assert "failed" in missing.json()["error"]["message"]


async def test_shutdown_cancels_running_analysis(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str], analyzer: Analyzer
) -> None:
    upload_id = await upload_zip(client, auth)
    tasks = set(app.state.justpush.tasks)
    assert [t.get_name() for t in tasks] == [f"analyze:{upload_id}"]
    analyzer.release.set()
    await app.state.justpush.cancel_tasks()
    assert all(t.done() for t in tasks)
