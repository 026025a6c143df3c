"""Defaults real apps need, on testenv's real node: writable folders on a read-only root, an HPA by
default, and an out-of-memory crash explained with the limit and the size that would fit."""

from __future__ import annotations

import io
import secrets
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hcl2
import httpx
import pytest

from tests.integration.support import PIPELINE_APPS, Kong, kubectl_json, require

pytestmark = pytest.mark.integration

APP = PIPELINE_APPS / "python-writes-files"
SECRET = "notes-token-value-1234"


async def _check_terraform_export(d: Any, upload_id: str, deployment: str) -> None:
    """The serving revision as a Terraform module: its Deployment, its secret only as a variable."""
    response = await d.client.get(f"/deploy/{upload_id}/export/terraform", headers=d.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        files = {Path(n).name: archive.read(n).decode() for n in archive.namelist()}
    assert set(files) == {"main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"}
    resources = {
        (kind.strip('"'), name.strip('"')): body
        for entry in hcl2.loads(files["main.tf"])["resource"]
        for kind, named in entry.items()
        for name, body in named.items()
    }
    assert resources[("kubernetes_deployment_v1", "app")]["metadata"][0]["name"] == f'"{deployment}"'
    assert ("kong-gateway_service", "app") in resources
    assert SECRET not in "".join(files.values()) and "NOTES_TOKEN" in files["variables.tf"]


async def test_app_writing_to_its_folder_and_home_runs_on_a_read_only_root(
    deployer_factory: Callable[..., Any], kong: Kong, namespace: str
) -> None:
    async with deployer_factory() as d:
        upload_id = await d.upload(APP)
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={"secrets": {"NOTES_TOKEN": SECRET}})
        status = await d.wait(upload_id)
        assert status["status"] == "DEPLOYED", status
        await _check_terraform_export(d, upload_id, status["kubernetes"]["deployment"])
        deployment = kubectl_json("get", "deployment", status["kubernetes"]["deployment"], "-n", namespace)
        pod_spec = deployment["spec"]["template"]["spec"]
        assert pod_spec["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True
        assert [c["name"] for c in pod_spec["initContainers"]] == ["seed-writable-0"]

        # The size's HPA (small: 1-3) and, as more than one pod may run, a PodDisruptionBudget.
        selector = f"justpush.io/upload-id={upload_id}"
        (hpa,) = kubectl_json("get", "hpa", "-n", namespace, "-l", selector)["items"]
        assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 3)
        assert kubectl_json("get", "pdb", "-n", namespace, "-l", selector)["items"]

        async with httpx.AsyncClient(base_url=status["gateway_url"], timeout=10) as proxy:
            first = (await proxy.get("/notes")).json()["count"]
            second = (await proxy.get("/notes")).json()["count"]
            home = (await proxy.get("/home")).json()
        assert second == first + 1
        assert home == {"home": "/home/justpush", "cached": "yes"}

        # Scale takes effect at once, through the HPA's minimum.
        await d.call("PUT", f"/deploy/{upload_id}/scale", json={"replicas": 2})
        deployment = kubectl_json("get", "deployment", status["kubernetes"]["deployment"], "-n", namespace)
        assert deployment["spec"]["replicas"] == 2
        await d.call("DELETE", f"/deploy/{upload_id}", expect=202)
        assert (await d.wait(upload_id))["status"] == "DELETED"


async def test_an_own_dockerfile_left_for_a_generated_one_keeps_the_writable_folders(
    deployer_factory: Callable[..., Any], kong: Kong, namespace: str, tmp_path: Path
) -> None:
    """The upload's Dockerfile cannot build (its base image cannot be pulled), so the generated one is
    used: the image then holds the app where generated images do, and gets their writable volumes."""
    app = tmp_path / "writes-files-own-dockerfile"
    shutil.copytree(APP, app)
    image = f"{require('JUSTPUSH_TEST_REGISTRY')}/jp-test-base/none-{secrets.token_hex(4)}:1"
    (app / "Dockerfile").write_text(f'FROM {image}\nCOPY . /srv\nCMD ["python", "/srv/app.py"]\n')
    async with deployer_factory() as d:
        upload_id = await d.upload(app)
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={"secrets": {"NOTES_TOKEN": SECRET}})
        status = await d.wait(upload_id)
        assert status["status"] in ("DEPLOYED", "DEPLOYED_WITH_WARNINGS"), status
        deployment = kubectl_json("get", "deployment", status["kubernetes"]["deployment"], "-n", namespace)
        assert [c["name"] for c in deployment["spec"]["template"]["spec"]["initContainers"]] == [
            "seed-writable-0"
        ]
        async with httpx.AsyncClient(base_url=status["gateway_url"], timeout=10) as proxy:
            first = (await proxy.get("/notes")).json()["count"]
            second = (await proxy.get("/notes")).json()["count"]
        assert second == first + 1
        await d.call("DELETE", f"/deploy/{upload_id}", expect=202)
        assert (await d.wait(upload_id))["status"] == "DELETED"


async def test_a_release_on_a_sqlite_file_runs_in_each_pod_before_the_app(
    deployer_factory: Callable[..., Any], kong: Kong, namespace: str, tmp_path: Path
) -> None:
    """The app's data is a SQLite file in its own folder: a release Job would migrate a copy nobody
    reads, so each pod runs the release in an init container on its copy, and the app finds its table."""
    app = tmp_path / "inventory-sqlite"
    shutil.copytree(PIPELINE_APPS / "python-inventory", app)
    source = app / "app.py"
    source.write_text(
        source.read_text()
        .replace("import json\n", "import json\nimport sqlite3\n")
        .replace(
            '        elif self.path == "/items":\n            self._send(200, ITEMS)\n',
            '        elif self.path == "/items":\n'
            '            with sqlite3.connect("inventory.db") as db:\n'
            '                names = [row[0] for row in db.execute("SELECT name FROM items")]\n'
            "            self._send(200, names)\n",
        )
    )
    (app / "init_db.py").write_text(
        "import sqlite3\n\nwith sqlite3.connect('inventory.db') as db:\n"
        "    db.execute('CREATE TABLE IF NOT EXISTS items (name TEXT)')\n"
        "    db.execute(\"INSERT INTO items VALUES ('bolt')\")\n"
    )
    (app / "Procfile").write_text("release: python init_db.py\n")
    async with deployer_factory() as d:
        upload_id = await d.upload(app)
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={})
        status = await d.wait(upload_id)
        assert status["status"] == "DEPLOYED", status
        events = await d.events(upload_id)
        assert any("runs in each pod before the app" in e["message"] for e in events)
        deployment = kubectl_json("get", "deployment", status["kubernetes"]["deployment"], "-n", namespace)
        init = deployment["spec"]["template"]["spec"]["initContainers"]
        assert [c["name"] for c in init] == ["seed-writable-0", "release"]
        async with httpx.AsyncClient(base_url=status["gateway_url"], timeout=10) as proxy:
            items = await proxy.get("/items", headers={"apikey": status["api_key"] or ""})
        assert items.json() == ["bolt"], items.text
        await d.call("DELETE", f"/deploy/{upload_id}", expect=202)
        assert (await d.wait(upload_id))["status"] == "DELETED"


async def test_out_of_memory_names_the_limit_and_the_size_that_fits(
    deployer_factory: Callable[..., Any], kong: Kong, namespace: str
) -> None:
    async with deployer_factory() as d:
        upload_id = await d.upload(APP)
        body = {"env": {"MEMORY_HOG_MB": "700"}, "max_replicas": 0}
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json=body)
        status = await d.wait(upload_id)
    assert status["status"] == "FAILED", status
    error = status["job"]["error"]
    assert status["job"]["stage"] == "DEPLOYING", error
    assert "OOMKilled" in error and "limit of 512Mi" in error and "size medium (1024Mi)" in error, error
