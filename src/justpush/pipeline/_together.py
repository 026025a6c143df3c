"""Running independent steps of one job side by side: the first failure stops the others.

Unlike `asyncio.TaskGroup`, the failure is raised as itself (not wrapped in an ExceptionGroup), so the
flows' `except JustPushError` handlers and their undo logic see exactly what a serial run would raise.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


async def together(*works: Coroutine[Any, Any, Any]) -> list[Any]:
    """Await every coroutine concurrently and return their results in order.

    When one fails, the others are cancelled and awaited until they have stopped (a push in flight
    finishes, a sandboxed container is removed) before the first failure is raised; when the caller is
    cancelled, so is every step.
    """
    tasks = [asyncio.ensure_future(work) for work in works]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    except BaseException:
        await _stop(tasks)
        raise
    failed = next((t for t in tasks if t.done() and not t.cancelled() and t.exception()), None)
    if failed is not None:
        await _stop(tasks)
        error = failed.exception()
        assert error is not None
        raise error
    return [task.result() for task in tasks]


async def _stop(tasks: Sequence[asyncio.Future[Any]]) -> None:
    for task in tasks:
        task.cancel()
    # Shielded: the steps must have stopped before anyone undoes what they made.
    await asyncio.shield(asyncio.gather(*tasks, return_exceptions=True))


async def timed(name: str, timing: dict[str, float], work: Callable[[], Awaitable[T]]) -> T:
    """Await `work`, recording `<name>_seconds` and the wall-clock `<name>_started` in `timing`.

    The start times let bench/pipeline.py tell the time anything external ran from the pipeline's own
    overhead when steps overlap.
    """
    started_at, started = time.time(), time.monotonic()
    result = await work()
    timing[f"{name}_seconds"] = round(time.monotonic() - started, 3)
    timing[f"{name}_started"] = round(started_at, 3)
    return result
