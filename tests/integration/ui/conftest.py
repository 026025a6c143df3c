"""Browser tests of the web UI: the real app on a loopback port, Debian's Chromium via Playwright.

The app runs with uvicorn in a thread (lifespan on: migrations, state, pipeline worker); tests drive it
with Playwright's sync API, so they are plain (non-async) test functions.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from justpush.config import Settings
from tests.integration.support import PIPELINE_APPS, Kong, free_port, settings_sections, zip_app

# Screenshots kept after a run for a person to look at (the folder is ignored by git).
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "ui"

# Debian's package (scripts/test.sh installs it); Playwright's own browser download is never used.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@dataclass(frozen=True)
class UiServer:
    url: str
    token: str
    settings: Settings


async def _issue_token(settings: Settings) -> str:
    from justpush import security, store

    engine = store.create_engine(settings.database_url)
    try:
        async with store.session_factory(engine)() as session:
            user = await store.create_user(session, f"ui-{secrets.token_hex(4)}")
            token = await security.issue_token(session, user)
            await session.commit()
    finally:
        await engine.dispose()
    return token


@contextlib.contextmanager
def run_app(settings: Settings) -> Iterator[UiServer]:
    """`create_app(settings)` with its default workers, served on a free loopback port, and a user's token."""
    from justpush.web import create_app, default_workers

    app = create_app(settings, workers=default_workers(settings))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the JustPush app did not start")
        time.sleep(0.05)
    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        token = pool.submit(asyncio.run, _issue_token(settings)).result()
    try:
        yield UiServer(f"http://127.0.0.1:{port}", token, settings)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def ui_server(make_settings: Callable[..., Settings]) -> Iterator[UiServer]:
    """The app with default settings (analysis only: deployment disabled)."""
    with run_app(make_settings()) as server:
        yield server


@pytest.fixture
def deploy_server(make_settings: Callable[..., Settings], namespace: str, kong: Kong) -> Iterator[UiServer]:
    with run_app(make_settings(**settings_sections(namespace, kong))) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    # An uncaught exception in the UI's script fails the test, even when the page looked right.
    assert not errors, errors


def sign_in(page: Any, server: UiServer, path: str = "/ui") -> None:
    page.goto(server.url + path)
    page.fill("#token", server.token)
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("#content:not([hidden])")


def upload_inventory(page: Any, server: UiServer, folder: Path) -> str:
    """Sign in and upload the python-inventory fixture through the file input; its upload id."""
    from playwright.sync_api import expect

    archive = folder / "python-inventory.zip"
    archive.write_bytes(zip_app(PIPELINE_APPS / "python-inventory"))
    sign_in(page, server)
    page.set_input_files("#archive-file", str(archive))
    page.click("#upload-archive button[type=submit]")
    page.wait_for_url("**/ui/uploads/*")
    # The analysis starts on upload and prefills the deploy form when it lands: type after that, as the
    # prefill drops rows still blank (a row being typed into at that instant would be lost).
    expect(page.locator('#deploy-form[data-prefilled="true"]')).to_be_visible(timeout=120_000)
    return str(page.url.rsplit("/", 1)[-1])


def deploy_inventory(page: Any, server: UiServer, folder: Path, env: Mapping[str, str] | None = None) -> str:
    """Upload python-inventory and deploy it with env variables typed into the form (GREETING=hi when
    none are given), a row each; its upload id."""
    upload_id = upload_inventory(page, server, folder)
    rows = page.locator('#deploy-form .kv-rows[data-kind="env"] .kv-row')
    for index, (name, value) in enumerate((env or {"GREETING": "hi"}).items()):
        if index:
            page.click('#deploy-form [data-add="env"]')
        row = rows.last if index else rows.first
        row.locator(".kv-name").fill(name)
        row.locator(".kv-value").fill(value)
    page.click("#deploy-submit")
    return upload_id


@pytest.fixture
def shot(page: Any, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """`shot("after-scale")` saves a full-page screenshot as test-artifacts/ui/<test>-<name>.png."""
    test = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)

    def take(name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{test}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
