"""What the running application holds: created in the lifespan, reached through `app.state.justpush`."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import anyio
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from justpush import k8s, store
from justpush.config import Settings
from justpush.pipeline import EventBroker, PipelineWorker
from justpush.security import SecretBox


class AnalysisOutcome(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


# `justpush.analysis.analyze` of (workspace, the user's app folder or None): blocking, run in a thread.
Analyzer = Callable[[Path, str | None], AnalysisOutcome]


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    secret_box: SecretBox
    analyzer: Analyzer
    analyze_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Analyses running at once (each a CPU-bound thread); more wait for a slot.
    analysis_limiter: anyio.CapacityLimiter = field(default_factory=lambda: anyio.CapacityLimiter(2))
    # Open event and log streams per user id (bounded by api.maxStreamsPerUser).
    open_streams: Counter[int] = field(default_factory=Counter)
    # Wakes deployment event streams; the pipeline worker, when this process runs one.
    broker: EventBroker = field(default_factory=EventBroker)
    pipeline: PipelineWorker | None = None
    # Background tasks owned by the app (e.g. analysis runs), cancelled at shutdown.
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    # Sessions for reads only (event streams and their access checks): they never wait for a writer.
    readers: async_sessionmaker[AsyncSession] = field(init=False)
    # The cluster client of the API's short requests (status, usage, scale, proxy), opened on first use:
    # a dashboard polling status would otherwise pay a TLS handshake per poll.
    _cluster: k8s.K8sClient | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.readers = store.reader_factory(self.sessions)

    def cluster(self) -> k8s.K8sClient:
        if self._cluster is None:
            self._cluster = k8s.K8sClient(self.settings.kubernetes)
        return self._cluster

    async def aclose(self) -> None:
        """Cancel the app's background tasks and close its clients."""
        await self.cancel_tasks()
        if self._cluster is not None:
            cluster, self._cluster = self._cluster, None
            await cluster.aclose()

    @property
    def data_dir(self) -> Path:
        return self.settings.server.data_dir

    def spawn(self, coroutine: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Run `coroutine` in the background for the app's lifetime (a reference is kept until it ends)."""
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def cancel_tasks(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        for task in list(self.tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


# A background worker: given the state, an async context manager running from startup to shutdown.
WorkerFactory = Callable[[AppState], AbstractAsyncContextManager[object]]
