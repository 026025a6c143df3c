"""Fault injection at each stage: the final state, and nothing left behind (label and tag queries)."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from lightkube import AsyncClient, KubeConfig
from lightkube.models.core_v1 import ResourceQuotaSpec
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Namespace, ResourceQuota

from tests.integration.support import (
    BUILD_APPS,
    PIPELINE_APPS,
    Kong,
    cluster_objects,
    kubectl_json,
    local_images,
    registry_tags,
    require,
)

pytestmark = pytest.mark.integration

APP = PIPELINE_APPS / "python-inventory"


def _messages(events: list[dict[str, Any]], *kinds: str) -> str:
    return "\n".join(e["message"] for e in events if e["kind"] in kinds)


def _running_pods(namespace: str, upload_id: str) -> list[str]:
    pods = kubectl_json("get", "pods", "-n", namespace, "-l", f"justpush.io/upload-id={upload_id}")["items"]
    return [
        p["metadata"]["name"]
        for p in pods
        if any("running" in c.get("state", {}) for c in p.get("status", {}).get("containerStatuses", []))
    ]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_registry_refusing_the_push_fails_cleanly(
    deployer_factory: Callable[..., Any], kong: Kong, namespace: str
) -> None:
    registry = require("JUSTPUSH_TEST_AUTH_REGISTRY")
    wrong = "not-the-password"
    async with deployer_factory(
        containerRegistry={"url": f"http://{registry}", "username": "jp-test", "password": wrong}
    ) as d:
        upload_id = await d.upload(APP)
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={})
        status = await d.wait(upload_id)
        events = await d.events(upload_id)
    assert status["status"] == "FAILED"
    assert status["job"]["stage"] == "PUSHING"
    assert "401" in status["job"]["error"] and wrong not in str(events)
    assert cluster_objects(namespace, upload_id) == []
    assert all(not v for v in kong.entities(upload_id).values())


async def test_api_server_rejecting_an_object_removes_the_rest(
    deployer_factory: Callable[..., Any], kong: Kong, namespace: str
) -> None:
    # A namespace JustPush did not create, whose quota forbids any Service: the API server refuses it.
    client = AsyncClient(KubeConfig.from_file(require("KUBECONFIG")), lazy=False)
    try:
        await client.create(Namespace(metadata=ObjectMeta(name=namespace)))
        await client.create(
            ResourceQuota(
                metadata=ObjectMeta(name="no-services"), spec=ResourceQuotaSpec(hard={"services": "0"})
            ),
            namespace=namespace,
        )
    finally:
        await client.close()
    async with deployer_factory() as d:
        upload_id = await d.upload(APP)
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={})
        status = await d.wait(upload_id)
        events = await d.events(upload_id)
    assert status["status"] == "FAILED", status
    assert status["job"]["stage"] == "DEPLOYING"
    assert "quota" in status["job"]["error"].lower()
    assert "removing this run's objects" in _messages(events, "progress")
    assert cluster_objects(namespace, upload_id) == []
    assert all(not v for v in kong.entities(upload_id).values())


async def test_kong_down_keeps_the_app_running(deployer_factory: Callable[..., Any], namespace: str) -> None:
    down = f"http://127.0.0.1:{_closed_port()}"
    async with deployer_factory(kong={"adminUrl": down, "gatewayUrl": down}) as d:
        upload_id = await d.upload(APP)
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={})
        status = await d.wait(upload_id)
        assert status["status"] == "DEPLOYED_WITH_WARNINGS", status
        assert "Kong configuration failed" in status["verification"]["warnings"][0]
        assert status["kong"] is None and status["gateway_url"] is None
        # The key never reached Kong: nothing to show.
        assert status["api_key"] is None
        assert any(r["via"] == "service" and r["ok"] for r in status["verification"]["results"])
        assert any(o.startswith("deployment") for o in cluster_objects(namespace, upload_id))
        await d.call("DELETE", f"/deploy/{upload_id}", expect=202)
        status = await d.wait(upload_id)
    # Kong is still down: the rest is deleted, Kong's part is owed (retried until Kong answers).
    assert status["status"] == "DELETED" and f"upload:{upload_id}" in status["gateway_owed"]
    assert cluster_objects(namespace, upload_id) == []


async def test_crashing_app_fails_and_leaves_nothing(
    deployer_factory: Callable[..., Any], kong: Kong, namespace: str
) -> None:
    async with deployer_factory() as d:
        upload_id = await d.upload(APP)
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={"env": {"PORT": "not-a-port"}})
        status = await d.wait(upload_id, timeout=300)
    assert status["status"] == "FAILED"
    if os.environ.get("JUSTPUSH_TEST_GVISOR_RUNTIME"):
        # The sandboxed start check runs the image with the deployment's env, beside the push: it fails
        # before anything reaches the cluster, and the tag the push made is deleted again.
        assert status["job"]["stage"] == "PUSHING"
        assert "exited with code 1 in the sandbox" in status["job"]["error"]
        assert upload_id not in registry_tags("jp-pipeline-test/python-inventory")
    else:
        assert status["job"]["stage"] == "DEPLOYING"
        assert "CrashLoopBackOff" in status["job"]["error"]
    assert "not-a-port" in status["job"]["error"]
    assert cluster_objects(namespace, upload_id) == []
    assert all(not v for v in kong.entities(upload_id).values())


async def test_failed_redeploy_keeps_the_previous_revision_serving(
    deployer_factory: Callable[..., Any], kong: Kong, namespace: str
) -> None:
    async with deployer_factory() as d:
        upload_id = await d.upload(APP)
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={"env": {"GREETING": "v1"}})
        first = await d.wait(upload_id)
        assert first["status"] == "DEPLOYED", first
        key = first["api_key"]
        await d.call("POST", f"/deploy/{upload_id}/redeploy", expect=202, json={"env": {"PORT": "broken"}})
        status = await d.wait(upload_id, timeout=300)
        # The record says what serves (revision 1, restored); the job says what failed.
        assert status["status"] == "DEPLOYED_WITH_WARNINGS", status
        assert status["job"]["status"] == "failed" and "broken" in status["job"]["error"]
        assert status["revision"] == 1
        events = await d.events(upload_id)
        assert "restoring revision 1" in _messages(events, "progress")
        assert "redeploy failed, revision 1 keeps serving" in _messages(events, "status")
        async with httpx.AsyncClient(base_url=first["gateway_url"], timeout=10) as proxy:
            greeting = await proxy.get("/env/GREETING", headers={"apikey": key})
            assert greeting.status_code == 200 and greeting.json()["value"] == "v1"
        await d.call("DELETE", f"/deploy/{upload_id}", expect=202)
        assert (await d.wait(upload_id))["status"] == "DELETED"
    assert cluster_objects(namespace, upload_id) == []
    assert all(not v for v in kong.entities(upload_id).values())


async def test_missing_required_env_fails_before_building(
    deployer_factory: Callable[..., Any], namespace: str
) -> None:
    async with deployer_factory() as d:
        upload_id = await d.upload(PIPELINE_APPS / "python-needs-env")
        await d.analysed(upload_id)
        # Refused by the API before a job exists (SCANNING checks again for an upload not analysed yet).
        refused = await d.call("POST", f"/deploy/{upload_id}", expect=400, json={})
        assert refused["error"]["code"] == "missing_env"
        assert refused["error"]["details"]["missing"] == ["DATABASE_URL"]
        assert (await d.status(upload_id)).get("job") is None
        # Given the variable, as a secret (its name says so), the same upload deploys.
        await d.call(
            "POST", f"/deploy/{upload_id}", expect=202, json={"secrets": {"DATABASE_URL": "postgres://x"}}
        )
        assert (await d.wait(upload_id))["status"] in ("DEPLOYED", "DEPLOYED_WITH_WARNINGS")
        await d.call("DELETE", f"/deploy/{upload_id}", expect=202)
        assert (await d.wait(upload_id))["status"] == "DELETED"
    assert cluster_objects(namespace, upload_id) == []


async def test_a_committed_private_key_stops_the_deploy_when_secrets_block(
    deployer_factory: Callable[..., Any], namespace: str, tmp_path: Path
) -> None:
    app = tmp_path / "leaky"
    shutil.copytree(APP, app)
    (app / "deploy").mkdir()
    # Assembled here so that no key-shaped text is committed to the repository.
    body = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
    (app / "deploy" / "id_ed25519").write_text("-----BEGIN " + f"OPENSSH PRIVATE KEY-----\n{body}\n")
    async with deployer_factory(security={"secretScan": "block"}) as d:
        upload_id = await d.upload(app)
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={})
        status = await d.wait(upload_id, timeout=120)
        events = await d.events(upload_id)
    assert status["status"] == "FAILED" and status["job"]["stage"] == "SCANNING"
    assert "deploy/id_ed25519:1" in status["job"]["error"]
    warning = next(e for e in events if e["kind"] == "warning" and "possible secret" in e["message"])
    assert "deploy/id_ed25519:1: private key" in warning["message"]
    assert all(body not in e["message"] for e in events)
    assert "BUILDING" not in [e["stage"] for e in events if e["kind"] == "status"]
    assert cluster_objects(namespace, upload_id) == []


async def test_cancelling_during_the_rollout_undoes_it(
    deployer_factory: Callable[..., Any], namespace: str
) -> None:
    async with deployer_factory() as d:
        upload_id = await d.upload(APP)
        # Pods that take ten minutes to listen keep the rollout waiting until it is cancelled.
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={"env": {"STARTUP_DELAY": "600"}})
        await d.wait_for_status(upload_id, "DEPLOYING")
        # Once the pod runs (a kubelet finishes an image pull before it deletes a pod), the undo is quick.
        while not _running_pods(namespace, upload_id):
            await asyncio.sleep(0.5)
        loop = asyncio.get_running_loop()
        started = loop.time()
        cancelled = await d.call("POST", f"/deploy/{upload_id}/cancel", expect=202)
        assert cancelled["cancel_requested_at"]
        status = await d.wait(upload_id, timeout=120)
        events = await d.events(upload_id)
        timeline = "\n".join(f"{e['created_at']} {e['stage']} {e['message']}" for e in events)
        assert loop.time() - started < 30, timeline
    assert status["status"] == "FAILED"
    assert status["job"]["stage"] == "DEPLOYING" and "cancelled by" in status["job"]["error"]
    assert cluster_objects(namespace, upload_id) == []


async def test_runtime_version_nothing_serves_fails_in_scanning_and_a_served_one_deploys(
    deployer_factory: Callable[..., Any], namespace: str, tmp_path: Path
) -> None:
    # testenv serves Python 3.11 (the default) and 3.13 (baseImages python@3.13).
    pinned = tmp_path / "pinned-python"
    shutil.copytree(APP, pinned)
    (pinned / ".python-version").write_text("3.12\n")
    served = tmp_path / "ranged-python"
    shutil.copytree(APP, served)
    (served / "pyproject.toml").write_text('[project]\nname = "inventory"\nrequires-python = ">=3.12"\n')
    (served / "requirements.txt").write_text("")  # installs nothing; the project itself is not a package
    async with deployer_factory() as d:
        upload_id = await d.upload(pinned)
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={})
        status = await d.wait(upload_id)
        assert status["status"] == "FAILED"
        error = status["job"]["error"]
        assert "python version '3.12' (from .python-version:1 pinned version) cannot be served" in error
        assert "serve 3.11, 3.13" in error and "build.runtimes.python.versions" in error
        events = await d.events(upload_id)
        assert "BUILDING" not in [e["stage"] for e in events if e["kind"] == "status"]

        upload_id = await d.upload(served)
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={})
        status = await d.wait(upload_id, timeout=300)
        assert status["status"] in ("DEPLOYED", "DEPLOYED_WITH_WARNINGS"), status
        events = await d.events(upload_id)
        assert "Python 3.13 ('>=3.12' from pyproject.toml:3 requires-python)" in _messages(events, "progress")
        await d.call("DELETE", f"/deploy/{upload_id}", expect=202)
        assert (await d.wait(upload_id))["status"] == "DELETED"
    assert cluster_objects(namespace, upload_id) == []


async def test_what_cannot_build_import_or_connect_stops_in_scanning_naming_it(
    deployer_factory: Callable[..., Any], namespace: str, tmp_path: Path
) -> None:
    # psycopg2 2.7 does not compile on Python 3.8 or newer; testenv serves 3.11 and 3.13. Flask 1.1.4
    # installs Jinja2 2.x, which does not import with the MarkupSafe pip takes today. A database
    # address written into the code on localhost is one no pod can reach, and no variable can change.
    cases = {
        "flask>=2\npsycopg2==2.7.3\n": (
            "psycopg2 2.7.3 (pinned in requirements.txt:2) does not work on Python 3.8 or newer: ",
            "The configured base images serve 3.11, 3.13. Pin a psycopg2 release",
        ),
        "flask>=1.1,<2\n": (
            "'flask>=1.1,<2' (requirements.txt:1) installs flask 1.1.4, which only imports with markupsafe",
            "Add 'markupsafe<2.1' to requirements.txt",
        ),
        "pymongo>=4\n": (
            "needs MongoDB (pymongo in requirements.txt): store.py:2 writes its address, "
            "mongodb://localhost:27017/inventory, into the code",
            "read the address from an environment variable (for example MONGODB_URI)",
        ),
    }
    async with deployer_factory() as d:
        for number, (requirements, (start, advice)) in enumerate(cases.items()):
            app = tmp_path / f"old-pins-{number}"
            shutil.copytree(APP, app)
            (app / "requirements.txt").write_text(requirements)
            if "pymongo" in requirements:
                (app / "store.py").write_text(
                    "from pymongo import MongoClient\n"
                    "client = MongoClient('mongodb://localhost:27017/inventory')\n"
                )
            upload_id = await d.upload(app)
            await d.call("POST", f"/deploy/{upload_id}", expect=202, json={})
            status = await d.wait(upload_id)
            assert status["status"] == "FAILED"
            assert status["job"]["stage"] == "SCANNING"
            error = status["job"]["error"]
            assert start in error and advice in error
            events = await d.events(upload_id)
            assert "BUILDING" not in [e["stage"] for e in events if e["kind"] == "status"]
            assert cluster_objects(namespace, upload_id) == []


async def test_an_own_dockerfile_with_an_unpullable_base_image_falls_back_unless_repo_is_chosen(
    deployer_factory: Callable[..., Any], namespace: str, tmp_path: Path
) -> None:
    own = tmp_path / "own-dockerfile"
    shutil.copytree(APP, own)
    # Not in testenv's registry (nor anywhere): the engine cannot pull it.
    image = f"{require('JUSTPUSH_TEST_REGISTRY')}/jp-test-base/none-{secrets.token_hex(4)}:1"
    (own / "Dockerfile").write_text(f'FROM {image}\nCOPY . /app\nCMD ["python", "/app/app.py"]\n')
    async with deployer_factory() as d:
        upload_id = await d.upload(own)
        await d.analysed(upload_id)
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={"dockerfile": "repo"})
        status = await d.wait(upload_id, timeout=180)
        assert status["status"] == "FAILED" and status["job"]["stage"] == "SCANNING", status
        error = status["job"]["error"]
        assert f"uses base image {image} the build host cannot pull (Dockerfile line 1: " in error
        assert "--dockerfile auto" in error

        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={})
        status = await d.wait(upload_id, timeout=300)
        assert status["status"] in ("DEPLOYED", "DEPLOYED_WITH_WARNINGS"), status
        warnings = _messages(await d.events(upload_id), "warning")
        assert f"the upload's Dockerfile uses base image {image} the build host cannot pull" in warnings
        assert "building with a generated Dockerfile instead — choose --dockerfile repo to insist" in warnings
        await d.call("DELETE", f"/deploy/{upload_id}", expect=202)
        assert (await d.wait(upload_id))["status"] == "DELETED"
    assert cluster_objects(namespace, upload_id) == []


async def test_only_real_requirements_stop_scanning_and_a_development_secret_is_never_deployed(
    deployer_factory: Callable[..., Any], namespace: str
) -> None:
    async with deployer_factory() as d:
        upload_id = await d.upload(PIPELINE_APPS / "python-env-fallbacks")
        analysis = await d.analysed(upload_id)
        assert any("SECRET_KEY falls back to a development secret" in w for w in analysis["warnings"])
        # HOME (platform), REGION (fallback) and TEST_DATABASE (tests only) are not asked for.
        refused = await d.call("POST", f"/deploy/{upload_id}", expect=400, json={})
        assert refused["error"]["details"]["missing"] == ["SECRET_KEY"]
        assert (await d.status(upload_id)).get("job") is None

        await d.call(
            "POST", f"/deploy/{upload_id}", expect=202, json={"secrets": {"SECRET_KEY": "s3t-by-user"}}
        )
        status = await d.wait(upload_id, timeout=300)
        assert status["status"] == "DEPLOYED", status
        async with httpx.AsyncClient(base_url=status["gateway_url"], timeout=10) as proxy:
            headers = {"apikey": status["api_key"]}
            secret = await proxy.get("/env/SECRET_KEY", headers=headers)
            region = await proxy.get("/env/REGION", headers=headers)
        assert secret.json()["value"] == "s3t-by-user"
        assert region.json()["value"] == "eu-west-1"
        await d.call("DELETE", f"/deploy/{upload_id}", expect=202)
        assert (await d.wait(upload_id))["status"] == "DELETED"
    assert cluster_objects(namespace, upload_id) == []


async def test_a_type_error_stops_a_per_file_typescript_deploy_beside_the_push(
    deployer_factory: Callable[..., Any], namespace: str, tmp_path: Path
) -> None:
    """isolatedModules: the build emits file by file and lets a type error through; the type check
    beside the push fails the deploy, and the pushed tag goes again. Without the error it deploys
    (without Kong: the app uses node's http module, where the analysis finds no route to configure)."""
    app = tmp_path / "node-ts-isolated"
    shutil.copytree(BUILD_APPS / "node-ts-isolated", app)
    items = app / "src" / "routes" / "items.ts"
    items.write_text(items.read_text(encoding="utf-8") + "\nexport const wrong: number = 'text';\n")
    async with deployer_factory(kong={"adminUrl": "", "gatewayUrl": ""}) as d:
        upload_id = await d.upload(app)
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={})
        status = await d.wait(upload_id, timeout=300)
        assert status["status"] == "FAILED", status
        assert status["job"]["stage"] == "PUSHING"
        error = status["job"]["error"]
        assert "the type check failed" in error and "src/routes/items.ts" in error and "TS2322" in error
        assert upload_id not in registry_tags("jp-pipeline-test/node-ts-isolated")
        assert cluster_objects(namespace, upload_id) == []
        assert local_images(upload_id) == []

        fixed = await d.upload(BUILD_APPS / "node-ts-isolated")
        await d.call("POST", f"/deploy/{fixed}", expect=202, json={})
        status = await d.wait(fixed, timeout=300)
        events = await d.events(fixed)
        assert status["status"] == "DEPLOYED", _messages(events, "warning", "error")
        assert "the sources type-check" in _messages(events, "progress")
        assert local_images(fixed) == []
        await d.call("DELETE", f"/deploy/{fixed}", expect=202)
        assert (await d.wait(fixed))["status"] == "DELETED"


async def test_an_app_on_port_80_stops_before_applying_on_a_cluster_without_the_port_sysctl(
    deployer_factory: Callable[..., Any], namespace: str
) -> None:
    """The start check (Docker, gVisor) lets the non-root user bind port 80; testenv's Kubernetes 1.20
    may not set net.ipv4.ip_unprivileged_port_start, so the pod could not: the deploy stops before
    applying anything, naming the port, and the pushed tag goes again."""
    async with deployer_factory(kong={"adminUrl": "", "gatewayUrl": ""}) as d:
        upload_id = await d.upload(PIPELINE_APPS / "node-port-80")
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={})
        status = await d.wait(upload_id, timeout=300)
        assert status["status"] == "FAILED", status
        assert status["job"]["stage"] == "DEPLOYING"
        error = status["job"]["error"]
        assert "listens on port 80, below 1024" in error and "Kubernetes 1.22" in error, error
        assert upload_id not in registry_tags("jp-pipeline-test/node-port-80")
        assert cluster_objects(namespace, upload_id) == []
        assert local_images(upload_id) == []


async def test_an_app_reading_its_port_with_a_fallback_of_80_is_deployed_on_8080(
    deployer_factory: Callable[..., Any], namespace: str, tmp_path: Path
) -> None:
    """The same app reading PORT first: the variable moves it to 8080, and it deploys on Kubernetes 1.20.
    It answers every path from one handler, so the analysis lists no operation: the gateway still
    sends every path under the upload's prefix to it."""
    app = tmp_path / "node-port-variable"
    shutil.copytree(PIPELINE_APPS / "node-port-80", app)
    server = app / "server.js"
    server.write_text(server.read_text().replace(".listen(80,", ".listen(process.env.PORT || 80,"))
    async with deployer_factory() as d:
        upload_id = await d.upload(app)
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={})
        status = await d.wait(upload_id, timeout=300)
        assert status["status"] == "DEPLOYED", status
        async with httpx.AsyncClient(base_url=status["gateway_url"], timeout=10) as proxy:
            answer = await proxy.post("/orders/7?x=1", headers={"apikey": status["api_key"] or ""})
        assert answer.status_code == 200 and answer.json()["path"] == "/orders/7?x=1", answer.text
        deployments = kubectl_json(
            "get", "deployments", "-n", namespace, "-l", f"justpush.io/upload-id={upload_id}"
        )["items"]
        (container,) = deployments[0]["spec"]["template"]["spec"]["containers"]
        assert [p["containerPort"] for p in container["ports"]] == [8080]
        port = next(e for e in container["env"] if e["name"] == "PORT")["valueFrom"]["configMapKeyRef"]
        config = kubectl_json("get", "configmap", "-n", namespace, port["name"])
        assert config["data"][port["key"]] == "8080"
        await d.call("DELETE", f"/deploy/{upload_id}", expect=202)
        assert (await d.wait(upload_id))["status"] == "DELETED"
    assert cluster_objects(namespace, upload_id) == []


async def test_a_server_error_on_the_smoke_test_shows_the_apps_last_log_lines(
    deployer_factory: Callable[..., Any], namespace: str, tmp_path: Path
) -> None:
    app = tmp_path / "inventory-without-table"
    shutil.copytree(APP, app)
    source = app / "app.py"
    source.write_text(
        source.read_text().replace(
            '        elif self.path == "/items":\n            self._send(200, ITEMS)\n',
            '        elif self.path == "/items":\n'
            '            print("sqlite3.OperationalError: no such table: items", flush=True)\n'
            '            self._send(500, {"error": "internal"})\n',
        )
    )
    async with deployer_factory(kong={"adminUrl": "", "gatewayUrl": ""}) as d:
        upload_id = await d.upload(app)
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={})
        status = await d.wait(upload_id, timeout=300)
        assert status["status"] == "DEPLOYED_WITH_WARNINGS", status
        warnings = "\n".join(status["verification"]["warnings"])
        assert "smoke test via service: GET /items -> 500" in warnings
        assert "the app's last log lines:\n" in warnings and "no such table: items" in warnings, warnings
        await d.call("DELETE", f"/deploy/{upload_id}", expect=202)
        assert (await d.wait(upload_id))["status"] == "DELETED"
    assert cluster_objects(namespace, upload_id) == []
