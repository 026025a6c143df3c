"""`/analyze/{upload_id}`: run the analysis as a background job, report status, serve the OpenAPI spec."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import anyio
import yaml
from fastapi import APIRouter
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import SQLAlchemyError

from justpush import security, store
from justpush.errors import ConflictError, JustPushError, NotFoundError

from .._schemas import AnalyzeAccepted, AnalyzePublic, ErrorBody
from .._state import AppState
from ..deps import CurrentUser, SessionDep, StateDep

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/analyze", tags=["analysis"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody}}


def _task_name(upload_id: str) -> str:
    return f"analyze:{upload_id}"


def _is_running(state: AppState, upload_id: str) -> bool:
    return any(t.get_name() == _task_name(upload_id) and not t.done() for t in state.tasks)


async def _run_analysis(state: AppState, upload_id: str, workspace: Path) -> None:
    extra = {"stage": "analyze", "upload_id": upload_id}
    outcome: dict[str, Any] | None = None
    error: str | None = None
    try:
        result = await anyio.to_thread.run_sync(state.analyzer, workspace)
        outcome = jsonable_encoder(result.to_dict())
        logger.info("analysis succeeded", extra=extra)
    except JustPushError as exc:
        error = exc.message
        logger.info("analysis failed: %s", exc.message, extra=extra)
    except Exception:
        logger.exception("analysis crashed", extra=extra)
        error = "internal error during analysis"
    try:
        async with state.sessions() as session:
            row = await store.ensure_analyze_result(session, upload_id)
            if outcome is not None:
                store.record_analysis(row, outcome)
            else:
                row.status, row.error, row.analyzed_at = "failed", error, store.utcnow()
            await session.commit()
    except SQLAlchemyError:
        # The upload was deleted while it was analysed; nothing to record.
        logger.warning("analysis result not stored", extra=extra)


async def begin_analysis(
    state: AppState, session: SessionDep, upload: store.Upload, user: store.User
) -> None:
    """Mark the upload's analysis running and start it in the background (committed here)."""
    async with state.analyze_lock:
        if _is_running(state, upload.id):
            raise ConflictError(
                f"upload '{upload.id}' is already being analysed", details={"upload_id": upload.id}
            )
        row = await store.ensure_analyze_result(session, upload.id)
        row.status, row.error = "running", None
        await security.audit(session, actor=user, action="analysis.start", target=f"upload:{upload.id}")
        await session.commit()
        state.spawn(_run_analysis(state, upload.id, Path(upload.workspace)), name=_task_name(upload.id))


@router.post("/{upload_id}", status_code=202, responses={**_NOT_FOUND, 409: {"model": ErrorBody}})
async def start_analysis(
    upload_id: str, user: CurrentUser, session: SessionDep, state: StateDep
) -> AnalyzeAccepted:
    """Run the analysis again (every upload is analysed once as soon as it arrives)."""
    upload = await store.get_upload(session, upload_id, owner_id=user.id)
    await begin_analysis(state, session, upload, user)
    return AnalyzeAccepted(upload_id=upload_id, status="running")


@router.get("/{upload_id}", responses=_NOT_FOUND)
async def get_analysis(upload_id: str, user: CurrentUser, session: SessionDep) -> AnalyzePublic:
    await store.get_upload(session, upload_id, owner_id=user.id)
    row = await store.get_analyze_result(session, upload_id)
    if row is None or row.status == "pending":
        return AnalyzePublic(upload_id=upload_id, status="not_started")
    return AnalyzePublic(
        upload_id=upload_id,
        status=row.status,
        profile=row.profile,
        spec=row.spec,
        spec_source=row.spec_source,
        spec_reason=row.spec_reason,
        warnings=row.warnings or [],
        error=row.error,
        analyzed_at=row.analyzed_at,
    )


async def _spec(upload_id: str, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    await store.get_upload(session, upload_id, owner_id=user.id)
    row = await store.get_analyze_result(session, upload_id)
    if row is None or row.spec is None:
        status = "not_started" if row is None else row.status
        raise NotFoundError(
            f"upload '{upload_id}' has no OpenAPI document (analysis status: {status})",
            details={"upload_id": upload_id, "status": status},
        )
    return row.spec


@router.get("/{upload_id}/openapi.json", responses=_NOT_FOUND)
async def get_openapi_json(upload_id: str, user: CurrentUser, session: SessionDep) -> JSONResponse:
    return JSONResponse(await _spec(upload_id, user, session))


@router.get(
    "/{upload_id}/openapi.yaml",
    responses={**_NOT_FOUND, 200: {"content": {"application/yaml": {}}}},
    response_class=Response,
)
async def get_openapi_yaml(upload_id: str, user: CurrentUser, session: SessionDep) -> Response:
    spec = await _spec(upload_id, user, session)
    text = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)
    return Response(text, media_type="application/yaml")
