"""The deployment card tells the truth about the cluster (testenv's Kubernetes, the Kong emulator): pods and
replicas read live after a scale, a redeploy and a rollback; the rollback asks first, keeps the scaled count,
names the revision that serves and re-runs the smoke test.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.integration.support import kubectl_json
from tests.integration.ui.conftest import UiServer, deploy_inventory

pytestmark = pytest.mark.integration

DEPLOY_SECONDS = 600


def api_status(server: UiServer, upload_id: str) -> dict[str, Any]:
    response = httpx.get(
        f"{server.url}/deploy/{upload_id}/status",
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def current_pods(status: dict[str, Any]) -> list[str]:
    return sorted(p["name"] for p in status["live"]["pods"] if not p["terminating"])


def cluster_pods(namespace: str, upload_id: str) -> dict[str, dict[str, Any]]:
    listed = kubectl_json("get", "pods", "-n", namespace, "-l", f"justpush.io/upload-id={upload_id}")
    return {p["metadata"]["name"]: p for p in listed["items"]}


def newest_template_hash(namespace: str, upload_id: str) -> str:
    """The pod-template-hash of the Deployment's current ReplicaSet (the highest revision)."""
    sets = kubectl_json("get", "replicasets", "-n", namespace, "-l", f"justpush.io/upload-id={upload_id}")
    newest = max(
        sets["items"], key=lambda rs: int(rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"])
    )
    return str(newest["metadata"]["labels"]["pod-template-hash"])


def settles(check: Callable[[], bool], seconds: float = 120) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(1)
    return True


def assert_only_new_pods_current(server: UiServer, namespace: str, upload_id: str) -> None:
    """Right after a rollout, every pod the status calls current belongs to the new ReplicaSet; any pod of
    the old one that is still there is marked terminating."""
    status = api_status(server, upload_id)
    wanted = newest_template_hash(namespace, upload_id)
    cluster = cluster_pods(namespace, upload_id)
    for name in current_pods(status):
        pod = cluster.get(name)
        assert pod is not None, (name, sorted(cluster))
        assert pod["metadata"]["labels"]["pod-template-hash"] == wanted, (name, wanted)


def test_pods_and_replicas_are_read_live(
    page: Any, deploy_server: UiServer, namespace: str, tmp_path: Path, shot: Callable[[str], Path]
) -> None:
    upload_id = deploy_inventory(page, deploy_server, tmp_path)
    expect(page.locator("#stages")).to_have_attribute(
        "data-status", "DEPLOYED", timeout=DEPLOY_SECONDS * 1000
    )

    # With Kong: the gateway is the way in, a curl line per operation sends the key header.
    gateway = api_status(deploy_server, upload_id)["gateway_url"]
    expect(page.locator("#call-gateway")).to_have_text(gateway)
    expect(page.locator('#call-table tr[data-operation="GET /items"] code.curl')).to_have_text(
        f'curl -sS -H "apikey: $API_KEY" {gateway}/items'
    )

    # One pod, the one the cluster runs, ready.
    current = page.locator('#pods-table tbody tr[data-terminating="false"]')
    expect(current).to_have_count(1, timeout=60_000)
    status = api_status(deploy_server, upload_id)
    assert status["replicas"] == 1 and status["live"]["desired"] == 1, status["live"]
    assert current_pods(status) == sorted(cluster_pods(namespace, upload_id))
    expect(page.locator("#scale-replicas")).to_have_value("1")

    # The configuration that runs, and the redeploy form starting from it.
    expect(page.locator("#config-env")).to_have_text("GREETING=hi")
    expect(page.locator("#config-facts")).to_contain_text(status["image"])
    first_env = page.locator('#redeploy-form .kv-rows[data-kind="env"] .kv-row').first
    expect(first_env.locator(".kv-name")).to_have_value("GREETING")
    expect(first_env.locator(".kv-value")).to_have_value("hi")

    # Scale 1 → 2: both pods show up without a reload, and the API lists the cluster's pods.
    page.fill("#scale-replicas", "2")
    page.click("#scale-form button[type=submit]")
    expect(page.locator("#pods-summary")).to_contain_text("2/2 ready", timeout=120_000)
    expect(current).to_have_count(2)
    status = api_status(deploy_server, upload_id)
    assert status["replicas"] == 2 and status["live"]["desired"] == 2 and status["live"]["ready"] == 2
    assert current_pods(status) == sorted(
        page.locator("#pods-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.pod)")
    )
    assert set(current_pods(status)) <= set(cluster_pods(namespace, upload_id))
    assert "pods" not in status["kubernetes"]
    shot("scaled")

    # A reload keeps the count the user set. The revisions are held back after it, so the redeploy form is
    # typed into before it is prefilled from what runs: what the user typed stays.
    held: list[Any] = []
    revisions_url = re.compile(r"/deploy/[^/]+/revisions$")
    page.route(revisions_url, lambda route: held.append(route))
    page.reload()
    expect(page.locator("#scale-replicas")).to_have_value("2")
    expect(current).to_have_count(2)
    redeploy = page.locator("#redeploy-form")
    redeploy.locator('.kv-rows[data-kind="env"] .kv-name').first.fill("GREETING")
    redeploy.locator('.kv-rows[data-kind="env"] .kv-value').first.fill("hello")
    assert held, "the page asked for the revisions"
    for route in held:
        route.continue_()
    page.unroute(revisions_url)
    expect(redeploy).to_have_attribute("data-prefilled", "1")
    names = redeploy.locator('.kv-rows[data-kind="env"] .kv-name')
    assert names.evaluate_all("inputs => inputs.map(i => i.value)") == ["GREETING", ""]
    assert redeploy.locator('.kv-rows[data-kind="env"] .kv-value').first.input_value() == "hello"

    # Redeploy: the replaced pods are never counted as current.
    redeploy.locator("button[type=submit]").click()
    expect(page.locator("#record-facts")).to_contain_text("redeploy succeeded", timeout=DEPLOY_SECONDS * 1000)
    assert_only_new_pods_current(deploy_server, namespace, upload_id)
    assert settles(lambda: len(current_pods(api_status(deploy_server, upload_id))) == 2)
    expect(page.locator("#scale-replicas")).to_have_value("2")
    expect(page.locator("#record-facts")).to_contain_text("2/2 ready", timeout=60_000)
    expect(page.locator("#config-env")).to_have_text("GREETING=hello")
    shot("redeployed")

    # Rollback to revision 1: asked first (cancelling starts nothing), then run.
    before = api_status(deploy_server, upload_id)
    smoke_runs = page.locator("#events").inner_text().count("smoke checks passed")
    expect(page.locator("#rollback-revision option")).to_have_count(3)
    page.select_option("#rollback-revision", "1")
    page.click("#rollback-form button[type=submit]")
    expect(page.locator("#confirm")).to_be_visible()
    expect(page.locator("#confirm-text")).to_contain_text("Roll back to revision 1?")
    expect(page.locator("#confirm-text")).to_contain_text("the replica count stays at 2")
    shot("rollback-confirm")
    page.click("#confirm-cancel")
    expect(page.locator("#confirm")).to_be_hidden()
    assert api_status(deploy_server, upload_id)["job"]["kind"] == "redeploy"

    page.click("#rollback-form button[type=submit]")
    page.click("#confirm-ok")
    expect(page.locator("#stages")).to_have_attribute("data-status", "ROLLED_BACK", timeout=300_000)
    expect(page.locator("#record-facts")).to_contain_text("rollback succeeded", timeout=60_000)
    expect(page.locator("#events")).to_contain_text("revision 1 is serving again")

    # The card names the revision that serves, as the events do.
    after = api_status(deploy_server, upload_id)
    assert (after["revision"], after["serving_revision"]) == (3, 1)
    expect(page.locator("#record-facts")).to_contain_text("1 (restored by rollback, stored as revision 3)")

    expect(page.locator("#config-revision")).to_have_text("revision 3 (restores revision 1)")
    expect(page.locator("#config-env")).to_have_text("GREETING=hi")

    # Scale survived the rollback: the setting, the cluster and the page.
    assert after["replicas"] == 2 and after["live"]["desired"] == 2
    assert_only_new_pods_current(deploy_server, namespace, upload_id)
    assert settles(lambda: len(current_pods(api_status(deploy_server, upload_id))) == 2)
    expect(page.locator("#scale-replicas")).to_have_value("2")

    # Deployed time and smoke results are those of the rollback.
    assert after["deployed_at"] > before["deployed_at"]
    assert after["verification"]["results"] and all(r["ok"] for r in after["verification"]["results"])
    assert after["verification"] != before["verification"]
    assert page.locator("#events").inner_text().count("smoke checks passed") == smoke_runs + 1
    shot("rolled-back")
