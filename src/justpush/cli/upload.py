"""`justpush upload PATH|URL`: send a folder (zipped here), an archive or a git URL.

With `--server` (or JUSTPUSH_SERVER) it talks to a running server with `--token`; without one it
works in-process on the configured database and data directory, as `--token` or `--user`.
"""

import json
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from justpush.config import Settings
import typer

from justpush.errors import (
    AuthError,
    ExternalServiceError,
    NotFoundError,
    UploadError,
)

from ._api import raise_for_response
from ._app import load_settings
from ._session import session_scope

# Never part of an application's source: version control, dependencies, caches, virtualenvs.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
        ".idea",
        ".vscode",
        ".gradle",
        ".next",
    }
)
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
CHUNK = 256 * 1024


def zip_directory(root: Path, dest: Path) -> int:
    """Zip `root` into `dest` in a stable order, skipping SKIPPED_DIRS and symlinks; returns files zipped."""
    import zipfile

    count = 0
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(
                d for d in dirnames if d not in SKIPPED_DIRS and not Path(dirpath, d).is_symlink()
            )
            for name in sorted(filenames):
                path = Path(dirpath, name)
                if path.is_symlink() or not path.is_file():
                    continue
                archive.write(path, path.relative_to(root).as_posix())
                count += 1
    return count


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    import anyio

    async with await anyio.open_file(path, "rb") as handle:
        while chunk := await handle.read(CHUNK):
            yield chunk


async def _upload_remote(
    server: str, token: str, archive: Path | None, git_url: str | None, ref: str | None
) -> dict[str, Any]:
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with httpx.AsyncClient(base_url=server, headers=headers, timeout=600) as client:
            if archive is not None:
                with archive.open("rb") as handle:
                    files = {"file": (archive.name, handle, "application/octet-stream")}
                    response = await client.post("/uploads", files=files)
            else:
                response = await client.post("/uploads", json={"git_url": git_url, "ref": ref})
    except httpx.HTTPError as exc:
        raise ExternalServiceError(f"cannot reach {server}: {exc}") from exc
    raise_for_response(response)
    result: dict[str, Any] = response.json()
    return result


async def _upload_local(
    settings: "Settings",
    token: str | None,
    user_name: str | None,
    archive: Path | None,
    git_url: str | None,
    ref: str | None,
) -> dict[str, Any]:
    from justpush import security, store, uploads

    data_dir, limits = settings.server.data_dir, settings.uploads
    async with session_scope(settings) as session:
        if token:
            user = await security.authenticate(session, token)
        elif user_name:
            found = await store.get_user_by_name(session, user_name)
            if found is None:
                raise NotFoundError(f"user '{user_name}' not found")
            user = found
        else:
            raise AuthError("without --server, give --token or --user to own the upload")
        if archive is not None:
            received = await uploads.receive_archive(
                _file_chunks(archive), filename=archive.name, data_dir=data_dir, settings=limits
            )
        else:
            assert git_url is not None
            received = await uploads.receive_git(git_url, ref, data_dir=data_dir, settings=limits)
        try:
            upload = await uploads.record_upload(session, received, owner_id=user.id)
            await security.audit(session, actor=user, action="upload.create", target=f"upload:{upload.id}")
            await session.commit()
        except BaseException:
            uploads.remove_workspace(received.workspace)
            raise
        return {"id": upload.id, "status": upload.status, "files": upload.files, "bytes": upload.bytes}


def upload(
    ctx: typer.Context,
    source: str = typer.Argument(..., help="A project folder, a zip / tar.gz file, or a git URL."),
    ref: str | None = typer.Option(None, "--ref", help="Branch or tag, for a git URL."),
    server: str | None = typer.Option(None, "--server", envvar="JUSTPUSH_SERVER", help="Server URL."),
    token: str | None = typer.Option(None, "--token", envvar="JUSTPUSH_TOKEN", help="API token."),
    user: str | None = typer.Option(None, "--user", help="Owner, when working in-process without a token."),
) -> None:
    """Upload source code; prints {"id", "status", "files", "bytes"}."""
    import tempfile

    import anyio

    git_url = source if _URL.match(source) else None
    with tempfile.TemporaryDirectory(prefix="justpush-upload-") as tmp:
        archive: Path | None = None
        if git_url is None:
            path = Path(source)
            if path.is_dir():
                archive = Path(tmp, f"{path.resolve().name or 'upload'}.zip")
                zip_directory(path, archive)
            elif path.is_file():
                archive = path
            else:
                raise UploadError(f"{source} is neither a folder, a file nor a URL")
        if server:
            if not token:
                raise AuthError("--server needs --token (or JUSTPUSH_TOKEN)")
            result = anyio.run(_upload_remote, server, token, archive, git_url, ref)
        else:
            settings = load_settings(ctx)
            result = anyio.run(_upload_local, settings, token, user, archive, git_url, ref)
    typer.echo(json.dumps(result))


def register(app: typer.Typer) -> None:
    app.command("upload")(upload)
