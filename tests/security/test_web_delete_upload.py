"""Issue 11, item 8: deleting an upload must not orphan its deployment (Kubernetes objects, Kong entities)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from justpush import store
from justpush.config import Settings

from .web_support import FLASK_APP, upload


@pytest.fixture
def settings(make_settings: Any) -> Settings:
    # Deployment on, no worker: a queued job stays queued.
    settings: Settings = make_settings(deployment={"enabled": True}, server={"worker": "none"})
    return settings


async def set_status(app: FastAPI, upload_id: str, status: str | None) -> None:
    async with app.state.justpush.sessions() as session:
        row = await store.ensure_analyze_result(session, upload_id)
        row.deployment_status = status
        await session.commit()


@pytest.mark.parametrize("status", ["DEPLOYED", "FAILED", "DEPLOYED_WITH_WARNINGS", "ROLLED_BACK"])
async def test_delete_is_refused_while_a_deployment_exists(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str], status: str
) -> None:
    upload_id = await upload(client, auth, {"app.py": FLASK_APP})
    await set_status(app, upload_id, status)
    response = await client.delete(f"/uploads/{upload_id}", headers=auth)
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "conflict" and "delete the deployment first" in error["message"]
    assert error["details"]["deployment_status"] == status
    assert (await client.get(f"/uploads/{upload_id}", headers=auth)).status_code == 200


async def test_delete_is_refused_while_a_job_is_queued(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    upload_id = await upload(client, auth, {"app.py": FLASK_APP})
    assert (await client.post(f"/deploy/{upload_id}", headers=auth, json={})).status_code == 202
    response = await client.delete(f"/uploads/{upload_id}", headers=auth)
    assert response.status_code == 409, response.text
    assert response.json()["error"]["details"]["status"] == "queued"
    assert (await client.get(f"/uploads/{upload_id}", headers=auth)).status_code == 200


@pytest.mark.parametrize("status", [None, "DELETED"])
async def test_delete_goes_ahead_without_a_live_deployment(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str], status: str | None
) -> None:
    upload_id = await upload(client, auth, {"app.py": FLASK_APP})
    await set_status(app, upload_id, status)
    assert (await client.delete(f"/uploads/{upload_id}", headers=auth)).status_code == 204
    assert (await client.get(f"/uploads/{upload_id}", headers=auth)).status_code == 404
