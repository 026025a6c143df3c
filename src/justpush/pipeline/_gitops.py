"""Commit a stored revision's GitOps tree: where to (the request or the `gitops` settings) and how."""

from __future__ import annotations

from dataclasses import dataclass

import anyio
from pydantic import SecretStr

from justpush import exports, uploads
from justpush.config import GitopsSettings
from justpush.errors import ConfigError
from justpush.store import Cipher, DeploymentRevision

from ._export import gitops_files, gitops_message


@dataclass(frozen=True)
class GitopsTarget:
    repo_url: str
    branch: str
    path: str
    tool: exports.GitopsTool
    credentials: exports.GitCredentials


def gitops_target(
    settings: GitopsSettings,
    upload_id: str,
    *,
    repo_url: str | None = None,
    branch: str | None = None,
    path: str | None = None,
    tool: exports.GitopsTool | None = None,
    username: str | None = None,
    token: SecretStr | None = None,
    ssh_key: SecretStr | None = None,
    known_hosts: str | None = None,
) -> GitopsTarget:
    """The request's choices over the settings'. The configured token and key go only to the
    configured repository: another URL must bring its own, or it could collect them."""
    url = (repo_url or settings.repo_url).strip()
    if not url:
        raise ConfigError(
            "no repository to commit to: give repo_url (CLI: --repo), or set gitops.repoUrl",
            details={"reason": "no_repository"},
        )
    configured = url == settings.repo_url
    key = ssh_key
    if key is None and configured and settings.ssh_key_file:
        key = SecretStr(_read(settings.ssh_key_file))
    hosts = known_hosts
    if hosts is None and configured and settings.known_hosts_file:
        hosts = _read(settings.known_hosts_file)
    credentials = exports.GitCredentials(
        username=username or settings.username,
        token=token if token is not None else (settings.token if configured else None),
        ssh_key=key,
        known_hosts=hosts or "",
    )
    folder = path if path is not None else settings.path
    return GitopsTarget(
        repo_url=url,
        branch=branch or settings.branch,
        path=exports.check_tree_path(folder.replace("{upload_id}", upload_id)),
        tool=tool or settings.tool,
        credentials=credentials,
    )


def _read(file: str) -> str:
    try:
        with open(file, encoding="utf-8") as handle:
            return handle.read(65536)
    except OSError as exc:
        raise ConfigError(f"gitops: cannot read {file}: {exc.strerror}") from exc


async def publish_revision(
    revision: DeploymentRevision, cipher: Cipher, settings: GitopsSettings, target: GitopsTarget
) -> exports.CommitResult:
    """One commit of the revision's tree at `target.path` (none when nothing changed)."""
    files = await anyio.to_thread.run_sync(
        lambda: gitops_files(
            revision,
            cipher,
            settings,
            # The controller object names the repository, never the credentials in its URL.
            repo_url=uploads.redact_url(target.repo_url),
            branch=target.branch,
            path=target.path,
            tool=target.tool,
        )
    )
    return await exports.GitopsPublisher(settings).publish(
        target.repo_url, target.branch, target.path, files, gitops_message(revision), target.credentials
    )
