from __future__ import annotations

import pytest

from justpush.pipeline import smoke_paths
from justpush.pipeline._smoke import run_smoke


def test_smoke_paths_are_gets_without_parameters() -> None:
    spec = {
        "paths": {
            "/users/{id}": {"get": {}},
            "/health": {"get": {}},
            "/items": {"post": {}, "get": {}},
            "/orders": {"post": {}},
            "/": {"get": {}},
        }
    }
    assert smoke_paths(spec) == ["/", "/health", "/items"]


def test_no_paths() -> None:
    assert smoke_paths({}) == []


async def test_run_smoke_classifies_results() -> None:
    answers = {"/ok": 200, "/auth": 401, "/broken": 500}

    async def probe(path: str) -> int:
        if path == "/down":
            raise ConnectionError("refused")
        return answers[path]

    results = {r.path: r for r in await run_smoke("service", probe, ["/ok", "/auth", "/broken", "/down"])}
    assert results["/ok"].ok and results["/auth"].ok
    assert not results["/broken"].ok and results["/broken"].status == 500
    assert not results["/down"].ok and results["/down"].error == "refused"
    with_key = {r.path: r for r in await run_smoke("gateway", probe, ["/auth"], authenticated=True)}
    # With the developer's key, a 401 means the gateway refused a valid key.
    assert not with_key["/auth"].ok


@pytest.mark.parametrize("timeout", [0.01])
async def test_run_smoke_times_out(timeout: float) -> None:
    import asyncio

    async def slow(path: str) -> int:
        await asyncio.sleep(1)
        return 200

    (result,) = await run_smoke("service", slow, ["/slow"], timeout=timeout)
    assert not result.ok and result.status is None
