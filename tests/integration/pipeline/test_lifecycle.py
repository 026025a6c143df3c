"""Upload → DEPLOYED on the real cluster, then the whole lifecycle: key shown once, the gateway with
and without the key, scale, redeploy with a changed env var, rollback, delete with nothing left behind.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.integration.support import BUILD_APPS, PIPELINE_APPS, Kong, cluster_objects, kubectl_json

# One full lifecycle on each database.
pytestmark = [pytest.mark.integration, pytest.mark.both_databases]


def _stages(events: list[dict[str, Any]]) -> list[str]:
    return [e["stage"] for e in events if e["kind"] == "status"]


async def _settled_greeting(proxy: httpx.AsyncClient, key: str, expected: str) -> str | None:
    """GREETING through the gateway once it is `expected` (or after 30 s): pods of the previous revision
    leave the Service's endpoints a moment after a rollout completes."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        response = await proxy.get("/env/GREETING", headers={"apikey": key})
        value: str | None = response.json()["value"] if response.status_code == 200 else None
        if value == expected or asyncio.get_running_loop().time() > deadline:
            assert response.status_code == 200, response.text
            return value
        await asyncio.sleep(0.5)


def _env_of_pods(namespace: str, upload_id: str, name: str) -> set[str | None]:
    """The value of env var `name` as each running pod of the upload sees it (through its ConfigMap)."""
    pods = kubectl_json("get", "pods", "-n", namespace, "-l", f"justpush.io/upload-id={upload_id}")["items"]
    configmaps = {
        cm["metadata"]["name"]: cm.get("data") or {}
        for cm in kubectl_json("get", "configmaps", "-n", namespace)["items"]
    }
    values: set[str | None] = set()
    for pod in pods:
        if pod["metadata"].get("deletionTimestamp") or pod["status"].get("phase") != "Running":
            continue
        container = pod["spec"]["containers"][0]
        value = None
        for env in container.get("env") or []:
            if env["name"] == name:
                ref = (env.get("valueFrom") or {}).get("configMapKeyRef")
                value = configmaps.get(ref["name"], {}).get(ref["key"]) if ref else env.get("value")
        for source in container.get("envFrom") or []:
            ref = source.get("configMapRef")
            if ref and name in configmaps.get(ref["name"], {}):
                value = configmaps[ref["name"]][name]
        values.add(value)
    return values


async def test_python_app_full_lifecycle(
    deployer_factory: Callable[..., Any], kong: Kong, namespace: str
) -> None:
    async with deployer_factory() as d:
        upload_id = await d.upload(PIPELINE_APPS / "python-inventory")
        accepted = await d.call(
            "POST", f"/deploy/{upload_id}", expect=202, json={"env": {"GREETING": "hello"}}
        )
        assert accepted["status"] == "PENDING"
        status = await d.wait(upload_id)
        events = await d.events(upload_id)
        assert status["status"] == "DEPLOYED", (
            status,
            [e["message"] for e in events if e["kind"] in ("error", "warning")],
        )
        assert _stages(events) == [
            "PENDING",
            "SCANNING",
            "BUILDING",
            "PUSHING",
            "DEPLOYING",
            "CONFIGURING",
            "VERIFYING",
            "DEPLOYED",
        ]
        assert "@sha256:" in status["image"]

        # The key is shown once, then masked.
        key = status["api_key"]
        assert key and status["api_key_masked"]
        again = await d.status(upload_id)
        assert again["api_key"] is None and again["api_key_masked"] == status["api_key_masked"]

        # Smoke tests ran through the Service and the gateway.
        vias = {(r["via"], r["path"]): r["ok"] for r in status["verification"]["results"]}
        assert vias == {
            ("service", "/health"): True,
            ("service", "/items"): True,
            ("gateway", "/health"): True,
            ("gateway", "/items"): True,
        }

        # Through the (emulated) gateway, under the upload's own path segment: key-auth on /items,
        # /health public; the bare spec path is nobody's route.
        gateway = status["gateway_url"]
        assert gateway == f"{kong.proxy_url}/python-inventory-{upload_id}"
        assert httpx.get(f"{kong.proxy_url}/health", timeout=10).status_code == 404
        async with httpx.AsyncClient(base_url=gateway, timeout=10) as proxy:
            assert (await proxy.get("/items")).status_code == 401
            items = await proxy.get("/items", headers={"apikey": key})
            assert items.status_code == 200 and items.json()[0]["name"] == "bolt"
            assert (await proxy.get("/health")).status_code == 200
            assert (await proxy.get("/env/GREETING", headers={"apikey": key})).json()["value"] == "hello"

        entities = kong.entities(upload_id)
        assert len(entities["services"]) == 1 and len(entities["routes"]) == 4

        # Every object carries the upload label; the Secret value is not in the stored revision.
        objects = cluster_objects(namespace, upload_id)
        assert any(o.startswith("deployment") for o in objects)
        assert any(o.startswith("service/") for o in objects)

        # Scale 1 → 2; the redeploy below keeps the 2 replicas.
        scaled = await d.call("PUT", f"/deploy/{upload_id}/scale", json={"replicas": 2})
        assert scaled["status"] == "DEPLOYED"
        deployment = status["kubernetes"]["deployment"]
        spec = kubectl_json("get", "deployment", deployment, "-n", namespace)["spec"]
        assert spec["replicas"] == 2

        # Redeploy with a changed env var and a secret: new pods carry it.
        await d.call(
            "POST",
            f"/deploy/{upload_id}/redeploy",
            expect=202,
            json={"env": {"GREETING": "bonjour"}, "secrets": {"API_TOKEN": "tok-123"}},
        )
        status = await d.wait(upload_id)
        assert status["status"] == "DEPLOYED", status
        assert _env_of_pods(namespace, upload_id, "GREETING") == {"bonjour"}
        assert kubectl_json("get", "deployment", deployment, "-n", namespace)["spec"]["replicas"] == 2
        async with httpx.AsyncClient(base_url=gateway, timeout=10) as proxy:
            assert await _settled_greeting(proxy, key, "bonjour") == "bonjour"
            token = await proxy.get("/env/API_TOKEN", headers={"apikey": key})
            assert token.json()["value"] == "tok-123"

        revisions = await d.call("GET", f"/deploy/{upload_id}/revisions")
        assert [r["revision"] for r in revisions] == [1, 2]
        assert revisions[1]["secret_names"] == ["API_TOKEN"]
        assert "tok-123" not in str(revisions)
        secret_b64 = base64.b64encode(b"tok-123").decode()
        # Rollback (default: the last good revision before the current one) restores GREETING=hello.
        await d.call("POST", f"/deploy/{upload_id}/rollback", expect=202, json={})
        status = await d.wait(upload_id)
        assert status["status"] == "ROLLED_BACK", status
        assert _env_of_pods(namespace, upload_id, "GREETING") == {"hello"}
        # Scale is operational: the rollback keeps the 2 replicas and runs the smoke test again.
        assert kubectl_json("get", "deployment", deployment, "-n", namespace)["spec"]["replicas"] == 2
        assert status["replicas"] == 2 and status["serving_revision"] == 1
        assert status["verification"]["results"]
        revisions = await d.call("GET", f"/deploy/{upload_id}/revisions")
        assert revisions[-1]["rollback_of"] == 1 and revisions[-1]["replicas"] == 2
        assert secret_b64 not in str(revisions)

        # Delete: nothing with the upload's label or tag remains; deleting again is harmless.
        await d.call("DELETE", f"/deploy/{upload_id}", expect=202)
        status = await d.wait(upload_id)
        assert status["status"] == "DELETED", status
        assert cluster_objects(namespace, upload_id) == []
        assert kong.entities(upload_id) == {"services": [], "routes": [], "plugins": [], "consumers": []}
        await d.call("DELETE", f"/deploy/{upload_id}", expect=202)
        assert (await d.wait(upload_id))["status"] == "DELETED"


async def test_node_app_deploys_without_kong(deployer_factory: Callable[..., Any], namespace: str) -> None:
    """With Kong not configured, CONFIGURING is skipped with a notice; the app serves through its Service."""
    async with deployer_factory(kong={"adminUrl": "", "gatewayUrl": ""}) as d:
        upload_id = await d.upload(BUILD_APPS / "node-express")
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={})
        status = await d.wait(upload_id)
        events = await d.events(upload_id)
        problems = [e["message"] for e in events if e["kind"] in ("error", "warning")]
        assert status["status"] == "DEPLOYED", problems
        assert "CONFIGURING" not in _stages(events)
        assert any(e["kind"] == "notice" and "Kong is not configured" in e["message"] for e in events)
        assert status["kubernetes"]["namespace"] == namespace
        assert status["gateway_url"] is None and status["api_key"] is None
        assert [r["via"] for r in status["verification"]["results"]] == ["service", "service"]
        assert all(r["ok"] for r in status["verification"]["results"])
        assert cluster_objects(namespace, upload_id)
        await d.call("DELETE", f"/deploy/{upload_id}", expect=202)
        assert (await d.wait(upload_id))["status"] == "DELETED"
        assert cluster_objects(namespace, upload_id) == []
