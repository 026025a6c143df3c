"""Small things a new user trips over, in a real browser: an SSH git address is answered with the API's
explanation (HTTPS is needed, with the address to use), not the browser's "Please enter a URL"; a Node
app's spec carries its package.json version."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.integration.support import BUILD_APPS, zip_app
from tests.integration.ui.conftest import UiServer, sign_in

pytestmark = pytest.mark.integration


def test_an_ssh_address_is_told_to_use_https(
    page: Any, ui_server: UiServer, shot: Callable[[str], Path]
) -> None:
    sign_in(page, ui_server)
    page.click("#tab-git")
    page.fill("#git-url", "git@github.com:org/repo.git")
    # The browser's own validation passes (it would stop the form with "Please enter a URL").
    assert page.eval_on_selector("#git-url", "input => input.checkValidity()") is True
    with page.expect_response(ui_server.url + "/uploads") as answer:
        page.click("#upload-git button[type=submit]")
    assert answer.value.status == 400
    error = page.wait_for_selector("#upload-error:not([hidden])")
    text = error.inner_text()
    assert "SSH address" in text and "HTTPS" in text
    assert "https://github.com/org/repo.git" in text
    assert page.url == ui_server.url + "/ui"
    shot("ssh-address")


def test_a_node_app_shows_its_package_json_version(page: Any, ui_server: UiServer, tmp_path: Path) -> None:
    archive = tmp_path / "node-express.zip"
    archive.write_bytes(zip_app(BUILD_APPS / "node-express"))
    sign_in(page, ui_server)
    page.set_input_files("#archive-file", str(archive))
    page.click("#upload-archive button[type=submit]")
    expect(page.locator("#analysis-status")).to_have_text("succeeded", timeout=60_000)
    expect(page.locator("#spec-source")).to_contain_text("node-express-sample 1.0.0")
