"""Commit a rendered tree to a branch of a Git repository with the git CLI (HTTPS token or SSH key).

The same precautions as the upload clone: scheme and address allow-lists (the URL is the caller's),
no user or system git configuration, no hooks, no redirects, every git command bounded in time. The
token reaches git only through `GIT_ASKPASS` reading the child's environment: never in argv, a URL,
a file or a log line. Only the target folder is touched: the branch's tree is read into the index,
never checked out, so the size of the rest of the repository costs nothing but the shallow fetch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import shlex
import signal
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from pydantic import SecretStr

from justpush import uploads
from justpush.config import GitopsSettings, UploadSettings
from justpush.errors import GitAuthError, GitError, GitRejectedError, UploadError

logger = logging.getLogger(__name__)

_PATH_SEGMENT = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
# Answers git's "Username for …" and "Password for …" prompts from this process's environment.
_ASKPASS = """#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "$JUSTPUSH_GIT_USERNAME" ;;
  *) printf '%s\\n' "$JUSTPUSH_GIT_PASSWORD" ;;
esac
"""
_AUTH_FAILURES = (
    "authentication failed",
    "could not read username",
    "could not read password",
    "permission denied",
    "http basic: access denied",
    "invalid username or password",
    "the requested url returned error: 401",
    "the requested url returned error: 403",
)


@dataclass(frozen=True)
class GitCredentials:
    """HTTPS: `username` + `token`; SSH: the private key's text (and optionally known_hosts lines)."""

    username: str = "git"
    token: SecretStr | None = None
    ssh_key: SecretStr | None = None
    known_hosts: str = ""


@dataclass(frozen=True)
class CommitResult:
    # The branch head after the export: the new commit, or the unchanged head.
    commit: str
    changed: bool
    # Paths (repository-relative) the commit added, changed or removed.
    files: tuple[str, ...]


def check_tree_path(path: str) -> str:
    """A relative folder of plain segments ("" is the repository root); UploadError otherwise."""
    parts = [p for p in path.strip().strip("/").split("/") if p]
    for part in parts:
        if not _PATH_SEGMENT.match(part) or part in (".", "..") or part.lower() == ".git":
            raise UploadError(
                f"path '{path}' is not a plain relative folder (letters, digits, '.', '_', '-' and '/')",
                details={"reason": "bad_path"},
            )
    return str(PurePosixPath(*parts)) if parts else ""


class GitopsPublisher:
    """Pushes one commit per call; `settings` carries the allow-lists, timeout and author."""

    def __init__(self, settings: GitopsSettings) -> None:
        self.settings = settings
        self._rules = UploadSettings(git_schemes=settings.schemes, git_allowed_hosts=settings.allowed_hosts)

    async def publish(
        self,
        repo_url: str,
        branch: str,
        path: str,
        files: Mapping[str, str],
        message: str,
        credentials: GitCredentials,
    ) -> CommitResult:
        """Replace `path` on `branch` with `files` (relative to `path`) in one commit, if anything changed.

        A push the server refuses (someone else pushed first, a protected branch) raises
        GitRejectedError, refused credentials GitAuthError; the repository is then as it was.
        """
        uploads.check_git_url(repo_url, self._rules)
        uploads.check_git_ref(branch)
        folder = check_tree_path(path)
        shown = uploads.redact_url(repo_url)
        if urlsplit(repo_url).password is not None:
            raise UploadError(
                f"the repository URL {shown} holds a password; give the token separately",
                details={"reason": "credentials_in_url"},
            )
        try:
            resolved = await uploads.resolve_git_host(repo_url, shown, self._rules)
        except UploadError as exc:
            if exc.details.get("reason") != "internal_address":
                raise
            raise UploadError(
                f"repository host of {shown} resolves to an internal address; an operator can allow "
                "internal git servers in gitops.allowedHosts",
                details={"reason": "internal_address"},
            ) from exc
        logger.info("git push %s", shown, extra={"git_url": shown, "git_ref": branch, "path": folder})
        with tempfile.TemporaryDirectory(prefix="justpush-gitops-") as scratch:
            git = _Git(Path(scratch), repo_url, shown, self.settings, credentials, resolved)
            return await git.commit_and_push(branch, folder, files, message)


class _Git:
    def __init__(
        self,
        scratch: Path,
        url: str,
        shown: str,
        settings: GitopsSettings,
        credentials: GitCredentials,
        resolved: uploads.ResolvedHost | None,
    ) -> None:
        self.repo = scratch / "repo"
        self.url = url
        self.shown = shown
        self.timeout = settings.timeout_seconds
        # One budget for the whole export (about ten git commands), not one per command.
        self.deadline = time.monotonic() + settings.timeout_seconds
        self.env = self._environment(scratch, settings, credentials, resolved)
        self.config = uploads.git_config_options(
            settings.schemes, resolved, ["init.defaultBranch=main", "commit.gpgSign=false"]
        )

    @staticmethod
    def _environment(
        scratch: Path,
        settings: GitopsSettings,
        credentials: GitCredentials,
        resolved: uploads.ResolvedHost | None,
    ) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "SSH_"))}
        env.update(
            GIT_CONFIG_GLOBAL=os.devnull,
            GIT_CONFIG_NOSYSTEM="1",
            GIT_TERMINAL_PROMPT="0",
            GIT_ASKPASS="/bin/false",
            SSH_ASKPASS="/bin/false",
            GCM_INTERACTIVE="never",
            GIT_AUTHOR_NAME=settings.author_name,
            GIT_AUTHOR_EMAIL=settings.author_email,
            GIT_COMMITTER_NAME=settings.author_name,
            GIT_COMMITTER_EMAIL=settings.author_email,
        )
        if credentials.token is not None and credentials.token.get_secret_value():
            askpass = scratch / "askpass.sh"
            askpass.write_text(_ASKPASS, encoding="utf-8")
            askpass.chmod(0o700)
            env.update(
                GIT_ASKPASS=str(askpass),
                JUSTPUSH_GIT_USERNAME=credentials.username or "git",
                JUSTPUSH_GIT_PASSWORD=credentials.token.get_secret_value(),
            )
        ssh = ["ssh", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-F", os.devnull]
        if credentials.ssh_key is not None and credentials.ssh_key.get_secret_value():
            key = scratch / "id_key"
            key.touch(mode=0o600)
            key.write_text(credentials.ssh_key.get_secret_value().strip() + "\n", encoding="utf-8")
            ssh += ["-i", str(key)]
        known_hosts = scratch / "known_hosts"
        known_hosts.write_text(credentials.known_hosts, encoding="utf-8")
        checking = "yes" if credentials.known_hosts.strip() else "accept-new"
        ssh += ["-o", f"UserKnownHostsFile={known_hosts}", "-o", f"StrictHostKeyChecking={checking}"]
        if resolved is not None and resolved.addresses:
            # As http.curloptResolve does for HTTPS: ssh connects to the address checked, not to what a
            # second lookup of the name answers (DNS rebinding to an internal host); host keys stay by name.
            ssh += ["-o", f"HostName={resolved.addresses[0]}", "-o", f"HostKeyAlias={resolved.host}"]
            ssh += ["-o", "CheckHostIP=no"]
        # GIT_SSH_COMMAND goes through a shell.
        env["GIT_SSH_COMMAND"] = shlex.join(ssh)
        return env

    async def run(self, *args: str, check: bool = True) -> tuple[int, str, str]:
        """One git command in the scratch repository, killed with its helpers after the timeout."""
        self.repo.mkdir(exist_ok=True)
        process = await asyncio.create_subprocess_exec(
            "git",
            *self.config,
            *args,
            cwd=self.repo,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        try:
            out, err = await asyncio.wait_for(
                process.communicate(), max(self.deadline - time.monotonic(), 0.1)
            )
        except BaseException as exc:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
            if isinstance(exc, TimeoutError):
                raise GitError(
                    f"the export to {self.shown} took longer than {self.timeout}s (at git {args[0]})",
                    details={"reason": "git_timeout"},
                ) from exc
            raise
        code = process.returncode or 0
        stderr = err.decode(errors="replace").replace(self.url, self.shown)
        stdout = out.decode(errors="replace")
        if check and code != 0:
            raise self._error(args[0], stderr, stdout)
        return code, stdout, stderr

    def _error(self, command: str, stderr: str, stdout: str) -> GitError:
        lines = [line.strip() for line in stderr.splitlines() if line.strip()]
        last = lines[-1] if lines else f"git {command} failed"
        # `push --porcelain` reports each ref's fate on stdout: "!\t<ref>\t[rejected] (fetch first)".
        stderr = f"{stderr}\n{stdout}"
        lowered = stderr.lower()
        if any(marker in lowered for marker in _AUTH_FAILURES):
            return GitAuthError(
                f"the git server refused the credentials for {self.shown}",
                detail=last,
                details={"reason": "git_auth_failed"},
            )
        if command == "push" and ("[rejected]" in stderr or "[remote rejected]" in stderr):
            # "fetch first" / "non-fast-forward": moved before the push began; "cannot lock ref": during it.
            behind = any(m in stderr for m in ("fetch first", "non-fast-forward", "cannot lock ref"))
            reason = (
                "the branch moved since it was read (someone else pushed); export again" if behind else last
            )
            return GitRejectedError(
                f"the git server rejected the push to {self.shown}: {reason}",
                detail=last,
                details={"reason": "non_fast_forward" if behind else "rejected"},
            )
        return GitError(
            f"git {command} of {self.shown} failed: {last}", detail=last, details={"reason": "git_failed"}
        )

    async def commit_and_push(
        self, branch: str, folder: str, files: Mapping[str, str], message: str
    ) -> CommitResult:
        await self.run("init", "-q")
        await self.run("remote", "add", "origin", "--", self.url)
        _, listing, _ = await self.run("ls-remote", "--heads", "origin", f"refs/heads/{branch}")
        base = listing.split()[0] if listing.strip() else ""
        if base:
            await self.run("fetch", "-q", "--depth=1", "--no-tags", "origin", f"refs/heads/{branch}")
            # The index, not the working tree: nothing outside `folder` is ever written to disk.
            await self.run("read-tree", base)
            if folder:
                await self.run("rm", "-r", "-q", "--cached", "--ignore-unmatch", "--", folder)
            else:
                await self.run("read-tree", "--empty")
        target = self.repo / folder if folder else self.repo
        for name, text in files.items():
            file = target / name
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(text, encoding="utf-8")
        await self.run("add", "-f", "--", folder or ".")
        _, tree, _ = await self.run("write-tree")
        if base:
            _, base_tree, _ = await self.run("rev-parse", f"{base}^{{tree}}")
            if base_tree.strip() == tree.strip():
                logger.info("git push %s: nothing changed", self.shown, extra={"git_url": self.shown})
                return CommitResult(commit=base, changed=False, files=())
        parents = ["-p", base] if base else []
        _, commit, _ = await self.run("commit-tree", tree.strip(), *parents, "-m", message)
        commit = commit.strip()
        compared = [base, commit] if base else ["--root", commit]
        _, changed, _ = await self.run("diff-tree", "-r", "--name-only", "--no-commit-id", *compared)
        await self.run("push", "-q", "--porcelain", "origin", f"{commit}:refs/heads/{branch}")
        logger.info("git push %s: %s", self.shown, commit, extra={"git_url": self.shown, "commit": commit})
        return CommitResult(commit=commit, changed=True, files=tuple(changed.split()))
