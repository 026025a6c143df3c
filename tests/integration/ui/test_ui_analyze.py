"""The UI in a real browser, analysis only: sign in, upload through the file input, analyse, routes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from justpush.config import Settings
from tests.integration.support import APPS, zip_app
from tests.integration.ui.conftest import UiServer, run_app, sign_in

pytestmark = pytest.mark.integration

SHOP = APPS / "apps" / "python-fastapi-shop"


def routes_table(page: Any) -> dict[tuple[str, str], dict[str, str]]:
    """(METHOD, path) -> the row's parameters and security cells, as the user reads them."""
    rows = page.eval_on_selector_all(
        "#routes-table tbody tr",
        "rows => rows.map(r => Array.from(r.cells, c => c.textContent.replace(/\\s+/g, ' ').trim()))",
    )
    return {(r[0], r[1]): {"params": r[2], "security": r[3]} for r in rows}


def upload_archive(page: Any, archive: Path) -> str:
    page.set_input_files("#archive-file", str(archive))
    page.click("#upload-archive button[type=submit]")
    page.wait_for_url(re.compile(r"/ui/uploads/[^/]+$"))
    return str(page.url.rsplit("/", 1)[-1])


def run_analysis(page: Any) -> None:
    page.click("#run-analysis")
    page.wait_for_selector("#analysis-status:text-is('succeeded')", timeout=60_000)


def test_wrong_token_shows_the_api_error(page: Any, ui_server: UiServer) -> None:
    page.goto(ui_server.url + "/")
    assert page.url == ui_server.url + "/ui"
    page.fill("#token", "jp_not-a-real-token")
    page.click("#signin-form button[type=submit]")
    error = page.wait_for_selector("#signin-error:not([hidden])")
    assert "invalid or revoked API token" in error.inner_text()
    assert "unauthorized" in error.inner_text()
    assert page.is_hidden("#content")
    assert page.evaluate("sessionStorage.getItem('justpush.token')") is None


def test_upload_zip_and_analyse(page: Any, ui_server: UiServer, tmp_path: Path) -> None:
    app = tmp_path / "shop"
    shutil.copytree(SHOP, app)
    (app / ".env.example").write_text("# Items per listing page\nSHOP_PAGE_SIZE=25\nSHOP_REGION=eu-west-1\n")
    archive = tmp_path / "shop.zip"
    archive.write_bytes(zip_app(app))
    sign_in(page, ui_server)
    assert page.inner_text("#who").startswith("ui-")
    upload_id = upload_archive(page, archive)
    expect(page.locator("#upload-meta")).to_contain_text("shop.zip")
    # The upload started the analysis: its result comes without a click.
    expect(page.locator("#analysis-status")).not_to_have_text("not started")
    expect(page.locator("#analysis-status")).to_have_text("succeeded", timeout=60_000)
    expect(page.locator("#run-analysis")).to_have_text("Run again")
    facts = page.inner_text("#facts")
    assert "python" in facts and "fastapi" in facts and "8081" in facts
    assert "uvicorn app.main:app" in facts

    routes = routes_table(page)
    assert {path for _, path in routes} == {
        "/api/v1/admin/reindex",
        "/api/v1/items",
        "/api/v1/items/{item_id}",
        "/api/v1/users/",
        "/api/v1/users/me",
        "/api/v1/users/{user_id}",
        "/health",
    }
    assert ("PUT", "/api/v1/items/{item_id}") in routes
    assert routes[("GET", "/health")]["security"] == "public"
    assert "HTTPBearer" in routes[("GET", "/api/v1/users/me")]["security"]
    admin = routes[("POST", "/api/v1/admin/reindex")]["security"]
    assert "APIKeyHeader" in admin and "OAuth2PasswordBearer [admin]" in admin
    assert "path item_id*" in routes[("GET", "/api/v1/items/{item_id}")]["params"]
    assert "query category" in routes[("GET", "/api/v1/items")]["params"]

    env = {
        row[0]: row[2]
        for row in page.eval_on_selector_all(
            "#env-table tbody tr", "rows => rows.map(r => Array.from(r.cells, c => c.innerText.trim()))"
        )
    }
    assert "secret" in env["SHOP_JWT_SECRET"] and "required" in env["SHOP_JWT_SECRET"]
    assert env["SHOP_PAGE_SIZE"] == ""
    # .env.example documents: its value is a hint where the code has no default, its comment a title.
    cells = {
        row[0]: row[1]
        for row in page.eval_on_selector_all(
            "#env-table tbody tr", "rows => rows.map(r => Array.from(r.cells, c => c.innerText.trim()))"
        )
    }
    assert cells["SHOP_REGION"] == "e.g. eu-west-1" and env["SHOP_REGION"] == ""
    assert cells["SHOP_PAGE_SIZE"] != "e.g. 25"
    title = page.get_attribute(
        "#env-table tbody tr:has(td:text-is('SHOP_PAGE_SIZE')) td:first-child", "title"
    )
    assert title == "Items per listing page"

    # Deployment is off by default: the server's reason replaces the form.
    notice = page.wait_for_selector("#deploy-disabled:not([hidden])")
    assert "deployment.enabled" in notice.inner_text()
    assert page.is_hidden("#deploy-form")

    with page.expect_download() as info:
        page.click("#dl-json")
    spec = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert info.value.suggested_filename == f"{upload_id}-openapi.json"
    assert "/api/v1/admin/reindex" in spec["paths"]

    # The list page shows the upload.
    page.click("nav a[href='/ui']")
    page.wait_for_selector(f"#uploads-table tr[data-upload='{upload_id}'] a")


def test_non_archive_upload_shows_the_api_message(page: Any, ui_server: UiServer, tmp_path: Path) -> None:
    notes = tmp_path / "notes.zip"
    notes.write_text("these are notes, not an archive\n", encoding="utf-8")
    sign_in(page, ui_server)
    page.set_input_files("#archive-file", str(notes))
    page.click("#upload-archive button[type=submit]")
    error = page.wait_for_selector("#upload-error:not([hidden])")
    assert "the upload is not a zip or tar archive" in error.inner_text()
    assert "bad_upload" in error.inner_text() and "HTTP 400" in error.inner_text()
    assert page.url == ui_server.url + "/ui"


def test_data_is_rendered_as_text(page: Any, ui_server: UiServer, tmp_path: Path) -> None:
    """A route path with markup in it is shown literally: nothing from the data becomes HTML."""
    project = tmp_path / "hostile"
    project.mkdir()
    (project / "requirements.txt").write_text("fastapi\n", encoding="utf-8")
    (project / "main.py").write_text(
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        '@app.get("/x/<img src=nothing onerror=window.pwned=1>")\n'
        "def hostile():\n    return {}\n",
        encoding="utf-8",
    )
    archive = tmp_path / "hostile.zip"
    archive.write_bytes(zip_app(project))
    sign_in(page, ui_server)
    upload_archive(page, archive)
    run_analysis(page)
    assert ("GET", "/x/<img src=nothing onerror=window.pwned=1>") in routes_table(page)
    assert page.query_selector("#routes-table img") is None
    assert page.evaluate("window.pwned") is None


def test_git_upload(page: Any, make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    """The git tab: a refused scheme shows the API's reason; a local repository at a branch is cloned."""
    work = tmp_path / "work"
    shutil.copytree(SHOP, work)
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "."],
        ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "shop"],
        ["branch", "release"],
    ):
        subprocess.run(["git", *args], cwd=work, check=True, capture_output=True)
    with run_app(make_settings(uploads={"gitSchemes": ["https", "file"]})) as server:
        sign_in(page, server)
        page.click("#tab-git")
        expect(page.locator("#upload-git")).to_be_visible()
        expect(page.locator("#upload-archive")).to_be_hidden()
        page.fill("#git-url", "ftp://example.invalid/shop.git")
        page.click("#upload-git button[type=submit]")
        expect(page.locator("#upload-error")).to_contain_text("git_url scheme 'ftp' is not allowed")

        page.fill("#git-url", f"file://{work}")
        page.fill("#git-ref", "release")
        page.click("#upload-git button[type=submit]")
        page.wait_for_url(re.compile(r"/ui/uploads/[^/]+$"))
        expect(page.locator("#upload-meta")).to_contain_text(f"file://{work}@release")
        run_analysis(page)
        assert ("POST", "/api/v1/admin/reindex") in routes_table(page)


def test_typing_before_the_analysis_lands_is_kept(page: Any, deploy_server: UiServer, tmp_path: Path) -> None:
    """The deploy form prefills from the analysis (the variables the code needs, a database's address);
    a user who typed first keeps what they typed."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "requirements.txt").write_text("fastapi\nuvicorn\npsycopg2-binary\n")
    (app / "main.py").write_text(
        "import os\nfrom fastapi import FastAPI\n\napp = FastAPI()\n"
        "REGION = os.environ['SHOP_REGION']\n"
        "DB = os.getenv('DATABASE_URL', 'postgresql://localhost/shop')\n\n"
        "@app.get('/ping')\ndef ping():\n    return {}\n"
    )
    archive = tmp_path / "app.zip"
    archive.write_bytes(zip_app(app))
    held: list[Any] = []

    def hold(route: Any) -> None:
        if route.request.method == "GET":
            held.append(route)
        else:
            route.continue_()

    sign_in(page, deploy_server)
    page.route(re.compile(r"/analyze/[^/]+$"), hold)
    upload_archive(page, archive)
    row = page.locator('#deploy-form .kv-rows[data-kind="env"] .kv-row').first
    row.locator(".kv-name").fill("GREETING")
    row.locator(".kv-value").fill("hi")
    assert held, "the page asked for the analysis"
    for route in held:
        route.continue_()
    page.unroute(re.compile(r"/analyze/[^/]+$"))
    page.wait_for_selector("#analysis-status:text-is('succeeded')", timeout=60_000)

    names = page.locator('#deploy-form .kv-rows[data-kind="env"] .kv-name')
    expect(names).to_have_count(2)
    assert names.evaluate_all("inputs => inputs.map(i => i.value)") == ["GREETING", "SHOP_REGION"]
    assert page.locator('#deploy-form .kv-rows[data-kind="env"] .kv-value').first.input_value() == "hi"
    required = page.locator('#deploy-form .kv-value[data-required-name="SHOP_REGION"]')
    expect(required).to_have_attribute("aria-required", "true")
    # The database the code needs: named in the analysis, and its address asked for as a secret.
    service = page.locator('#backing-services li[data-kind="PostgreSQL"]')
    expect(service).to_contain_text("psycopg2-binary")
    expect(service).to_contain_text("via DATABASE_URL")
    expect(service).to_contain_text("needs a value")
    secret = page.locator('#deploy-form .kv-rows[data-kind="secret"] .kv-name')
    assert secret.evaluate_all("inputs => inputs.map(i => i.value)") == ["DATABASE_URL"]
