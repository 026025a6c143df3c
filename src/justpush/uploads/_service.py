"""Receiving an upload: stream to a capped temp file, extract or clone into `<dataDir>/workspaces/<id>`.

Used by `POST /uploads` and by `justpush upload` in-process, so both behave the same. Every failure
removes the upload's workspace before the error propagates.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from justpush import store
from justpush.config import UploadSettings
from justpush.errors import NotFoundError, UploadTooLargeError

from ._archive import TreeStats, detect_format, extract_archive, measure_tree
from ._git import check_git_ref, check_git_url, clone, redact_url

logger = logging.getLogger(__name__)

# Lowercase letters and digits, starting with a letter: valid in URLs, Kubernetes names and labels.
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
ID_LENGTH = 12


def new_upload_id() -> str:
    return secrets.choice(_ID_ALPHABET[:26]) + "".join(
        secrets.choice(_ID_ALPHABET) for _ in range(ID_LENGTH - 1)
    )


def workspaces_root(data_dir: Path) -> Path:
    return data_dir / "workspaces"


def workspace_path(data_dir: Path, upload_id: str) -> Path:
    if not upload_id.isalnum():
        raise NotFoundError(f"upload '{upload_id}' not found", details={"upload_id": upload_id})
    return workspaces_root(data_dir) / upload_id


def remove_workspace(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


@dataclass(frozen=True)
class ReceivedUpload:
    upload_id: str
    workspace: Path
    source_kind: str
    files: int
    bytes: int
    filename: str | None = None
    git_url: str | None = None
    git_ref: str | None = None
    git_commit: str | None = None


async def save_stream(chunks: AsyncIterable[bytes], dest: Path, max_bytes: int) -> int:
    """Write the chunks to `dest`, raising UploadTooLargeError at the first byte over `max_bytes`."""
    written = 0
    async with await anyio.open_file(dest, "wb") as out:
        async for chunk in chunks:
            written += len(chunk)
            if written > max_bytes:
                raise UploadTooLargeError(
                    f"the upload is larger than {max_bytes} bytes",
                    details={"limit": max_bytes, "reason": "too_large"},
                )
            await out.write(chunk)
    return written


@asynccontextmanager
async def _new_workspace(data_dir: Path) -> AsyncIterator[tuple[str, Path]]:
    # Absolute, so the stored workspace path does not depend on the working directory.
    # Private to the server's user, like the whole data dir: uploads are other people's source code.
    root = workspaces_root(data_dir).resolve()
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    upload_id = new_upload_id()
    workspace = root / upload_id
    workspace.mkdir(mode=0o700)
    try:
        yield upload_id, workspace
    except BaseException:
        remove_workspace(workspace)
        raise


async def receive_archive(
    chunks: AsyncIterable[bytes], *, filename: str | None, data_dir: Path, settings: UploadSettings
) -> ReceivedUpload:
    """Stream an archive (zip or tar, any compression tar supports) into a fresh workspace."""
    tmp_root = data_dir / "tmp"
    tmp_root.mkdir(mode=0o700, parents=True, exist_ok=True)
    async with _new_workspace(data_dir) as (upload_id, workspace):
        with tempfile.TemporaryDirectory(dir=tmp_root) as tmp:
            archive = Path(tmp, "upload")
            await save_stream(chunks, archive, settings.max_bytes)
            kind = detect_format(archive)
            stats: TreeStats = await anyio.to_thread.run_sync(extract_archive, archive, workspace, settings)
        logger.info(
            "received %s archive: %d files, %d bytes",
            kind,
            stats.files,
            stats.bytes,
            extra={"stage": "upload", "upload_id": upload_id, "files": stats.files, "bytes": stats.bytes},
        )
        return ReceivedUpload(upload_id, workspace, kind, stats.files, stats.bytes, filename=filename)


async def receive_git(
    url: str, ref: str | None, *, data_dir: Path, settings: UploadSettings
) -> ReceivedUpload:
    """Shallow-clone `url` at `ref` into a fresh workspace and check it against the limits."""
    check_git_url(url, settings)
    check_git_ref(ref)
    tmp_root = data_dir / "tmp"
    tmp_root.mkdir(mode=0o700, parents=True, exist_ok=True)
    async with _new_workspace(data_dir) as (upload_id, workspace):
        # ignore_cleanup_errors: a failed clean-up of the clone's history must not turn into a 500.
        with tempfile.TemporaryDirectory(dir=tmp_root, ignore_cleanup_errors=True) as scratch:
            commit = await clone(url, ref, workspace, Path(scratch), settings)
        # Defence in depth: the checked-out tree is measured again as the kernel sees it.
        stats = await anyio.to_thread.run_sync(measure_tree, workspace, settings)
        logger.info(
            "cloned repository: %d files, %d bytes",
            stats.files,
            stats.bytes,
            extra={"stage": "upload", "upload_id": upload_id, "files": stats.files, "bytes": stats.bytes},
        )
        return ReceivedUpload(
            upload_id,
            workspace,
            "git",
            stats.files,
            stats.bytes,
            # Credentials in the URL are used for the clone only, never stored.
            git_url=redact_url(url),
            git_ref=ref,
            git_commit=commit,
        )


async def record_upload(session: AsyncSession, received: ReceivedUpload, *, owner_id: int) -> store.Upload:
    """Store the upload row (flush only); the caller commits, or removes the workspace on failure."""
    return await store.add_upload(
        session,
        upload_id=received.upload_id,
        owner_id=owner_id,
        source_kind=received.source_kind,
        workspace=received.workspace.as_posix(),
        files=received.files,
        size_bytes=received.bytes,
        filename=received.filename,
        git_url=received.git_url,
        git_ref=received.git_ref,
        git_commit=received.git_commit,
    )
