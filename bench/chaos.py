"""Chaos on testenv: N deploys while worker processes are killed (SIGKILL) and paused (SIGSTOP) at random.

Runs a `justpush serve` (no in-process worker) and `--workers` `justpush worker` processes against one
database (PostgreSQL from JUSTPUSH_TEST_DATABASE_URL in a schema of its own, else SQLite), deploys the
inventory app `--deploys` times, and meanwhile every few seconds kills a random worker (a new one takes
its place) or pauses one for longer than the stale window. Then it deletes every upload and checks:

    every job final             no job queued or running once the workers had time to recover
    one pipeline per upload     no job wrote an event after it was settled, and no two jobs of an
                                upload wrote events in overlapping intervals
    nothing without a record    after the deploys: a FAILED upload has no Kubernetes object, registry
                                tag or Kong entity; no upload has a local image in the Docker engine
    nothing after delete        no object, tag, Kong entity or local image of any upload

Needs testenv (source its env file). Exit status 0 when every invariant holds, 1 when one fails,
2 when testenv is not configured.

    .venv/bin/python bench/chaos.py [--deploys 8] [--workers 2] [--seed N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.integration.support import (  # noqa: E402 - the repository root must be importable first
    PIPELINE_APPS,
    cluster_objects,
    free_port,
    local_images,
    registry_tags,
    zip_app,
)
from tests.kong_emulator import create_emulator, create_proxy, serve  # noqa: E402

REQUIRED = ("DOCKER_HOST", "JUSTPUSH_TEST_REGISTRY", "JUSTPUSH_TEST_BASE_IMAGES", "KUBECONFIG")
APP = PIPELINE_APPS / "python-inventory"
REPOSITORY = "jp-chaos"
IMAGES = f"{REPOSITORY}/python-inventory"
STALE_SECONDS = 6
FINAL_JOBS, ONE_PIPELINE = "every job final", "one pipeline per upload"
NO_ORPHANS, AFTER_DELETE = "nothing without a record", "nothing after delete"


def config(tmp: Path, database: str, namespace: str, kong_admin: str, kong_proxy: str, port: int) -> Path:
    images = json.loads(os.environ["JUSTPUSH_TEST_BASE_IMAGES"])
    data = {
        "server": {"dataDir": str(tmp / "data"), "port": port, "worker": "none"},
        "database": {"url": database},
        "deployment": {"enabled": True},
        "containerRegistry": {
            "url": f"http://{os.environ['JUSTPUSH_TEST_REGISTRY']}",
            "insecure": True,
            "repository": REPOSITORY,
        },
        "kubernetes": {
            "kubeconfig": os.environ["KUBECONFIG"],
            "namespace": namespace,
            "rolloutTimeoutSeconds": 180,
            "terminationGracePeriodSeconds": 2,
        },
        "kong": {"adminUrl": kong_admin, "gatewayUrl": kong_proxy, "upstream": "cluster-ip"},
        "build": {
            "dockerHost": os.environ["DOCKER_HOST"],
            "baseImages": {"python": images["python"], "python-runtime": images["python"]},
        },
    }
    data["server"]["workerStaleSeconds"] = STALE_SECONDS
    path = tmp / "app-config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@contextmanager
def database(tmp: Path) -> Iterator[str]:
    """A PostgreSQL schema of its own (dropped afterwards) when testenv has one, else a SQLite file."""
    base = os.environ.get("JUSTPUSH_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{(tmp / 'justpush.db').as_posix()}"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    from tests.conftest import postgres_schema_url

    schema = f"jp_chaos_{os.getpid()}_{secrets.token_hex(3)}"
    libpq = make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield postgres_schema_url(base, schema)
    finally:
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


class Workers:
    """The worker processes, and the chaos done to them."""

    def __init__(self, config: Path, logs: Path, count: int, rng: random.Random) -> None:
        self.config, self.logs, self.rng = config, logs, rng
        self.processes: list[subprocess.Popen[bytes]] = []
        self.kills = self.pauses = 0
        for _ in range(count):
            self.start()

    def start(self) -> None:
        log = (self.logs / f"worker-{len(self.processes) + self.kills}.log").open("ab")
        command = [sys.executable, "-m", "justpush", "--config", str(self.config), "worker"]
        self.processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log))

    async def havoc(self) -> None:
        """Every 3-10 s: SIGKILL a worker (and start another), or SIGSTOP one beyond the stale window."""
        while True:
            await asyncio.sleep(self.rng.uniform(3, 10))
            victim = self.rng.choice(self.processes)
            if self.rng.random() < 0.5:
                victim.kill()
                victim.wait()
                self.processes.remove(victim)
                self.kills += 1
                self.start()
            else:
                victim.send_signal(signal.SIGSTOP)
                self.pauses += 1
                try:
                    await asyncio.sleep(self.rng.uniform(STALE_SECONDS + 2, STALE_SECONDS * 3))
                finally:
                    victim.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGCONT)
            process.terminate()
        for process in self.processes:
            process.wait(timeout=60)


def server(config: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "justpush", "--config", str(config), "serve"],
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        time.sleep(0.3)
    process.kill()
    raise SystemExit(f"justpush serve did not start:\n{log.read_text()}")


async def wait_final(client: httpx.AsyncClient, upload_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status = (await client.get(f"/deploy/{upload_id}/status")).json()
        if (status.get("job") or {}).get("status") in ("succeeded", "failed"):
            return status
        await asyncio.sleep(1)
    return status


FINAL = {"DEPLOYED", "DEPLOYED_WITH_WARNINGS", "FAILED", "ROLLED_BACK", "DELETED"}


def pipeline_problems(events: list[dict[str, Any]]) -> list[str]:
    """One pipeline per upload: a job settles once and writes nothing after; jobs' events never interleave."""
    problems: list[str] = []
    by_job: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_job.setdefault(event["job_id"], []).append(event)
    spans: list[tuple[datetime, datetime, str]] = []
    for job_id, mine in by_job.items():
        settled = [i for i, e in enumerate(mine) if e["kind"] == "status" and e["stage"] in FINAL]
        if len(settled) != 1 or settled[0] != len(mine) - 1:
            problems.append(f"job {job_id} settled {len(settled)} time(s) or wrote after it settled")
        times = [datetime.fromisoformat(e["created_at"]) for e in mine]
        spans.append((min(times), max(times), job_id))
    spans.sort()
    problems += [
        f"jobs {a} and {b} wrote events at the same time"
        for (_, a_end, a), (b_start, _, b) in itertools.pairwise(spans)
        if b_start < a_end
    ]
    return problems


async def run(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    namespace = f"jp-chaos-{secrets.token_hex(3)}"
    failures: list[tuple[str, str]] = []
    admin_app = create_emulator()
    with (
        tempfile.TemporaryDirectory(prefix="jp-chaos-") as tmp_name,
        serve(admin_app) as kong_admin,
        serve(create_proxy(admin_app)) as kong_proxy,
        httpx.Client(base_url=kong_admin, timeout=10) as kong,
    ):
        tmp = Path(tmp_name)
        with database(tmp) as url:
            port = free_port()
            path = config(tmp, url, namespace, kong_admin, kong_proxy, port)
            created = subprocess.run(
                [sys.executable, "-m", "justpush", "--config", str(path), "users", "create", "chaos"],
                capture_output=True,
                text=True,
                check=True,
            )
            token = created.stdout.strip().splitlines()[-1]
            api = server(path, port, tmp / "server.log")
            workers = Workers(path, tmp, args.workers, rng)
            started = time.monotonic()
            try:
                async with httpx.AsyncClient(
                    base_url=f"http://127.0.0.1:{port}",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=60,
                ) as client:
                    uploads: list[str] = []
                    for _ in range(args.deploys):
                        files = {"file": ("python-inventory.zip", zip_app(APP), "application/zip")}
                        uploads.append((await client.post("/uploads", files=files)).json()["id"])
                    havoc = asyncio.create_task(workers.havoc())
                    for upload_id in uploads:
                        response = await client.post(f"/deploy/{upload_id}", json={})
                        assert response.status_code == 202, response.text
                    finals = [await wait_final(client, u, 900) for u in uploads]
                    havoc.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await havoc
                    outcome = {u: s.get("status") for u, s in zip(uploads, finals, strict=True)}
                    failures += [
                        (FINAL_JOBS, f"{u}: job not final ({s.get('job')})")
                        for u, s in zip(uploads, finals, strict=True)
                        if (s.get("job") or {}).get("status") not in ("succeeded", "failed")
                    ]
                    for upload_id in uploads:
                        events = (
                            await client.get(f"/deploy/{upload_id}/events", params={"follow": "false"})
                        ).text
                        parsed = [
                            json.loads(line[5:]) for line in events.splitlines() if line.startswith("data:")
                        ]
                        failures += [(ONE_PIPELINE, f"{upload_id}: {p}") for p in pipeline_problems(parsed)]
                        leftovers = local_images(upload_id)
                        if leftovers:
                            failures.append((NO_ORPHANS, f"{upload_id}: local images left {leftovers}"))
                        if outcome[upload_id] == "FAILED":
                            if cluster_objects(namespace, upload_id):
                                failures.append(
                                    (NO_ORPHANS, f"{upload_id}: FAILED but Kubernetes objects remain")
                                )
                            if upload_id in registry_tags(IMAGES):
                                failures.append(
                                    (NO_ORPHANS, f"{upload_id}: FAILED but its image tag remains")
                                )
                            if kong.get("/services", params={"tags": f"upload:{upload_id}"}).json()["data"]:
                                failures.append((NO_ORPHANS, f"{upload_id}: FAILED but Kong entities remain"))

                    for upload_id in uploads:
                        await client.request("DELETE", f"/deploy/{upload_id}")
                    deleted = [await wait_final(client, u, 600) for u in uploads]
                    for upload_id, status in zip(uploads, deleted, strict=True):
                        if status.get("status") != "DELETED":
                            failures.append(
                                (AFTER_DELETE, f"{upload_id}: delete ended {status.get('status')}")
                            )
                        if cluster_objects(namespace, upload_id) or upload_id in registry_tags(IMAGES):
                            failures.append((AFTER_DELETE, f"{upload_id}: objects or tag left after delete"))
                        for kind in ("services", "routes", "plugins", "consumers"):
                            if kong.get(f"/{kind}", params={"tags": f"upload:{upload_id}"}).json()["data"]:
                                failures.append((AFTER_DELETE, f"{upload_id}: Kong {kind} left after delete"))
                        if local_images(upload_id):
                            failures.append((AFTER_DELETE, f"{upload_id}: local images left after delete"))
            finally:
                workers.stop()
                api.terminate()
                api.wait(timeout=30)
                subprocess.run(
                    [
                        os.environ.get("JUSTPUSH_TEST_KUBECTL", "kubectl"),
                        f"--kubeconfig={os.environ['KUBECONFIG']}",
                        "delete",
                        "namespace",
                        namespace,
                        "--ignore-not-found",
                        "--wait=false",
                    ],
                    capture_output=True,
                    check=False,
                )
    counts: dict[str, int] = {}
    for status in outcome.values():
        counts[str(status)] = counts.get(str(status), 0) + 1
    print(
        f"{args.deploys} deploys, {args.workers} workers, {workers.kills} kills, {workers.pauses} pauses, "
        f"{time.monotonic() - started:.0f} s; outcomes {counts}"
    )
    for check in (FINAL_JOBS, ONE_PIPELINE, NO_ORPHANS, AFTER_DELETE):
        broken = [message for name, message in failures if name == check]
        print(f"  {'FAIL' if broken else 'ok  '} {check}")
        for message in broken:
            print(f"         {message}")
    print("all invariants hold" if not failures else f"{len(failures)} violation(s)")
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deploys", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        print(f"testenv is not configured (missing {', '.join(missing)})", file=sys.stderr)
        return 2
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
