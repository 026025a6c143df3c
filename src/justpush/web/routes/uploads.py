"""`/uploads`: receive a zip / tar(.gz) (multipart field `file`) or a git URL (JSON), list, show, delete."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import anyio
from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from justpush import pipeline, security, store, uploads
from justpush.errors import ConflictError, UploadError, UploadTooLargeError

from .._multipart import MultipartFile
from .._schemas import ErrorBody, GitUploadCreate, UploadCreated, UploadPublic, UploadSummary
from ..deps import CurrentUser, SessionDep, StateDep
from .analyze import begin_analysis
from .deploy import gateway_url

router = APIRouter(prefix="/uploads", tags=["uploads"])

MAX_JSON_BYTES = 64 * 1024

_REQUEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "zip, tar or tar.gz"}
                    },
                }
            },
            "application/json": {"schema": GitUploadCreate.model_json_schema()},
        },
    }
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Refused upload (unsafe archive, bad git URL, …)."},
    413: {"model": ErrorBody, "description": "Over a size or file-count limit."},
}


async def _read_json(request: Request) -> GitUploadCreate:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_JSON_BYTES:
            raise UploadTooLargeError("the JSON body is too large", details={"limit": MAX_JSON_BYTES})
    try:
        return GitUploadCreate.model_validate_json(body)
    except ValidationError as exc:
        problems = [{"loc": list(e["loc"]), "message": e["msg"]} for e in exc.errors()]
        raise UploadError(
            'expected JSON {"git_url": "https://…", "ref": "…"}', details={"errors": problems}
        ) from exc


@router.post("", status_code=201, openapi_extra=_REQUEST_BODY, responses=_ERRORS)
async def create_upload(
    request: Request, user: CurrentUser, session: SessionDep, state: StateDep
) -> UploadCreated:
    limits = state.settings.uploads
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limits.max_bytes + 1024 * 1024:
            raise UploadTooLargeError(
                f"the upload is larger than {limits.max_bytes} bytes",
                details={"limit": limits.max_bytes, "reason": "too_large"},
            )
        form = MultipartFile(request, field="file", max_bytes=limits.max_bytes)
        received = await uploads.receive_archive(
            form.chunks(), filename=None, data_dir=state.data_dir, settings=limits
        )
        received = dataclasses.replace(received, filename=form.filename)
    elif content_type == "application/json":
        payload = await _read_json(request)
        received = await uploads.receive_git(
            payload.git_url, payload.ref, data_dir=state.data_dir, settings=limits
        )
    else:
        raise UploadError(
            'send multipart/form-data with a \'file\' field, or JSON {"git_url": …, "ref": …}',
            details={"reason": "unsupported_media_type"},
        )
    try:
        upload = await uploads.record_upload(session, received, owner_id=user.id)
        await security.audit(
            session,
            actor=user,
            action="upload.create",
            target=f"upload:{upload.id}",
            details={"source_kind": upload.source_kind, "files": upload.files, "bytes": upload.bytes},
        )
        await session.commit()
    except BaseException:
        uploads.remove_workspace(received.workspace)
        raise
    created = UploadCreated.model_validate(upload, from_attributes=True)
    # Analysed at once: the page has a result to show and the deploy form knows the variables to ask for.
    await begin_analysis(state, session, upload, user)
    return created


@router.get("")
async def list_uploads(user: CurrentUser, session: SessionDep, state: StateDep) -> list[UploadSummary]:
    """The user's uploads, newest first, each with its app (from the analysis) and its deployment."""
    result: list[UploadSummary] = []
    for row in await store.list_uploads(session, owner_id=user.id):
        summary = UploadSummary.model_validate(row, from_attributes=True)
        analysed = await store.get_analyze_result(session, row.id)
        if analysed is not None:
            profile, spec = analysed.profile or {}, analysed.spec or {}
            status = analysed.deployment_status
            revision = await store.latest_revision(session, row.id) if analysed.kong_api_id else None
            summary = summary.model_copy(
                update={
                    "app_name": (spec.get("info") or {}).get("title"),
                    "language": profile.get("language"),
                    "framework": profile.get("framework"),
                    "analysis_status": "not_started" if analysed.status == "pending" else analysed.status,
                    "deployment_status": status,
                    "url": gateway_url(state.settings, row.id, analysed, revision)
                    if status != pipeline.DeploymentStatus.DELETED.value
                    else None,
                    "deployed_at": analysed.deployed_at,
                }
            )
        result.append(summary)
    return result


@router.get("/{upload_id}", responses={404: {"model": ErrorBody}})
async def get_upload(upload_id: str, user: CurrentUser, session: SessionDep) -> UploadPublic:
    upload = await store.get_upload(session, upload_id, owner_id=user.id)
    return UploadPublic.model_validate(upload, from_attributes=True)


async def _refuse_if_deployed(session: SessionDep, upload_id: str) -> None:
    """Deleting the row would orphan what a deployment made (Kubernetes objects, Kong entities): only the
    pipeline's delete removes those, so the upload goes only once nothing is deployed or on its way."""
    job = await store.active_job(session, upload_id)
    if job is not None:
        raise ConflictError(
            f"upload '{upload_id}' has a {job.status} {job.kind} job; wait for it or cancel it "
            f"(POST /deploy/{upload_id}/cancel), then delete the deployment first",
            details={"upload_id": upload_id, "job_id": job.id, "kind": job.kind, "status": job.status},
        )
    record = await store.get_analyze_result(session, upload_id)
    status = record.deployment_status if record is not None else None
    if status not in (None, pipeline.DeploymentStatus.DELETED):
        raise ConflictError(
            f"upload '{upload_id}' has a deployment (status {status}); delete the deployment first "
            f"(DELETE /deploy/{upload_id}, or `justpush delete {upload_id}`), then the upload",
            details={"upload_id": upload_id, "deployment_status": status},
        )


@router.delete(
    "/{upload_id}", status_code=204, responses={404: {"model": ErrorBody}, 409: {"model": ErrorBody}}
)
async def delete_upload(upload_id: str, user: CurrentUser, session: SessionDep, state: StateDep) -> Response:
    upload = await store.get_upload(session, upload_id, owner_id=user.id)
    await _refuse_if_deployed(session, upload_id)
    workspace = Path(upload.workspace)
    await store.delete_upload(session, upload)
    await security.audit(session, actor=user, action="upload.delete", target=f"upload:{upload_id}")
    await session.commit()
    # Open event and log streams of this upload notice it is gone and close.
    state.broker.notify(upload_id)
    # Only after the commit: a failed delete must not leave a row without its files.
    await anyio.to_thread.run_sync(uploads.remove_workspace, workspace)
    return Response(status_code=204)
