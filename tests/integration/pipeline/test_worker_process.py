"""An API without a worker queues jobs; a separate `justpush worker` process runs them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.integration.support import PIPELINE_APPS, cluster_objects, write_app_config

pytestmark = pytest.mark.integration


async def test_external_worker_runs_queued_jobs(
    deployer_factory: Callable[..., Any], namespace: str, tmp_path: Path
) -> None:
    async with deployer_factory(server={"worker": "none"}) as d:
        config = write_app_config(d.settings, tmp_path / "worker-config.yaml")

        upload_id = await d.upload(PIPELINE_APPS / "python-inventory")
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={})
        assert (await d.status(upload_id))["job"]["status"] == "queued"

        worker = subprocess.Popen(
            [sys.executable, "-m", "justpush", "--config", str(config), "worker"],
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "worker.log").open("wb"),
        )
        try:
            status = await d.wait(upload_id, timeout=300)
            assert status["status"] == "DEPLOYED", (tmp_path / "worker.log").read_text()
            assert status["job"]["status"] == "succeeded"
            await d.call("DELETE", f"/deploy/{upload_id}", expect=202)
            assert (await d.wait(upload_id, timeout=300))["status"] == "DELETED"
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    assert cluster_objects(namespace, upload_id) == []
