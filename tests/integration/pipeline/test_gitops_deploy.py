"""With `gitops.enabled`, a real deployment commits its tree to a git server on loopback, and a redeploy
with a changed variable commits only what that changed."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.exports.gitserver import git, git_server
from tests.integration.support import PIPELINE_APPS

pytestmark = pytest.mark.integration


async def test_deploy_and_redeploy_commit_their_revisions(
    deployer_factory: Callable[..., Any], tmp_path: Path
) -> None:
    with git_server(tmp_path / "git") as server:
        server.create("deploy")
        gitops = {
            "enabled": True,
            "repoUrl": server.repo_url("deploy"),
            "username": server.username,
            "token": server.password,
            "schemes": ["http"],
            "allowedHosts": ["127.0.0.1/32"],
        }
        async with deployer_factory(gitops=gitops) as d:
            upload_id = await d.upload(PIPELINE_APPS / "python-inventory")
            await d.call("POST", f"/deploy/{upload_id}", expect=202, json={"env": {"GREETING": "hello"}})
            status = await d.wait(upload_id)
            assert status["status"] == "DEPLOYED", status
            first = server.head("deploy")
            assert first
            events = await d.events(upload_id)
            assert any(e["message"].startswith("committed revision 1 to main:justpush/") for e in events)

            await d.call(
                "POST", f"/deploy/{upload_id}/redeploy", expect=202, json={"env": {"GREETING": "bonjour"}}
            )
            status = await d.wait(upload_id)
            assert status["status"] == "DEPLOYED", status
            second = server.head("deploy")
            assert second != first
            await d.call("DELETE", f"/deploy/{upload_id}", expect=202)
            await d.wait(upload_id)

        clone = tmp_path / "clone"
        url = server.repo_url("deploy").replace("http://", f"http://{server.username}:{server.password}@")
        git("clone", "-q", url, str(clone))
        subjects = git("log", "--format=%s", cwd=clone).splitlines()
        assert [re.sub(r"^justpush: \S+ ", "", line) for line in subjects] == [
            f"upload {upload_id} revision 2",
            f"upload {upload_id} revision 1",
        ]
        changed = git("diff", "--name-only", first, second, cwd=clone).split()
        root = f"justpush/{upload_id}/manifests/"
        assert changed and all(name.startswith(root) for name in changed), changed
        assert any(name.startswith(f"{root}configmap-") for name in changed), changed
        configmap = next(p for p in (clone / root).iterdir() if p.name.startswith("configmap-"))
        assert yaml.safe_load(configmap.read_text())["data"]["GREETING"] == "bonjour"
        assert (clone / root / "kustomization.yaml").is_file()
