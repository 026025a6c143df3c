"""Exports of a deployed upload for other tools: `GET /deploy/{uploadId}/export/terraform` (a zip) and
`POST /deploy/{uploadId}/export/gitops` (a commit to the caller's Git repository)."""

from __future__ import annotations

import io
import zipfile

import anyio
from fastapi import APIRouter
from fastapi.responses import Response

from justpush import pipeline, security, store, uploads
from justpush.errors import ConflictError, JustPushError

from .._schemas import GitopsExportCreate, GitopsExportPublic
from ..deps import CurrentUser, SessionDep, StateDep

router = APIRouter(prefix="/deploy", tags=["exports"])


def _zip(folder: str, files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in sorted(files.items()):
            archive.writestr(f"{folder}/{name}", text)
    return buffer.getvalue()


async def _serving_revision(session: SessionDep, upload_id: str, user_id: int) -> store.DeploymentRevision:
    await store.get_upload(session, upload_id, owner_id=user_id)
    revisions = list(await store.list_revisions(session, upload_id))
    if not revisions:
        raise ConflictError(
            f"upload '{upload_id}' has no deployed revision to export; deploy it first, or export its "
            "folder with `justpush export terraform PATH --image REF`"
        )
    return revisions[-1]


@router.get(
    "/{upload_id}/export/terraform",
    responses={200: {"content": {"application/zip": {}}, "description": "the module as a zip"}},
)
async def terraform(upload_id: str, user: CurrentUser, session: SessionDep, state: StateDep) -> Response:
    """A Terraform module describing the serving revision: Kubernetes objects and Kong entities."""
    revision = await _serving_revision(session, upload_id, user.id)
    files = await anyio.to_thread.run_sync(
        pipeline.terraform_files, revision, state.secret_box, state.settings
    )
    folder = f"justpush-{upload_id}"
    return Response(
        await anyio.to_thread.run_sync(_zip, folder, files),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{folder}-terraform.zip"'},
    )


@router.post("/{upload_id}/export/gitops")
async def gitops(
    upload_id: str, body: GitopsExportCreate, user: CurrentUser, session: SessionDep, state: StateDep
) -> GitopsExportPublic:
    """Commit the serving revision's manifests, decK file and Argo CD / Flux object to a Git branch.

    Nothing is committed when the tree is already up to date; a refused push (the branch moved,
    wrong credentials) is a 409 / 400 and leaves the repository as it was.
    """
    revision = await _serving_revision(session, upload_id, user.id)
    settings = state.settings.gitops
    target = pipeline.gitops_target(
        settings,
        upload_id,
        repo_url=body.repo_url,
        branch=body.branch,
        path=body.path,
        tool=body.tool,
        username=body.username,
        token=body.token,
        ssh_key=body.ssh_key,
        known_hosts=body.known_hosts,
    )
    shown = uploads.redact_url(target.repo_url)
    audit = {"repo_url": shown, "branch": target.branch, "path": target.path, "revision": revision.revision}
    actor = user.name
    try:
        result = await pipeline.publish_revision(revision, state.secret_box, settings, target)
    except JustPushError as exc:
        await security.audit(
            session,
            actor=actor,
            action="deployment.export_gitops",
            target=f"upload:{upload_id}",
            result="refused",
            details={**audit, "reason": exc.message},
        )
        await session.commit()
        raise
    await security.audit(
        session,
        actor=actor,
        action="deployment.export_gitops",
        target=f"upload:{upload_id}",
        details={**audit, "commit": result.commit, "changed": result.changed},
    )
    await session.commit()
    return GitopsExportPublic(
        repo_url=shown,
        branch=target.branch,
        path=target.path,
        tool=target.tool,
        revision=revision.revision,
        commit=result.commit,
        changed=result.changed,
        files=list(result.files),
    )
