"""Kong sync benchmark: a 500-route spec against the Admin API emulator running in its own process.

The emulator (``python -m tests.kong_emulator``) listens on a loopback port and sleeps a simulated
network round trip in every request, so the client and the emulator's schema validation do not share
one CPU and serial requests pay a realistic latency. Measures the initial sync with ``concurrency=1``
(serial) and with the default concurrency, alternating the two, and reports medians; then the writes
of a re-sync of the unchanged spec. Targets: speed-up >= 5x, re-sync writes == 0.

    .venv/bin/python bench/kong_sync.py [--routes 500] [--latency-ms 5] [--concurrency 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from justpush.config import KongSettings
from justpush.kong import Developer, KongClient, KongConfig, KongOptions, KongTarget, openapi_to_kong

REPO = Path(__file__).resolve().parents[1]


def spec(routes: int) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for i in range(routes // 2):
        paths[f"/resource{i}/{{id}}"] = {"get": {"operationId": f"get{i}"}, "put": {"operationId": f"put{i}"}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "bench", "version": "1"},
        "security": [{"key": []}],
        "components": {"securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}}},
        "paths": paths,
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def emulator_process(latency_ms: float) -> Iterator[str]:
    """Start the emulator as a subprocess, wait until it answers, and terminate it afterwards."""
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "tests.kong_emulator",
        "--port",
        str(port),
        "--latency-ms",
        str(latency_ms),
        "--quiet",
    ]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    output = log.read().decode(errors="replace")[-2000:]
                    raise RuntimeError(f"the Kong emulator did not start:\n{output}")
                try:
                    if httpx.get(f"{url}/status", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def timed_sync(url: str, config: KongConfig, concurrency: int) -> tuple[float, int, int]:
    """Seconds of the initial sync, its writes, and the writes of a re-sync; the upload is removed after."""
    async with KongClient(KongSettings(admin_url=url, concurrency=concurrency)) as kong:
        start = time.perf_counter()
        first = await kong.sync(config, config.upload_id)
        elapsed = time.perf_counter() - start
        again = await kong.sync(config, config.upload_id)
    # Untimed clean-up with the default concurrency, so every run starts from an empty gateway.
    async with KongClient(KongSettings(admin_url=url)) as kong:
        removed = await kong.delete(config.upload_id)
    if removed.deleted != first.writes:
        raise RuntimeError(f"clean-up removed {removed.deleted} entities, the sync wrote {first.writes}")
    return elapsed, first.writes, again.writes


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--routes", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=5.0, help="simulated round trip per request")
    parser.add_argument("--concurrency", type=int, default=KongSettings().concurrency)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    options = KongOptions(developers=(Developer(username="dev", api_key=SecretStr("bench-key")),))
    config = openapi_to_kong(spec(args.routes), KongTarget(upload_id="bench", name="bench"), options)
    began = time.perf_counter()
    serial: list[float] = []
    concurrent: list[float] = []
    writes: set[int] = set()
    rewrites = 0
    with emulator_process(args.latency_ms) as url:
        await timed_sync(url, config, args.concurrency)  # warm-up: the emulator loads Kong's schemas
        # Alternate the two modes so a load change on the shared machine hits both alike.
        for _ in range(args.repeat):
            for concurrency, runs in ((1, serial), (args.concurrency, concurrent)):
                elapsed, written, rewritten = await timed_sync(url, config, concurrency)
                runs.append(elapsed)
                writes.add(written)
                rewrites = max(rewrites, rewritten)
    serial_median = statistics.median(serial)
    concurrent_median = statistics.median(concurrent)
    speedup = serial_median / concurrent_median
    print(
        f"routes={len(config.routes)} entities written={'/'.join(map(str, sorted(writes)))} "
        f"emulator: separate process on loopback, simulated latency {args.latency_ms:g} ms/request"
    )
    print(f"runs per mode: {args.repeat} (medians below)")
    print(
        f"initial sync serial (concurrency=1):        {serial_median:7.2f} s   "
        f"runs {', '.join(f'{t:.2f}' for t in serial)}"
    )
    print(
        f"initial sync concurrent (concurrency={args.concurrency}): {concurrent_median:7.2f} s   "
        f"runs {', '.join(f'{t:.2f}' for t in concurrent)}"
    )
    print(f"speed-up {speedup:.1f}x  (target >= 5x: {'met' if speedup >= 5 else 'MISSED'})")
    print(f"writes on re-sync {rewrites}  (target 0: {'met' if rewrites == 0 else 'MISSED'})")
    print(f"benchmark wall time {time.perf_counter() - began:.0f} s")
    return 0 if speedup >= 5 and rewrites == 0 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
