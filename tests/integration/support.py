"""Helpers for integration tests on testenv's real parts: Docker, the registry, Kubernetes, PostgreSQL or
SQLite — and Kong through the emulator, on real ports (admin API and proxy).
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import socket
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from justpush.config import Settings

APPS = Path(__file__).resolve().parents[1] / "fixtures"
PIPELINE_APPS = APPS / "pipeline-apps"
BUILD_APPS = APPS / "build-apps"


def require(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.skip(f"{name} is not set (testenv is not up)")
    return value


def testenv_base_images() -> dict[str, str]:
    images: dict[str, str] = json.loads(require("JUSTPUSH_TEST_BASE_IMAGES"))
    return {
        "python": images["python"],
        "python-runtime": images["python"],
        "node": images["node"],
        "node-runtime": images["node"],
        "go": images["go"],
        "go-runtime": images["busybox"],
        "java": images["java"],
        "java-runtime": images["java"],
        "debian": images["debian"],
        # The second Python and Node lines testenv serves (runtime versions the projects ask for).
        "python@3.13": images["python3.13"],
        "node@20": images["node20"],
    }


@dataclass
class Kong:
    admin_url: str
    proxy_url: str
    admin: httpx.Client

    def entities(self, upload_id: str) -> dict[str, list[dict[str, Any]]]:
        """Every Kong entity tagged with the upload, by kind."""
        found: dict[str, list[dict[str, Any]]] = {}
        for kind in ("services", "routes", "plugins", "consumers"):
            data = self.admin.get(f"/{kind}", params={"tags": f"upload:{upload_id}"}).json()["data"]
            found[kind] = data
        return found


def settings_sections(namespace: str, kong: Kong) -> dict[str, dict[str, Any]]:
    """app-config.yaml sections pointing at testenv and the Kong emulator."""
    return {
        "deployment": {"enabled": True},
        "containerRegistry": {
            "url": f"http://{require('JUSTPUSH_TEST_REGISTRY')}",
            "insecure": True,
            "repository": "jp-pipeline-test",
        },
        "kubernetes": {
            "kubeconfig": require("KUBECONFIG"),
            "namespace": namespace,
            "rolloutTimeoutSeconds": 120,
            "terminationGracePeriodSeconds": 2,
        },
        "kong": {"adminUrl": kong.admin_url, "gatewayUrl": kong.proxy_url, "upstream": "cluster-ip"},
        "build": {
            "dockerHost": require("DOCKER_HOST"),
            "baseImages": testenv_base_images(),
            "sandbox": {
                "runtime": os.environ.get("JUSTPUSH_TEST_GVISOR_RUNTIME", ""),
                "memoryMb": 1024,
                "timeoutSeconds": 600,
            },
        },
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_app_config(settings: Settings, path: Path, *, port: int | None = None) -> Path:
    """`settings` as an app-config.yaml (masked secrets left empty), optionally on another server port."""
    data = settings.model_dump(mode="json", by_alias=True)
    for section in data.values():
        for key, value in list(section.items()):
            if value == "**********":
                section[key] = ""
    if port is not None:
        data["server"]["port"] = port
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def zip_app(path: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in sorted(path.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(path).as_posix())
    return buffer.getvalue()


@dataclass
class Deployer:
    client: httpx.AsyncClient
    headers: dict[str, str]
    settings: Settings

    async def upload(self, app: Path) -> str:
        files = {"file": (f"{app.name}.zip", zip_app(app), "application/zip")}
        response = await self.client.post("/uploads", files=files, headers=self.headers)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def analysed(self, upload_id: str, timeout: float = 120) -> dict[str, Any]:
        """The analysis every upload gets on arrival, once it has ended."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            body: dict[str, Any] = await self.call("GET", f"/analyze/{upload_id}")
            if body["status"] in ("succeeded", "failed"):
                return body
            await asyncio.sleep(0.2)
        raise AssertionError(f"the analysis of {upload_id} did not end within {timeout}s")

    async def call(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        response = await self.client.request(method, path, headers=self.headers, **kwargs)
        assert response.status_code == expect, response.text
        return response.json()

    async def status(self, upload_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("GET", f"/deploy/{upload_id}/status")
        return result

    async def wait(self, upload_id: str, timeout: float = 600) -> dict[str, Any]:
        """The status once no job is queued or running for the upload."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            status = await self.status(upload_id)
            job = status.get("job") or {}
            if job.get("status") in ("succeeded", "failed"):
                return status
            await asyncio.sleep(1)
        raise AssertionError(
            f"upload {upload_id} still busy after {timeout}s: {await self.status(upload_id)}"
        )

    async def wait_for_status(self, upload_id: str, wanted: str, timeout: float = 300) -> None:
        """Return once the deployment has reached `wanted` (fails if its job ends first)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            status = await self.status(upload_id)
            if status["status"] == wanted:
                return
            assert (status.get("job") or {}).get("status") not in ("succeeded", "failed"), status
            await asyncio.sleep(0.5)
        raise AssertionError(f"upload {upload_id} never reached {wanted}: {await self.status(upload_id)}")

    async def events(self, upload_id: str) -> list[dict[str, Any]]:
        response = await self.client.get(
            f"/deploy/{upload_id}/events", params={"follow": "false"}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        return [json.loads(line[5:]) for line in response.text.splitlines() if line.startswith("data:")]


KINDS = "deployments,replicasets,pods,services,configmaps,secrets,hpa,pdb,networkpolicies,jobs"


def cluster_objects(namespace: str, upload_id: str) -> list[str]:
    """Objects in the namespace with the upload's label, as `kind/name` (this kubectl matches the server)."""
    result = subprocess.run(
        [
            require("JUSTPUSH_TEST_KUBECTL"),
            f"--kubeconfig={require('KUBECONFIG')}",
            "get",
            KINDS,
            "-n",
            namespace,
            "-l",
            f"justpush.io/upload-id={upload_id}",
            "-o",
            "name",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return sorted(line for line in result.stdout.splitlines() if line)


def registry_tags(repository: str) -> list[str]:
    """The tags of a repository of testenv's registry (none when it has no repository of that name)."""
    response = httpx.get(f"http://{require('JUSTPUSH_TEST_REGISTRY')}/v2/{repository}/tags/list", timeout=10)
    if response.status_code == 404:
        return []
    response.raise_for_status()
    return sorted(response.json().get("tags") or [])


def kubectl_json(*args: str) -> Any:
    result = subprocess.run(
        [require("JUSTPUSH_TEST_KUBECTL"), f"--kubeconfig={require('KUBECONFIG')}", *args, "-o", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def slow_build_app(folder: Path) -> Path:
    """The inventory app with its own Dockerfile (used as-is) whose build step would take minutes."""
    folder.mkdir()
    (folder / "app.py").write_text((PIPELINE_APPS / "python-inventory" / "app.py").read_text())
    base = json.loads(require("JUSTPUSH_TEST_BASE_IMAGES"))["python"]
    steps = [
        f"FROM {base}",
        "COPY app.py /app/app.py",
        "RUN sleep 300",
        "USER 10001",
        'CMD ["python3", "/app/app.py"]',
    ]
    (folder / "Dockerfile").write_text("\n".join(steps) + "\n")
    return folder


def local_images(upload_id: str) -> list[str]:
    """The Docker engine's images built for the upload (by JustPush's label), as their tags or ids."""
    import docker

    client = docker.DockerClient(base_url=require("DOCKER_HOST"))
    try:
        found = client.api.images(filters={"label": f"io.justpush.upload-id={upload_id}"})
    finally:
        client.close()
    return sorted(tag for image in found for tag in (image.get("RepoTags") or [image["Id"]]))
