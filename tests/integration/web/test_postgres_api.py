"""The API flow on the testenv PostgreSQL: create a user, upload a zip, list it, another user sees nothing."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration


@pytest.fixture
def db_url(postgres_url: str) -> str:
    return postgres_url


async def test_user_upload_list_on_postgres(client: httpx.AsyncClient, make_user: Callable[..., Any]) -> None:
    _, token = await make_user("pg")
    auth = {"Authorization": f"Bearer {token}"}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app/main.py", "from fastapi import FastAPI\napp = FastAPI()\n")
    created = await client.post("/uploads", headers=auth, files={"file": ("p.zip", buffer.getvalue())})
    assert created.status_code == 201, created.text
    listed = (await client.get("/uploads", headers=auth)).json()
    assert [u["id"] for u in listed] == [created.json()["id"]]
    assert (await client.get("/readyz")).json()["database"] == "ok"

    _, other = await make_user("pg-other")
    assert (await client.get("/uploads", headers={"Authorization": f"Bearer {other}"})).json() == []
