"""Issue 11 item 1 (archives): symlink chains must never create anything outside the workspace.

The data dir is `<tmp_path>/data`, so a workspace is `<tmp_path>/data/workspaces/<id>`; a chain of five
links climbs to `<tmp_path>/..`. Each test checks the surroundings after the refusal, not only the status.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
import pytest

from justpush.config import Settings, UploadSettings
from justpush.errors import UploadError
from justpush.uploads import extract_archive
from tests.security.support import (
    Entry,
    Surroundings,
    chain_tip,
    climbing_chain,
    post_archive,
    tar_archive,
    zip_archive,
)

BUILDERS = {"tar": tar_archive, "zip": zip_archive}


def marker() -> str:
    return f"planted-{secrets.token_hex(6)}.pth"


async def _refused_and_clean(
    client: httpx.AsyncClient, auth: dict[str, str], tmp_path: Path, data: bytes, name: str
) -> httpx.Response:
    around = Surroundings(tmp_path)
    await client.get("/healthz")
    before = around.snapshot()
    response = await post_archive(client, auth, data)
    assert 400 <= response.status_code < 500, response.text
    assert around.planted(name) == []
    after = around.snapshot()
    assert after["parent"] == before["parent"]
    assert after["tmp"] == before["tmp"]
    # The upload itself may create the data dir's own folders, nothing else.
    assert set(after["data"]) <= {*before["data"], "tmp", "workspaces"}
    assert after["workspaces"] == []
    return response


@pytest.mark.parametrize("kind", ["tar", "zip"])
async def test_link_through_climbing_chain_creates_nothing_outside(
    kind: str, client: httpx.AsyncClient, auth: dict[str, str], tmp_path: Path
) -> None:
    name = marker()
    entries: list[Entry] = [
        ("main.py", "file", "print(1)\n"),
        *climbing_chain(5),
        (f"{chain_tip(5)}/{name}", "link", "main.py"),
    ]
    response = await _refused_and_clean(client, auth, tmp_path, BUILDERS[kind](entries), name)
    assert response.status_code == 400
    assert response.json()["error"]["details"]["reason"] == "unsafe_link"


@pytest.mark.parametrize("kind", ["tar", "zip"])
async def test_file_through_climbing_chain_is_400_and_creates_nothing_outside(
    kind: str, client: httpx.AsyncClient, auth: dict[str, str], tmp_path: Path
) -> None:
    name = marker()
    entries: list[Entry] = [
        ("main.py", "file", "print(1)\n"),
        *climbing_chain(5),
        (f"{chain_tip(5)}/{name}", "file", "import os\n"),
    ]
    response = await _refused_and_clean(client, auth, tmp_path, BUILDERS[kind](entries), name)
    assert response.status_code == 400
    assert "symlink" in response.json()["error"]["message"]


async def test_entries_before_the_links_are_refused_too(
    client: httpx.AsyncClient, auth: dict[str, str], tmp_path: Path
) -> None:
    """Order does not matter: the file comes first, then the links that would make its folders links."""
    name = marker()
    entries: list[Entry] = [
        ("main.py", "file", "print(1)\n"),
        (f"{chain_tip(5)}/{name}", "file", "import os\n"),
        *reversed(climbing_chain(5)),
    ]
    response = await _refused_and_clean(client, auth, tmp_path, tar_archive(entries), name)
    assert response.status_code == 400


async def test_link_resolving_out_through_another_link_is_refused(
    client: httpx.AsyncClient, auth: dict[str, str], tmp_path: Path
) -> None:
    # `d/up` is the workspace itself, so `d/up/../x` is lexically `d/x` but really one level above.
    name = marker()
    entries: list[Entry] = [
        ("main.py", "file", "print(1)\n"),
        ("d/up", "link", ".."),
        (f"d/{name}", "link", f"up/../{name}"),
    ]
    response = await _refused_and_clean(client, auth, tmp_path, tar_archive(entries), name)
    assert response.json()["error"]["details"]["reason"] == "unsafe_link"


@pytest.mark.parametrize("kind", ["tar", "zip"])
def test_no_link_is_created_before_all_are_checked(kind: str, tmp_path: Path) -> None:
    """The extractor itself (the caller's clean-up aside) leaves no link behind when one escapes."""
    workspace = tmp_path / "ws"
    workspace.mkdir()
    archive = tmp_path / "upload"
    archive.write_bytes(
        BUILDERS[kind](
            [
                ("main.py", "file", "x"),
                ("ok", "link", "main.py"),
                ("d/up", "link", ".."),
                ("d/out", "link", "up/../escape"),
            ]
        )
    )
    with pytest.raises(UploadError, match="resolves outside"):
        extract_archive(archive, workspace, UploadSettings())
    assert [p.name for p in workspace.rglob("*") if p.is_symlink()] == []


async def test_links_inside_the_upload_still_work(
    client: httpx.AsyncClient, auth: dict[str, str], settings: Settings
) -> None:
    entries: list[Entry] = [
        ("conf/base.yaml", "file", "a: 1\n"),
        ("shared", "link", "conf"),
        ("app.yaml", "link", "shared/base.yaml"),
        ("sub/up", "link", ".."),
        ("sub/cfg", "link", "up/conf/base.yaml"),
    ]
    response = await post_archive(client, auth, tar_archive(entries))
    assert response.status_code == 201, response.text
    workspace = settings.server.data_dir / "workspaces" / response.json()["id"]
    assert (workspace / "app.yaml").read_text() == "a: 1\n"
    assert (workspace / "sub" / "cfg").read_text() == "a: 1\n"
