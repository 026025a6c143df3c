"""Calling a deployed app from the dashboard without Kong (testenv's Kubernetes): the pass-through on the
JustPush server through the API server's service proxy, the kubectl port-forward line, a curl line per
operation and the try-it console built from the spec.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from justpush.config import Settings
from tests.integration.support import Kong, settings_sections
from tests.integration.ui.conftest import UiServer, _issue_token, deploy_inventory, run_app

pytestmark = pytest.mark.integration

DEPLOY_SECONDS = 600


@pytest.fixture
def no_kong_server(make_settings: Callable[..., Settings], namespace: str, kong: Kong) -> Iterator[UiServer]:
    sections = settings_sections(namespace, kong)
    sections["kong"] = {"adminUrl": "", "gatewayUrl": ""}
    with run_app(make_settings(**sections)) as server:
        yield server


def other_users_token(server: UiServer) -> str:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _issue_token(server.settings)).result()


def try_it(page: Any, operation: str, **fields: str) -> None:
    page.select_option("#try-operation", label=operation)
    for name, value in fields.items():
        page.fill(f'#try-fields input[data-name="{name}"]', value)
    page.click("#try-send")


def test_call_an_app_without_kong(
    page: Any, no_kong_server: UiServer, namespace: str, tmp_path: Path, shot: Callable[[str], Path]
) -> None:
    server = no_kong_server
    upload_id = deploy_inventory(page, server, tmp_path)
    expect(page.locator("#stages")).to_have_attribute(
        "data-status", "DEPLOYED", timeout=DEPLOY_SECONDS * 1000
    )

    # The ways in: no gateway, the pass-through and the exact port-forward line.
    auth = {"Authorization": f"Bearer {server.token}"}
    status = httpx.get(f"{server.url}/deploy/{upload_id}/status", headers=auth, timeout=30).json()
    k8s = status["kubernetes"]
    expect(page.locator("#call")).to_be_visible()
    assert page.locator("#call-gateway").count() == 0
    expect(page.locator("#call-ways")).to_contain_text("only reachable inside the cluster")
    proxy = f"{server.url}/deploy/{upload_id}/proxy"
    expect(page.locator("#call-proxy")).to_have_text(proxy)
    expect(page.locator("#call-port-forward")).to_have_text(
        f"kubectl port-forward -n {namespace} service/{k8s['service']} 8080:{k8s['port']}"
    )

    # A curl line per operation of the spec, through the pass-through.
    rows = page.locator("#call-table tbody tr")
    expect(rows).to_have_count(4)
    items = page.locator('#call-table tr[data-operation="GET /items/{id}"] code.curl')
    expect(items).to_have_text(
        f"curl -sS -H \"Authorization: Bearer $JUSTPUSH_TOKEN\" '{proxy}/items/{{id}}'"
    )

    # The pass-through itself: the app's answer for the owner only, bounded, and only below the Service.
    answer = httpx.get(f"{proxy}/items", headers=auth, timeout=30)
    assert answer.status_code == 200 and answer.json() == [
        {"id": 1, "name": "bolt"},
        {"id": 2, "name": "nut"},
    ]
    assert "sandbox" in answer.headers["content-security-policy"]
    assert float(answer.headers["x-justpush-upstream-seconds"]) >= 0
    missing = httpx.get(f"{proxy}/items/99", headers=auth, timeout=30)
    assert missing.status_code == 404 and missing.json() == {"error": "not found"}
    assert httpx.get(f"{proxy}/items", timeout=30).status_code == 401
    stranger = {"Authorization": f"Bearer {other_users_token(server)}"}
    assert httpx.get(f"{proxy}/items", headers=stranger, timeout=30).status_code == 404
    too_big = httpx.post(f"{proxy}/items", headers=auth, content=b"x" * (1024 * 1024 + 1), timeout=30)
    assert too_big.status_code == 413, too_big.text
    escape = httpx.get(f"{proxy}/%2e%2e/%2e%2e/pods", headers=auth, timeout=30)
    assert escape.status_code == 400, escape.text

    # Try it: pick an operation, fill its path parameter, send; status, headers, body and timing.
    try_it(page, "GET /items/{id}", id="2")
    expect(page.locator("#try-status")).to_have_text("200")
    expect(page.locator("#try-response-body")).to_contain_text('"name": "nut"')
    expect(page.locator("#try-timing")).to_contain_text(" ms")
    expect(page.locator("#try-headers")).to_contain_text("content-type: application/json")
    try_it(page, "GET /items/{id}", id="99")
    expect(page.locator("#try-status")).to_have_text("404")
    expect(page.locator("#try-response-body")).to_contain_text("not found")
    try_it(page, "GET /env/{name}", name="GREETING")
    expect(page.locator("#try-status")).to_have_text("200")
    expect(page.locator("#try-response-body")).to_contain_text('"value": "hi"')
    page.locator("#call").scroll_into_view_if_needed()
    shot("try-it")
