"""The UI's HTTP surface without a browser: redirects, page shells, static files, headers, the API spec."""

from __future__ import annotations

import re

import httpx
import pytest


async def test_root_redirects_to_the_ui(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 307
    assert response.headers["location"] == "/ui"


async def test_pages_are_shells_with_a_strict_policy(client: httpx.AsyncClient) -> None:
    page = await client.get("/ui")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy and "unsafe-inline" not in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert 'src="/ui/static/app.js' in page.text and 'data-page="uploads"' in page.text
    # Nothing is loaded from elsewhere.
    assert not re.search(r'(src|href)="(https?:)?//', page.text)

    upload = await client.get("/ui/uploads/abc123")
    assert upload.status_code == 200
    assert 'data-upload-id="abc123"' in upload.text and 'data-page="upload"' in upload.text


async def test_upload_page_refuses_ids_with_markup(client: httpx.AsyncClient) -> None:
    response = await client.get("/ui/uploads/%3Cscript%3E")
    assert response.status_code == 422
    assert "<script>" not in response.text


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("app.js", "text/javascript"), ("deploy.js", "text/javascript"), ("app.css", "text/css")],
)
async def test_static_files(client: httpx.AsyncClient, path: str, content_type: str) -> None:
    response = await client.get(f"/ui/static/{path}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "innerHTML" not in response.text


@pytest.mark.parametrize("path", ["missing.js", "%2e%2e/routes/ui.py", "%2e%2e/%2e%2e/__init__.py"])
async def test_static_files_stay_in_their_folder(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(f"/ui/static/{path}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_ui_is_not_in_the_api_spec(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert not [path for path in spec["paths"] if path == "/" or path.startswith("/ui")]
