"""The Export panel of a deployed upload: Download Terraform (the zip) and Commit to Git, whose commit
id or error the page shows; the commit lands on a real git server on loopback."""

from __future__ import annotations

import asyncio
import io
import secrets
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from justpush import security, store
from justpush.config import Settings
from tests.integration.exports.gitserver import GitServer, git_server
from tests.integration.exports.revisions import SECRET, store_revision

from .conftest import UiServer, run_app, sign_in


@pytest.fixture
def server(tmp_path: Path) -> Iterator[GitServer]:
    with git_server(tmp_path / "git") as running:
        running.create("deploy")
        yield running


@pytest.fixture
def ui_server(make_settings: Callable[..., Settings]) -> Iterator[UiServer]:
    gitops = {"schemes": ["http"], "allowedHosts": ["127.0.0.1/32"], "timeoutSeconds": 30}
    with run_app(
        make_settings(deployment={"enabled": True}, server={"worker": "none"}, gitops=gitops)
    ) as running:
        yield running


async def _deployed_upload(settings: Settings, owner: str) -> str:
    """An upload as a finished deployment leaves it: a revision and the DEPLOYED status."""
    engine = store.create_engine(settings.database_url)
    try:
        sessions = store.session_factory(engine)
        async with sessions() as session:
            user = await store.get_user_by_name(session, owner)
            assert user is not None
            upload = await store.add_upload(
                session,
                upload_id="u" + secrets.token_hex(5),
                owner_id=user.id,
                source_kind="zip",
                workspace="/w",
                files=1,
                size_bytes=10,
                filename="orders.zip",
            )
            record = await store.ensure_analyze_result(session, upload.id)
            record.deployment_status = "DEPLOYED"
            await session.commit()
            upload_id = upload.id
        cipher = security.load_secret_box(settings.security, settings.server.data_dir)
        await store_revision(sessions, cipher, settings, upload_id, replicas=1)
        return upload_id
    finally:
        await engine.dispose()


def test_download_terraform_and_commit_to_git(
    page: Any, ui_server: UiServer, server: GitServer, shot: Callable[[str], Path]
) -> None:
    me = httpx.get(f"{ui_server.url}/users/me", headers={"Authorization": f"Bearer {ui_server.token}"}).json()
    with ThreadPoolExecutor(1) as pool:
        upload_id = pool.submit(asyncio.run, _deployed_upload(ui_server.settings, me["name"])).result()
    sign_in(page, ui_server, f"/ui/uploads/{upload_id}")
    page.wait_for_selector("#exports:not([hidden])")

    with page.expect_download() as caught:
        page.click("#export-terraform")
    download = caught.value
    assert download.suggested_filename == f"justpush-{upload_id}-terraform.zip"
    with zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes())) as archive:
        names = {Path(n).name for n in archive.namelist()}
        assert SECRET not in "".join(archive.read(n).decode() for n in archive.namelist())
    assert {"main.tf", "variables.tf", "README.md"} <= names

    # Wrong token: the page says why, and nothing is committed.
    page.fill("#gitops-repo", server.repo_url("deploy"))
    page.fill("#gitops-branch", "main")
    page.fill("#gitops-path", "apps/orders")
    page.fill("#gitops-token", "not-the-token")
    page.click("#gitops-submit")
    page.wait_for_selector("#gitops-error:not([hidden])")
    assert "refused the credentials" in page.inner_text("#gitops-error")
    assert server.head("deploy") == ""

    page.fill("#gitops-username", server.username)
    page.fill("#gitops-token", server.password)
    page.select_option("#gitops-tool", "flux")
    page.click("#gitops-submit")
    page.wait_for_selector("#gitops-result:not([hidden])")
    assert page.is_hidden("#gitops-error")
    commit = server.head("deploy")
    assert page.inner_text("#gitops-commit") == commit
    assert "apps/orders" in page.inner_text("#gitops-result")
    shot("committed")
