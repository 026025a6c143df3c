"""The sandboxed start check (gVisor) runs once per image and check inputs: a second upload of the same
files skips it and still ends DEPLOYED; another start command is checked again; a redeploy that changes
only env neither builds nor checks."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.integration.support import PIPELINE_APPS, Deployer, require

pytestmark = pytest.mark.integration

APP = PIPELINE_APPS / "python-inventory"
RAN = "the image starts under runtime"
SKIPPED = "start check: passed before for sha256:"


async def _deploy(d: Deployer, body: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    return await _deploy_app(d, APP, body)


async def _deploy_app(d: Deployer, app: Path, body: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """Upload `app`, deploy it, and return the upload id and the deploy job's events."""
    upload_id = await d.upload(app)
    accepted = await d.call("POST", f"/deploy/{upload_id}", expect=202, json=body)
    status = await d.wait(upload_id)
    events = [e for e in await d.events(upload_id) if e["job_id"] == accepted["job_id"]]
    problems = [e["message"] for e in events if e["kind"] in ("error", "warning")]
    assert status["status"] == "DEPLOYED", (status, problems)
    return upload_id, events


def _check_events(events: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    ran = [e for e in events if e["message"].startswith(RAN)]
    skipped = [e for e in events if e["message"].startswith(SKIPPED)]
    return ran, skipped


async def test_same_image_skips_the_start_check_and_another_command_is_checked(
    deployer_factory: Callable[..., Any],
) -> None:
    runtime = require("JUSTPUSH_TEST_GVISOR_RUNTIME")
    async with deployer_factory() as d:
        assert d.settings.build.sandbox.runtime == runtime
        first_id, first = await _deploy(d, {"env": {"GREETING": "hello"}})
        ran, skipped = _check_events(first)
        assert len(ran) == 1 and not skipped, [e["message"] for e in first]
        digest = ran[0]["data"]["run_digest"]
        assert ran[0]["data"]["verify_seconds"] >= 5

        # Another upload of the same files, another GREETING value: the same image runs, so no check.
        second_id, second = await _deploy(d, {"env": {"GREETING": "bonjour"}})
        ran, skipped = _check_events(second)
        assert not ran and len(skipped) == 1, [e["message"] for e in second]
        assert skipped[0]["message"] == f"start check: passed before for {digest}, skipped"
        assert skipped[0]["data"]["run_digest"] == digest
        assert not any(e["message"].startswith("starting the image") for e in second)
        assert "verify_seconds" not in str([e["data"] for e in second])

        # Another start command is another image: checked again.
        command = "python -u app.py"
        third_id, third = await _deploy(d, {"profile": {"start_command": command}})
        ran, skipped = _check_events(third)
        assert len(ran) == 1 and not skipped, [e["message"] for e in third]
        assert ran[0]["data"]["run_digest"] != digest

        # A redeploy that changes env only (a new variable too) re-uses the image: no build, no check.
        accepted = await d.call(
            "POST", f"/deploy/{second_id}/redeploy", expect=202, json={"env": {"EXTRA": "1"}}
        )
        status = await d.wait(second_id)
        redeploy = [e for e in await d.events(second_id) if e["job_id"] == accepted["job_id"]]
        problems = [e["message"] for e in redeploy if e["kind"] in ("error", "warning")]
        assert status["status"] == "DEPLOYED", problems
        stages = {e["stage"] for e in redeploy if e["kind"] == "status"}
        assert not stages & {"BUILDING", "PUSHING"}, stages
        assert _check_events(redeploy) == ([], [])

        for upload_id in (first_id, second_id, third_id):
            await d.call("DELETE", f"/deploy/{upload_id}", expect=202)
            assert (await d.wait(upload_id))["status"] == "DELETED"


async def test_a_port_the_analysis_cannot_see_is_followed(
    deployer_factory: Callable[..., Any], tmp_path: Path
) -> None:
    """An app that ignores PORT and serves on a port read from its own config file is deployed on the
    port the start check saw it listen on, with a warning saying so; the smoke test reaches it there."""
    require("JUSTPUSH_TEST_GVISOR_RUNTIME")
    app = tmp_path / "config-port"
    shutil.copytree(APP, app)
    source = (app / "app.py").read_text()
    reads_port = 'port = int(os.environ.get("PORT", "8000"))'
    assert reads_port in source
    (app / "app.py").write_text(source.replace(reads_port, 'port = json.load(open("listen.json"))["port"]'))
    (app / "listen.json").write_text('{"port": 7071}\n')
    async with deployer_factory() as d:
        upload_id, events = await _deploy_app(d, app, {})
        followed = [e for e in events if e["kind"] == "warning" and "listens on port 7071" in e["message"]]
        assert len(followed) == 1, [e["message"] for e in events]
        assert followed[0]["data"]["port"] == 7071 and followed[0]["data"]["detected_port"] != 7071
        # Following is not a pass under the detected port: the next deploy of this image checks again.
        assert not _check_events(events)[0]
        smoke = [e for e in events if e["stage"] == "VERIFYING" and "smoke checks passed" in e["message"]]
        assert smoke, [e["message"] for e in events]
        results = smoke[0]["data"]["results"]
        assert {r["via"] for r in results} >= {"service"} and all(r["ok"] for r in results), results
        await d.call("DELETE", f"/deploy/{upload_id}", expect=202)
        assert (await d.wait(upload_id))["status"] == "DELETED"
