"""Choosing the API's folder in a monorepo upload: POST /analyze and POST /deploy take `root`."""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from justpush import store
from justpush.config import Settings

APP = Path(__file__).resolve().parents[2] / "fixtures" / "apps" / "monorepo-react-spring"


@pytest.fixture
def analyzer() -> Any:
    return None  # justpush.analysis.analyze


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    # No worker: a queued deploy stays queued, so only the route's validation is under test.
    return make_settings(deployment={"enabled": True}, server={"worker": "none"})


@pytest.fixture
async def upload_id(client: httpx.AsyncClient, auth: dict[str, str]) -> AsyncIterator[str]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in sorted(APP.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(APP).as_posix())
    created = await client.post("/uploads", headers=auth, files={"file": ("notes.zip", buffer.getvalue())})
    assert created.status_code == 201, created.text
    # Every upload is analysed once on arrival: the tests start from that analysis's end.
    await _analysed(client, auth, created.json()["id"])
    yield created.json()["id"]


async def _analysed(client: httpx.AsyncClient, auth: dict[str, str], upload_id: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for _ in range(100):
        body = (await client.get(f"/analyze/{upload_id}", headers=auth)).json()
        if body["status"] in ("succeeded", "failed"):
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"analysis did not finish: {body}")


async def test_detected_root_is_the_backend_and_candidates_are_listed(
    client: httpx.AsyncClient, auth: dict[str, str], upload_id: str
) -> None:
    body = await _analysed(client, auth, upload_id)
    assert body["status"] == "succeeded", body
    assert body["profile"]["appDir"] == "backend"
    assert body["profile"]["appDirCandidates"] == [".", "backend"]
    assert body["profile"]["framework"] == "spring-boot"
    assert any("chose backend" in w for w in body["warnings"])
    assert set(body["spec"]["paths"]) == {"/api/notes"}


async def test_a_chosen_root_is_analysed(
    client: httpx.AsyncClient, auth: dict[str, str], upload_id: str
) -> None:
    response = await client.post(f"/analyze/{upload_id}", headers=auth, json={"root": "./"})
    assert response.status_code == 202, response.text
    body = await _analysed(client, auth, upload_id)
    assert body["profile"]["appDir"] == "."
    assert body["profile"]["language"] == "node"
    assert body["profile"]["overridden"] == ["app_dir"]


@pytest.mark.parametrize(
    ("root", "why"),
    [
        ("../other", "'..'"),
        ("/etc", "absolute"),
        ("backend/missing", "not a folder"),
        ("package.json", "not a folder"),
    ],
)
async def test_a_root_outside_or_missing_is_a_400_and_nothing_starts(
    client: httpx.AsyncClient, auth: dict[str, str], upload_id: str, app: FastAPI, root: str, why: str
) -> None:
    before = (await client.get(f"/analyze/{upload_id}", headers=auth)).json()
    response = await client.post(f"/analyze/{upload_id}", headers=auth, json={"root": root})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_root" and why in error["message"]
    assert (await client.get(f"/analyze/{upload_id}", headers=auth)).json() == before
    refused = await client.post(f"/deploy/{upload_id}", headers=auth, json={"root": root})
    assert refused.status_code == 400, refused.text
    async with app.state.justpush.sessions() as session:
        assert await store.list_jobs(session, upload_id) == []


async def test_deploy_stores_the_normalised_root(
    client: httpx.AsyncClient, auth: dict[str, str], upload_id: str, app: FastAPI
) -> None:
    response = await client.post(f"/deploy/{upload_id}", headers=auth, json={"root": "backend/"})
    assert response.status_code == 202, response.text
    async with app.state.justpush.sessions() as session:
        jobs = await store.list_jobs(session, upload_id)
    assert [job.options["root"] for job in jobs] == ["backend"]
