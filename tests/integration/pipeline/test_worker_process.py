"""An API without a worker queues jobs; a separate `justpush worker` process runs them and hears cancels."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.integration.support import (
    PIPELINE_APPS,
    cluster_objects,
    local_images,
    slow_build_app,
    write_app_config,
)

# Job claims, leases and recovery differ between SQLite and PostgreSQL: these run on both.
pytestmark = [pytest.mark.integration, pytest.mark.both_databases]


async def test_external_worker_runs_queued_jobs(
    deployer_factory: Callable[..., Any], namespace: str, tmp_path: Path
) -> None:
    async with deployer_factory(server={"worker": "none"}) as d:
        config = write_app_config(d.settings, tmp_path / "worker-config.yaml")

        upload_id = await d.upload(PIPELINE_APPS / "python-inventory")
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={})
        assert (await d.status(upload_id))["job"]["status"] == "queued"

        with _worker_process(config, tmp_path / "worker.log"):
            status = await d.wait(upload_id, timeout=300)
            assert status["status"] == "DEPLOYED", (tmp_path / "worker.log").read_text()
            assert status["job"]["status"] == "succeeded"
            # The registry holds the image; the engine keeps neither the build tag nor the pushed one.
            assert local_images(upload_id) == []
            await d.call("DELETE", f"/deploy/{upload_id}", expect=202)
            assert (await d.wait(upload_id, timeout=300))["status"] == "DELETED"
    assert cluster_objects(namespace, upload_id) == []


async def test_a_cancel_reaches_a_build_in_the_worker_process(
    deployer_factory: Callable[..., Any], namespace: str, tmp_path: Path
) -> None:
    async with deployer_factory(server={"worker": "none"}) as d:
        config = write_app_config(d.settings, tmp_path / "worker-config.yaml")
        upload_id = await d.upload(slow_build_app(tmp_path / "slow-build"))
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={})
        with _worker_process(config, tmp_path / "worker.log"):
            await d.wait_for_status(upload_id, "BUILDING")
            await asyncio.sleep(3)
            loop = asyncio.get_running_loop()
            started = loop.time()
            # This API process runs no worker: the request goes through the job row.
            await d.call("POST", f"/deploy/{upload_id}/cancel", expect=202)
            status = await d.wait(upload_id, timeout=90)
            assert loop.time() - started < 30, (tmp_path / "worker.log").read_text()
    assert status["status"] == "FAILED"
    assert status["job"]["stage"] == "BUILDING"
    assert "BUILDING: cancelled by dev-" in status["job"]["error"]
    assert cluster_objects(namespace, upload_id) == []


@contextmanager
def _worker_process(config: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    worker = subprocess.Popen(
        [sys.executable, "-m", "justpush", "--config", str(config), "worker"],
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    try:
        yield worker
    finally:
        worker.terminate()
        worker.wait(timeout=30)
