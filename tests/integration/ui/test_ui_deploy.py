"""A full deployment driven through the UI on testenv's real parts (Docker, registry, Kubernetes) and the
Kong emulator: upload, deploy with env, watch the stages, read the key once, logs, delete.
"""

from __future__ import annotations

import re
import secrets
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.integration.support import APPS, PIPELINE_APPS, Kong, require, slow_build_app, zip_app
from tests.integration.ui.conftest import UiServer, deploy_inventory, sign_in, upload_inventory

pytestmark = pytest.mark.integration

DEPLOY_SECONDS = 600
MAIN_STAGES = [
    "PENDING",
    "SCANNING",
    "BUILDING",
    "PUSHING",
    "DEPLOYING",
    "CONFIGURING",
    "VERIFYING",
    "DEPLOYED",
]


def greeting_settles(gateway: str, key: str, expected: str, seconds: float = 30) -> bool:
    """Whether GREETING through the gateway becomes `expected`: old pods leave the endpoints a moment
    after a rollout completes, so an answer from the previous revision may come first."""
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=gateway, timeout=10) as proxy:
        while True:
            value = proxy.get("/env/GREETING", headers={"apikey": key}).json()["value"]
            if value == expected or time.monotonic() > deadline:
                return bool(value == expected)
            time.sleep(0.5)


def stage_states(page: Any) -> dict[str, str]:
    states: dict[str, str] = page.eval_on_selector_all(
        "#stages li", "items => Object.fromEntries(items.map(i => [i.dataset.stage, i.dataset.state]))"
    )
    return states


def test_deploy_through_the_ui(page: Any, deploy_server: UiServer, kong: Kong, tmp_path: Path) -> None:
    upload_id = upload_inventory(page, deploy_server, tmp_path)

    # The deploy form: one env row to start with, secrets as password fields.
    form = page.locator("#deploy-form")
    expect(form).to_be_visible()
    env_row = form.locator('.kv-rows[data-kind="env"] .kv-row').first
    env_row.locator(".kv-name").fill("GREETING")
    env_row.locator(".kv-value").fill("hi")
    form.locator('button[data-add="secret"]').click()
    secret_row = form.locator('.kv-rows[data-kind="secret"] .kv-row').first
    assert secret_row.locator(".kv-value").get_attribute("type") == "password"
    secret_row.locator(".kv-name").fill("API_TOKEN")
    secret_row.locator(".kv-value").fill("s3cr3t-value")
    page.click("#deploy-submit")

    # The strip walks through every stage and ends on DEPLOYED, with the stages' events streamed below it.
    expect(page.locator("#stages li[data-stage=BUILDING]")).to_have_attribute(
        "data-state", "active", timeout=120_000
    )
    expect(page.locator("#stream-state")).to_have_text("● live")
    expect(page.locator("#stages")).to_have_attribute(
        "data-status", "DEPLOYED", timeout=DEPLOY_SECONDS * 1000
    )
    assert stage_states(page) == dict.fromkeys(MAIN_STAGES, "done")
    events = page.inner_text("#events")
    for stage in MAIN_STAGES:
        assert f"→ {stage}" in events
    # The job has ended: the live dot is off, the stream keeps listening for the next one.
    expect(page.locator("#stream-state")).to_have_text("○ idle · listening")

    # The key, once, with a copy button and the warning; it opens the gateway for this app.
    key = page.locator("#api-key").inner_text(timeout=30_000).strip()
    assert len(key) > 16
    expect(page.locator("#key-box")).to_contain_text("will not be shown again")
    expect(page.locator("#deploy-status")).to_have_text("Deployed")
    expect(page.locator("#record-facts")).to_contain_text("@sha256:")
    expect(page.locator("#smoke-table")).to_contain_text("gateway")
    gateway = page.locator("#record-facts a").get_attribute("href")
    assert gateway
    with httpx.Client(base_url=gateway, timeout=10) as proxy:
        assert proxy.get("/env/GREETING", headers={"apikey": key}).json()["value"] == "hi"
        assert proxy.get("/items").status_code == 401
    # Secret values never reach the page again.
    assert "s3cr3t-value" not in page.content()
    page.screenshot(path=str(tmp_path / "deployed.png"), full_page=True)

    # After a reload the key is masked.
    page.reload()
    masked = page.locator("#api-key-masked")
    expect(masked).to_have_text(f"{key[:4]}…{key[-2:]}")
    assert page.locator("#api-key").count() == 0
    assert key not in page.content()

    # Logs: tail and follow, streamed.
    page.click("#logs-toggle")
    expect(page.locator("#log-output")).to_contain_text("listening on 8000", timeout=60_000)
    expect(page.locator("#logs-toggle")).to_have_text("Stop")
    page.click("#logs-toggle")
    expect(page.locator("#logs-toggle")).to_have_text("Show logs")

    # Scale: applied at once and recorded as an event.
    page.fill("#scale-replicas", "2")
    page.click("#scale-form button[type=submit]")
    expect(page.locator("#events")).to_contain_text("scaled to 2 replica(s)")

    # Redeploy with a changed variable: same image, build stages skipped, a second revision.
    redeploy = page.locator("#redeploy-form")
    expect(redeploy).to_have_attribute("data-prefilled", "1")
    redeploy.locator('.kv-rows[data-kind="env"] .kv-name').first.fill("GREETING")
    redeploy.locator('.kv-rows[data-kind="env"] .kv-value').first.fill("hello")
    redeploy.locator("button[type=submit]").click()
    expect(page.locator("#record-facts")).to_contain_text("redeploy succeeded", timeout=DEPLOY_SECONDS * 1000)
    states = stage_states(page)
    assert states["BUILDING"] == "skipped" and states["DEPLOYED"] == "done", states
    assert greeting_settles(gateway, key, "hello")

    # Roll back to revision 1, picked from the stored revisions.
    expect(page.locator("#rollback-revision option")).to_have_count(3)
    page.select_option("#rollback-revision", "1")
    page.click("#rollback-form button[type=submit]")
    expect(page.locator("#confirm")).to_be_visible()
    page.click("#confirm-ok")
    expect(page.locator("#stages")).to_have_attribute("data-status", "ROLLED_BACK", timeout=300_000)
    expect(page.locator("#record-facts")).to_contain_text("rollback succeeded", timeout=60_000)
    assert greeting_settles(gateway, key, "hi")

    # Delete, confirmed in the dialog.
    page.click("#delete-deployment")
    expect(page.locator("#confirm")).to_be_visible()
    page.click("#confirm-ok")
    expect(page.locator("#stages")).to_have_attribute("data-status", "DELETED", timeout=300_000)
    expect(page.locator("#deploy-status")).to_have_text("Deleted")
    expect(page.locator("#deploy-form")).to_be_visible()
    assert kong.entities(upload_id)["routes"] == []
    # Between "deleting" and the end, what the delete waited for, in order: pods, image tag, gateway.
    deleting = page.locator('#events .ev-group[data-stage="DELETING"]').last.inner_text()
    waits = [
        re.search(r"deleting the Kubernetes objects in namespace \S+", deleting),
        re.search(r"waiting for \d+ pods? to terminate \(", deleting),
        re.search(r"Kubernetes objects deleted", deleting),
        re.search(r"deleting the image tag from the registry", deleting),
        re.search(r"removing the gateway's routes", deleting),
    ]
    assert all(waits), deleting
    starts = [match.start() for match in waits if match]
    assert starts == sorted(starts), deleting


def test_required_variables_are_caught_before_a_job(
    page: Any, deploy_server: UiServer, tmp_path: Path, shot: Callable[[str], Path]
) -> None:
    """The shop app reads secrets without defaults: the analysis (started by the upload) names them, the
    form refuses to deploy without them, and so does the API, with a 400 and no job."""
    archive = tmp_path / "shop.zip"
    archive.write_bytes(zip_app(APPS / "apps" / "python-fastapi-shop"))
    sign_in(page, deploy_server)
    page.set_input_files("#archive-file", str(archive))
    page.click("#upload-archive button[type=submit]")
    page.wait_for_url("**/ui/uploads/*")
    upload_id = page.url.rsplit("/", 1)[-1]
    # Analysed without asking: never "not started".
    expect(page.locator("#analysis-status")).not_to_have_text("not started")
    expect(page.locator("#analysis-status")).to_have_text("succeeded", timeout=60_000)
    expect(page.locator("#run-analysis")).to_have_text("Run again")

    # The form offers the variables the code requires; the secret ones as password fields.
    secret_rows = page.locator('#deploy-form .kv-rows[data-kind="secret"] .kv-row')
    expect(secret_rows).to_have_count(3)
    names = [secret_rows.nth(i).locator(".kv-name").input_value() for i in range(3)]
    assert names == ["SHOP_ADMIN_KEY", "SHOP_DATABASE_URL", "SHOP_JWT_SECRET"]
    assert {secret_rows.nth(i).locator(".kv-value").get_attribute("type") for i in range(3)} == {"password"}
    # No Dockerfile of its own: nothing to choose.
    expect(page.locator("#deploy-dockerfile-field")).to_be_hidden()
    secret_rows.nth(0).locator(".kv-value").fill("admin-key")
    page.click("#deploy-submit")

    # Caught in the form: the names, the empty fields flagged, no request made.
    expect(page.locator("#deploy-error")).to_contain_text("SHOP_DATABASE_URL, SHOP_JWT_SECRET")
    invalid = [secret_rows.nth(i).locator(".kv-value").get_attribute("aria-invalid") for i in range(3)]
    assert invalid == ["false", "true", "true"]
    expect(page.locator("#pipeline")).to_be_hidden()
    shot("missing-variables")

    # And by the API, before any job exists.
    auth = {"Authorization": f"Bearer {deploy_server.token}"}
    refused = httpx.post(
        f"{deploy_server.url}/deploy/{upload_id}",
        headers=auth,
        json={"secrets": {"SHOP_ADMIN_KEY": "admin-key"}},
        timeout=30,
    )
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "missing_env"
    assert error["details"]["missing"] == ["SHOP_DATABASE_URL", "SHOP_JWT_SECRET"]
    assert "SHOP_DATABASE_URL, SHOP_JWT_SECRET" in error["message"]
    status = httpx.get(f"{deploy_server.url}/deploy/{upload_id}/status", headers=auth, timeout=30).json()
    assert status["job"] is None and status["status"] is None


def test_the_uploads_own_dockerfile_can_be_insisted_on(
    page: Any, deploy_server: UiServer, tmp_path: Path
) -> None:
    """With a Dockerfile of its own the form offers the choice; `repo` on a base image nobody serves
    fails in SCANNING, naming the image and its line."""
    app = tmp_path / "own-dockerfile"
    shutil.copytree(PIPELINE_APPS / "python-inventory", app)
    image = f"{require('JUSTPUSH_TEST_REGISTRY')}/jp-test-base/none-{secrets.token_hex(4)}:1"
    (app / "Dockerfile").write_text(f'FROM {image}\nCOPY . /app\nCMD ["python", "/app/app.py"]\n')
    archive = tmp_path / "own.zip"
    archive.write_bytes(zip_app(app))
    sign_in(page, deploy_server)
    page.set_input_files("#archive-file", str(archive))
    page.click("#upload-archive button[type=submit]")
    page.wait_for_url("**/ui/uploads/*")
    expect(page.locator("#analysis-status")).to_have_text("succeeded", timeout=60_000)
    expect(page.locator("#deploy-dockerfile-field")).to_be_visible()
    expect(page.locator("#deploy-dockerfile-path")).to_have_text("(the upload has Dockerfile)")
    assert page.locator("#deploy-dockerfile").input_value() == "auto"
    page.select_option("#deploy-dockerfile", "repo")
    page.click("#deploy-submit")
    expect(page.locator("#stages")).to_have_attribute("data-status", "FAILED", timeout=120_000)
    assert stage_states(page)["SCANNING"] == "failed"
    expect(page.locator("#events .ev-error").last).to_contain_text(
        f"uses base image {image} the build host cannot pull (Dockerfile line 1"
    )


def test_cancel_a_running_build_from_the_ui(page: Any, deploy_server: UiServer, tmp_path: Path) -> None:
    archive = tmp_path / "slow.zip"
    archive.write_bytes(zip_app(slow_build_app(tmp_path / "slow-build")))
    sign_in(page, deploy_server)
    page.set_input_files("#archive-file", str(archive))
    page.click("#upload-archive button[type=submit]")
    page.wait_for_url("**/ui/uploads/*")
    page.click("#deploy-submit")

    expect(page.locator('#stages li[data-stage="BUILDING"]')).to_have_attribute(
        "data-state", "active", timeout=120_000
    )
    cancel = page.locator("#cancel-job")
    expect(cancel).to_be_visible()
    cancel.click()
    expect(page.locator("#stages")).to_have_attribute("data-status", "FAILED", timeout=60_000)
    assert stage_states(page)["BUILDING"] == "failed"
    expect(page.locator("#events .ev-error").last).to_contain_text("BUILDING: cancelled by")
    expect(page.locator("#job-controls")).to_be_hidden()
    expect(page.locator("#deploy-form")).to_be_visible()


def test_a_crash_reads_as_one_line_with_its_log_folded(
    page: Any, deploy_server: UiServer, tmp_path: Path, shot: Callable[[str], Path]
) -> None:
    """PORT=bad makes the app crash at start: the card gives the reason on one line and the crash's log
    lines under "Details"; events are grouped by stage with the build log folded; a timer runs on the
    active stage; the live dot goes off when the job ends; states read as words."""
    # The app waits 2 s before reading PORT (within the start check's 5 s grace): the check's stage
    # stays active long enough for its timer to tick, however fast the rest of the pipeline is.
    deploy_inventory(page, deploy_server, tmp_path, {"PORT": "bad", "STARTUP_DELAY": "2"})

    # A running timer on the active stage, and the live dot while the job runs.
    timer = page.locator("#stages li[data-state=active] .stage-timer")
    expect(timer).to_be_visible(timeout=120_000)
    expect(page.locator("#stream-state")).to_have_text("● live")
    # It counts up by itself, between the strip's redraws: the timer element read first is marked, and a
    # reading counts only when that same element is still shown half a second later.
    active = page.locator("#stages li[data-state=active]")
    mark = (
        "els => els.map(e => { const t = e.querySelector('.stage-timer');"
        " if (t) t.dataset.probe = '1'; return t ? t.textContent : null; })"
    )
    read = (
        "els => els.map(e => { const t = e.querySelector('.stage-timer[data-probe]');"
        " return t ? t.textContent : null; })"
    )
    ticked, readings = False, []
    while not ticked and len(readings) < 60:
        before = active.evaluate_all(mark)
        page.wait_for_timeout(500)
        after = active.evaluate_all(read)
        readings.append((before, after))
        ticked = bool(before and after and before[0] is not None and after[0] not in (None, before[0]))
    assert ticked, readings[-5:]

    expect(page.locator("#stages")).to_have_attribute("data-status", "FAILED", timeout=DEPLOY_SECONDS * 1000)
    expect(page.locator("#deploy-status")).to_have_text("Failed")
    expect(page.locator("#stream-state")).to_have_text("○ idle · listening", timeout=30_000)

    # The reason on one line; the log lines folded, preformatted, shown on request.
    facts = page.locator("#record-facts")
    line = facts.locator(".last-job .reason-line")
    expect(line).not_to_be_empty()
    assert "\n" not in line.inner_text() and "ValueError" not in line.inner_text()
    detail = facts.locator(".last-job .reason-detail")
    expect(detail.locator("pre")).to_be_hidden()
    detail.locator("summary").click()
    expect(detail.locator("pre")).to_be_visible()
    expect(detail.locator("pre")).to_contain_text("ValueError")

    # Events by stage; the build log folded under BUILDING.
    building = page.locator('#events .ev-group[data-stage="BUILDING"]').last
    expect(building.locator(".ev-head")).to_contain_text("→ BUILDING")
    fold = building.locator(".ev-fold details")
    expect(fold.locator("summary")).to_contain_text("build log · ")
    assert fold.get_attribute("open") is None
    expect(page.locator("#events .ev-error").last).to_be_visible()
    shot("crash")
