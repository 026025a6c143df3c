"""Exports of a deployed upload for other tools: `GET /deploy/{uploadId}/export/terraform` (a zip)."""

from __future__ import annotations

import io
import zipfile

import anyio
from fastapi import APIRouter
from fastapi.responses import Response

from justpush import pipeline, store
from justpush.errors import ConflictError

from ..deps import CurrentUser, SessionDep, StateDep

router = APIRouter(prefix="/deploy", tags=["exports"])


def _zip(folder: str, files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in sorted(files.items()):
            archive.writestr(f"{folder}/{name}", text)
    return buffer.getvalue()


@router.get(
    "/{upload_id}/export/terraform",
    responses={200: {"content": {"application/zip": {}}, "description": "the module as a zip"}},
)
async def terraform(upload_id: str, user: CurrentUser, session: SessionDep, state: StateDep) -> Response:
    """A Terraform module describing the serving revision: Kubernetes objects and Kong entities."""
    await store.get_upload(session, upload_id, owner_id=user.id)
    revisions = list(await store.list_revisions(session, upload_id))
    if not revisions:
        raise ConflictError(
            f"upload '{upload_id}' has no deployed revision to export; deploy it first, or export its "
            "folder with `justpush export terraform PATH --image REF`"
        )
    files = await anyio.to_thread.run_sync(
        pipeline.terraform_files, revisions[-1], state.secret_box, state.settings
    )
    folder = f"justpush-{upload_id}"
    return Response(
        await anyio.to_thread.run_sync(_zip, folder, files),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{folder}-terraform.zip"'},
    )
