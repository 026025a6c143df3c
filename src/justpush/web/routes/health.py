"""Liveness and readiness; the only endpoints without authentication."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .._errors import error_response
from ..deps import StateDep

logger = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={503: {"description": "The database is not reachable."}},
    description="Ready once the database answers; `recovery` lists interrupted jobs still being undone.",
)
async def readyz(state: StateDep) -> JSONResponse:
    try:
        async with state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError) as exc:
        logger.warning("database not reachable: %s", exc.__class__.__name__, extra={"check": "database"})
        return error_response(503, "not_ready", "the database is not reachable", {"check": "database"})
    body: dict[str, object] = {"status": "ready", "database": "ok"}
    if state.pipeline is not None:
        # Recovery of interrupted jobs runs in the background; the API serves meanwhile (their uploads
        # answer 409 to new jobs until they are settled).
        body["recovery"] = state.pipeline.recovery_status()
    return JSONResponse(body)
