from __future__ import annotations

from typing import Any, cast

import pytest

from justpush.pipeline import smoke_paths
from justpush.pipeline._smoke import GATEWAY_SETTLING, SmokeResult, run_smoke
from justpush.pipeline.flows._rollout import SmokeReport, record_smoke


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


async def test_answers_that_mean_not_routed_yet_are_retried_until_they_settle() -> None:
    answers = {"/late": [503, 502, 200], "/gone": [404, 404, 200], "/broken": [500, 200]}
    calls: dict[str, int] = {}

    async def probe(path: str) -> int:
        calls[path] = calls.get(path, 0) + 1
        sequence = answers[path]
        return sequence[min(calls[path], len(sequence)) - 1]

    results = {r.path: r for r in await run_smoke("service", probe, list(answers), settle=5)}
    assert results["/late"].ok and results["/late"].status == 200 and calls["/late"] == 3
    # Through the service a 404 and a 500 are the app's real answers.
    assert results["/gone"].status == 404 and calls["/gone"] == 1
    assert results["/broken"].status == 500 and calls["/broken"] == 1


async def test_a_gateway_404_is_retried_and_retrying_stops_at_the_settle_time() -> None:
    calls = 0

    async def never_routed(path: str) -> int:
        nonlocal calls
        calls += 1
        return 404

    (result,) = await run_smoke("gateway", never_routed, ["/x"], settle=1.0, settling=GATEWAY_SETTLING)
    assert not result.ok and result.status == 404
    assert 2 <= calls <= 5 and result.seconds <= 1.5


class _Recorder:
    """The part of a JobContext that record_smoke writes to."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    async def event(self, *args: object, **kwargs: object) -> None:
        pass

    async def warn(self, stage: str, message: str) -> None:
        self.warnings.append(message)


async def test_a_bad_request_only_through_the_gateway_points_at_the_host_header() -> None:
    results = [
        SmokeResult("service", "/", 200, True, 0.1),
        SmokeResult("gateway", "/", 400, False, 0.1),
        SmokeResult("service", "/items", 400, False, 0.1),
        SmokeResult("gateway", "/items", 400, False, 0.1),
    ]
    ctx = _Recorder()
    await record_smoke(cast(Any, ctx), SmokeReport(2, results, {}, ("Invalid HTTP_HOST header",)))
    assert ctx.warnings[0].startswith("smoke test via gateway: GET / -> 400: the app answers it through its")
    assert "ALLOWED_HOSTS" in ctx.warnings[0]
    # Refused through the Service as well: nothing points at the gateway.
    assert ctx.warnings[1:3] == [
        "smoke test via service: GET /items -> 400",
        "smoke test via gateway: GET /items -> 400",
    ]
    assert ctx.warnings[3] == "the app's last log lines:\nInvalid HTTP_HOST header"
