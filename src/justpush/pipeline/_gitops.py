"""Commit a stored revision's GitOps tree: where to (the request or the `gitops` settings) and how."""

from __future__ import annotations

from dataclasses import dataclass

import anyio
from pydantic import SecretStr

from justpush import exports, uploads
from justpush.config import GitopsSettings
from justpush.errors import ConfigError, ForbiddenError
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
    """The request's choices over the settings'.

    The operator's token and key go only to the configured repository (another URL must bring its
    own, or it could collect them), and only to the configured branch and folder: with them one
    user could otherwise overwrite another upload's folder.
    """
    url = (repo_url or settings.repo_url).strip()
    if not url:
        raise ConfigError(
            "no repository to commit to: give repo_url (CLI: --repo), or set gitops.repoUrl",
            details={"reason": "no_repository"},
        )
    configured_path = exports.check_tree_path(settings.path.replace("{upload_id}", upload_id))
    target_branch = branch or settings.branch
    target_path = (
        exports.check_tree_path(path.replace("{upload_id}", upload_id))
        if path is not None
        else configured_path
    )
    own = (token is not None and bool(token.get_secret_value())) or ssh_key is not None
    if own or url != settings.repo_url:
        credentials = exports.GitCredentials(
            username=username or settings.username,
            token=token,
            ssh_key=ssh_key,
            known_hosts=known_hosts or "",
        )
    else:
        if (target_branch, target_path) != (settings.branch, configured_path):
            raise ForbiddenError(
                f"the configured credentials commit only to {settings.branch}:{configured_path or '/'}; "
                "give a token or SSH key of your own to commit elsewhere",
                details={"reason": "operator_credentials"},
            )
        credentials = exports.GitCredentials(
            username=settings.username,
            token=settings.token,
            ssh_key=SecretStr(_read(settings.ssh_key_file)) if settings.ssh_key_file else None,
            known_hosts=known_hosts
            if known_hosts is not None
            else (_read(settings.known_hosts_file) if settings.known_hosts_file else ""),
        )
    return GitopsTarget(
        repo_url=url,
        branch=target_branch,
        path=target_path,
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
