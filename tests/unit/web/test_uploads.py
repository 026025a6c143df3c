"""POST/GET/DELETE /uploads: archives, git URLs, limits, ownership."""

from __future__ import annotations

import io
import tarfile
import zipfile
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from justpush.config import Settings


def make_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def make_tar_gz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def workspaces(settings: Settings) -> list[str]:
    root = settings.server.data_dir / "workspaces"
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


async def post_file(
    client: httpx.AsyncClient, auth: dict[str, str], data: bytes, name: str = "app.zip"
) -> httpx.Response:
    return await client.post(
        "/uploads", headers=auth, files={"file": (name, data, "application/octet-stream")}
    )


async def test_upload_zip_list_get_delete(
    client: httpx.AsyncClient, auth: dict[str, str], settings: Settings
) -> None:
    response = await post_file(client, auth, make_zip({"main.py": b"print(1)\n", "lib/util.py": b"x = 1\n"}))
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == {"id", "status", "files", "bytes"}
    assert (created["status"], created["files"], created["bytes"]) == ("ready", 2, 15)
    workspace = settings.server.data_dir / "workspaces" / created["id"]
    assert (workspace / "lib" / "util.py").read_bytes() == b"x = 1\n"

    listed = (await client.get("/uploads", headers=auth)).json()
    assert [u["id"] for u in listed] == [created["id"]]
    shown = (await client.get(f"/uploads/{created['id']}", headers=auth)).json()
    assert (shown["source_kind"], shown["filename"]) == ("zip", "app.zip")

    assert (await client.delete(f"/uploads/{created['id']}", headers=auth)).status_code == 204
    assert not workspace.exists()
    assert (await client.get(f"/uploads/{created['id']}", headers=auth)).status_code == 404


async def test_upload_tar_gz(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await post_file(client, auth, make_tar_gz({"index.js": b"console.log(1)\n"}), "src.tgz")
    assert response.status_code == 201, response.text
    assert response.json()["files"] == 1


async def test_other_users_get_404(
    client: httpx.AsyncClient, auth: dict[str, str], make_user: Callable[..., Any]
) -> None:
    upload_id = (await post_file(client, auth, make_zip({"a.py": b"1"}))).json()["id"]
    _, other_token = await make_user("mallory")
    other = {"Authorization": f"Bearer {other_token}"}
    for method, path in [
        ("GET", f"/uploads/{upload_id}"),
        ("DELETE", f"/uploads/{upload_id}"),
        ("POST", f"/analyze/{upload_id}"),
        ("GET", f"/analyze/{upload_id}"),
        ("GET", f"/analyze/{upload_id}/openapi.json"),
    ]:
        response = await client.request(method, path, headers=other)
        assert response.status_code == 404, (method, path)
        assert response.json()["error"]["code"] == "not_found"
    assert (await client.get("/uploads", headers=other)).json() == []
    assert (await client.get(f"/uploads/{upload_id}", headers=auth)).status_code == 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (make_zip({"../escape.py": b"x"}), "path traversal"),
        (b"just some text", "not a zip or tar archive"),
        (make_tar_gz({"a.py": b"1", "A.py": b"2"}), "more than once"),
    ],
)
async def test_hostile_archive_refused_and_nothing_left(
    client: httpx.AsyncClient, auth: dict[str, str], settings: Settings, data: bytes, message: str
) -> None:
    response = await post_file(client, auth, data)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
    assert workspaces(settings) == []
    assert not list((settings.server.data_dir / "tmp").iterdir())
    assert (await client.get("/uploads", headers=auth)).json() == []


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(uploads={"maxBytes": 64 * 1024, "maxFiles": 20})


async def test_stream_over_limit_is_413(
    client: httpx.AsyncClient, auth: dict[str, str], settings: Settings
) -> None:
    import os

    data = make_zip({"random.bin": os.urandom(100 * 1024)})
    response = await post_file(client, auth, data)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "upload_too_large"
    assert workspaces(settings) == []


async def test_too_many_files_is_413(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await post_file(client, auth, make_zip({f"f{i}.py": b"" for i in range(21)}))
    assert response.status_code == 413
    assert "more than 20 entries" in response.json()["error"]["message"]


async def test_declared_content_length_over_limit_is_413_before_reading(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    headers = {**auth, "Content-Type": "multipart/form-data; boundary=x", "Content-Length": str(10 * 1024**3)}

    async def never() -> Any:
        raise AssertionError("the body must not be read")
        yield b""  # pragma: no cover

    response = await client.post("/uploads", headers=headers, content=never())
    assert response.status_code == 413


async def test_multipart_without_file_field(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.post(
        "/uploads", headers=auth, data={"other": "x"}, files={"notfile": ("a", b"1")}
    )
    assert response.status_code == 400
    assert "'file' field" in response.json()["error"]["message"]


async def test_unsupported_content_type(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.post("/uploads", headers={**auth, "Content-Type": "text/plain"}, content=b"x")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc",
        "ssh://git@example.com/r.git",
        "git@example.com:r.git",
        "http://example.com/r.git",
        "-uhttps://x",
        "ext::sh -c id",
    ],
)
async def test_git_url_refused(
    client: httpx.AsyncClient, auth: dict[str, str], url: str, settings: Settings
) -> None:
    response = await client.post("/uploads", headers=auth, json={"git_url": url})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["details"]["reason"] == "bad_git_url"
    assert workspaces(settings) == []


async def test_git_ssh_address_is_told_to_use_https(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.post("/uploads", headers=auth, json={"git_url": "git@github.com:org/repo.git"})
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "SSH address" in message and "https://github.com/org/repo.git" in message


async def test_git_ref_refused(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.post(
        "/uploads", headers=auth, json={"git_url": "https://example.com/r.git", "ref": "--upload-pack=x"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"]["reason"] == "bad_git_ref"


async def test_audit_event_recorded(app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    from justpush import store

    upload_id = (await post_file(client, auth, make_zip({"a.py": b"1"}))).json()["id"]
    async with app.state.justpush.sessions() as session:
        events = await store.list_audit_events(session, target=f"upload:{upload_id}")
    # The upload, then the analysis it starts.
    assert sorted(e.action for e in events) == ["analysis.start", "upload.create"]
    event = next(e for e in events if e.action == "upload.create")
    assert (event.action, event.result, event.details["files"]) == ("upload.create", "success", 1)


def test_workspace_root_is_inside_data_dir(settings: Settings) -> None:
    from justpush.uploads import workspace_path

    assert (
        workspace_path(settings.server.data_dir, "abc123")
        == settings.server.data_dir / "workspaces" / "abc123"
    )
