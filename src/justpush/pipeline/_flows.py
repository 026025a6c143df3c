"""The job kinds — deploy, redeploy, rollback, delete, and gateway (what Kong owes, `_owed`) — as
sequences of stages.

Every stage reports through the JobContext; a failure undoes what this run created, so the
previous revision (if any) keeps serving and no object is orphaned:

- every run removes its local images (the build tag and the engine's copy of the pushed tag);
- build, push or Kubernetes fail → the pushed tag is deleted from the registry (unless a stored revision
  uses its image), and the previous revision is re-applied, or every object of the upload is deleted;
- Kong fails → the app keeps running; the deployment ends DEPLOYED_WITH_WARNINGS with the reason, and
  when Kong could not answer, the sync is owed and done by a `gateway` job once it answers.
- steps that do not depend on each other run side by side (`together`): the sandboxed start check
  beside the push, the Kong sync beside the rollout wait; a failed rollout also undoes that Kong sync.

A job names its image before building it (`JobContext.record_artifacts`), so recovery after a crash in
any stage knows what to remove (`undo_interrupted`). A worker that lost the job's lease (LeaseLost)
undoes nothing: the job's new owner does.

A cancelled deploy or redeploy stops at once during the build and the rollout, and otherwise at the
next stage boundary up to DEPLOYING, then is undone like a failure; once the new pods are ready the
job runs to its end (Kong and the smoke test take seconds, and a half-configured gateway helps nobody).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from justpush import analysis, build, k8s, kong, registry, security, store
from justpush.errors import JustPushError, KongError, NotFoundError, StageFailed
from justpush.store import DeploymentRevision, Upload

from ._context import JobContext, LeaseLost
from ._gitops import gitops_target, publish_revision
from ._options import DeployOptions, RedeployOptions, RollbackOptions
from ._owed import GATEWAY_WARNING, caught_up_warnings, owed_cleanup, owed_sync, owes_sync, unreachable
from ._release import (
    Release,
    deployment_name,
    kong_inputs,
    release_from_revision,
    revision_manifests,
    revision_payload,
)
from ._release_phase import run_release_phase
from ._services import Services
from ._smoke import GATEWAY_SETTLING, SmokeResult, run_smoke, smoke_paths
from ._status import DeploymentStatus as S
from ._together import timed, together

_BEFORE_CLUSTER = frozenset({None, S.PENDING.value, S.SCANNING.value, S.BUILDING.value, S.PUSHING.value})


def app_name_for(upload: Upload, profile: analysis.ProjectProfile) -> str:
    """A readable, DNS-safe application name: the archive's or repository's name, else the language."""
    raw = ""
    if upload.git_url:
        raw = upload.git_url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    elif upload.filename:
        raw = re.sub(r"(\.tar\.gz|\.tgz|\.tar|\.zip)$", "", upload.filename, flags=re.IGNORECASE)
    slug = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")[:30].strip("-")
    if not slug or not slug[0].isalpha():
        slug = f"{profile.language}-api" if not slug else f"app-{slug}"[:30].strip("-")
    return slug


async def _analysis(
    ctx: JobContext, upload: Upload, root: str | None = None
) -> tuple[analysis.ProjectProfile, dict[str, Any]]:
    """The stored analysis, or a fresh one when the upload was never analysed or for another root."""
    workspace = Path(upload.workspace)
    wanted = analysis.resolve_root(workspace, root) if root is not None else None
    async with ctx.sessions() as session:
        record = await store.get_analyze_result(session, ctx.upload_id)
        if record is not None and record.status == "succeeded" and record.profile and record.spec:
            profile = analysis.profile_from_dict(record.profile)
            if wanted is None or profile.app_dir == wanted:
                return profile, dict(record.spec)
    await ctx.event(S.SCANNING.value, "progress", f"analysing the upload (root {wanted or 'detected'})")
    result = await asyncio.to_thread(analysis.analyze, workspace, analysis.AnalysisOptions(root=wanted))
    async with ctx.transaction() as session:
        store.record_analysis(await store.ensure_analyze_result(session, ctx.upload_id), result.to_dict())
    return result.profile, result.spec


# --- deploy --------------------------------------------------------------------------------------


async def check_namespace(ctx: JobContext, namespace: str, stage: str) -> None:
    """The API refuses these before a job exists; checked again here for stored options, queued jobs
    and revisions made before the operator narrowed `kubernetes.allowedNamespaces`."""
    if not ctx.settings.kubernetes.namespace_allowed(namespace):
        raise StageFailed(stage, f"namespace {namespace!r} is not allowed (kubernetes.allowedNamespaces)")
    _, record = await ctx.load_upload()
    current = ((record.k8s_deployment_info if record else None) or {}).get("namespace")
    if current is not None and current != namespace:
        raise StageFailed(
            stage, f"the deployment lives in namespace {current!r}; it cannot move to {namespace!r}"
        )


async def _check_base_images(services: Services, dockerfile: str, name: str) -> None:
    """The upload's own Dockerfile names base images the build host must pull: one it cannot get fails
    SCANNING (naming it and the way out) instead of the first build step."""
    images = build.base_images(dockerfile)
    missing = await services.builder.unavailable_images([image for image, _ in images])
    if missing:
        lines = dict(images)
        listed = "; ".join(
            f"{image} ({name} line {lines[image]}: {reason})" for image, reason in missing.items()
        )
        raise StageFailed(
            S.SCANNING.value,
            f"the upload's Dockerfile uses base images the build host cannot pull: {listed}. Use images "
            'its registries serve, or build with a generated Dockerfile (profile override dockerfile="")',
        )


async def deploy(ctx: JobContext, services: Services, options: DeployOptions) -> None:
    upload, _ = await ctx.load_upload()
    await ctx.set_status(S.SCANNING)
    await check_namespace(ctx, options.namespace or ctx.settings.kubernetes.namespace, S.SCANNING.value)
    profile, spec = await _analysis(ctx, upload, options.root)
    if options.profile:
        profile = analysis.apply_overrides(profile, options.profile)
    workspace = Path(upload.workspace)
    app_name = app_name_for(upload, profile)
    settings = ctx.settings

    dockerfile_options = build.DockerfileOptions(
        base_images=settings.build.base_images,
        runtimes=settings.build.runtimes,
        upload_id=ctx.upload_id,
        source_url=upload.git_url or "",
    )
    # A version the base images cannot serve fails here, naming where it was read and the setting.
    prepared = build.prepare_dockerfile(workspace, profile, dockerfile_options)
    runtime = build.choose_runtime(profile, dockerfile_options) if prepared.origin == "generated" else None
    if runtime is not None:
        await ctx.event(S.SCANNING.value, "progress", runtime.describe())
    for finding in prepared.findings:
        await ctx.event(
            S.SCANNING.value,
            "warning",
            f"Dockerfile line {finding.line}: {finding.message} [{finding.rule}]",
            {"rule": finding.rule, "line": finding.line, "severity": str(finding.severity)},
        )
    await scan_context(ctx, workspace / prepared.context, prepared, profile.dockerfile or "Dockerfile")
    await ctx.event(
        S.SCANNING.value, "end", f"{prepared.origin} Dockerfile, {len(prepared.findings)} lint finding(s)"
    )

    reference = registry.image_reference(settings.container_registry, app_name, ctx.upload_id)
    release = Release(
        app_name=app_name,
        profile=profile,
        spec=spec,
        image=str(reference),
        options=options,
        upload_id=ctx.upload_id,
    )
    # Before the build: a variable the code needs but nobody set fails now, not after minutes of building.
    release.app()
    if prepared.origin == "upload":
        await _check_base_images(services, prepared.dockerfile, profile.dockerfile or "Dockerfile")
    # The build tag belongs to this job alone (the pushed tag is the upload's, shared with its later jobs).
    local_tag = f"justpush-local/{app_name}:{ctx.job_id}"
    previous = await ctx.latest_revision()
    await ctx.record_artifacts(image=str(reference), local_image=local_tag)
    await ctx.set_status(S.BUILDING)
    pushing = False
    try:
        # Seconds spent in Docker, the registry and the cluster go into the `end` events' data, so the
        # pipeline's own overhead can be told apart (bench/pipeline.py).
        timing: dict[str, float] = {}
        try:
            built = await timed(
                "build",
                timing,
                lambda: services.builder.build(
                    workspace / prepared.context,
                    prepared.dockerfile,
                    local_tag,
                    upload_id=ctx.upload_id,
                    dockerignore=prepared.dockerignore,
                    files=prepared.files,
                    on_log=ctx.log_sink(S.BUILDING.value),
                    cancel=ctx.cancelled,
                ),
            )
        except JustPushError:
            # A build stopped by a cancel fails as "cancelled by <who>", not as a failed step.
            ctx.check_cancelled(S.BUILDING)
            raise
        await ctx.flush_logs()
        await ctx.event(S.BUILDING.value, "end", f"built {local_tag} ({built.size} bytes)", timing)
        ctx.check_cancelled(S.BUILDING)

        await ctx.set_status(S.PUSHING)
        pushing = True
        # The sandboxed start check runs beside the push: the image goes to the cluster only once both
        # are done, and a failure of either stops the other (the pushed tag is then deleted below).
        checked = sandbox_check(ctx, services, release, local_tag)
        pushed, _ = await together(push_image(ctx, services, local_tag, reference), checked)
    except BaseException:
        if pushing and not ctx.lost:
            await undo_push(ctx, services, str(reference), S.PUSHING.value)
        raise
    finally:
        await remove_local_images(ctx, services, local_tag, str(reference))
        await ctx.flush_logs()
    await roll_out(
        ctx, services, replace(release, image=pushed.pinned), previous=previous, pushed=str(reference)
    )


async def push_image(
    ctx: JobContext, services: Services, local_tag: str, reference: registry.ImageReference
) -> registry.PushedImage:
    timing: dict[str, float] = {}
    pushed = await timed(
        "push",
        timing,
        lambda: services.registry.push(
            local_tag, reference, upload_id=ctx.upload_id, on_progress=ctx.log_sink(S.PUSHING.value)
        ),
    )
    await ctx.flush_logs()
    await ctx.event(S.PUSHING.value, "end", f"pushed {pushed.pinned}", timing)
    return pushed


async def sandbox_check(ctx: JobContext, services: Services, release: Release, local_tag: str) -> None:
    """Start the image under the sandbox runtime (gVisor), with no network and the deployment's env."""
    runtime = ctx.settings.build.sandbox.runtime
    if not runtime:
        return
    await ctx.event(S.PUSHING.value, "progress", f"starting the image under runtime {runtime}")
    app = release.app()
    layout = k8s.writable_layout(app)
    environment = {**layout.environment, **{entry.name: entry.value for entry in app.env}}
    timing: dict[str, float] = {}
    await timed(
        "verify",
        timing,
        lambda: services.builder.verify(
            local_tag,
            upload_id=ctx.upload_id,
            environment=environment,
            writable_dirs=layout.empty_dirs,
            writable_root=layout.writable_root,
        ),
    )
    await ctx.event(S.PUSHING.value, "progress", f"the image starts under runtime {runtime}", timing)


async def scan_context(
    ctx: JobContext, context: Path, prepared: build.PreparedDockerfile, dockerfile_path: str
) -> None:
    """Scan exactly what ships in the build context (and the upload's own Dockerfile) for secrets and
    malicious patterns; either scan may stop the deployment here (security.secretScan / maliciousScan)."""
    settings = ctx.settings.security
    if settings.secret_scan == "off" and settings.malicious_scan == "off":
        return
    files = await asyncio.to_thread(lambda: list(build.context_files(context, prepared.dockerignore)))
    if settings.malicious_scan != "off":
        own = (dockerfile_path, prepared.dockerfile) if prepared.origin == "upload" else None
        await _malicious(ctx, await asyncio.to_thread(security.scan_malicious, files, dockerfile=own))
    if settings.secret_scan != "off":
        await _secrets(ctx, await asyncio.to_thread(security.scan_secrets, files))


async def _malicious(ctx: JobContext, findings: list[security.MaliciousFinding]) -> None:
    for finding in findings:
        await ctx.event(
            S.SCANNING.value,
            "warning",
            f"suspicious code in {finding.message()}",
            {"file": finding.path, "line": finding.line, "rule": finding.rule, "severity": finding.severity},
        )
    high = [f for f in findings if f.severity == "high"]
    if high and ctx.settings.security.malicious_scan == "block":
        where = ", ".join(f"{f.path}:{f.line} ({f.rule})" for f in high[:5])
        more = f" and {len(high) - 5} more" if len(high) > 5 else ""
        raise StageFailed(
            S.SCANNING.value,
            f"{len(high)} high-severity malicious pattern(s) in files that would ship in the image "
            f"({where}{more}); remove them, or set security.maliciousScan to warn",
        )


async def _secrets(ctx: JobContext, findings: list[security.SecretFinding]) -> None:
    """Warn about (or, with security.secretScan: block, refuse) secrets that would ship in the image."""
    for finding in findings:
        await ctx.event(
            S.SCANNING.value,
            "warning",
            f"possible secret in {finding.message()}: it would ship in the image; "
            "remove it and pass it with --secret instead",
            {"file": finding.path, "line": finding.line, "rule": finding.rule},
        )
    if findings and ctx.settings.security.secret_scan == "block":
        where = ", ".join(f"{f.path}:{f.line}" for f in findings[:5])
        more = f" and {len(findings) - 5} more" if len(findings) > 5 else ""
        raise StageFailed(
            S.SCANNING.value,
            f"{len(findings)} possible secret(s) in files that would ship in the image ({where}{more}); "
            "remove them, or set security.secretScan to warn",
        )


async def remove_local_images(ctx: JobContext, services: Services, local_tag: str, reference: str) -> None:
    """The registry holds the image now (or the run failed): the engine's copies only take disk.

    `reference` is the upload's tag, which a later job of the upload may be pushing: a worker that lost
    this job leaves it (recovery or `justpush gc` removes it).
    """
    for tag in [local_tag] if ctx.lost else [local_tag, reference]:
        try:
            await services.builder.remove_image(tag, upload_id=ctx.upload_id)
        except JustPushError as exc:
            if not ctx.lost:
                await ctx.warn(S.BUILDING.value, f"could not remove the local image {tag}: {exc.message}")


# --- the shared second half: Kubernetes, Kong, smoke test, revision -------------------------------


async def roll_out(
    ctx: JobContext,
    services: Services,
    release: Release,
    *,
    previous: DeploymentRevision | None,
    pushed: str | None = None,
) -> None:
    """Kubernetes, Kong, smoke test, revision; a failed rollout is undone, with the tag this run `pushed`."""
    await ctx.set_status(S.DEPLOYING)
    await check_namespace(ctx, release.namespace(ctx.settings), S.DEPLOYING.value)
    namespace = release.namespace(ctx.settings)
    if not release.options.read_only_root:
        await ctx.warn(
            S.DEPLOYING.value,
            "the root filesystem is writable (read_only_root: false): the app can change its own code "
            "and files it writes are lost when the pod restarts",
        )
    timing: dict[str, float] = {}
    applying = False
    # Kong is configured beside the rollout wait: routes may exist before the pods are ready (the
    # smoke test waits for both). Its failure never stops the rollout; a failed rollout stops it.
    gateway: asyncio.Future[dict[str, Any] | JustPushError] | None = None
    try:
        info = await services.cluster.discover()
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
            endpoint = await services.cluster.service_endpoint(ctx.upload_id, namespace=namespace)
            gateway = asyncio.ensure_future(_gateway_beside(ctx, services, release, endpoint))
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
    await ctx.flush_logs()
    deployment_info = await describe(ctx, services, release, deployment_name(objects))
    await ctx.update_record(k8s_deployment_info=deployment_info, docker_image=release.image)
    await ctx.event(S.DEPLOYING.value, "end", f"Deployment {deployment_info['deployment']} is ready", timing)

    kong_config: dict[str, Any] = {}
    gateway_ok = gateway is not None
    if gateway is None:
        await ctx.event(
            S.DEPLOYING.value,
            "notice",
            "Kong is not configured (kong.adminUrl is empty): CONFIGURING is skipped and the app is "
            f"reachable through Service {deployment_info['service']}.{namespace}",
        )
    else:
        await ctx.set_status(S.CONFIGURING)
        outcome = await gateway
        if isinstance(outcome, JustPushError):
            gateway_ok = False
            await gateway_failed(ctx, S.CONFIGURING.value, outcome, previous.revision + 1 if previous else 1)
        else:
            kong_config = outcome

    await ctx.set_status(S.VERIFYING)
    results = await verify(ctx, services, release, deployment_info, through_gateway=gateway_ok)

    manifests_text, sealed = revision_payload(release, objects)
    async with ctx.transaction() as session:
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
            kong_config=kong_config,
            release=release.to_record(),
            created_by=ctx.user_id,
        )
    await commit_gitops(ctx, revision, S.VERIFYING.value)
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
    ctx: JobContext, services: Services, release: Release, endpoint: k8s.ServiceEndpoint
) -> dict[str, Any] | JustPushError:
    """CONFIGURING while the pods come up: Kong needs only the Service, which exists once applied."""
    target = {
        "namespace": endpoint.namespace,
        "service": endpoint.name,
        "cluster_ip": endpoint.cluster_ip,
        "port": endpoint.port,
    }
    try:
        return await configure_gateway(ctx, services, release, target)
    except JustPushError as exc:
        return exc


async def undo_push(ctx: JobContext, services: Services, reference: str, stage: str) -> None:
    """Delete the tag this run pushed, unless a stored revision runs its image.

    The tag is the upload's: when the push never happened it still names an earlier revision's image,
    which rollback needs.
    """
    try:
        digest = await services.registry.manifest_digest(reference, upload_id=ctx.upload_id)
    except JustPushError as exc:
        await ctx.warn(stage, f"could not look up the pushed image {reference}: {exc.message}")
        return
    if digest is None:
        return
    async with ctx.sessions() as session:
        kept = {revision.image_digest for revision in await store.list_revisions(session, ctx.upload_id)}
    if digest not in kept:
        await _delete_image(ctx, services, reference, stage)


async def _delete_image(ctx: JobContext, services: Services, image: str, stage: str) -> None:
    """Remove the upload's image tag from the registry; a refusal is a warning, never a failure."""
    # Records keep the pinned `repository@digest`; the registry client finds the manifest by tag,
    # and every push tags the upload id.
    repository, pinned, _ = image.partition("@")
    tagged = f"{repository}:{ctx.upload_id}" if pinned else image
    try:
        if await services.registry.delete(tagged, upload_id=ctx.upload_id):
            await ctx.event(stage, "progress", f"image {tagged} deleted from the registry")
    except JustPushError as exc:
        await ctx.warn(stage, f"the registry kept the image: {exc.message}")


async def undo_cluster(
    ctx: JobContext, services: Services, previous: DeploymentRevision | None, *, namespace: str, reason: str
) -> None:
    """Put the cluster back as it was before this run: the previous revision, or nothing at all."""
    try:
        if previous is not None:
            await ctx.event(
                S.DEPLOYING.value, "progress", f"restoring revision {previous.revision} after: {reason}"
            )
            await services.cluster.apply_revision(revision_manifests(previous, ctx.cipher))
        else:
            await ctx.event(S.DEPLOYING.value, "progress", f"removing this run's objects after: {reason}")
            await services.cluster.delete(ctx.upload_id, namespace=namespace)
            await ctx.update_record(k8s_deployment_info=None, docker_image=None)
    except JustPushError as exc:
        ctx.undo_incomplete = True
        await ctx.warn(S.FAILED.value, f"undo after the failure is incomplete: {exc.message}")


async def undo_gateway(ctx: JobContext, services: Services, previous: DeploymentRevision | None) -> None:
    """Kong back to the previous revision, or empty; a Kong that cannot answer owes it (`_owed`)."""
    if services.gateway is None:
        return
    restoring = False
    try:
        # Also a revision whose own sync was owed (stored without Kong config): Kong holds what serves.
        if previous is not None:
            release = release_from_revision(previous, ctx.cipher)
            info = (await ctx.load_upload())[1]
            deployment_info = (info.k8s_deployment_info if info else None) or {}
            if deployment_info:
                restoring = True
                await configure_gateway(ctx, services, release, deployment_info)
                return
        await services.gateway.delete(ctx.upload_id)
    except JustPushError as exc:
        if isinstance(exc, KongError) and unreachable(exc):
            # What serves is known (the cluster's part is undone); the gateway catches up later.
            owed = (
                owed_sync(ctx.upload_id, previous.revision, exc.message)
                if restoring and previous is not None
                else owed_cleanup(ctx.upload_id, exc.message)
            )
            await ctx.update_record(gateway_owed=owed)
            await ctx.warn(S.FAILED.value, owed)
            return
        ctx.undo_incomplete = True
        await ctx.warn(S.FAILED.value, f"Kong could not be restored: {exc.message}")


async def undo_interrupted(
    ctx: JobContext,
    services: Services,
    *,
    stage: str | None,
    namespace: str | None,
    image: str | None,
    local_image: str | None,
) -> None:
    """After a crash, remove what the run created, whatever stage it reached.

    The local images and the pushed tag are named on the job before the build (`image`, `local_image`);
    from DEPLOYING on, the previous revision is re-applied (or the upload's objects removed) first.
    """
    if local_image and image:
        try:
            await services.builder.remove_containers(upload_id=ctx.upload_id)
        except JustPushError as exc:
            await ctx.warn(S.FAILED.value, f"could not remove the run's leftover containers: {exc.message}")
        await remove_local_images(ctx, services, local_image, image)
    if stage not in _BEFORE_CLUSTER:
        previous = await ctx.latest_revision()
        reason = f"the server stopped during {stage}"
        target = namespace or ctx.settings.kubernetes.namespace
        await undo_cluster(ctx, services, previous, namespace=target, reason=reason)
        await undo_gateway(ctx, services, previous)
    if image:
        await undo_push(ctx, services, image, S.FAILED.value)


async def describe(ctx: JobContext, services: Services, release: Release, deployment: str) -> dict[str, Any]:
    namespace = release.namespace(ctx.settings)
    pods = await services.cluster.pod_status(ctx.upload_id, namespace=namespace)
    service = await services.cluster.service_endpoint(ctx.upload_id, namespace=namespace)
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


async def configure_gateway(
    ctx: JobContext, services: Services, release: Release, deployment_info: dict[str, Any]
) -> dict[str, Any]:
    if services.gateway is None:
        return {}
    key = await ctx.developer_key()
    target, options = kong_inputs(ctx.settings, release, deployment_info)
    developer = kong.Developer(username=release.consumer_name, api_key=key)
    config = kong.openapi_to_kong(
        release.spec, target, options.model_copy(update={"developers": (developer,)})
    )
    result = await services.gateway.sync(config, ctx.upload_id)
    await ctx.event(
        S.CONFIGURING.value,
        "end",
        f"Kong: {result.created} created, {result.updated} updated, "
        f"{result.deleted} deleted, {result.unchanged} unchanged",
    )
    for warning in config.warnings:
        await ctx.event(S.CONFIGURING.value, "warning", warning)
    # A sync leaves Kong holding exactly this upload's entities: a cleanup owed from a delete is done.
    await ctx.update_record(
        kong_api_id={
            "service": config.service.id,
            "routes": sorted(route.id for route in config.routes),
            "consumer": release.consumer_name,
            # The upload's own path on the gateway: the status shows gatewayUrl + this.
            "path_prefix": kong.gateway_prefix(target, options),
        },
        gateway_owed=None,
    )
    return {"target": target.model_dump(mode="json"), "options": options.model_dump(mode="json")}


async def verify(
    ctx: JobContext, services: Services, release: Release, info: dict[str, Any], *, through_gateway: bool
) -> list[SmokeResult]:
    paths = smoke_paths(release.spec)
    if not paths:
        await ctx.event(S.VERIFYING.value, "notice", "the spec has no GET operation without path parameters")
        return []

    async def via_service(path: str) -> int:
        return await services.cluster.service_get(
            info["service"], info["port"], path, namespace=info["namespace"]
        )

    settle = ctx.settings.deployment.smoke_settle_seconds
    results = await run_smoke("service", via_service, paths, settle=settle)
    if through_gateway and services.gateway_http is not None:
        key = (await ctx.developer_key()).get_secret_value()
        prefix = kong.gateway_prefix(*kong_inputs(ctx.settings, release, info))

        async def via_gateway(path: str) -> int:
            return await services.gateway_get(prefix + path, key)

        results += await run_smoke(
            "gateway", via_gateway, paths, authenticated=True, settle=settle, settling=GATEWAY_SETTLING
        )
    passed = sum(r.ok for r in results)
    await ctx.event(
        S.VERIFYING.value,
        "end",
        f"{passed}/{len(results)} smoke checks passed",
        {"results": [r.to_dict() for r in results]},
    )
    # A failed check is a warning on the job, whatever ran it (deploy, rollback, a gateway catch-up).
    for result in results:
        if not result.ok:
            await ctx.warn(
                S.VERIFYING.value,
                f"smoke test via {result.via}: GET {result.path} -> {result.error or result.status}",
            )
    return results


# --- redeploy, rollback, delete ------------------------------------------------------------------


async def redeploy(ctx: JobContext, services: Services, changes: RedeployOptions) -> None:
    previous = await ctx.latest_revision()
    if previous is None:
        raise NotFoundError(f"upload '{ctx.upload_id}' has no deployment to redeploy; deploy it first")
    current = release_from_revision(previous, ctx.cipher)
    options = current.options
    unset = set(changes.unset)
    update: dict[str, Any] = {
        "env": {k: v for k, v in {**options.env, **changes.env}.items() if k not in unset},
        "secrets": {k: v for k, v in {**options.secrets, **changes.secrets}.items() if k not in unset},
    }
    for name in ("replicas", "resources", "rate_limit", "release"):
        if getattr(changes, name) is not None:
            update[name] = getattr(changes, name)
    if changes.replicas is None:
        # A `scale` since the last revision is kept, not reset to the revision's count.
        _, record = await ctx.load_upload()
        scaled = ((record.k8s_deployment_info if record else None) or {}).get("replicas")
        if scaled is not None:
            update["replicas"] = scaled
    new_options = DeployOptions.model_validate({**options.model_dump(), **update})
    if changes.rebuild:
        await deploy(ctx, services, new_options)
        return
    await ctx.event("PENDING", "progress", f"reusing image {current.image}")
    await roll_out(ctx, services, replace(current, options=new_options), previous=previous)


async def rollback(ctx: JobContext, services: Services, request: RollbackOptions) -> None:
    async with ctx.sessions() as session:
        revisions = list(await store.list_revisions(session, ctx.upload_id))
        session.expunge_all()
    if not revisions:
        raise NotFoundError(f"upload '{ctx.upload_id}' has no revision to roll back to")
    current = revisions[-1]
    if request.revision is not None:
        matches = [r for r in revisions if r.revision == request.revision]
        if not matches:
            raise NotFoundError(f"upload '{ctx.upload_id}' has no revision {request.revision}")
        target = matches[0]
    else:
        # A rollback revision serves an older one; "last good" is the one before that.
        serving = int((current.release or {}).get("rollback_of") or current.revision)
        older = [r for r in revisions if r.revision < serving and not (r.release or {}).get("rollback_of")]
        if not older:
            raise NotFoundError(f"upload '{ctx.upload_id}' has no revision before revision {serving}")
        target = older[-1]
    await ctx.set_status(S.ROLLING_BACK, f"rolling back to revision {target.revision}")
    _, record = await ctx.load_upload()
    scaled = ((record.k8s_deployment_info if record else None) or {}).get("replicas")
    replicas = request.replicas if request.replicas is not None else int(scaled or target.replicas)
    release = release_from_revision(target, ctx.cipher)
    await check_namespace(ctx, release.namespace(ctx.settings), S.ROLLING_BACK.value)
    objects = k8s.with_replicas(revision_manifests(target, ctx.cipher), replicas)
    await services.cluster.apply_revision(objects)
    await services.cluster.wait_rollout(
        ctx.upload_id,
        ctx.settings.kubernetes.rollout_timeout_seconds,
        namespace=release.namespace(ctx.settings),
    )
    deployment_info = {
        **await describe(ctx, services, release, deployment_name(objects)),
        "replicas": replicas,
    }
    kong_config: dict[str, Any] = {}
    gateway_ok = services.gateway is not None
    if services.gateway is not None:
        try:
            kong_config = await configure_gateway(ctx, services, release, deployment_info)
        except JustPushError as exc:
            gateway_ok = False
            await gateway_failed(ctx, S.ROLLING_BACK.value, exc, current.revision + 1)
    # The revision now serving is checked like a fresh deploy: its smoke results replace the old ones.
    results = await verify(ctx, services, release, deployment_info, through_gateway=gateway_ok)
    async with ctx.transaction() as session:
        revision = await store.add_revision(
            session,
            ctx.cipher,
            upload_id=ctx.upload_id,
            image=target.image,
            image_digest=target.image_digest,
            env=dict(target.env),
            secret_env=store.revision_secret_env(target, ctx.cipher),
            replicas=replicas,
            resources=dict(target.resources or {}),
            manifests=target.manifests,
            kong_config=kong_config,
            release={**(target.release or {}), "rollback_of": target.revision},
            created_by=ctx.user_id,
            status=f"rollback-to-{target.revision}",
        )
    await commit_gitops(ctx, revision, S.ROLLING_BACK.value)
    summary = f"revision {target.revision} is serving again ({replicas} replica(s))"
    # The app side is rolled back; a gateway that did not follow is a warning, as after a deploy.
    await ctx.set_status(
        S.ROLLED_BACK if not ctx.warnings else S.DEPLOYED_WITH_WARNINGS,
        "; ".join([summary, *ctx.warnings]),
        docker_image=target.image,
        k8s_deployment_info=deployment_info,
        deployed_at=store.utcnow(),
        verification={"results": [r.to_dict() for r in results], "warnings": list(ctx.warnings)},
    )


async def delete(ctx: JobContext, services: Services) -> None:
    _, record = await ctx.load_upload()
    await ctx.set_status(S.DELETING)
    info = (record.k8s_deployment_info if record else None) or {}
    namespace = info.get("namespace", ctx.settings.kubernetes.namespace)

    async def waiting(message: str) -> None:
        await ctx.event(S.DELETING.value, "progress", message)

    # Each step says what it waits for: pods take their termination grace period to go.
    await waiting(f"deleting the Kubernetes objects in namespace {namespace}")
    await services.cluster.delete(ctx.upload_id, namespace=namespace, progress=waiting)
    await waiting("Kubernetes objects deleted")
    image = record.docker_image if record else None
    if image:
        await waiting("deleting the image tag from the registry")
        await _delete_image(ctx, services, image, S.DELETING.value)
    owed = None
    if services.gateway is not None:
        await waiting("removing the gateway's routes, service and key (Kong)")
        try:
            result = await services.gateway.delete(ctx.upload_id)
            await ctx.event(S.DELETING.value, "progress", f"Kong: {result.deleted} entities deleted")
        except KongError as exc:
            # Kong down must not keep the rest deployed: what it holds is owed, and retried by the workers.
            owed = owed_cleanup(ctx.upload_id, exc.message)
            await ctx.warn(S.DELETING.value, owed)
    await ctx.set_status(
        S.DELETED,
        f"deleted, except: {owed}" if owed else "everything this upload deployed is gone",
        k8s_deployment_info=None,
        kong_api_id=None,
        docker_image=None,
        developer_api_key=None,
        gateway_owed=owed,
    )


# --- what Kong owes ------------------------------------------------------------------------------


async def gateway_failed(ctx: JobContext, stage: str, exc: JustPushError, revision: int) -> None:
    """A sync of `revision` did not reach Kong: warn, and when Kong could not answer, owe the sync.

    The debt is written at once, so it holds whatever the rest of the job does.
    """
    if isinstance(exc, KongError) and unreachable(exc):
        owed = owed_sync(ctx.upload_id, revision, exc.message)
        await ctx.update_record(gateway_owed=owed)
        await ctx.warn(stage, owed)
    else:
        await ctx.warn(stage, f"{GATEWAY_WARNING}, the app keeps running: {exc.message}")


async def settle_gateway(ctx: JobContext, services: Services, before: str | None) -> None:
    """The `gateway` job: Kong answers again and owes the upload something (see `_owed`).

    `before` is the status the record had when the job was queued. While the app serves, Kong gets the
    latest revision's configuration and the smoke test runs again; otherwise Kong's entities of the
    upload are removed. Kong failing again keeps the debt for the next round.
    """
    _, record = await ctx.load_upload()
    info = dict((record.k8s_deployment_info if record else None) or {})
    revision = await ctx.latest_revision()
    if revision is not None and owes_sync(before, info):
        await _settle_sync(ctx, services, revision, info, record.verification if record else None)
    else:
        await _settle_cleanup(ctx, services, before)


async def _settle_sync(
    ctx: JobContext,
    services: Services,
    revision: DeploymentRevision,
    info: dict[str, Any],
    verification: dict[str, Any] | None,
) -> None:
    await ctx.set_status(S.CONFIGURING, f"Kong answers again: syncing revision {revision.revision}")
    release = release_from_revision(revision, ctx.cipher)
    try:
        await configure_gateway(ctx, services, release, info)
    except JustPushError as exc:
        await gateway_failed(ctx, S.CONFIGURING.value, exc, revision.revision)
        if not (isinstance(exc, KongError) and unreachable(exc)):
            # Refused: retrying the same configuration cannot help; the warning says why.
            await ctx.update_record(gateway_owed=None)
        await ctx.set_status(S.DEPLOYED_WITH_WARNINGS, "; ".join(ctx.warnings))
        return
    await ctx.event(
        S.CONFIGURING.value,
        "notice",
        f"Kong caught up: it holds revision {revision.revision}'s routes, plugins and consumer",
    )
    await ctx.set_status(S.VERIFYING)
    results = await verify(ctx, services, release, info, through_gateway=True)
    warnings = [*caught_up_warnings(list((verification or {}).get("warnings") or [])), *ctx.warnings]
    await ctx.set_status(
        S.DEPLOYED_WITH_WARNINGS if warnings else S.DEPLOYED,
        "; ".join(warnings) if warnings else f"Kong caught up with revision {revision.revision}",
        verification={"results": [r.to_dict() for r in results], "warnings": warnings},
    )


async def _settle_cleanup(ctx: JobContext, services: Services, before: str | None) -> None:
    """Nothing serves: Kong must hold nothing of the upload. The record goes back to `before`."""
    final = S.DELETED if before == S.DELETED.value else S.FAILED
    if final is S.DELETED:
        await ctx.set_status(S.DELETING, "Kong answers again: removing what it still holds")
    owed = None
    if services.gateway is not None:
        try:
            result = await services.gateway.delete(ctx.upload_id)
            await ctx.event(S.DELETING.value, "progress", f"Kong: {result.deleted} entities deleted")
        except KongError as exc:
            owed = owed_cleanup(ctx.upload_id, exc.message)
            await ctx.warn(S.DELETING.value, owed)
    await ctx.set_status(
        final,
        f"Kong still owes: {owed}" if owed else "Kong holds nothing of this upload any more",
        kong_api_id=None,
        gateway_owed=owed,
    )
