"""Issue 11 item 4: a deployment goes only into a namespace the operator allows, and never moves.

Refusals happen at the API, before a job exists (so nothing is ever applied), and are audited.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import yaml
from fastapi import FastAPI
from typer.testing import CliRunner

from justpush import store
from justpush.cli import app
from justpush.cli._errors import exit_code_for
from justpush.config import Settings
from justpush.errors import ForbiddenError


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    # No worker: the API alone is under test; queued jobs stay queued.
    return make_settings(
        deployment={"enabled": True},
        server={"worker": "none"},
        kubernetes={"namespace": "justpush-apps", "allowedNamespaces": ["team-a"]},
    )


async def _upload(client: httpx.AsyncClient, auth: dict[str, str]) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "print('hi')\n")
    response = await client.post(
        "/uploads", headers=auth, files={"file": ("app.zip", buffer.getvalue(), "application/zip")}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _jobs(app: FastAPI, upload_id: str) -> list[store.Job]:
    async with app.state.justpush.sessions() as session:
        return list(await store.list_jobs(session, upload_id))


@pytest.mark.parametrize("namespace", ["kube-system", "default", "kong", "team-b"])
async def test_a_namespace_not_allowed_is_refused_before_a_job_exists(
    client: httpx.AsyncClient, auth: dict[str, str], app: FastAPI, namespace: str
) -> None:
    upload_id = await _upload(client, auth)
    response = await client.post(f"/deploy/{upload_id}", headers=auth, json={"namespace": namespace})
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["code"] == "forbidden" and namespace in error["message"]
    assert error["details"]["allowed"] == ["justpush-apps", "team-a"]
    assert await _jobs(app, upload_id) == []
    async with app.state.justpush.sessions() as session:
        audit = await store.list_audit_events(session, target=f"upload:{upload_id}")
    assert [(a.action, a.result) for a in audit if a.action.startswith("deployment.")] == [
        ("deployment.deploy", "refused")
    ]


async def test_the_configured_and_listed_namespaces_are_accepted(
    client: httpx.AsyncClient, auth: dict[str, str], app: FastAPI
) -> None:
    default_upload, listed_upload = await _upload(client, auth), await _upload(client, auth)
    assert (await client.post(f"/deploy/{default_upload}", headers=auth, json={})).status_code == 202
    listed = await client.post(f"/deploy/{listed_upload}", headers=auth, json={"namespace": "team-a"})
    assert listed.status_code == 202, listed.text
    assert len(await _jobs(app, listed_upload)) == 1


async def test_a_deployment_cannot_move_to_another_namespace(
    client: httpx.AsyncClient, auth: dict[str, str], app: FastAPI
) -> None:
    upload_id = await _upload(client, auth)
    async with app.state.justpush.sessions() as session:
        record = await store.ensure_analyze_result(session, upload_id)
        record.k8s_deployment_info = {"namespace": "team-a", "deployment": "todo"}
        await session.commit()
    # Deploying again without a namespace would mean the configured one: a move, refused.
    for body in ({}, {"namespace": "justpush-apps"}):
        moved = await client.post(f"/deploy/{upload_id}", headers=auth, json=body)
        assert moved.status_code == 409, moved.text
        assert "team-a" in moved.json()["error"]["message"]
    assert await _jobs(app, upload_id) == []
    # Redeploy and rollback take no namespace at all.
    for path, body in (
        ("redeploy", {"env": {"A": "1"}, "namespace": "kube-system"}),
        ("rollback", {"namespace": "kube-system"}),
    ):
        refused = await client.post(f"/deploy/{upload_id}/{path}", headers=auth, json=body)
        assert refused.status_code == 422, refused.text
    same = await client.post(f"/deploy/{upload_id}", headers=auth, json={"namespace": "team-a"})
    assert same.status_code == 202, same.text


def test_the_cli_is_refused_too(tmp_path: Path, db_url: str) -> None:
    config = tmp_path / "app-config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "server": {"dataDir": str(tmp_path / "data"), "worker": "none"},
                "database": {"url": db_url},
                "deployment": {"enabled": True},
            }
        )
    )
    runner = CliRunner()
    created = runner.invoke(app, ["--config", str(config), "users", "create", "erin"], catch_exceptions=False)
    assert created.exit_code == 0, created.output
    project = tmp_path / "proj"
    project.mkdir()
    (project / "app.py").write_text("print('hi')\n")
    args = ["--config", str(config), "deploy", str(project), "--user", "erin", "--detach"]
    refused = runner.invoke(app, [*args, "--namespace", "kube-system"])
    assert isinstance(refused.exception, ForbiddenError), refused.output
    assert exit_code_for(refused.exception) == 4 and "kube-system" in refused.exception.message
    accepted = runner.invoke(app, args, catch_exceptions=False)
    assert accepted.exit_code == 0, accepted.output
