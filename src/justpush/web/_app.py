"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from functools import partial
from pathlib import Path

import anyio
from fastapi import FastAPI

import justpush
from justpush import store
from justpush.config import AnalysisSettings, Settings
from justpush.pipeline import PipelineWorker
from justpush.security import load_secret_box, prepare_data_dir

from ._errors import exception_handlers
from ._middleware import BodyLimitMiddleware, RequestContextMiddleware
from ._multipart import FORM_OVERHEAD_BYTES
from ._state import AnalysisOutcome, Analyzer, AppState, WorkerFactory
from .api import api_router

logger = logging.getLogger(__name__)


def _analyze(limits: AnalysisSettings, root: Path, app_root: str | None) -> AnalysisOutcome:
    # Imported at first use: the analysis stack (tree-sitter grammars) is heavy to load.
    from justpush.analysis import AnalysisOptions, analyze

    options = AnalysisOptions(
        max_file_bytes=limits.max_file_bytes,
        max_routes=limits.max_routes,
        max_spec_bytes=limits.max_spec_bytes,
        timeout_seconds=limits.timeout_seconds,
        root=app_root,
    )
    return analyze(root, options)


def pipeline_worker(state: AppState) -> PipelineWorker:
    """The in-process pipeline worker as a lifespan worker (see `create_app`)."""
    worker = PipelineWorker(state.settings, state.sessions, state.secret_box, state.broker)
    state.pipeline = worker
    return worker


def default_workers(settings: Settings) -> list[WorkerFactory]:
    """What `serve` runs: the in-process pipeline worker when deployment is enabled and not external."""
    if settings.deployment.enabled and settings.server.worker == "in-process":
        return [pipeline_worker]
    return []


def create_app(
    settings: Settings,
    *,
    workers: Sequence[WorkerFactory] = (),
    analyzer: Analyzer | None = None,
    migrate: bool = True,
) -> FastAPI:
    """Build the API application; nothing is opened until the lifespan starts.

    At startup the lifespan migrates the database to head (unless `migrate=False`), creates the engine
    and session factory, loads the encryption key and stores an `AppState` as `app.state.justpush`.
    Then it enters each of `workers` — callables taking the `AppState` and returning an async context
    manager — in order, and exits them in reverse order at shutdown, before background tasks are
    cancelled and the engine is disposed. The pipeline's in-process worker plugs in here, e.g.
    `create_app(settings, workers=[lambda state: PipelineWorker(state.sessions, ...)])`.
    `analyzer` replaces `justpush.analysis.analyze` (tests).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = settings.database_url
        prepare_data_dir(settings.server.data_dir)
        if migrate:
            await anyio.to_thread.run_sync(store.upgrade, url)
        engine = store.create_engine(url)
        state = AppState(
            settings=settings,
            engine=engine,
            sessions=store.session_factory(engine),
            secret_box=load_secret_box(settings.security, settings.server.data_dir),
            analyzer=analyzer or partial(_analyze, settings.analysis),
        )
        app.state.justpush = state
        logger.info("justpush %s started", justpush.__version__, extra={"stage": "startup"})
        try:
            async with AsyncExitStack() as stack:
                for worker in workers:
                    await stack.enter_async_context(worker(state))
                yield
        finally:
            await state.aclose()
            await engine.dispose()
            logger.info("justpush stopped", extra={"stage": "shutdown"})

    app = FastAPI(
        title="JustPush",
        version=justpush.__version__,
        description="From uploaded API source code to a running, gateway-managed API.",
        lifespan=lifespan,
        exception_handlers=exception_handlers(),
    )
    # Inside RequestContextMiddleware (the last added is outermost): its refusals get request ids, logs.
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=settings.api.max_body_bytes,
        route_limits={("POST", "/uploads"): settings.uploads.max_bytes + FORM_OVERHEAD_BYTES},
    )
    app.add_middleware(RequestContextMiddleware)
    app.include_router(api_router)
    return app
