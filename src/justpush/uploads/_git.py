"""Shallow `git clone` of a remote repository into a workspace, with scheme allow-list and timeout."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from justpush.config import UploadSettings
from justpush.errors import UploadError

logger = logging.getLogger(__name__)

# Branch or tag names: git's own rules are looser, but nothing legitimate needs more than this.
_REF = re.compile(r"^[A-Za-z0-9._/+-]{1,200}$")


def check_git_url(url: str, settings: UploadSettings) -> str:
    """The URL's scheme after validation; UploadError for anything not on `uploads.gitSchemes`."""
    if not url or url.startswith("-") or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise UploadError("git_url is not a valid URL", details={"reason": "bad_git_url"})
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if "::" in url.split("/", 1)[0] or scheme not in settings.git_schemes:
        allowed = ", ".join(settings.git_schemes)
        raise UploadError(
            f"git_url scheme '{scheme or url.split(':', 1)[0]}' is not allowed (allowed: {allowed})",
            details={"reason": "bad_git_url", "allowed": list(settings.git_schemes)},
        )
    if scheme != "file" and not parts.hostname:
        raise UploadError("git_url has no host", details={"reason": "bad_git_url"})
    return scheme


def check_git_ref(ref: str | None) -> None:
    if ref is None:
        return
    if not _REF.match(ref) or ref.startswith(("-", "/")) or ".." in ref or ref.endswith((".lock", "/")):
        raise UploadError(
            f"git ref '{ref}' is not a valid branch or tag name", details={"reason": "bad_git_ref"}
        )


def redact_url(url: str) -> str:
    """The URL without user info, for logs and error messages."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return parts._replace(netloc=netloc).geturl()


def _git_command(url: str, ref: str | None, dest: Path, settings: UploadSettings) -> list[str]:
    protocols = ["-c", "protocol.allow=never"]
    for scheme in settings.git_schemes:
        protocols += ["-c", f"protocol.{scheme}.allow=always"]
    command = [
        "git",
        *protocols,
        "-c",
        "core.hooksPath=/dev/null",
        "-c",
        "credential.helper=",
        "clone",
        "--depth",
        "1",
        "--single-branch",
        "--no-local",
        "--no-recurse-submodules",
        "--no-tags",
    ]
    if ref:
        command += ["--branch", ref]
    return [*command, "--", url, str(dest)]


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_TERMINAL_PROMPT="0", GIT_CONFIG_NOSYSTEM="1", GIT_ASKPASS="/bin/false", GCM_INTERACTIVE="never"
    )
    return env


async def _run(command: list[str], timeout: float, cwd: Path | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=cwd,
        env=_git_env(),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise
    return process.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace")


async def clone(url: str, ref: str | None, dest: Path, settings: UploadSettings) -> str:
    """Clone `url` at `ref` into the new folder `dest`, drop `.git` and return the commit id."""
    check_git_url(url, settings)
    check_git_ref(ref)
    shown = redact_url(url)
    logger.info("git clone %s", shown, extra={"stage": "upload", "git_url": shown, "git_ref": ref})
    try:
        code, _, err = await _run(_git_command(url, ref, dest, settings), settings.git_timeout_seconds)
    except TimeoutError as exc:
        raise UploadError(
            f"git clone of {shown} timed out after {settings.git_timeout_seconds}s",
            details={"reason": "git_timeout"},
        ) from exc
    except OSError as exc:
        raise UploadError(
            f"git cannot be run: {exc.strerror}", details={"reason": "git_unavailable"}
        ) from exc
    if code != 0:
        last = (err.strip().splitlines() or ["unknown error"])[-1].replace(url, shown)
        raise UploadError(f"git clone of {shown} failed: {last}", details={"reason": "git_failed"})
    code, out, _ = await _run(["git", "rev-parse", "HEAD"], 30, cwd=dest)
    commit = out.strip() if code == 0 else ""
    # The workspace is a source tree; history and hooks have no place in it.
    shutil.rmtree(dest / ".git", ignore_errors=True)
    return commit
