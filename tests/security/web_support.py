"""Helpers shared by the `test_web_*` security tests: uploading a small project, waiting for its analysis."""

from __future__ import annotations

import asyncio
import io
import zipfile
from typing import Any

import httpx

FLASK_APP = (
    b"from flask import Flask\napp = Flask(__name__)\n\n@app.get('/ping')\ndef ping():\n    return 'pong'\n"
)


def many_routes(count: int) -> str:
    """A Flask module with `count` routes."""
    lines = ["from flask import Flask", "app = Flask(__name__)", ""]
    lines += [f"@app.get('/r{i}')\ndef r{i}():\n    return 'x'\n" for i in range(count)]
    return "\n".join(lines)


def make_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


async def upload(client: httpx.AsyncClient, auth: dict[str, str], files: dict[str, bytes]) -> str:
    response = await client.post(
        "/uploads", headers=auth, files={"file": ("app.zip", make_zip(files), "application/zip")}
    )
    assert response.status_code == 201, response.text
    upload_id: str = response.json()["id"]
    return upload_id


async def analyse(
    client: httpx.AsyncClient, auth: dict[str, str], upload_id: str, *, within: float = 60.0
) -> dict[str, Any]:
    """Start the analysis (once the one every upload gets on arrival has ended) and wait for it to end;
    the final GET /analyze/{id} body."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (await client.get(f"/analyze/{upload_id}", headers=auth)).json()["status"] == "running":
        assert loop.time() < deadline, f"the analysis on arrival of {upload_id} did not end within {within} s"
        await asyncio.sleep(0.1)
    started = await client.post(f"/analyze/{upload_id}", headers=auth)
    assert started.status_code == 202, started.text
    deadline = loop.time() + within
    while loop.time() < deadline:
        body: dict[str, Any] = (await client.get(f"/analyze/{upload_id}", headers=auth)).json()
        if body["status"] in ("succeeded", "failed"):
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"analysis of {upload_id} did not end within {within} s")
