"""From a pushed image to a serving revision: the release phase, the objects, the rollout wait beside the
Kong sync, and the smoke test."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from justpush import k8s, kong, store
from justpush.errors import JustPushError, StageFailed
from justpush.store import AnalyzeResult, DeploymentRevision

from .._context import JobContext, LeaseLost
from .._gitops import gitops_target, publish_revision
from .._owed import SMOKE_LOG_WARNING
from .._release import Release, deployment_name, kong_inputs, revision_payload
from .._release_phase import run_release_phase
from .._services import Services
from .._smoke import GATEWAY_SETTLING, SmokeResult, run_smoke, smoke_paths
from .._status import DeploymentStatus as S
from .._together import timed
from ._kong import configure_gateway, gateway_failed
from ._undo import undo_cluster, undo_gateway, undo_push


def check_namespace(ctx: JobContext, namespace: str, stage: str, record: AnalyzeResult | None) -> None:
    """The API refuses these before a job exists; checked again here for stored options, queued jobs
    and revisions made before the operator narrowed `kubernetes.allowedNamespaces`. `record` is the
    upload's deployment record as the job last read it."""
    if not ctx.settings.kubernetes.namespace_allowed(namespace):
        raise StageFailed(stage, f"namespace {namespace!r} is not allowed (kubernetes.allowedNamespaces)")
    current = ((record.k8s_deployment_info if record else None) or {}).get("namespace")
    if current is not None and current != namespace:
        raise StageFailed(
            stage, f"the deployment lives in namespace {current!r}; it cannot move to {namespace!r}"
        )


async def roll_out(
    ctx: JobContext,
    services: Services,
    release: Release,
    *,
    previous: DeploymentRevision | None,
    pushed: str | None = None,
    beside: asyncio.Future[None] | None = None,
) -> None:
    """Kubernetes, Kong, smoke test, revision; a failed rollout is undone, with the tag this run `pushed`.

    `beside` is work of the job running meanwhile (removing local images): its warnings count, so it
    ends before the final status.
    """
    async with ctx.transaction() as session:
        record = await store.get_analyze_result(session, ctx.upload_id, with_spec=False)
        await ctx.set_status(S.DEPLOYING)
    namespace = release.namespace(ctx.settings)
    check_namespace(ctx, namespace, S.DEPLOYING.value, record)
    if not release.options.read_only_root:
        await ctx.warn(
            S.DEPLOYING.value,
            "the root filesystem is writable (read_only_root: false): files the app writes outside its "
            "volumes are lost when the pod restarts; a generated image's code stays read-only to the app, "
            "so a folder next to it needs --set writable_paths=<folder>",
        )
    timing: dict[str, float] = {}
    applying = False
    # Kong is configured beside the rollout wait: routes may exist before the pods are ready (the
    # smoke test waits for both). Its failure never stops the rollout; a failed rollout stops it.
    gateway: asyncio.Future[dict[str, Any] | JustPushError] | None = None
    try:
        info = await timed("discover", timing, services.cluster.discover)
        await ctx.event(
            S.DEPLOYING.value, "progress", f"Kubernetes {info.server_version}; HPA API {info.hpa_api_version}"
        )
        objects = release.manifests(ctx.settings, info)
        ctx.check_cancelled(S.DEPLOYING)
        applying = True
        await run_release_phase(ctx, services, release, objects)
        await timed("apply", timing, lambda: services.cluster.apply(objects))
        await ctx.event(
            S.DEPLOYING.value, "progress", f"applied {len(objects)} objects to namespace {namespace}"
        )
        if services.gateway is not None:
            gateway = asyncio.ensure_future(_gateway_beside(ctx, services, release, namespace))
        sink = ctx.log_sink(S.DEPLOYING.value)

        def progress(p: k8s.RolloutProgress) -> None:
            sink(f"{p.deployment}: {p.ready}/{p.desired} ready, {p.updated} updated")

        await timed(
            "rollout",
            timing,
            lambda: ctx.cancellable(
                S.DEPLOYING,
                services.cluster.wait_rollout(
                    ctx.upload_id,
                    ctx.settings.kubernetes.rollout_timeout_seconds,
                    progress,
                    namespace=namespace,
                ),
            ),
        )
    except BaseException as exc:
        if gateway is not None:
            gateway.cancel()
            await asyncio.gather(gateway, return_exceptions=True)
        if isinstance(exc, LeaseLost) or ctx.lost:
            raise
        await ctx.flush_logs()
        reason = getattr(exc, "message", None) or str(exc)
        if applying:
            await undo_cluster(ctx, services, previous, namespace=namespace, reason=reason)
        if gateway is not None:
            await undo_gateway(ctx, services, previous)
            if previous is None:
                await ctx.update_record(kong_api_id=None)
        if pushed is not None:
            await undo_push(ctx, services, pushed, S.DEPLOYING.value)
        raise
    deployment_info = await timed(
        "describe", timing, lambda: describe(ctx, services, release, deployment_name(objects))
    )
    # One commit hands over to the next stage; to the one after too when Kong, configured beside the
    # rollout, is already done.
    pending = gateway if gateway is not None and not gateway.done() else None
    async with ctx.transaction():
        await ctx.flush_logs()
        await ctx.update_record(k8s_deployment_info=deployment_info, docker_image=release.image)
        await ctx.event(
            S.DEPLOYING.value, "end", f"Deployment {deployment_info['deployment']} is ready", timing
        )
        if gateway is None:
            await ctx.event(
                S.DEPLOYING.value,
                "notice",
                "Kong is not configured (kong.adminUrl is empty): CONFIGURING is skipped and the app is "
                f"reachable through Service {deployment_info['service']}.{namespace}",
            )
        else:
            await ctx.set_status(S.CONFIGURING)
        if pending is None:
            kong_config = await _configured(ctx, gateway, previous)
    if pending is not None:
        await asyncio.wait({pending})
        async with ctx.transaction():
            kong_config = await _configured(ctx, gateway, previous)
    gateway_ok = kong_config is not None

    report = await smoke_test(ctx, services, release, deployment_info, through_gateway=gateway_ok)

    manifests_text, sealed = revision_payload(release, objects)
    if beside is not None:
        await beside
    # Without GitOps the revision and the final status are one commit. With it, the commit to the
    # branch comes between them: it needs the revision, and a refused commit is a warning of this job.
    gitops = ctx.settings.gitops.enabled
    async with ctx.transaction() as session:
        await record_smoke(ctx, report)
        revision = await store.add_revision(
            session,
            ctx.cipher,
            upload_id=ctx.upload_id,
            image=release.image,
            image_digest=release.image.rpartition("@")[2],
            env=dict(release.options.env),
            secret_env=sealed,
            replicas=release.replicas,
            resources=release.options.resources.model_dump() if release.options.resources else {},
            manifests=manifests_text,
            kong_config=kong_config or {},
            release=release.to_record(),
            created_by=ctx.user_id,
        )
        if not gitops:
            await _deployed(ctx, report.results)
    if gitops:
        await commit_gitops(ctx, revision, S.VERIFYING.value)
        await _deployed(ctx, report.results)


async def _configured(
    ctx: JobContext,
    gateway: asyncio.Future[dict[str, Any] | JustPushError] | None,
    previous: DeploymentRevision | None,
) -> dict[str, Any] | None:
    """Record how the finished Kong sync went and move on to VERIFYING; the synced configuration, None
    when Kong is not in front of the app (not configured, or its sync failed)."""
    outcome = gateway.result() if gateway is not None else None
    if isinstance(outcome, JustPushError):
        await gateway_failed(ctx, S.CONFIGURING.value, outcome, previous.revision + 1 if previous else 1)
    await ctx.set_status(S.VERIFYING)
    return None if isinstance(outcome, JustPushError) else outcome


async def _deployed(ctx: JobContext, results: list[SmokeResult]) -> None:
    final = S.DEPLOYED_WITH_WARNINGS if ctx.warnings else S.DEPLOYED
    await ctx.set_status(
        final,
        "; ".join(ctx.warnings) if ctx.warnings else "deployed",
        deployed_at=store.utcnow(),
        verification={"results": [r.to_dict() for r in results], "warnings": list(ctx.warnings)},
    )


async def commit_gitops(ctx: JobContext, revision: DeploymentRevision, stage: str) -> None:
    """With `gitops.enabled`, the serving revision's tree goes to the configured branch. The cluster
    already runs it, so a refused commit is a warning, never a failed deployment."""
    settings = ctx.settings.gitops
    if not settings.enabled:
        return
    try:
        target = gitops_target(settings, ctx.upload_id)
        result = await publish_revision(revision, ctx.cipher, settings, target)
    except JustPushError as exc:
        await ctx.warn(stage, f"GitOps commit failed, the deployment stands: {exc.message}")
        return
    where = f"{target.branch}:{target.path or '/'}"
    message = (
        f"committed revision {revision.revision} to {where} as {result.commit[:12]}"
        if result.changed
        else f"{where} already holds revision {revision.revision}"
    )
    await ctx.event(stage, "progress", message, {"commit": result.commit, "files": list(result.files)})


async def _gateway_beside(
    ctx: JobContext, services: Services, release: Release, namespace: str
) -> dict[str, Any] | JustPushError:
    """CONFIGURING while the pods come up: Kong needs only the Service, which exists once applied."""
    try:
        endpoint = await services.cluster.service_endpoint(ctx.upload_id, namespace=namespace)
        target = {
            "namespace": endpoint.namespace,
            "service": endpoint.name,
            "cluster_ip": endpoint.cluster_ip,
            "port": endpoint.port,
        }
        return await configure_gateway(ctx, services, release, target)
    except JustPushError as exc:
        return exc


async def describe(ctx: JobContext, services: Services, release: Release, deployment: str) -> dict[str, Any]:
    namespace = release.namespace(ctx.settings)
    pods, service = await asyncio.gather(
        services.cluster.pod_status(ctx.upload_id, namespace=namespace),
        services.cluster.service_endpoint(ctx.upload_id, namespace=namespace),
    )
    return {
        "namespace": namespace,
        "deployment": deployment,
        "service": service.name,
        "cluster_ip": service.cluster_ip,
        "port": service.port,
        "pods": sorted(p.name for p in pods),
        "replicas": release.replicas,
        "image": release.image,
    }


# How much of the app's log a server error on the smoke test shows.
_APP_LOG_LINES = 8
_APP_LOG_WIDTH = 300


@dataclass(frozen=True)
class SmokeReport:
    """What the smoke test found, not yet written: `paths` is how many paths it could check."""

    paths: int
    results: list[SmokeResult]
    timing: dict[str, float]
    # The app's last log lines when a check got a server error: what the app said about it.
    app_log: tuple[str, ...] = ()


async def verify(
    ctx: JobContext, services: Services, release: Release, info: dict[str, Any], *, through_gateway: bool
) -> list[SmokeResult]:
    """The smoke test, written as one commit."""
    report = await smoke_test(ctx, services, release, info, through_gateway=through_gateway)
    async with ctx.transaction():
        await record_smoke(ctx, report)
    return report.results


async def smoke_test(
    ctx: JobContext, services: Services, release: Release, info: dict[str, Any], *, through_gateway: bool
) -> SmokeReport:
    paths = smoke_paths(release.spec)
    if not paths:
        return SmokeReport(0, [], {})

    async def via_service(path: str) -> int:
        return await services.cluster.service_get(
            info["service"], info["port"], path, namespace=info["namespace"]
        )

    settle = ctx.settings.deployment.smoke_settle_seconds
    runs = [run_smoke("service", via_service, paths, settle=settle)]
    if through_gateway and services.gateway_http is not None:
        key = (await ctx.developer_key()).get_secret_value()
        prefix = kong.gateway_prefix(*kong_inputs(ctx.settings, release, info))

        async def via_gateway(path: str) -> int:
            return await services.gateway_get(prefix + path, key)

        runs.append(
            run_smoke(
                "gateway", via_gateway, paths, authenticated=True, settle=settle, settling=GATEWAY_SETTLING
            )
        )
    # The two ways in are independent: checked side by side, reported service first.
    timing: dict[str, float] = {}
    done = await timed("smoke", timing, lambda: asyncio.gather(*runs))
    results = [result for run in done for result in run]
    # A server error, or a Bad Request to a GET with no parameters (a rejected Host header): the app's
    # own log says why.
    failed = any(not r.ok and ((r.status or 0) >= 500 or r.status == 400) for r in results)
    app_log = await _app_log(services, ctx.upload_id, info["namespace"]) if failed else ()
    return SmokeReport(len(paths), results, timing, app_log)


async def _app_log(services: Services, upload_id: str, namespace: str) -> tuple[str, ...]:
    """The last lines the upload's pods wrote, shortened; none when they cannot be read."""
    lines: list[str] = []
    try:
        async for entry in services.cluster.logs(upload_id, tail=_APP_LOG_LINES, namespace=namespace):
            lines.append(entry.line[:_APP_LOG_WIDTH])
    except JustPushError:
        return ()
    return tuple(lines[-_APP_LOG_LINES:])


async def record_smoke(ctx: JobContext, report: SmokeReport) -> None:
    if not report.paths:
        await ctx.event(S.VERIFYING.value, "notice", "the spec has no GET operation without path parameters")
        return
    passed = sum(r.ok for r in report.results)
    await ctx.event(
        S.VERIFYING.value,
        "end",
        f"{passed}/{len(report.results)} smoke checks passed",
        {"results": [r.to_dict() for r in report.results], **report.timing},
    )
    # A failed check is a warning on the job, whatever ran it (deploy, rollback, a gateway catch-up).
    served = {r.path for r in report.results if r.via == "service" and r.ok}
    for result in report.results:
        if not result.ok:
            hint = (
                ": the app answers it through its Service, so it likely rejects the gateway's Host header"
                " (Django's ALLOWED_HOSTS, a framework's trusted hosts): allow the Service's host name"
                if result.via == "gateway" and result.status == 400 and result.path in served
                else ""
            )
            await ctx.warn(
                S.VERIFYING.value,
                f"smoke test via {result.via}: GET {result.path} -> {result.error or result.status}{hint}",
            )
    if report.app_log:
        await ctx.warn(S.VERIFYING.value, f"{SMOKE_LOG_WARNING}:\n" + "\n".join(report.app_log))
