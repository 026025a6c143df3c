"""`together`: steps side by side, the first failure stops the others before it is raised as itself."""

from __future__ import annotations

import asyncio

import pytest

from justpush.errors import StageFailed
from justpush.pipeline._together import timed, together


async def test_results_come_back_in_order_and_the_steps_overlap() -> None:
    async def step(value: int, delay: float) -> int:
        await asyncio.sleep(delay)
        return value

    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await together(step(1, 0.2), step(2, 0.1)) == [1, 2]
    assert loop.time() - started < 0.3


async def test_a_failure_stops_the_other_step_before_it_is_raised() -> None:
    cleaned = asyncio.Event()

    async def long_push() -> None:
        try:
            await asyncio.sleep(30)
        finally:
            # What a push in flight or a sandboxed container does when stopped: it takes a moment.
            await asyncio.sleep(0.05)
            cleaned.set()

    async def failing_check() -> None:
        await asyncio.sleep(0.01)
        raise StageFailed("verify", "the app exited with code 1 in the sandbox")

    with pytest.raises(StageFailed, match="exited with code 1"):
        await together(long_push(), failing_check())
    assert cleaned.is_set()


async def test_cancelling_the_caller_cancels_every_step() -> None:
    stopped: list[str] = []

    async def step(name: str) -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            stopped.append(name)
            raise

    task = asyncio.ensure_future(together(step("push"), step("check")))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sorted(stopped) == ["check", "push"]


async def test_timed_records_seconds_and_start() -> None:
    timing: dict[str, float] = {}

    async def work() -> str:
        await asyncio.sleep(0.05)
        return "done"

    assert await timed("push", timing, work) == "done"
    assert 0.05 <= timing["push_seconds"] < 1
    assert timing["push_started"] > 1e9
