"""The UI's project-folder picker: a monorepo lists its candidate folders; the chosen one is analysed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.integration.support import APPS, zip_app
from tests.integration.ui.conftest import UiServer, sign_in
from tests.integration.ui.test_ui_analyze import routes_table, upload_archive

pytestmark = pytest.mark.integration

MONOREPO = APPS / "apps" / "monorepo-react-spring"


def test_monorepo_root_picker_reanalyses_the_chosen_folder(
    page: Any, ui_server: UiServer, tmp_path: Path
) -> None:
    archive = tmp_path / "notes.zip"
    archive.write_bytes(zip_app(MONOREPO))
    sign_in(page, ui_server)
    upload_archive(page, archive)

    # The upload starts the analysis. Detected: the Spring Boot backend, not the React app at the root.
    expect(page.locator("#analysis-status")).to_have_text("succeeded", timeout=60_000)
    expect(page.locator("#analysis-root-label")).to_be_visible()
    options = page.eval_on_selector_all(
        "#analysis-root option", "os => os.map(o => [o.value, o.textContent])"
    )
    assert options == [[".", "(upload root)"], ["backend", "backend"]]
    assert page.input_value("#analysis-root") == "backend"
    assert "spring-boot" in page.inner_text("#facts") and "backend" in page.inner_text("#facts")
    assert set(routes_table(page)) == {("GET", "/api/notes"), ("POST", "/api/notes")}
    expect(page.locator("#analysis-warnings")).to_contain_text("chose backend")

    # The user picks the root folder instead: the analysis runs again there.
    page.select_option("#analysis-root", ".")
    page.click("#run-analysis")
    expect(page.locator("#facts")).to_contain_text("node", timeout=60_000)
    page.wait_for_selector("#analysis-status:text-is('succeeded')", timeout=60_000)
    assert page.input_value("#analysis-root") == "."
    assert "spring-boot" not in page.inner_text("#facts")
