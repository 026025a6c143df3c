"""Issue 11, item 7: request bodies are bounded on every route, while they stream and before they are
parsed, and a body without a token is refused before it is read.

httpx's ASGI transport hands the app one chunk per `receive()`, so the chunks the generator gave away
are exactly what the server read.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from justpush.config import Settings

from .web_support import FLASK_APP, make_zip, upload

CHUNK = 64 * 1024
LIMIT = 256 * 1024


@pytest.fixture
def settings(make_settings: Any) -> Settings:
    settings: Settings = make_settings(
        api={"maxBodyBytes": LIMIT}, deployment={"enabled": True}, server={"worker": "none"}
    )
    return settings


class Body:
    """A streamed JSON-looking body of `total` bytes that counts what was pulled from it."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"env": {"A": "'
        while self.sent < self.total:
            self.sent += CHUNK
            yield b"x" * CHUNK
        yield b'"}}'


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


async def test_a_body_without_a_token_is_refused_before_it_is_read(client: httpx.AsyncClient) -> None:
    body = Body(80 * 1024 * 1024)
    response = await client.post(
        "/deploy/someone", content=body, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"
    assert body.sent <= CHUNK


async def test_a_declared_length_over_the_limit_is_refused_before_it_is_read(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = Body(80 * 1024 * 1024)
    headers = {**auth, "Content-Type": "application/json", "Content-Length": str(80 * 1024 * 1024 + 18)}
    response = await client.post("/deploy/x", content=body, headers=headers)
    assert_error(response, 413, "request_too_large")
    assert body.sent <= CHUNK


@pytest.mark.parametrize("token", ["valid", "wrong"])
async def test_a_streamed_body_stops_at_the_limit(
    client: httpx.AsyncClient, auth: dict[str, str], token: str
) -> None:
    headers = auth if token == "valid" else {"Authorization": "Bearer jp_wrong"}
    upload_id = await upload(client, auth, {"app.py": FLASK_APP})
    body = Body(80 * 1024 * 1024)
    response = await client.post(
        f"/deploy/{upload_id}/redeploy", content=body, headers={**headers, "Content-Type": "application/json"}
    )
    assert_error(response, 413, "request_too_large")
    assert response.json()["error"]["details"] == {"limit": LIMIT}
    assert body.sent <= LIMIT + 2 * CHUNK


async def test_bodies_under_the_limit_work(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    upload_id = await upload(client, auth, {"app.py": FLASK_APP})
    response = await client.post(f"/deploy/{upload_id}", headers=auth, json={"env": {"A": "x" * 1000}})
    assert response.status_code == 202, response.text


async def test_uploads_keep_their_own_larger_limit(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    archive = make_zip({"app.py": FLASK_APP, "blob.bin": os.urandom(4 * LIMIT)})
    assert len(archive) > LIMIT
    response = await client.post(
        "/uploads", headers=auth, files={"file": ("app.zip", archive, "application/zip")}
    )
    assert response.status_code == 201, response.text
