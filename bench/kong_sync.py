"""Kong sync benchmark: a 500-route spec against the Admin API emulator with simulated network latency.

Measures the initial sync with ``concurrency=1`` (serial) and with the default concurrency, and the
writes of a re-sync of the unchanged spec. Targets: speed-up >= 5x, re-sync writes == 0.

    .venv/bin/python bench/kong_sync.py [--routes 500] [--latency-ms 2] [--concurrency 16] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.kong_emulator

from justpush.config import KongSettings  # noqa: E402
from justpush.kong import Developer, KongClient, KongOptions, KongTarget, openapi_to_kong  # noqa: E402
from tests.kong_emulator import create_emulator  # noqa: E402

try:
    import sniffio  # noqa: F401
except ImportError:
    # httpx's ASGITransport imports sniffio on every request; without it, the failing module search
    # costs more CPU than the emulator itself. Remember the miss once (what an installed sniffio does).
    sys.modules["sniffio"] = None  # type: ignore[assignment]


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


async def timed_sync(config: Any, concurrency: int, latency: float) -> tuple[float, int, int]:
    app = create_emulator(latency=latency)
    settings = KongSettings(admin_url="http://kong.bench", concurrency=concurrency)
    async with KongClient(settings, transport=httpx.ASGITransport(app=app)) as kong:
        start = time.perf_counter()
        first = await kong.sync(config, config.upload_id)
        elapsed = time.perf_counter() - start
        again = await kong.sync(config, config.upload_id)
    return elapsed, first.writes, again.writes


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--routes", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=KongSettings().concurrency)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    options = KongOptions(developers=(Developer(username="dev", api_key=SecretStr("bench-key")),))
    config = openapi_to_kong(spec(args.routes), KongTarget(upload_id="bench", name="bench"), options)
    latency = args.latency_ms / 1000
    await timed_sync(config, args.concurrency, 0.0)  # warm-up: loads Kong's reference schemas once
    # Best of N: the machine is shared, and the minimum is the least disturbed run.
    serial_runs = [await timed_sync(config, 1, latency) for _ in range(args.repeat)]
    concurrent_runs = [await timed_sync(config, args.concurrency, latency) for _ in range(args.repeat)]
    serial, writes = min(r[0] for r in serial_runs), serial_runs[0][1]
    concurrent = min(r[0] for r in concurrent_runs)
    rewrites = max(r[2] for r in serial_runs + concurrent_runs)
    speedup = serial / concurrent
    print(f"routes={len(config.routes)} entities written={writes} latency={args.latency_ms} ms/request")
    print(f"initial sync serial (concurrency=1):        {serial:7.2f} s")
    print(f"initial sync concurrent (concurrency={args.concurrency}): {concurrent:7.2f} s")
    print(f"speed-up {speedup:.1f}x  (target >= 5x: {'met' if speedup >= 5 else 'MISSED'})")
    print(f"writes on re-sync {rewrites}  (target 0: {'met' if rewrites == 0 else 'MISSED'})")
    return 0 if speedup >= 5 and rewrites == 0 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
