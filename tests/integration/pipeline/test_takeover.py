"""Fault injection on real `justpush worker` processes: SIGSTOP (takeover and fencing), SIGKILL (recovery).

Run on PostgreSQL as in production (JUSTPUSH_TEST_DB=postgres); SQLite serialises the same way.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.integration.support import (
    PIPELINE_APPS,
    cluster_objects,
    local_images,
    registry_tags,
    slow_build_app,
    write_app_config,
)

# Job claims, leases and recovery differ between SQLite and PostgreSQL: these run on both.
pytestmark = [pytest.mark.integration, pytest.mark.both_databases]

IMAGES = "jp-pipeline-test/python-inventory"
# A worker whose heartbeat is older than this is taken over (production: two minutes).
STALE_SECONDS = 6


@contextmanager
def _worker(config: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "justpush", "--config", str(config), "worker"],
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            # A stopped process must run again to hear SIGTERM.
            process.send_signal(signal.SIGCONT)
            process.terminate()
            process.wait(timeout=60)


def _pause_outside_a_write(process: subprocess.Popen[bytes], database_url: str) -> None:
    """SIGSTOP the worker at a moment it holds no SQLite write lock.

    A process stopped inside a write transaction keeps SQLite's one write lock until it runs again,
    and no other process can write meanwhile (nor take its job over); PostgreSQL has no such lock."""
    if not database_url.startswith("sqlite:///"):
        os.kill(process.pid, signal.SIGSTOP)
        return
    for _ in range(50):
        os.kill(process.pid, signal.SIGSTOP)
        probe = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0.2, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return
        except sqlite3.OperationalError:
            os.kill(process.pid, signal.SIGCONT)
            time.sleep(0.05)
        finally:
            probe.close()
    raise AssertionError("the worker held the write lock at each of 50 tries")


async def test_a_paused_worker_whose_job_was_taken_over_abandons_it(
    deployer_factory: Callable[..., Any], namespace: str, tmp_path: Path
) -> None:
    async with deployer_factory(server={"worker": "none", "workerStaleSeconds": STALE_SECONDS}) as d:
        config = write_app_config(d.settings, tmp_path / "worker-config.yaml")
        upload_id = await d.upload(slow_build_app(tmp_path / "slow-build"))
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={})
        with _worker(config, tmp_path / "paused.log") as paused:
            await d.wait_for_status(upload_id, "BUILDING")
            first_job = (await d.status(upload_id))["job"]["id"]
            _pause_outside_a_write(paused, d.settings.database_url)
            with _worker(config, tmp_path / "survivor.log"):
                # The survivor sees the stale heartbeat, takes the job over and fails it.
                status = await d.wait(upload_id, timeout=120)
                assert status["job"]["id"] == first_job and status["job"]["status"] == "failed", status
                assert "interrupted during BUILDING" in status["job"]["error"]
                # The user deploys again (accepted); the survivor runs it.
                await d.call("POST", f"/deploy/{upload_id}", expect=202, json={})
                await d.wait_for_status(upload_id, "BUILDING")
                second_job = (await d.status(upload_id))["job"]["id"]
                assert second_job != first_job

                os.kill(paused.pid, signal.SIGCONT)
                log = tmp_path / "paused.log"
                for _ in range(60):
                    if "lease lost" in log.read_text():
                        break
                    await asyncio.sleep(0.5)
                # Give the woken worker time to do whatever it would still do.
                await asyncio.sleep(5)
                assert "lease lost" in log.read_text(), log.read_text()
                assert paused.poll() is None, "the worker goes on with other jobs"

                status = await d.status(upload_id)
                assert status["status"] == "BUILDING"
                assert status["job"]["id"] == second_job and status["job"]["status"] == "running"
                events = await d.events(upload_id)
                first = [e for e in events if e["job_id"] == first_job]
                taken = next(i for i, e in enumerate(first) if e["stage"] == "recovery")
                # After the takeover only the survivor wrote for the first job: its recovery and FAILED.
                after = [(e["stage"], e["kind"]) for e in first[taken:]]
                assert all(stage == "recovery" or kind == "status" for stage, kind in after), after

                await d.call("POST", f"/deploy/{upload_id}/cancel", expect=202)
                status = await d.wait(upload_id, timeout=120)
        assert status["job"]["id"] == second_job and "cancelled by" in status["job"]["error"]
    assert cluster_objects(namespace, upload_id) == []
    assert local_images(upload_id) == []


async def test_a_worker_killed_right_after_the_push_leaves_no_image(
    deployer_factory: Callable[..., Any], namespace: str, tmp_path: Path
) -> None:
    async with deployer_factory(server={"worker": "none", "workerStaleSeconds": STALE_SECONDS}) as d:
        config = write_app_config(d.settings, tmp_path / "worker-config.yaml")
        upload_id = await d.upload(PIPELINE_APPS / "python-inventory")
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={"env": {"STARTUP_DELAY": "120"}})
        with _worker(config, tmp_path / "killed.log") as killed:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 300
            # The moment the tag is in the registry, before the job recorded anything about it.
            while upload_id not in registry_tags(IMAGES):
                assert killed.poll() is None and loop.time() < deadline, (tmp_path / "killed.log").read_text()
                await asyncio.sleep(0.05)
            killed.kill()
            killed.wait(timeout=10)
        stage = (await d.status(upload_id))["status"]
        # Usually the kill leaves the engine's images for recovery; a job that already cleaned up before the
        # kill landed leaves nothing, and the end state below must hold either way.

        with _worker(config, tmp_path / "survivor.log"):
            status = await d.wait(upload_id, timeout=180)
    assert status["status"] == "FAILED", status
    assert f"interrupted during {stage}" in status["job"]["error"]
    assert upload_id not in registry_tags(IMAGES)
    assert local_images(upload_id) == []
    assert cluster_objects(namespace, upload_id) == []
