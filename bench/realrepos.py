"""Real public repositories on testenv: does each one, deployed as cloned, reach a pod answering HTTP —
or stop in SCANNING, before the build, saying which backing service it needs?

    .venv/bin/python bench/realrepos.py CLONES_DIR [--only NAME] [--timeout SECONDS] [--generated-dockerfile]

The repositories and what a user would set from their README are in bench/realrepos.yaml. Each clone
(`CLONES_DIR/<owner>__<name>`, outside this repository) is zipped as it is on disk (without `.git`),
uploaded and deployed in-process as the server runs it (the FastAPI app with its pipeline worker, a
temporary SQLite database, the Kong emulator on loopback ports, one throwaway namespace deleted at the
end), one repository at a time. A deployed app is called once through the API's service proxy (`GET
/`): any HTTP answer from the app counts, a 404 included. Every deployment is deleted afterwards; a
deploy still running after `--timeout` seconds is cancelled and counted as failed.

By default a repository's own Dockerfile is used when it passes SCANNING's checks (deploy option
`dockerfile: auto`): one whose base images cannot be pulled (testenv has no Docker Hub, only its mirrored
python / node / debian tags) falls back to a generated one with a warning. `--generated-dockerfile`
deploys every repository with `dockerfile: generated` (JustPush's Dockerfile, the repository's ignored).

Target: every repository that needs no external service answers; every one that needs one (its
`service` in the data file) stops in SCANNING with a message naming it, and so does every one pinning a
package that cannot build or import on the runtimes testenv serves (its `blocker`). Exit status 0 when every
repository meets its target, 1 when one misses, 2 when testenv is not configured.

Needs testenv (source its env file): DOCKER_HOST, JUSTPUSH_TEST_REGISTRY, JUSTPUSH_TEST_BASE_IMAGES,
KUBECONFIG; the Docker Hub names of the base images (testenv's mirror) serve `{version}` images.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import secrets
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import yaml
from pipeline import REQUIRED, call, delete_namespace, deployer, kong_emulator, settings

from justpush.config import Settings

DATA = Path(__file__).resolve().with_name("realrepos.yaml")
# The versions testenv's Docker Hub mirror serves (python:{version}-slim, node:{version}-slim).
SERVED = {"python": ("3.11", "3.13"), "node": ("18", "20")}
# What the service names in the data file are called in JustPush's messages.
SERVICE_WORDS = {
    "postgresql": ("postgres",),
    "mysql": ("mysql", "mariadb"),
    "mongodb": ("mongo",),
    "redis": ("redis",),
}


@dataclass
class Repo:
    name: str
    repo: str
    commit: str
    root: str
    env: dict[str, str]
    secrets: dict[str, str]
    service: str | None
    note: str
    # A pinned package that cannot build or import on what testenv serves: SCANNING must name it.
    blocker: str | None = None


@dataclass
class Result:
    repo: Repo
    status: str
    stage: str
    reason: str
    build: float | None
    total: float
    answer: int | None = None
    warnings: int = 0
    # The whole first error (the table shows `reason`, shortened).
    message: str = ""

    @property
    def met(self) -> bool:
        if self.repo.blocker is not None:
            named = self.repo.blocker.lower() in self.message.lower()
            return self.status == "FAILED" and self.stage == "SCANNING" and named
        if self.repo.service is None:
            return self.answer is not None
        words = SERVICE_WORDS.get(self.repo.service, (self.repo.service,))
        named = any(word in self.message.lower() for word in words)
        return self.status == "FAILED" and self.stage == "SCANNING" and named


def load(only: list[str] | None) -> list[Repo]:
    entries = yaml.safe_load(DATA.read_text())["repos"]
    repos = [
        Repo(
            name=e["name"],
            repo=e["repo"],
            commit=e["commit"],
            root=e.get("root") or ".",
            env={k: str(v) for k, v in (e.get("env") or {}).items()},
            secrets={k: str(v) for k, v in (e.get("secrets") or {}).items()},
            service=e.get("service"),
            note=e.get("note", ""),
            blocker=e.get("blocker"),
        )
        for e in entries
    ]
    if only:
        unknown = sorted(set(only) - {r.name for r in repos})
        if unknown:
            raise SystemExit(f"not in {DATA.name}: {', '.join(unknown)}")
        repos = [r for r in repos if r.name in only]
    return repos


def bench_settings(tmp: Path, namespace: str, admin: str, proxy: str) -> Settings:
    """bench/pipeline.py's settings with the default `{version}` base images (testenv's Docker Hub
    mirror) and the runtime versions the mirror serves, so a project's own version is honoured."""
    base = settings(tmp, namespace, admin, proxy).model_dump(by_alias=True)
    base["build"]["baseImages"] = {}
    base["build"]["runtimes"] = {
        language: {"default": versions[0], "versions": list(versions)}
        for language, versions in SERVED.items()
    }
    base["build"]["sandbox"]["memoryMb"] = 2048
    return Settings.model_validate(base)


def zipped(path: Path) -> bytes:
    """The clone as a user zips it: every file but `.git`'s, symlinks left out."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for file in sorted(path.rglob("*")):
            relative = file.relative_to(path)
            if relative.parts[0] == ".git" or file.is_symlink() or not file.is_file():
                continue
            archive.write(file, relative.as_posix())
    return buffer.getvalue()


def head(clone: Path) -> str:
    done = subprocess.run(["git", "-C", str(clone), "rev-parse", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip()


async def events_of(client: httpx.AsyncClient, upload_id: str, job_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/deploy/{upload_id}/events", params={"follow": "false"})
    events = [json.loads(line[5:]) for line in response.text.splitlines() if line.startswith("data:")]
    return [e for e in events if e["job_id"] == job_id]


async def wait_done(client: httpx.AsyncClient, upload_id: str, timeout: float) -> dict[str, Any] | None:
    """The deployment's status once its job ended; None when it is still running after `timeout`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        status: dict[str, Any] = await call(client, "GET", f"/deploy/{upload_id}/status", 200)
        if (status.get("job") or {}).get("status") in ("succeeded", "failed", "cancelled"):
            return status
        await asyncio.sleep(1)
    return None


def _at(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["created_at"])


def _one_line(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def summarise(repo: Repo, events: list[dict[str, Any]], timed_out: bool) -> Result:
    statuses = [e for e in events if e["kind"] == "status"]
    final = statuses[-1]["stage"] if statuses else "?"
    # The stage the job was in when it failed: the last status before FAILED.
    before = [e["stage"] for e in statuses if e["stage"] != "FAILED"]
    stage = before[-1] if before else final
    errors = [e["message"] for e in events if e["kind"] == "error"]
    data: dict[str, Any] = {}
    for event in events:
        data.update(event.get("data") or {})
    build = float(data["build_seconds"]) if "build_seconds" in data else None
    total = (_at(events[-1]) - _at(events[0])).total_seconds() if events else 0.0
    reason = errors[0] if errors else ""
    if timed_out:
        final, reason = "TIMEOUT", f"still {stage} after the timeout; {reason}".rstrip("; ")
    return Result(
        repo=repo,
        status=final,
        stage=stage if final not in ("DEPLOYED", "DEPLOYED_WITH_WARNINGS") else "",
        reason=_one_line(reason),
        build=build,
        total=total,
        warnings=sum(1 for e in events if e["kind"] == "warning"),
        message=reason,
    )


async def deploy_one(
    client: httpx.AsyncClient, clones: Path, repo: Repo, timeout: float, generated: bool
) -> Result:
    clone = clones / repo.name
    if not clone.is_dir():
        return Result(repo, "MISSING", "", f"no clone at CLONES_DIR/{repo.name}", None, 0.0)
    if head(clone) not in ("", repo.commit):
        print(f"  note: {repo.name} is at {head(clone)[:12]}, the data file names {repo.commit[:12]}")
    files = {"file": (f"{repo.name}.zip", zipped(clone), "application/zip")}
    upload_id = str((await call(client, "POST", "/uploads", 201, files=files))["id"])
    options: dict[str, Any] = {"env": repo.env, "secrets": repo.secrets}
    if repo.root != ".":
        options["root"] = repo.root
    if generated:
        options["dockerfile"] = "generated"
    accepted = await call(client, "POST", f"/deploy/{upload_id}", 202, json=options)
    try:
        status = await wait_done(client, upload_id, timeout)
        if status is None:
            await client.post(f"/deploy/{upload_id}/cancel")
            await wait_done(client, upload_id, 120)
        result = summarise(repo, await events_of(client, upload_id, str(accepted["job_id"])), status is None)
        if result.status in ("DEPLOYED", "DEPLOYED_WITH_WARNINGS"):
            answer = await client.get(f"/deploy/{upload_id}/proxy/")
            # The proxy's own errors (the app unreachable) carry no upstream timing.
            if "x-justpush-upstream-seconds" in answer.headers:
                result.answer = answer.status_code
            else:
                result.reason = _one_line(
                    f"GET / did not reach the app: HTTP {answer.status_code} {answer.text}"
                )
        return result
    finally:
        await client.delete(f"/deploy/{upload_id}")
        await wait_done(client, upload_id, 180)


def table(results: list[Result]) -> str:
    rows = [("repo", "target", "status", "stage", "answer", "build s", "total s", "reason")]
    for r in results:
        rows.append(
            (
                r.repo.repo,
                ("ok" if r.met else "MISSED") + f" ({r.repo.service or r.repo.blocker or 'answers'})",
                r.status,
                r.stage,
                str(r.answer or ""),
                f"{r.build:.0f}" if r.build is not None else "",
                f"{r.total:.0f}",
                r.reason,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=False)) + "  " + row[-1]
        for row in rows
    ]
    return "\n".join(lines)


async def main(clones: Path, only: list[str] | None, timeout: float, generated: bool) -> int:
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        print(f"bench/realrepos.py needs testenv: {', '.join(missing)} not set.", file=sys.stderr)
        return 2
    repos = load(only)
    namespace = f"jp-real-{secrets.token_hex(3)}"
    results: list[Result] = []
    with (
        tempfile.TemporaryDirectory(prefix="justpush-realrepos-") as tmp,
        kong_emulator(False) as (admin, proxy),
    ):
        try:
            async with deployer(bench_settings(Path(tmp), namespace, admin, proxy)) as client:
                for repo in repos:
                    print(f"{repo.repo} ...", flush=True)
                    result = await deploy_one(client, clones, repo, timeout, generated)
                    results.append(result)
                    print(
                        f"  {result.status} {result.stage} {result.answer or ''} {result.reason}", flush=True
                    )
        finally:
            await delete_namespace(namespace)
    print()
    print(table(results))
    free = [r for r in results if r.repo.service is None and r.repo.blocker is None]
    answering = sum(1 for r in results if r.answer is not None)
    stopped = [r for r in results if r.repo.service is not None and r.repo.blocker is None]
    blocked = [r for r in results if r.repo.blocker is not None]
    print(
        f"\nanswering HTTP: {answering}/{len(results)} ({answering / max(len(results), 1):.0%}); "
        f"of those needing no service: {sum(1 for r in free if r.met)}/{len(free)}; "
        f"needing a service and stopped in SCANNING naming it: "
        f"{sum(1 for r in stopped if r.met)}/{len(stopped)}; "
        f"pinning what cannot build or import and stopped in SCANNING naming it: "
        f"{sum(1 for r in blocked if r.met)}/{len(blocked)}"
    )
    return 0 if all(r.met for r in results) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("clones", type=Path, help="Folder holding the clones (<owner>__<name>).")
    parser.add_argument("--only", action="append", help="Deploy only this clone (repeatable).")
    parser.add_argument("--timeout", type=float, default=360, help="Seconds per deploy (default 360).")
    parser.add_argument(
        "--generated-dockerfile", action="store_true", help="Build with JustPush's Dockerfile."
    )
    arguments = parser.parse_args()
    sys.exit(
        asyncio.run(main(arguments.clones, arguments.only, arguments.timeout, arguments.generated_dockerfile))
    )
