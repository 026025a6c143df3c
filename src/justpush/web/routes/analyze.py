"""`/analyze/{upload_id}`: run the analysis as a background job, report status, serve the OpenAPI spec."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import anyio
import yaml
from fastapi import APIRouter
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from justpush import security, store
from justpush.analysis import resolve_root
from justpush.errors import ConflictError, JustPushError, NotFoundError

from .._schemas import AnalyzeAccepted, AnalyzeOptions, AnalyzePublic, ErrorBody
from .._state import AppState
from ..deps import CurrentUser, SessionDep, StateDep

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/analyze", tags=["analysis"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody}}
_TIMEOUT_MARGIN_SECONDS = 10.0


def _task_name(upload_id: str) -> str:
    return f"analyze:{upload_id}"


def _is_running(state: AppState, upload_id: str) -> bool:
    return any(t.get_name() == _task_name(upload_id) and not t.done() for t in state.tasks)


def _analyze_to_json(state: AppState, workspace: Path, root: str | None) -> dict[str, Any]:
    outcome: dict[str, Any] = jsonable_encoder(state.analyzer(workspace, root).to_dict())
    return outcome


async def _run_analysis(state: AppState, upload_id: str, workspace: Path, root: str | None) -> None:
    extra = {"stage": "analyze", "upload_id": upload_id}
    outcome: dict[str, Any] | None = None
    error: str | None = None
    limit = state.settings.analysis.timeout_seconds
    try:
        # Waiting for a free slot does not count against the time limit.
        async with state.analysis_limiter:
            # The analysis stops itself at its deadline; the margin covers a step that does not check
            # it. Past that, the thread is left to finish on its own and the run is reported as timed out.
            with anyio.fail_after(limit + _TIMEOUT_MARGIN_SECONDS):
                outcome = await anyio.to_thread.run_sync(
                    _analyze_to_json, state, workspace, root, abandon_on_cancel=True
                )
        logger.info("analysis succeeded", extra=extra)
    except TimeoutError:
        error = f"the analysis took longer than {limit:g} s (analysis.timeoutSeconds)"
        logger.warning("analysis timed out", extra=extra)
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
    state: AppState,
    session: SessionDep,
    upload: store.Upload,
    user: store.User,
    root: str | None = None,
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
        state.spawn(_run_analysis(state, upload.id, Path(upload.workspace), root), name=_task_name(upload.id))


@router.post(
    "/{upload_id}",
    status_code=202,
    responses={**_NOT_FOUND, 400: {"model": ErrorBody}, 409: {"model": ErrorBody}},
)
async def start_analysis(
    upload_id: str,
    user: CurrentUser,
    session: SessionDep,
    state: StateDep,
    options: AnalyzeOptions | None = None,
) -> AnalyzeAccepted:
    """Analyse the upload (again; every upload is analysed once as soon as it arrives); `root` picks the
    API's folder (default: detected)."""
    upload = await store.get_upload(session, upload_id, owner_id=user.id)
    root = options.root if options is not None else None
    if root is not None:
        root = resolve_root(Path(upload.workspace), root)
    await begin_analysis(state, session, upload, user, root)
    return AnalyzeAccepted(upload_id=upload_id, status="running")


@router.get("/{upload_id}", responses=_NOT_FOUND, response_model=AnalyzePublic)
async def get_analysis(upload_id: str, user: CurrentUser, session: SessionDep) -> Response:
    await store.get_upload(session, upload_id, owner_id=user.id)
    row = await store.get_analyze_result(session, upload_id, with_spec=False)
    if row is None or row.status == "pending":
        return _json(AnalyzePublic(upload_id=upload_id, status="not_started").model_dump_json())
    spec_text = await store.get_spec_text(session, upload_id)
    fields: dict[str, Any] = {
        "upload_id": upload_id,
        "status": row.status,
        "profile": row.profile,
        "spec_source": row.spec_source,
        "spec_reason": row.spec_reason,
        "warnings": row.warnings or [],
        "error": row.error,
        "analyzed_at": row.analyzed_at,
    }

    def encode() -> str:
        spec = json.loads(spec_text) if spec_text is not None else None
        return AnalyzePublic(**fields, spec=spec).model_dump_json()

    # A spec may be megabytes: decoding and encoding it on the event loop would stall every request.
    return _json(await run_in_threadpool(encode))


def _json(body: str) -> Response:
    return Response(body, media_type="application/json")


async def _spec_text(upload_id: str, user: CurrentUser, session: SessionDep) -> str:
    """The upload's spec as stored (JSON text); NotFoundError when there is none."""
    await store.get_upload(session, upload_id, owner_id=user.id)
    text = await store.get_spec_text(session, upload_id)
    if text is None:
        row = await store.get_analyze_result(session, upload_id, with_spec=False)
        status = "not_started" if row is None else row.status
        raise NotFoundError(
            f"upload '{upload_id}' has no OpenAPI document (analysis status: {status})",
            details={"upload_id": upload_id, "status": status},
        )
    return text


@router.get(
    "/{upload_id}/openapi.json",
    responses={**_NOT_FOUND, 200: {"content": {"application/json": {}}}},
    response_class=Response,
)
async def get_openapi_json(upload_id: str, user: CurrentUser, session: SessionDep) -> Response:
    return _json(await _spec_text(upload_id, user, session))


@router.get(
    "/{upload_id}/openapi.yaml",
    responses={**_NOT_FOUND, 200: {"content": {"application/yaml": {}}}},
    response_class=Response,
)
async def get_openapi_yaml(upload_id: str, user: CurrentUser, session: SessionDep) -> Response:
    stored = await _spec_text(upload_id, user, session)

    def encode() -> str:
        return yaml.safe_dump(json.loads(stored), sort_keys=False, allow_unicode=True)

    return Response(await run_in_threadpool(encode), media_type="application/yaml")
