"""`POST /deploy/{id}/export/gitops` and `justpush export gitops` commit a stored revision to a real git
server on loopback; refusals are 4xx / exit codes with a message, and change nothing."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import yaml
from fastapi import FastAPI

from justpush import store
from justpush.config import Settings

from .gitserver import GitServer, git, git_server
from .revisions import SECRET, add_revision, add_upload

GITOPS = {"schemes": ["http"], "allowedHosts": ["127.0.0.1/32"], "timeoutSeconds": 30}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[GitServer]:
    with git_server(tmp_path / "git") as running:
        running.create("deploy")
        yield running


@pytest.fixture
def settings(make_settings: Any) -> Settings:
    settings: Settings = make_settings(deployment={"enabled": True}, server={"worker": "none"}, gitops=GITOPS)
    return settings


def _tree(server: GitServer, into: Path) -> dict[str, str]:
    url = server.repo_url("deploy").replace("http://", f"http://{server.username}:{server.password}@")
    git("clone", "-q", url, str(into))
    return {
        str(p.relative_to(into)): p.read_text()
        for p in sorted(into.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(into).parts
    }


async def test_api_commits_the_revision_then_only_its_diff(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str], server: GitServer, tmp_path: Path
) -> None:
    upload_id = await add_upload(app, client, auth)
    url = f"/deploy/{upload_id}/export/gitops"
    body = {"repo_url": server.repo_url("deploy"), "username": server.username, "token": server.password}

    refused = await client.post(url, headers=auth, json=body)
    assert refused.status_code == 409 and "no deployed revision" in refused.json()["error"]["message"]

    await add_revision(app, upload_id, replicas=1)
    first = await client.post(url, headers=auth, json=body)
    assert first.status_code == 200, first.text
    result = first.json()
    assert result["changed"] and result["revision"] == 1 and result["path"] == f"justpush/{upload_id}"
    assert result["commit"] == server.head("deploy") and server.password not in first.text
    tree = _tree(server, tmp_path / "one")
    root = f"justpush/{upload_id}"
    resources = yaml.safe_load(tree[f"{root}/manifests/kustomization.yaml"])["resources"]
    assert {f"{root}/manifests/{r}" for r in resources} | {
        f"{root}/manifests/kustomization.yaml",
        f"{root}/README.md",
        f"{root}/kong/deck.yaml",
        f"{root}/argocd/application.yaml",
    } == set(tree)
    deployment = next(yaml.safe_load(t) for n, t in tree.items() if "/deployment-" in n)
    assert deployment["spec"]["replicas"] == 1
    assert not any(yaml.safe_load(t)["kind"] == "Secret" for n, t in tree.items() if "/manifests/" in n)
    assert SECRET not in "".join(tree.values()) and "DB_PASSWORD" in tree[f"{root}/README.md"]
    application = yaml.safe_load(tree[f"{root}/argocd/application.yaml"])
    assert application["spec"]["source"]["repoURL"] == server.repo_url("deploy")
    message = git("log", "-1", "--format=%B", cwd=tmp_path / "one")
    assert message.startswith(f"justpush: orders upload {upload_id} revision 1")

    # A redeploy with two replicas: its commit changes the Deployment and adds a PodDisruptionBudget.
    await add_revision(app, upload_id, replicas=2)
    second = (await client.post(url, headers=auth, json=body)).json()
    assert second["changed"] and second["revision"] == 2
    assert [f.rsplit("/", 1)[1] for f in second["files"]] == [
        deployment_file(tree, root),
        "kustomization.yaml",
        f"poddisruptionbudget-orders-{upload_id}.yaml",
    ]
    again = (await client.post(url, headers=auth, json=body)).json()
    assert not again["changed"] and again["commit"] == second["commit"] == server.head("deploy")

    # Wrong credentials: a 400 that says so, and the branch as it was.
    wrong = await client.post(url, headers=auth, json={**body, "token": "not-the-token"})
    assert wrong.status_code == 400
    assert wrong.json()["error"]["code"] == "git_auth_failed" and "refused the credentials" in wrong.text
    assert "not-the-token" not in wrong.text and server.head("deploy") == second["commit"]

    # Each export is audited, refused ones too, never with the token.
    async with app.state.justpush.sessions() as session:
        audit = await store.list_audit_events(session, target=f"upload:{upload_id}")
    exports = sorted((a for a in audit if a.action == "deployment.export_gitops"), key=lambda a: a.id)
    assert [a.result for a in exports] == ["success", "success", "success", "refused"]
    assert exports[0].details["commit"] == result["commit"] and exports[0].details["revision"] == 1
    assert "refused the credentials" in exports[3].details["reason"]
    assert not any(server.password in str(a.details) or "not-the-token" in str(a.details) for a in exports)

    # Flux instead of Argo CD, in another folder of the same branch.
    flux = (
        await client.post(url, headers=auth, json={**body, "tool": "flux", "path": "clusters/prod"})
    ).json()
    assert set(flux["files"]) >= {
        "clusters/prod/flux/sync.yaml",
        "clusters/prod/manifests/kustomization.yaml",
    }

    # Someone else's upload is not found; a bad path is a 400.
    _, other = await _other_user(app)
    assert (
        await client.post(url, headers={"Authorization": f"Bearer {other}"}, json=body)
    ).status_code == 404
    bad = await client.post(url, headers=auth, json={**body, "path": "../escape"})
    assert bad.status_code == 400 and "plain relative folder" in bad.text


def deployment_file(tree: dict[str, str], root: str) -> str:
    return next(n for n in tree if n.startswith(f"{root}/manifests/deployment-")).rsplit("/", 1)[1]


async def _other_user(app: FastAPI) -> tuple[int, str]:
    from justpush import security

    async with app.state.justpush.sessions() as session:
        user = await store.create_user(session, f"mallory-{secrets.token_hex(4)}")
        token = await security.issue_token(session, user)
        await session.commit()
        return user.id, token


async def test_cli_exit_codes_and_messages(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: dict[str, str],
    server: GitServer,
    tmp_path: Path,
    settings: Settings,
) -> None:
    upload_id = await add_upload(app, client, auth)
    await add_revision(app, upload_id, replicas=1)
    me = (await client.get("/users/me", headers=auth)).json()["name"]
    config = tmp_path / "app-config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "server": {"dataDir": str(settings.server.data_dir), "worker": "none"},
                "database": {"url": settings.database.url},
                "deployment": {"enabled": True},
                "security": {"encryptionKey": settings.security.encryption_key.get_secret_value()},
                "gitops": {**GITOPS, "repoUrl": server.repo_url("deploy"), "username": server.username},
            }
        )
    )
    command = [sys.executable, "-m", "justpush", "--config", str(config), "export", "gitops", upload_id]
    command += ["--user", me, "--path", "apps/orders"]

    async def run(token: str) -> anyio.abc.Process:
        # The git token only in the environment, as a user passes it.
        env = {**os.environ, "JUSTPUSH_GIT_TOKEN": token}
        return await anyio.run_process(command, env=env, check=False)

    refused = await run("wrong-token")
    assert refused.returncode == 4, refused.stderr
    assert (
        b"refused the credentials" in refused.stderr and b"wrong-token" not in refused.stderr + refused.stdout
    )
    assert server.head("deploy") == ""

    done = await run(server.password)
    assert done.returncode == 0, done.stderr
    assert f"committed revision 1 as {server.head('deploy')}" in done.stdout.decode()
    assert "apps/orders/manifests/kustomization.yaml" in _tree(server, tmp_path / "clone")

    unchanged = await run(server.password)
    assert unchanged.returncode == 0 and b"already holds revision 1" in unchanged.stdout
