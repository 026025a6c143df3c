"""The release phase on the real cluster: the Procfile `release:` command runs as a Job with the new image
and env before the rollout, its lines in the job's events; a failing release stops the redeploy with its
last lines, and the previous revision keeps serving, its pods and env untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.pipeline.test_cli import Cli, _create_user, _field, _output, make_cli  # noqa: F401
from tests.integration.support import PIPELINE_APPS, cluster_objects, kubectl_json

pytestmark = pytest.mark.integration

APP = PIPELINE_APPS / "python-release-phase"


def _deploying(events: list[dict[str, Any]]) -> list[str]:
    return [e["message"] for e in events if e["stage"] == "DEPLOYING" and e["kind"] == "progress"]


def _app_pods(namespace: str, upload_id: str) -> list[str]:
    pods = kubectl_json("get", "pods", "-n", namespace, "-l", f"justpush.io/upload-id={upload_id}")["items"]
    return sorted(p["metadata"]["name"] for p in pods if not p["metadata"].get("deletionTimestamp"))


def _configmap_greeting(namespace: str, upload_id: str) -> str | None:
    (configmap,) = kubectl_json(
        "get", "configmaps", "-n", namespace, "-l", f"justpush.io/upload-id={upload_id}"
    )["items"]
    value: str | None = (configmap.get("data") or {}).get("GREETING")
    return value


async def test_release_runs_before_the_rollout_and_a_failed_one_changes_nothing(
    deployer_factory: Callable[..., Any], namespace: str
) -> None:
    async with deployer_factory() as d:
        upload_id = await d.upload(APP)
        analysis = await d.analysed(upload_id)
        assert analysis["profile"]["releaseCommand"] == ["python", "release.py"]

        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={"env": {"GREETING": "v1"}})
        first = await d.wait(upload_id)
        events = await d.events(upload_id)
        assert first["status"] in ("DEPLOYED", "DEPLOYED_WITH_WARNINGS"), (first, _deploying(events))
        progress = _deploying(events)
        # The release ran with the app's env, before the app's objects were applied.
        ran = progress.index("release: migrating: 0001_initial applied (GREETING=v1)")
        assert progress.index("release: running python release.py") < ran
        assert progress.index("release: migrations done") < progress.index(
            "release: python release.py succeeded"
        )
        applied = next(i for i, m in enumerate(progress) if m.startswith("applied "))
        assert ran < applied
        # The Job is gone once it ended; only the app's pods run.
        assert not [o for o in cluster_objects(namespace, upload_id) if o.startswith("job")]
        pods = _app_pods(namespace, upload_id)
        assert pods and all(not p.startswith(f"{first['kubernetes']['deployment']}-release") for p in pods)

        # A release that exits 1 (the override) stops the redeploy at DEPLOYING with its last lines.
        await d.call(
            "POST",
            f"/deploy/{upload_id}/redeploy",
            expect=202,
            json={"env": {"GREETING": "v2"}, "release": "python release.py --fail"},
        )
        status = await d.wait(upload_id, timeout=300)
        job = status["job"]
        assert job["status"] == "failed" and job["stage"] == "DEPLOYING", status
        assert "release command `python release.py --fail` failed" in job["error"]
        assert "exit code 1" in job["error"]
        assert "migration 0002_add_column failed: column already exists" in job["error"]
        events = await d.events(upload_id)
        assert "release: migrating: 0001_initial applied (GREETING=v2)" in _deploying(events)
        # Nothing serving changed: revision 1, the same pods, the env restored, no Job left.
        assert status["revision"] == 1
        assert _app_pods(namespace, upload_id) == pods
        assert _configmap_greeting(namespace, upload_id) == "v1"
        assert not [o for o in cluster_objects(namespace, upload_id) if o.startswith("job")]

        # "none" turns the release off: the redeploy rolls out without a Job.
        await d.call(
            "POST",
            f"/deploy/{upload_id}/redeploy",
            expect=202,
            json={"env": {"GREETING": "v3"}, "release": "none"},
        )
        third = await d.wait(upload_id, timeout=300)
        assert third["job"]["status"] == "succeeded", third
        events = await d.events(upload_id)
        assert "release: no release command (disabled by the release option)" in _deploying(events)
        assert _configmap_greeting(namespace, upload_id) == "v3"

        await d.call("DELETE", f"/deploy/{upload_id}", expect=202)
        assert (await d.wait(upload_id))["status"] == "DELETED"
    assert cluster_objects(namespace, upload_id) == []


async def test_a_release_past_its_deadline_fails_the_first_deploy_and_leaves_nothing(
    deployer_factory: Callable[..., Any], namespace: str
) -> None:
    async with deployer_factory(kubernetes={"releaseTimeoutSeconds": 10}) as d:
        upload_id = await d.upload(APP)
        release = "sh -c 'echo waiting for the database; sleep 120'"
        await d.call("POST", f"/deploy/{upload_id}", expect=202, json={"release": release})
        status = await d.wait(upload_id, timeout=300)
        assert status["status"] == "FAILED", status
        job = status["job"]
        assert job["stage"] == "DEPLOYING"
        assert "ran past its deadline of 10s" in job["error"]
        assert "waiting for the database" in job["error"]
        assert "release: waiting for the database" in _deploying(await d.events(upload_id))
    # The ConfigMap/Secret applied for the release went with the rest: there was no revision to restore.
    assert cluster_objects(namespace, upload_id) == []


def test_the_cli_release_option_fails_a_deploy_with_the_release_lines(
    make_cli: Callable[..., Cli],  # noqa: F811
    namespace: str,
) -> None:
    cli = make_cli()
    _create_user(cli, "cli-release")
    # GREETING as a secret: the release prints it, and it must show masked.
    failed = cli.run(
        "deploy",
        str(APP),
        "--user",
        "cli-release",
        "--secret",
        "GREETING=hunter2-secret",
        "--release",
        "python release.py --fail",
    )
    assert failed.returncode == 11, _output(failed)
    assert _field(failed.stdout, "status") == "FAILED"
    assert "migration 0002_add_column failed: column already exists" in failed.stderr, _output(failed)
    assert "0001_initial applied (GREETING=****)" in failed.stderr, _output(failed)
    assert "hunter2-secret" not in failed.stdout + failed.stderr
    assert cluster_objects(namespace, _field(failed.stdout, "upload id")) == []
