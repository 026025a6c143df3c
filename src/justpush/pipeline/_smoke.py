"""VERIFYING: call every GET operation without path parameters, through the Service and the gateway."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

# A probe: given a path, the HTTP status it answered (raises on transport errors).
Probe = Callable[[str], Awaitable[int]]


@dataclass(frozen=True)
class SmokeResult:
    via: str
    path: str
    status: int | None
    ok: bool
    seconds: float
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def smoke_paths(spec: Mapping[str, Any]) -> list[str]:
    """Paths with a GET operation and no path parameter, sorted; `/` first when present."""
    paths = spec.get("paths") or {}
    found = sorted(
        path
        for path, item in paths.items()
        if isinstance(item, Mapping) and "get" in item and "{" not in path
    )
    return found


def _passed(status: int, *, authenticated: bool) -> bool:
    # 401/403 without a key prove the route and its auth plugin work; with the key they are failures.
    if 200 <= status < 400:
        return True
    return status in (401, 403) and not authenticated


# Answers that mean "not routed yet" rather than "broken": the cluster programs a new Service's IP and
# a gateway rebuilds its router a few seconds after the change (Kong: worker_state_update_frequency).
SETTLING = frozenset({502, 503, 504})
GATEWAY_SETTLING = SETTLING | {404}


async def run_smoke(
    via: str,
    probe: Probe,
    paths: list[str],
    *,
    authenticated: bool = False,
    timeout: float = 10.0,
    settle: float = 0.0,
    settling: frozenset[int] = SETTLING,
) -> list[SmokeResult]:
    """Probe every path; an answer in `settling` or a transport error is retried for up to `settle` s."""

    async def attempt(path: str) -> tuple[int | None, str | None]:
        try:
            return await asyncio.wait_for(probe(path), timeout), None
        except Exception as exc:  # every failure of a probe is a result, never a crash of the stage
            return None, str(exc) or type(exc).__name__

    async def one(path: str) -> SmokeResult:
        started = time.monotonic()
        # Short first waits: the route or Service usually settles within a few hundred milliseconds,
        # and a long first wait would be paid in full by every deploy.
        delay = 0.05
        status, error = await attempt(path)
        while (status is None or status in settling) and time.monotonic() - started + delay <= settle:
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)
            status, error = await attempt(path)
        seconds = round(time.monotonic() - started, 3)
        if status is None:
            return SmokeResult(via, path, None, False, seconds, error)
        return SmokeResult(via, path, status, _passed(status, authenticated=authenticated), seconds)

    return list(await asyncio.gather(*(one(path) for path in paths)))
