"""Operating a deployed app from the dashboard (testenv's Kubernetes, the Kong emulator): logs with
timestamps, a text filter, a per-pod filter, pause and hidden probe requests; CPU / memory per pod with
a chart; the revision history with a diff of two revisions; and the page on a 390 px phone screen.
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
from tests.integration.support import Kong, settings_sections
from tests.integration.ui.conftest import UiServer, deploy_inventory, run_app

pytestmark = pytest.mark.integration

DEPLOY_SECONDS = 600
VISIBLE_LINES = """() => [...document.querySelectorAll('#log-output .log-line')]
    .filter((line) => !line.hidden).map((line) => line.textContent)"""


@pytest.fixture
def deploy_server(make_settings: Callable[..., Settings], namespace: str, kong: Kong) -> Iterator[UiServer]:
    with run_app(make_settings(**settings_sections(namespace, kong))) as server:
        yield server


def visible_lines(page: Any) -> list[str]:
    lines: list[str] = page.evaluate(VISIBLE_LINES)
    return lines


def call_app(server: UiServer, upload_id: str, path: str, times: int = 1) -> None:
    """Requests through JustPush's pass-through: each one is an access-log line of the app."""
    for _ in range(times):
        response = httpx.get(
            f"{server.url}/deploy/{upload_id}/proxy{path}",
            headers={"Authorization": f"Bearer {server.token}"},
            timeout=30,
        )
        assert response.status_code < 500, response.text


def test_operate_a_deployment_from_the_dashboard(
    page: Any, deploy_server: UiServer, tmp_path: Path, shot: Callable[[str], Path]
) -> None:
    upload_id = deploy_inventory(page, deploy_server, tmp_path)
    expect(page.locator("#stages")).to_have_attribute(
        "data-status", "DEPLOYED", timeout=DEPLOY_SECONDS * 1000
    )

    page.fill("#scale-replicas", "2")
    page.click("#scale-form button[type=submit]")
    expect(page.locator("#pods-summary")).to_contain_text("2/2 ready", timeout=120_000)
    pods = sorted(
        page.locator('#pods-table tbody tr[data-terminating="false"]').evaluate_all(
            "rows => rows.map(r => r.dataset.pod)"
        )
    )
    assert len(pods) == 2

    # CPU and memory per pod, each with a chart of the readings so far.
    expect(page.locator('#pods-table td[data-usage="memory"] svg.spark')).to_have_count(2, timeout=90_000)
    memory = page.locator('#pods-table td[data-usage="memory"] span').first.inner_text()
    assert memory.endswith("MiB") and float(memory.split()[0]) > 0, memory
    expect(page.locator("#usage-note")).to_contain_text("last 5 minutes")

    # Logs with timestamps; the probes' requests hidden until asked for.
    call_app(deploy_server, upload_id, "/items", times=4)
    page.click("#logs-toggle")
    expect(page.locator("#log-output .log-time").first).to_be_visible(timeout=60_000)
    stamp = page.locator("#log-output .log-time").first.get_attribute("datetime")
    assert stamp and stamp.endswith("Z")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#log-output .log-line')]"
        ".some((l) => l.textContent.includes('GET /health'))",
        timeout=90_000,
    )
    assert visible_lines(page) and not any("GET /health" in line for line in visible_lines(page))
    page.uncheck("#logs-hide-probes")
    assert any("GET /health" in line for line in visible_lines(page))
    page.check("#logs-hide-probes")

    # Text filter, then one pod's lines only.
    page.fill("#logs-filter", "GET /items")
    shown = visible_lines(page)
    assert shown and all("GET /items" in line for line in shown), shown
    page.fill("#logs-filter", "")
    page.select_option("#logs-pod", pods[0])
    shown = visible_lines(page)
    assert shown and all(pods[0] in line for line in shown) and not any(pods[1] in line for line in shown)
    page.select_option("#logs-pod", "")
    shot("logs")

    # Pause: new lines wait, counted, and appear on resume.
    page.click("#logs-pause")
    expect(page.locator("#logs-pause")).to_have_attribute("aria-pressed", "true")
    before = page.locator("#log-output .log-line").count()
    call_app(deploy_server, upload_id, "/items/paused-marker", times=2)
    expect(page.locator("#logs-count")).to_contain_text("new while paused", timeout=30_000)
    time.sleep(1)
    assert page.locator("#log-output .log-line").count() == before
    assert "paused-marker" not in page.inner_text("#log-output")
    page.click("#logs-pause")
    expect(page.locator("#log-output")).to_contain_text("paused-marker")
    page.click("#logs-toggle")

    # A redeploy makes revision 2: the history marks it current, the diff shows what changed.
    redeploy = page.locator("#redeploy-form")
    expect(redeploy).to_have_attribute("data-prefilled", "1")
    redeploy.locator('.kv-rows[data-kind="env"] .kv-value').first.fill("hello")
    redeploy.locator("button[type=submit]").click()
    expect(page.locator("#record-facts")).to_contain_text("redeploy succeeded", timeout=DEPLOY_SECONDS * 1000)
    revisions = page.locator("#revisions-table tbody tr")
    expect(revisions).to_have_count(2, timeout=30_000)
    expect(page.locator('#revisions-table tr[aria-current="true"]')).to_have_attribute("data-revision", "2")
    expect(page.locator('#revisions-table tr[data-revision="1"]')).not_to_have_attribute(
        "aria-current", "true"
    )
    expect(page.locator("#diff-from")).to_have_value("1")
    expect(page.locator("#diff-to")).to_have_value("2")
    page.click("#diff-form button[type=submit]")
    change = page.locator('#diff-table tr[data-key="env.GREETING"]')
    expect(change).to_have_count(1)
    assert [c.strip() for c in change.locator("td").all_inner_texts()] == ["env.GREETING", "hi", "hello"]
    expect(page.locator("#diff-summary")).to_contain_text("between revision 1 and revision 2")
    # The API behind it, for any two revisions.
    diff = httpx.get(
        f"{deploy_server.url}/deploy/{upload_id}/revisions/diff",
        params={"from": 2, "to": 1},
        headers={"Authorization": f"Bearer {deploy_server.token}"},
        timeout=30,
    ).json()
    assert {"key": "env.GREETING", "before": "hello", "after": "hi"} in diff["changes"]
    shot("revisions")

    # On a phone the routes and smoke tables stack: nothing hides off-screen, each value is labelled.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("#smoke-table tbody tr").first).to_be_visible(timeout=30_000)
    expect(page.locator("#routes-table tbody tr").first).to_be_visible(timeout=30_000)
    for table in ("#routes-table", "#smoke-table", "#pods-table", "#revisions-table"):
        # The pods and revisions arrive after the page's first paint.
        expect(page.locator(f"{table} tbody td").first).to_be_visible(timeout=30_000)
        widths = page.eval_on_selector(
            table,
            "t => [t.scrollWidth, t.closest('.table-wrap').clientWidth,"
            " document.documentElement.scrollWidth]",
        )
        assert widths[0] <= widths[1] and widths[2] <= 390, (table, widths)
        label = page.eval_on_selector(
            f"{table} tbody td:nth-child(2)", "td => getComputedStyle(td, '::before').content"
        )
        assert label not in ("none", "normal", '""'), (table, label)
    assert page.eval_on_selector("#smoke-table thead", "h => h.getBoundingClientRect().height") <= 1
    shot("phone")
