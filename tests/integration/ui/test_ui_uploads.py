"""The uploads list (testenv's Kubernetes and the Kong emulator): each upload's app, framework, deployment
status, URL and last deploy; deleting an upload, refused with the API's message while it is deployed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from justpush.config import Settings
from tests.integration.support import PIPELINE_APPS, Kong, settings_sections, zip_app
from tests.integration.ui.conftest import UiServer, run_app, sign_in

pytestmark = pytest.mark.integration

DEPLOY_SECONDS = 600


@pytest.fixture
def deploy_server(make_settings: Callable[..., Settings], namespace: str, kong: Kong) -> Iterator[UiServer]:
    with run_app(make_settings(**settings_sections(namespace, kong))) as server:
        yield server


def wait_status(server: UiServer, upload_id: str, wanted: str, seconds: float = 300) -> dict[str, Any]:
    auth = {"Authorization": f"Bearer {server.token}"}
    deadline = time.monotonic() + seconds
    while True:
        status: dict[str, Any] = httpx.get(
            f"{server.url}/deploy/{upload_id}/status", headers=auth, timeout=30
        ).json()
        job = status.get("job") or {}
        if status["status"] == wanted and job.get("status") in ("succeeded", "failed"):
            return status
        assert time.monotonic() < deadline, status
        time.sleep(1)


def test_uploads_list_and_delete(
    page: Any, deploy_server: UiServer, tmp_path: Path, shot: Callable[[str], Path]
) -> None:
    server = deploy_server
    auth = {"Authorization": f"Bearer {server.token}"}
    with httpx.Client(base_url=server.url, headers=auth, timeout=60) as api:
        files = {
            "file": ("python-inventory.zip", zip_app(PIPELINE_APPS / "python-inventory"), "application/zip")
        }
        deployed = api.post("/uploads", files=files).json()["id"]
        files = {"file": ("needs-env.zip", zip_app(PIPELINE_APPS / "python-needs-env"), "application/zip")}
        idle = api.post("/uploads", files=files).json()["id"]
        assert api.post(f"/deploy/{deployed}", json={}).status_code == 202
    status = wait_status(server, deployed, "DEPLOYED", DEPLOY_SECONDS)

    sign_in(page, server)
    row = page.locator(f'#uploads-table tr[data-upload="{deployed}"]')
    other = page.locator(f'#uploads-table tr[data-upload="{idle}"]')
    cells = row.locator("td")
    expect(cells.nth(0)).to_contain_text("Inventory")
    expect(cells.nth(0)).to_contain_text(deployed)
    expect(cells.nth(1)).to_have_text("python")
    expect(cells.nth(2)).to_have_text("Deployed")
    expect(cells.nth(3)).to_have_text(status["gateway_url"])
    expect(cells.nth(4)).not_to_have_text("—")
    expect(other.locator("td").nth(2)).to_have_text("not deployed")
    expect(other.locator("td").nth(3)).to_have_text("—")
    shot("list")

    # Deleting a deployed upload: asked first, then refused with the API's message; nothing lost.
    row.locator("[data-delete]").click()
    expect(page.locator("#confirm-text")).to_contain_text(deployed)
    page.click("#confirm-ok")
    expect(page.locator("#uploads-error")).to_contain_text("delete the deployment first")
    expect(page.locator("#uploads-error")).to_contain_text("HTTP 409")
    expect(row).to_have_count(1)
    shot("refused")

    # An upload that is not deployed goes.
    other.locator("[data-delete]").click()
    page.click("#confirm-ok")
    expect(other).to_have_count(0)
    expect(page.locator("#uploads-error")).to_be_hidden()
    with httpx.Client(base_url=server.url, headers=auth, timeout=60) as api:
        assert api.get(f"/uploads/{idle}").status_code == 404
        # Once its deployment is deleted, the first one can go too.
        assert api.delete(f"/deploy/{deployed}").status_code == 202
    wait_status(server, deployed, "DELETED")
    page.click("#refresh-uploads")
    expect(row.locator("td").nth(2)).to_have_text("Deleted")
    expect(row.locator("td").nth(3)).to_have_text("—")
    row.locator("[data-delete]").click()
    page.click("#confirm-ok")
    expect(row).to_have_count(0)
