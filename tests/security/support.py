"""Builders for hostile archives, a check that nothing appeared outside the data directory, and a job
context running under a worker's lease for pipeline checks that must stop before any service is used."""

from __future__ import annotations

import io
import secrets
import stat
import tarfile
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from justpush import pipeline, store
from justpush.config import Settings
from justpush.pipeline import EventBroker
from justpush.pipeline._context import JobContext
from justpush.security import SecretBox

# (name, kind, payload): kind "file" (payload = content), "dir", "link" (payload = target).
Entry = tuple[str, str, str]


def tar_archive(entries: list[Entry]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, kind, payload in entries:
            info = tarfile.TarInfo(name)
            info.mode = 0o755 if kind == "dir" else 0o644
            if kind == "file":
                data = payload.encode()
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
                continue
            info.type = tarfile.DIRTYPE if kind == "dir" else tarfile.SYMTYPE
            info.linkname = payload if kind == "link" else ""
            archive.addfile(info)
    return buffer.getvalue()


def zip_archive(entries: list[Entry]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, kind, payload in entries:
            if kind == "file":
                archive.writestr(name, payload)
            elif kind == "dir":
                archive.writestr(name.rstrip("/") + "/", "")
            else:
                info = zipfile.ZipInfo(name)
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                archive.writestr(info, payload)
    return buffer.getvalue()


def climbing_chain(depth: int) -> list[Entry]:
    """`p/q -> ..`, `p/q/r -> ..`, …: each link looks inside on its own, each lands one level higher."""
    names = ["p", "q"]
    chain: list[Entry] = []
    for level in range(depth):
        chain.append(("/".join(names), "link", ".."))
        names.append(f"l{level}")
    return chain


def chain_tip(depth: int) -> str:
    """The path below `depth` chained links, `depth` levels above the workspace once created."""
    return "/".join(["p", "q", *(f"l{level}" for level in range(depth))])


@dataclass
class Surroundings:
    """What exists around a workspace: the test's tmp dir, its parent and the data dir's own files."""

    tmp_path: Path

    def snapshot(self) -> dict[str, list[str]]:
        data = self.tmp_path / "data"
        workspaces = data / "workspaces"
        return {
            "parent": sorted(p.name for p in self.tmp_path.parent.iterdir()),
            "tmp": sorted(p.name for p in self.tmp_path.iterdir()),
            "data": sorted(p.name for p in data.iterdir()) if data.exists() else [],
            "workspaces": sorted(p.name for p in workspaces.iterdir()) if workspaces.exists() else [],
        }

    def planted(self, name: str) -> list[str]:
        """Every path named `name` anywhere from the tmp dir's parent down, without following links."""
        found = [p for p in self.tmp_path.parent.rglob(name)]
        found += [p for p in self.tmp_path.parent.iterdir() if p.name == name]
        return sorted({p.as_posix() for p in found})


async def post_archive(
    client: httpx.AsyncClient, auth: dict[str, str], data: bytes, name: str = "app.tar.gz"
) -> httpx.Response:
    return await client.post(
        "/uploads", headers=auth, files={"file": (name, data, "application/octet-stream")}
    )


@asynccontextmanager
async def app_client(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    """The app for `settings` with its lifespan running, a client and a user's auth headers."""
    from justpush import security, store
    from justpush.web import create_app

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with app.state.justpush.sessions() as session:
            user = await store.create_user(session, f"sec-{secrets.token_hex(4)}")
            token = await security.issue_token(session, user)
            await session.commit()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://justpush.test") as client:
            yield client, {"Authorization": f"Bearer {token}"}


class NoServices:
    """Services whose every use fails the test: the pipeline must stop before it needs any."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the pipeline used services.{name}")


async def running_job(
    sessions: async_sessionmaker[AsyncSession], box: SecretBox, upload: store.Upload, settings: Settings
) -> JobContext:
    """The context of a deploy job of ``upload`` as a worker's claim leaves it: running under lease 1."""
    async with sessions.begin() as opened:
        job = await pipeline.submit_job(
            opened, box, upload_id=upload.id, kind="deploy", options={}, secret_options=None, user_id=None
        )
        job.status, job.worker_id, job.lease = "running", "test-host:1", 1
        job.started_at = job.heartbeat_at = store.utcnow()
        job_id = job.id
    return JobContext(
        job_id=job_id,
        upload_id=upload.id,
        kind="deploy",
        user_id=None,
        settings=settings,
        sessions=sessions,
        cipher=box,
        broker=EventBroker(),
        lease=1,
    )
