"""SIGKILL of the server during DEPLOYING: after a restart the job is resolved, nothing is orphaned."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from justpush.config import Settings
from tests.integration.support import (
    PIPELINE_APPS,
    Kong,
    cluster_objects,
    free_port,
    write_app_config,
    zip_app,
)

# Job claims, leases and recovery differ between SQLite and PostgreSQL: these run on both.
pytestmark = [pytest.mark.integration, pytest.mark.both_databases]


@contextmanager
def _server(config: Path, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "justpush", "--config", str(config), "serve"],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, log.read_text()
            time.sleep(0.3)
        else:
            raise AssertionError(f"server did not start:\n{log.read_text()}")
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def _wait(
    client: httpx.Client, upload_id: str, predicate: Callable[[dict[str, Any]], bool], timeout: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status = client.get(f"/deploy/{upload_id}/status").json()
        if predicate(status):
            return status
        time.sleep(0.5)
    raise AssertionError(f"timed out; last status {status}")


def test_sigkill_during_deploying_is_resolved_after_restart(
    pipeline_settings: Callable[..., Settings], kong: Kong, namespace: str, tmp_path: Path
) -> None:
    port = free_port()
    settings = pipeline_settings()
    config = write_app_config(settings, tmp_path / "app-config.yaml", port=port)
    log = tmp_path / "server.log"
    created = subprocess.run(
        [sys.executable, "-m", "justpush", "--config", str(config), "users", "create", "crash-tester"],
        capture_output=True,
        text=True,
        check=True,
    )
    token = created.stdout.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    base = f"http://127.0.0.1:{port}"

    with (
        _server(config, port, log) as server,
        httpx.Client(base_url=base, headers=headers, timeout=30) as client,
    ):
        files = {
            "file": ("python-inventory.zip", zip_app(PIPELINE_APPS / "python-inventory"), "application/zip")
        }
        upload_id = client.post("/uploads", files=files).json()["id"]
        # The app waits before listening, so the rollout stays in DEPLOYING long enough to be killed there.
        response = client.post(f"/deploy/{upload_id}", json={"env": {"STARTUP_DELAY": "120"}})
        assert response.status_code == 202, response.text
        _wait(
            client,
            upload_id,
            lambda s: s["status"] == "DEPLOYING" and bool(cluster_objects(namespace, upload_id)),
            300,
        )
        time.sleep(2)
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    assert cluster_objects(namespace, upload_id), "the kill should leave objects behind for recovery"

    with _server(config, port, log), httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        status = _wait(client, upload_id, lambda s: (s.get("job") or {}).get("status") == "failed", 180)
        assert status["status"] == "FAILED"
        assert "interrupted during DEPLOYING" in status["job"]["error"], status["job"]
        # A new deploy is accepted again: the upload is not stuck.
        assert client.get(f"/deploy/{upload_id}/status").json()["job"]["status"] == "failed"
    assert cluster_objects(namespace, upload_id) == []
    assert all(not v for v in kong.entities(upload_id).values())
