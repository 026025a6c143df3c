"""`/deploy/{upload_id}`: the deployment lifecycle — deploy, status, events (SSE), logs, scale, redeploy,
rollback, revisions, delete. Every route is the calling user's; every state change is audited.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import Response, StreamingResponse

from justpush import k8s, pipeline, security, store
from justpush.analysis import required_reason, resolve_root
from justpush.config import Settings
from justpush.errors import (
    ConflictError,
    FeatureDisabledError,
    ForbiddenError,
    JustPushError,
    MissingEnvError,
)
from justpush.pipeline import (
    DeploymentStatus,
    DeployOptions,
    RedeployOptions,
    RollbackOptions,
    ScaleOptions,
)

from .._revision_diff import diff_revisions
from .._schemas import (
    DeploymentAccepted,
    DeploymentPublic,
    ErrorBody,
    EventPublic,
    JobPublic,
    LivePublic,
    PodPublic,
    RevisionDiffPublic,
    RevisionPublic,
)
from .._state import AppState
from .._streams import GuardedStreamingResponse, StreamLease, access_check
from ..deps import CurrentToken, CurrentUser, ReaderDep, ReadingUser, SessionDep, StateDep

logger = logging.getLogger(__name__)

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody},
    404: {"model": ErrorBody},
    409: {"model": ErrorBody},
}
_ERRORS_DEPLOY: dict[int | str, dict[str, Any]] = {**_ERRORS, 403: {"model": ErrorBody}}
# How long an SSE reader waits for a wake-up before it polls the database again.
_POLL_SECONDS = 1.0
_KEEPALIVE_SECONDS = 15.0
# The pass-through to an app: request bodies up to this size, answers cut at the other.
PROXY_MAX_REQUEST_BYTES = 1024 * 1024
PROXY_MAX_RESPONSE_BYTES = 5 * 1024 * 1024
_PROXY_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
# Request headers an app may need; the caller's JustPush token and cookies never reach the app.
_PROXY_REQUEST_HEADERS = {"accept", "accept-language", "content-type", "if-match", "if-none-match"}
# Answer headers that belong to the hop or could act on the JustPush site itself.
_PROXY_DROPPED_HEADERS = {
    "connection",
    "content-encoding",
    "content-length",
    "keep-alive",
    "set-cookie",
    "transfer-encoding",
    "content-security-policy",
    "strict-transport-security",
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "audit-id",
}
# A status answer waits this long for the cluster's live view before it answers without it.
_LIVE_TIMEOUT_SECONDS = 5.0


def require_enabled(state: StateDep) -> None:
    if not state.settings.deployment.enabled:
        raise FeatureDisabledError(
            "deployment is disabled; set deployment.enabled to true in app-config.yaml "
            "(or JUSTPUSH_DEPLOYMENT__ENABLED=true) and restart the server",
            details={"setting": "deployment.enabled"},
        )


router = APIRouter(prefix="/deploy", tags=["deployment"], dependencies=[Depends(require_enabled)])


async def _enqueue(
    state: AppState,
    session: SessionDep,
    user: store.User,
    upload_id: str,
    kind: str,
    options: dict[str, Any],
    secrets: dict[str, Any] | None = None,
    namespace: str | None = None,
) -> DeploymentAccepted:
    await store.get_upload(session, upload_id, owner_id=user.id)
    # Read before a rollback expires the row: the refusal is audited under the same name.
    actor, user_id = user.name, user.id
    try:
        if namespace is not None:
            await _check_namespace(state, session, upload_id, namespace)
        job = await pipeline.submit_job(
            session,
            state.secret_box,
            upload_id=upload_id,
            kind=kind,
            options=options,
            secret_options=secrets,
            user_id=user_id,
        )
        await security.audit(
            session,
            actor=actor,
            action=f"deployment.{kind}",
            target=f"upload:{upload_id}",
            details={"job_id": job.id, "options": options},
        )
        await session.commit()
    except JustPushError as exc:
        await session.rollback()
        await security.audit(
            session,
            actor=actor,
            action=f"deployment.{kind}",
            target=f"upload:{upload_id}",
            result="refused",
            details={"reason": exc.message},
        )
        await session.commit()
        raise
    if state.pipeline is not None:
        state.pipeline.wake()
    return DeploymentAccepted(
        upload_id=upload_id,
        job_id=job.id,
        kind=kind,
        status=DeploymentStatus.PENDING,
        events_url=f"/deploy/{upload_id}/events",
        status_url=f"/deploy/{upload_id}/status",
    )


async def _check_namespace(state: AppState, session: SessionDep, upload_id: str, namespace: str) -> None:
    """Only a namespace the operator allows, and never a move: the old one's objects would be orphaned."""
    settings = state.settings.kubernetes
    if not settings.namespace_allowed(namespace):
        allowed = sorted({settings.namespace, *settings.allowed_namespaces})
        raise ForbiddenError(
            f"namespace {namespace!r} is not allowed; allowed: {', '.join(allowed)} "
            "(kubernetes.allowedNamespaces)",
            details={"field": "namespace", "allowed": allowed},
        )
    record = await store.get_analyze_result(session, upload_id)
    current = ((record.k8s_deployment_info if record else None) or {}).get("namespace")
    if current is not None and current != namespace:
        raise ConflictError(
            f"upload '{upload_id}' is deployed in namespace {current!r}; delete that deployment before "
            f"deploying it to {namespace!r}",
            details={"field": "namespace", "current": current},
        )


@router.post("/{upload_id}", status_code=202, responses=_ERRORS_DEPLOY)
async def deploy(
    upload_id: str,
    user: CurrentUser,
    session: SessionDep,
    state: StateDep,
    options: DeployOptions | None = None,
) -> DeploymentAccepted:
    """Build, push, deploy to Kubernetes and configure Kong; follow it at `events_url`.

    `root` picks the API's folder inside the upload (default: the analysed or detected one). A variable
    the analysed code requires (read without a default) must be in `env` or `secrets`: else 400
    `missing_env` naming them, before any job exists."""
    options = options or DeployOptions()
    upload = await store.get_upload(session, upload_id, owner_id=user.id)
    if options.root is not None:
        options = options.model_copy(update={"root": resolve_root(Path(upload.workspace), options.root)})
    analysed = await store.get_analyze_result(session, upload_id)
    if analysed is not None and analysed.status == "succeeded" and analysed.profile:
        given = set(options.env) | set(options.secrets)
        unset = {
            str(var["name"]): required_reason(str(e.get("note", "")) for e in var.get("evidence") or [])
            for var in analysed.profile.get("envVars") or []
            if var.get("required") and var.get("default") is None and var.get("name") not in given
        }
        if unset:
            missing = sorted(unset)
            named = ", ".join(f"{name} ({unset[name]})" if unset[name] else name for name in missing)
            raise MissingEnvError(
                f"required environment variables have no value: {named}", details={"missing": missing}
            )
    return await _enqueue(
        state,
        session,
        user,
        upload_id,
        "deploy",
        options.public(),
        {"secrets": options.secrets},
        namespace=options.namespace or state.settings.kubernetes.namespace,
    )


@router.post("/{upload_id}/redeploy", status_code=202, responses=_ERRORS)
async def redeploy(
    upload_id: str, changes: RedeployOptions, user: CurrentUser, session: SessionDep, state: StateDep
) -> DeploymentAccepted:
    """Roll out changed env/config (the current image, unless `rebuild`)."""
    return await _enqueue(
        state, session, user, upload_id, "redeploy", changes.public(), {"secrets": changes.secrets}
    )


@router.post("/{upload_id}/rollback", status_code=202, responses=_ERRORS)
async def rollback(
    upload_id: str,
    user: CurrentUser,
    session: SessionDep,
    state: StateDep,
    request: RollbackOptions | None = None,
) -> DeploymentAccepted:
    """Re-apply a stored revision (default: the last good one before the current) — app and gateway."""
    request = request or RollbackOptions()
    return await _enqueue(state, session, user, upload_id, "rollback", request.model_dump(mode="json"))


@router.post("/{upload_id}/cancel", status_code=202, responses=_ERRORS)
async def cancel(upload_id: str, user: CurrentUser, session: SessionDep, state: StateDep) -> JobPublic:
    """Cancel the upload's job: a queued one at once; a running deploy or redeploy stops within
    about a second during its build or rollout (else at its next stage) and is undone, whichever
    worker process runs it. Rollback and delete run to their end: stopping them halfway helps nobody."""
    await store.get_upload(session, upload_id, owner_id=user.id)
    actor = user.name
    job = await store.active_job(session, upload_id)
    if job is None:
        raise ConflictError(f"upload '{upload_id}' has no queued or running job to cancel")
    if job.kind == "gateway":
        # It only gives Kong what it owes; cancelling it queued would mark a serving app FAILED.
        raise ConflictError(
            "a gateway job settles what Kong owes and cannot be cancelled; it ends within seconds",
            details={"job_id": job.id, "kind": job.kind},
        )
    if job.status == "queued":
        reason = f"cancelled by {actor} before it started"
        await store.finish_job(session, job, succeeded=False, error=reason)
        record = await store.ensure_analyze_result(session, upload_id)
        await pipeline.transition(session, record, DeploymentStatus.FAILED, job_id=job.id, message=reason)
    elif job.kind not in pipeline.CANCELLABLE_KINDS:
        raise ConflictError(
            f"a running {job.kind} cannot be cancelled; it leaves the deployment consistent when it ends",
            details={"job_id": job.id, "kind": job.kind},
        )
    else:
        await store.request_job_cancel(session, job, actor=actor)
    await security.audit(
        session,
        actor=actor,
        action="deployment.cancel",
        target=f"upload:{upload_id}",
        details={"job_id": job.id},
    )
    await session.commit()
    if state.pipeline is not None:
        state.pipeline.cancel(job.id, actor)
    state.broker.notify(upload_id)
    return JobPublic.model_validate(job, from_attributes=True)


@router.delete("/{upload_id}", status_code=202, responses=_ERRORS)
async def delete(
    upload_id: str, user: CurrentUser, session: SessionDep, state: StateDep
) -> DeploymentAccepted:
    """Remove the Kubernetes objects, Kong entities and image tag; safe to repeat."""
    return await _enqueue(state, session, user, upload_id, "delete", {})


@router.get("/{upload_id}/status", responses=_ERRORS)
async def status(upload_id: str, user: ReadingUser, reader: ReaderDep, state: StateDep) -> DeploymentPublic:
    """The deployment record. The developer API key appears once, in the first answer after it was made.

    Clients poll it during a deploy: it reads without the write lock, and writes (the record of an
    upload never deployed, the key's reveal) in a transaction of their own."""
    await store.get_upload(reader, upload_id, owner_id=user.id)
    record = await store.get_analyze_result(reader, upload_id)
    jobs = list(await store.list_jobs(reader, upload_id))
    revision = await store.latest_revision(reader, upload_id)
    # The snapshot is not needed past here: the live reads below take their time.
    await reader.commit()
    if record is None:
        async with state.sessions() as session:
            record = await store.ensure_analyze_result(session, upload_id)
            await session.commit()
    key = store.developer_api_key(record, state.secret_box)
    serving = record.deployment_status in {s.value for s in pipeline.SERVING}
    # Only a key Kong holds (its consumer was synced) is worth showing.
    api_key: str | None = None
    if key and serving and record.kong_api_id and record.api_key_revealed_at is None:
        api_key = await _reveal_once(state, user, upload_id)
    settings = state.settings
    info = dict(record.k8s_deployment_info or {})
    # The pod names stored at the last rollout are history; `live` has the pods of now.
    info.pop("pods", None)
    live = None
    if info and record.deployment_status != pipeline.DeploymentStatus.DELETED.value:
        live = await _live(state, upload_id, info.get("namespace"))
    rollback_of = (revision.release or {}).get("rollback_of") if revision is not None else None
    return DeploymentPublic(
        upload_id=upload_id,
        status=record.deployment_status,
        image=record.docker_image,
        kubernetes=info or None,
        kong=record.kong_api_id,
        gateway_url=gateway_url(settings, upload_id, record, revision),
        api_key=api_key,
        api_key_masked=_mask(key) if key else None,
        verification=record.verification,
        resource_usage=record.resource_usage,
        revision=revision.revision if revision else None,
        serving_revision=int(rollback_of) if rollback_of else (revision.revision if revision else None),
        replicas=info.get("replicas"),
        probe_paths=_probe_paths(record.spec) if info else [],
        live=live,
        job=JobPublic.model_validate(jobs[-1], from_attributes=True) if jobs else None,
        gateway_owed=record.gateway_owed,
        deployed_at=record.deployed_at,
        updated_at=record.updated_at,
    )


async def _reveal_once(state: AppState, user: store.User, upload_id: str) -> str | None:
    """The developer key, when no answer has shown it yet: two polls that both read it unshown
    claim its reveal, and one of them wins."""
    async with state.sessions() as session:
        if not await store.claim_key_reveal(session, upload_id):
            return None
        record = await store.get_analyze_result(session, upload_id)
        assert record is not None  # the claim above updated it
        await security.audit(
            session, actor=user, action="deployment.api_key.reveal", target=f"upload:{upload_id}"
        )
        await session.commit()
        return store.developer_api_key(record, state.secret_box)


def _legacy_prefix(configured: str, upload_id: str, revision: store.DeploymentRevision | None) -> str:
    """The gateway path of a deployment configured before routes had a per-upload segment (until its
    next deploy, redeploy or rollback reconfigures Kong)."""
    prefix = configured
    if revision is not None and revision.release:
        stored = (revision.release.get("options") or {}).get("path_prefix")
        prefix = stored if stored is not None else prefix
    return str(prefix).replace("{upload_id}", upload_id).rstrip("/")


def gateway_url(
    settings: Settings, upload_id: str, record: store.AnalyzeResult, revision: store.DeploymentRevision | None
) -> str | None:
    """Where the app answers through Kong (the path prefix its revision was deployed with)."""
    if not settings.kong.gateway_url or not record.kong_api_id:
        return None
    # Stored by CONFIGURING: the upload's own path on the gateway (/<app>-<upload id>[/prefix]).
    stored = (record.kong_api_id or {}).get("path_prefix")
    prefix = (
        str(stored)
        if stored is not None
        else _legacy_prefix(settings.gateway.path_prefix, upload_id, revision)
    )
    return settings.kong.gateway_url.rstrip("/") + prefix


async def _live(state: AppState, upload_id: str, namespace: str | None) -> LivePublic:
    """The Deployment's replica counts and pods from the cluster; a failure to read is reported, not
    raised, so the record still shows when the cluster is away."""
    try:
        workload = await asyncio.wait_for(
            state.cluster().workload_status(upload_id, namespace=namespace), _LIVE_TIMEOUT_SECONDS
        )
    except (JustPushError, TimeoutError) as exc:
        message = exc.message if isinstance(exc, JustPushError) else "the cluster did not answer in time"
        logger.warning("live status unavailable: %s", message, extra={"upload_id": upload_id})
        return LivePublic(
            deployment=None,
            desired=0,
            ready=0,
            updated=0,
            available=0,
            pods=[],
            read_at=store.utcnow(),
            error=message,
        )
    return LivePublic(
        deployment=workload.deployment,
        desired=workload.desired,
        ready=workload.ready,
        updated=workload.updated,
        available=workload.available,
        pods=[
            PodPublic(
                name=p.name,
                phase=p.phase,
                ready=p.ready,
                restarts=p.restarts,
                terminating=p.terminating,
                node=p.node,
                reason=p.reason or next((c.reason for c in p.containers if c.reason), None),
                message=p.message or next((c.message for c in p.containers if c.message), None),
            )
            for p in workload.pods
        ],
        read_at=store.utcnow(),
    )


def _mask(key: str) -> str:
    return f"{key[:4]}…{key[-2:]}" if len(key) > 8 else "…"


@router.get("/{upload_id}/usage", responses=_ERRORS)
async def usage(upload_id: str, user: CurrentUser, session: SessionDep, state: StateDep) -> dict[str, Any]:
    """Live CPU and memory per pod (metrics API, else the kubelet summary); stored on the record."""
    await store.get_upload(session, upload_id, owner_id=user.id)
    record = await store.ensure_analyze_result(session, upload_id)
    namespace = (record.k8s_deployment_info or {}).get("namespace", state.settings.kubernetes.namespace)
    pods = await state.cluster().usage(upload_id, namespace=namespace)
    measured = {
        "pods": [
            {"pod": p.pod, "cpu_millicores": round(p.cpu_nanocores / 1e6, 2), "memory_bytes": p.memory_bytes}
            for p in pods
        ],
        "cpu_millicores": round(sum(p.cpu_nanocores for p in pods) / 1e6, 2),
        "memory_bytes": sum(p.memory_bytes for p in pods),
        "measured_at": store.utcnow().isoformat(),
    }
    record.resource_usage = measured
    await session.commit()
    return measured


@router.get("/{upload_id}/revisions", responses=_ERRORS)
async def revisions(upload_id: str, user: CurrentUser, session: SessionDep) -> list[RevisionPublic]:
    await store.get_upload(session, upload_id, owner_id=user.id)
    return [RevisionPublic.from_row(r) for r in await store.list_revisions(session, upload_id)]


@router.get("/{upload_id}/revisions/diff", responses=_ERRORS)
async def revision_diff(
    upload_id: str,
    user: CurrentUser,
    session: SessionDep,
    before: Annotated[int, Query(ge=1, alias="from", description="The older revision.")],
    after: Annotated[int, Query(ge=1, alias="to", description="The newer revision.")],
) -> RevisionDiffPublic:
    """The settings that differ between two stored revisions: image, replicas, size, resources, rate
    limit, each env variable, and secrets by name (404 naming a revision that does not exist)."""
    await store.get_upload(session, upload_id, owner_id=user.id)
    old = RevisionPublic.from_row(await store.get_revision(session, upload_id, before))
    new = RevisionPublic.from_row(await store.get_revision(session, upload_id, after))
    return RevisionDiffPublic(before=before, after=after, changes=diff_revisions(old, new))


@router.put("/{upload_id}/scale", responses=_ERRORS)
async def scale(
    upload_id: str, request: ScaleOptions, user: CurrentUser, session: SessionDep, state: StateDep
) -> DeploymentPublic:
    """Set the replica count now (with an HPA: its minimum). Refused while a job runs."""
    await store.get_upload(session, upload_id, owner_id=user.id)
    actor = user.name
    running = await store.active_job(session, upload_id)
    record = await store.ensure_analyze_result(session, upload_id)
    try:
        if running is not None:
            raise pipeline.job_conflict(upload_id, running)
        if record.deployment_status not in {s.value for s in pipeline.SERVING}:
            raise ConflictError(
                f"upload '{upload_id}' is not serving (status {record.deployment_status}); deploy it first"
            )
        namespace = (record.k8s_deployment_info or {}).get("namespace", state.settings.kubernetes.namespace)
        await state.cluster().scale(
            upload_id, request.replicas, max_replicas=request.max_replicas, namespace=namespace
        )
        record.k8s_deployment_info = {**(record.k8s_deployment_info or {}), "replicas": request.replicas}
        await store.add_event(
            session,
            upload_id=upload_id,
            stage="SCALE",
            kind="progress",
            message=f"scaled to {request.replicas} replica(s)",
            data=request.model_dump(),
        )
        await security.audit(
            session,
            actor=actor,
            action="deployment.scale",
            target=f"upload:{upload_id}",
            details=request.model_dump(),
        )
        await session.commit()
    except JustPushError as exc:
        await session.rollback()
        await security.audit(
            session,
            actor=actor,
            action="deployment.scale",
            target=f"upload:{upload_id}",
            result="failed",
            details={"reason": exc.message, **request.model_dump()},
        )
        await session.commit()
        raise
    state.broker.notify(upload_id)
    return await status(upload_id, user, session, state)


@router.get(
    "/{upload_id}/events",
    responses={**_ERRORS, 200: {"content": {"text/event-stream": {}}}},
    response_class=StreamingResponse,
)
async def events(
    upload_id: str,
    request: Request,
    user: CurrentUser,
    token: CurrentToken,
    session: SessionDep,
    state: StateDep,
    last_event_id: Annotated[str | None, Header()] = None,
    after: Annotated[int | None, Query(ge=0, description="Resume after this event id.")] = None,
    until_done: Annotated[bool, Query(description="Close once no job is queued or running.")] = False,
    follow: Annotated[bool, Query(description="Keep the stream open for new events.")] = True,
) -> StreamingResponse:
    """Server-Sent Events: every stored event, resumable with `Last-Event-ID` (or `after`).

    The stream ends soon after its token is revoked or the upload is deleted; each user may hold at most
    `api.maxStreamsPerUser` event and log streams open (429 beyond)."""
    await store.get_upload(session, upload_id, owner_id=user.id)
    user_id = user.id
    await session.close()
    start = (
        after if after is not None else int(last_event_id) if last_event_id and last_event_id.isdigit() else 0
    )
    return GuardedStreamingResponse(
        _event_stream(state, request, upload_id, start, until_done=until_done, follow=follow),
        lease=StreamLease.acquire(state, user_id),
        still_allowed=access_check(state, token, upload_id, user_id),
        every=state.settings.api.stream_recheck_seconds,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _event_stream(
    state: AppState, request: Request, upload_id: str, after: int, *, until_done: bool, follow: bool
) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    quiet_since = loop.time()
    while True:
        async with state.readers() as session:
            # Asked before listing: a job that has ended stored all its events first, so none is missed.
            active = await store.active_job(session, upload_id) if until_done else None
            rows = await store.list_events(session, upload_id, after_id=after, limit=500)
        for row in rows:
            after = row.id
            body = EventPublic.model_validate(row, from_attributes=True).model_dump_json()
            yield f"id: {row.id}\nevent: {row.kind}\ndata: {body}\n\n"
        if rows:
            quiet_since = loop.time()
            continue
        if until_done and active is None:
            yield "event: done\ndata: {}\n\n"
            return
        if not follow:
            return
        if await request.is_disconnected():
            return
        if loop.time() - quiet_since > _KEEPALIVE_SECONDS:
            quiet_since = loop.time()
            yield ": keep-alive\n\n"
        await state.broker.wait(upload_id, _POLL_SECONDS)


@router.get("/{upload_id}/logs", responses=_ERRORS, response_class=StreamingResponse)
async def logs(
    upload_id: str,
    user: CurrentUser,
    token: CurrentToken,
    session: SessionDep,
    state: StateDep,
    follow: bool = False,
    tail: Annotated[int | None, Query(ge=0, le=100_000)] = 100,
    since: Annotated[int | None, Query(ge=1, description="Seconds.")] = None,
    timestamps: bool = False,
) -> StreamingResponse:
    """The app's log lines from every pod, `<pod> <line>` (`<pod> <RFC 3339 time> <line>` with
    `timestamps`); `follow` keeps the stream open (closed soon after the token is revoked or the upload
    deleted; counted against `api.maxStreamsPerUser`)."""
    await store.get_upload(session, upload_id, owner_id=user.id)
    user_id = user.id
    record = await store.ensure_analyze_result(session, upload_id)
    namespace = (record.k8s_deployment_info or {}).get("namespace", state.settings.kubernetes.namespace)
    await session.close()
    lease = StreamLease.acquire(state, user_id)
    try:
        cluster = k8s.K8sClient(state.settings.kubernetes)
    except BaseException:
        lease.release()
        raise
    lines = cluster.logs(
        upload_id, follow=follow, tail=tail, since=since, timestamps=timestamps, namespace=namespace
    )
    try:
        first = await anext(lines, None)
    except BaseException:
        lease.release()
        await cluster.aclose()
        raise

    async def body() -> AsyncIterator[str]:
        try:
            if first is not None:
                yield f"{first.pod} {first.line}\n"
                async for line in lines:
                    yield f"{line.pod} {line.line}\n"
        finally:
            await cluster.aclose()

    return GuardedStreamingResponse(
        body(),
        lease=lease,
        still_allowed=access_check(state, token, upload_id, user_id),
        every=state.settings.api.stream_recheck_seconds,
        media_type="text/plain; charset=utf-8",
    )


async def proxy(
    upload_id: str, path: str, request: Request, user: CurrentUser, session: SessionDep, state: StateDep
) -> Response:
    """Call the deployed app, which is cluster-internal without Kong, through the Kubernetes API server's
    service proxy: the method, path, query and body go to the upload's own Service.

    Forwarded request headers: Accept, Accept-Language, Content-Type, If-Match, If-None-Match, any `X-…`
    header, and `X-Upstream-Authorization` as the app's `Authorization` (this route's own Authorization is
    the caller's JustPush token and is never forwarded). Bodies up to 1 MiB; answers are cut at 5 MiB
    (`X-JustPush-Truncated: true`). `X-JustPush-Upstream-Seconds` is the app's time to answer."""
    await store.get_upload(session, upload_id, owner_id=user.id)
    record = await store.ensure_analyze_result(session, upload_id)
    info = dict(record.k8s_deployment_info or {})
    # A redeploy or rollback in progress leaves the app serving: refused only when deleted or never deployed.
    gone = record.deployment_status == pipeline.DeploymentStatus.DELETED.value
    await session.close()
    if gone or not info.get("service"):
        raise ConflictError(
            f"upload '{upload_id}' is not serving (status {record.deployment_status}); deploy it first"
        )
    segments = path.split("/")
    if any(segment in {".", ".."} for segment in segments):
        raise HTTPException(400, "the path must not contain '.' or '..' segments")
    body = await _bounded_body(request)
    headers = {k: v for k, v in request.headers.items() if _forwarded(k)}
    if "x-upstream-authorization" in request.headers:
        headers["authorization"] = request.headers["x-upstream-authorization"]
    headers.pop("x-upstream-authorization", None)
    answer = await state.cluster().service_request(
        info["service"],
        int(info.get("port") or 80),
        request.method,
        "/" + "/".join(quote(segment, safe="") for segment in segments),
        params=list(request.query_params.multi_items()),
        headers=headers,
        content=body,
        namespace=info.get("namespace"),
        max_body=PROXY_MAX_RESPONSE_BYTES,
    )
    passed = [(k, v) for k, v in answer.headers if k.lower() not in _PROXY_DROPPED_HEADERS]
    response = Response(content=answer.body, status_code=answer.status)
    for name, value in passed:
        response.headers.append(name, value)
    # The app's answer comes from this site's origin: it may never run as a page here.
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-JustPush-Upstream-Seconds"] = f"{answer.seconds:.3f}"
    if answer.truncated:
        response.headers["X-JustPush-Truncated"] = "true"
    return response


# One route per method: each gets its own operation id in the API document.
for _method in _PROXY_METHODS:
    router.add_api_route(
        "/{upload_id}/proxy/{path:path}",
        proxy,
        methods=[_method],
        operation_id=f"proxy_{_method.lower()}",
        responses={**_ERRORS, 413: {"model": ErrorBody}},
        openapi_extra={"requestBody": {"content": {"*/*": {}}, "required": False}},
    )


def _probe_paths(spec: dict[str, Any] | None) -> list[str]:
    """The paths Kubernetes probes (as the manifests render them), to tell probe requests in the logs."""
    paths = k8s.find_health_paths(spec)
    return sorted({p for p in (paths.liveness, paths.readiness) if p})


def _forwarded(name: str) -> bool:
    name = name.lower()
    if name in _PROXY_REQUEST_HEADERS:
        return True
    return name.startswith("x-") and not name.startswith(("x-forwarded-", "x-justpush-", "x-csrf"))


async def _bounded_body(request: Request) -> bytes:
    too_large = HTTPException(413, f"the request body is over {PROXY_MAX_REQUEST_BYTES} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > PROXY_MAX_REQUEST_BYTES:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > PROXY_MAX_REQUEST_BYTES:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)
