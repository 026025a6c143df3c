"""The four job kinds — deploy, redeploy, rollback, delete — as sequences of stages.

Every stage reports through the JobContext; a failure undoes what this run created, so the
previous revision (if any) keeps serving and no object is orphaned:

- build/push fail → the local image (and the registry tag, when no earlier revision exists) is removed;
- Kubernetes fails → the previous revision is re-applied, or every object of the upload is deleted;
- Kong fails → the app keeps running; the deployment ends DEPLOYED_WITH_WARNINGS with the reason.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from justpush import analysis, build, k8s, kong, registry, store
from justpush.errors import ExternalServiceError, GenerationError, JustPushError, NotFoundError
from justpush.store import DeploymentRevision, Upload

from ._context import JobContext
from ._options import DeployOptions, RedeployOptions, RollbackOptions
from ._release import Release, release_from_revision, stored_manifests, kong_inputs
from ._services import Services
from ._smoke import SmokeResult, run_smoke, smoke_paths
from ._status import DeploymentStatus as S

logger = logging.getLogger(__name__)


def app_name_for(upload: Upload, profile: analysis.ProjectProfile) -> str:
    """A readable, DNS-safe application name: the archive's or repository's name, else the language."""
    raw = ""
    if upload.git_url:
        raw = upload.git_url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    elif upload.filename:
        raw = re.sub(r"(\.tar\.gz|\.tgz|\.tar|\.zip)$", "", upload.filename, flags=re.IGNORECASE)
    slug = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")[:30].strip("-")
    return slug or f"{profile.language}-api"


async def _analysis(ctx: JobContext, upload: Upload) -> tuple[analysis.ProjectProfile, dict[str, Any]]:
    """The stored analysis, or a fresh one when the upload was never analysed."""
    async with ctx.sessions() as session:
        record = await store.get_analyze_result(session, ctx.upload_id)
        if record is not None and record.status == "succeeded" and record.profile and record.spec:
            return analysis.profile_from_dict(record.profile), dict(record.spec)
    await ctx.event(S.SCANNING.value, "progress", "analysing the upload")
    result = await asyncio.to_thread(analysis.analyze, Path(upload.workspace))
    data = result.to_dict()
    await ctx.update_record(
        status="succeeded",
        profile=data["profile"],
        spec=data["spec"],
        spec_source=data.get("spec_source"),
        warnings=data.get("warnings", []),
        analyzed_at=store.utcnow(),
    )
    return result.profile, result.spec


# --- deploy --------------------------------------------------------------------------------------


async def deploy(ctx: JobContext, services: Services, options: DeployOptions) -> None:
    upload, _ = await ctx.load_upload()
    await ctx.set_status(S.SCANNING)
    profile, spec = await _analysis(ctx, upload)
    if options.profile:
        profile = analysis.apply_overrides(profile, options.profile)
    workspace = Path(upload.workspace)
    app_name = app_name_for(upload, profile)
    settings = ctx.settings

    prepared = build.prepare_dockerfile(
        workspace,
        profile,
        build.DockerfileOptions(
            base_images=settings.build.base_images, upload_id=ctx.upload_id, source_url=upload.git_url or ""
        ),
    )
    for finding in prepared.findings:
        await ctx.event(
            S.SCANNING.value, "warning" if finding.severity != "info" else "progress",
            f"Dockerfile line {finding.line}: {finding.message} [{finding.rule}]",
            {"rule": finding.rule, "line": finding.line, "severity": str(finding.severity)},
        )
    await ctx.event(S.SCANNING.value, "end", f"{prepared.origin} Dockerfile, {len(prepared.findings)} lint finding(s)")

    reference = registry.image_reference(settings.container_registry, app_name, ctx.upload_id)
    previous = await ctx.latest_revision()
    await ctx.set_status(S.BUILDING)
    try:
        built = await services.builder.build(
            workspace / prepared.context,
            prepared.dockerfile,
            reference.tagged,
            upload_id=ctx.upload_id,
            dockerignore=prepared.dockerignore,
            on_log=ctx.log_sink(S.BUILDING.value),
            cancel=ctx.cancelled_event,
        )
        await ctx.flush_logs()
        if settings.build.sandbox.runtime:
            await ctx.event(S.BUILDING.value, "progress", f"starting the image under {settings.build.sandbox.runtime}")
            await services.builder.verify(reference.tagged, upload_id=ctx.upload_id)
        await ctx.event(S.BUILDING.value, "end", f"built {reference.tagged} ({built.size} bytes)")

        await ctx.set_status(S.PUSHING)
        pushed = await services.registry.push(
            reference, upload_id=ctx.upload_id, on_log=ctx.log_sink(S.PUSHING.value)
        )
        await ctx.flush_logs()
        await ctx.event(S.PUSHING.value, "end", f"pushed {pushed}")
    except BaseException:
        await ctx.flush_logs()
        await _remove_image(ctx, services, reference, tag_in_registry=previous is None)
        raise
    await ctx.update_record(docker_image=pushed)

    release = Release(
        app_name=app_name,
        profile=profile,
        spec=spec,
        image=pushed,
        options=options,
    )
    await roll_out(ctx, services, release, previous=previous)


async def _remove_image(
    ctx: JobContext, services: Services, reference: registry.ImageReference, *, tag_in_registry: bool
) -> None:
    try:
        await services.builder.remove_image(reference.tagged, upload_id=ctx.upload_id)
        if tag_in_registry:
            await services.registry.delete(reference, upload_id=ctx.upload_id)
    except JustPushError as exc:
        await ctx.warn(S.FAILED.value, f"cleanup of the image failed: {exc.message}")


# --- the shared second half: Kubernetes, Kong, smoke test, revision -------------------------------


async def roll_out(
    ctx: JobContext, services: Services, release: Release, *, previous: DeploymentRevision | None
) -> None:
    await ctx.set_status(S.DEPLOYING)
    info = await services.cluster.discover()
    await ctx.event(S.DEPLOYING.value, "progress", f"cluster {info.server_version}, HPA {info.hpa_api_version}")
    objects = release.manifests(ctx.settings, info)
    try:
        await services.cluster.apply(objects)
        await ctx.event(S.DEPLOYING.value, "progress", f"applied {len(objects)} objects")

        def progress(p: k8s.RolloutProgress) -> None:
            ctx.log_sink(S.DEPLOYING.value)(f"{p.deployment}: {p.ready}/{p.desired} ready, {p.updated} updated")

        await services.cluster.wait_rollout(
            ctx.upload_id,
            ctx.settings.kubernetes.rollout_timeout_seconds,
            progress,
            namespace=release.namespace(ctx.settings),
        )
        await ctx.flush_logs()
    except BaseException as exc:
        await ctx.flush_logs()
        await undo_cluster(ctx, services, previous, reason=str(getattr(exc, "message", exc)))
        raise
    deployment_info = await describe(services, release, ctx)
    await ctx.update_record(k8s_deployment_info=deployment_info)
    await ctx.event(S.DEPLOYING.value, "end", f"{deployment_info['deployment']} is ready")

    kong_config: dict[str, Any] = {}
    gateway_ok = True
    if services.gateway is None:
        await ctx.event(
            S.DEPLOYING.value, "notice",
            "Kong is not configured (kong.adminUrl is empty): skipping CONFIGURING; "
            "the app is reachable through its Service",
        )
    else:
        await ctx.set_status(S.CONFIGURING)
        try:
            kong_config = await configure_gateway(ctx, services, release, deployment_info)
        except JustPushError as exc:
            gateway_ok = False
            await ctx.warn(S.CONFIGURING.value, f"Kong configuration failed, the app keeps running: {exc.message}")

    await ctx.set_status(S.VERIFYING)
    results = await verify(ctx, services, release, deployment_info, gateway_ok=gateway_ok and services.gateway is not None)
    failed = [r for r in results if not r.ok]
    for result in failed:
        await ctx.warn(S.VERIFYING.value, f"smoke test {result.via} GET {result.path}: {result.error or result.status}")

    async with ctx.sessions.begin() as session:
        await store.add_revision(
            session,
            ctx.cipher,
            upload_id=ctx.upload_id,
            image=release.image,
            image_digest=release.image.rpartition("@")[2],
            env=release.plain_env(),
            secret_env=dict(release.options.secrets),
            replicas=release.options.replicas,
            resources={"options": release.options.public(), "app_name": release.app_name},
            manifests=stored_manifests(objects),
            kong_config=kong_config,
            created_by=ctx.user_id,
        )
    final = S.DEPLOYED if gateway_ok and not failed else S.DEPLOYED_WITH_WARNINGS
    await ctx.set_status(
        final,
        "; ".join(ctx.warnings) if final is S.DEPLOYED_WITH_WARNINGS else "deployed",
        deployed_at=store.utcnow(),
        verification={"results": [r.to_dict() for r in results]},
    )


async def undo_cluster(
    ctx: JobContext, services: Services, previous: DeploymentRevision | None, *, reason: str
) -> None:
    """Put the cluster back as it was before this run: the previous revision, or nothing at all."""
    try:
        if previous is not None:
            await ctx.event(S.DEPLOYING.value, "progress", f"restoring revision {previous.revision}: {reason}")
            objects = release_from_revision(previous, ctx.cipher).restored_manifests(previous)
            await services.cluster.apply_revision(objects)
        else:
            await ctx.event(S.DEPLOYING.value, "progress", f"removing this run's objects: {reason}")
            await services.cluster.delete(ctx.upload_id, namespace=ctx.settings.kubernetes.namespace)
            await ctx.update_record(k8s_deployment_info=None, docker_image=None)
    except JustPushError as exc:
        await ctx.warn(S.FAILED.value, f"undo after failure incomplete: {exc.message}")


async def describe(services: Services, release: Release, ctx: JobContext) -> dict[str, Any]:
    namespace = release.namespace(ctx.settings)
    pods = await services.cluster.pod_status(ctx.upload_id, namespace=namespace)
    service = await services.cluster.service_endpoint(ctx.upload_id, namespace=namespace)
    return {
        "namespace": namespace,
        "deployment": release.deployment_name,
        "service": service.name,
        "cluster_ip": service.cluster_ip,
        "port": service.port,
        "pods": sorted(p.name for p in pods),
        "image": release.image,
    }


async def configure_gateway(
    ctx: JobContext, services: Services, release: Release, deployment_info: dict[str, Any]
) -> dict[str, Any]:
    assert services.gateway is not None
    key = await ctx.developer_key()
    target, options = kong_inputs(ctx.settings, release, deployment_info)
    config = kong.openapi_to_kong(
        release.spec,
        target,
        options.model_copy(update={"developers": (kong.Developer(username=release.consumer_name, api_key=key),)}),
    )
    result = await services.gateway.sync(config, ctx.upload_id)
    await ctx.event(
        S.CONFIGURING.value, "end",
        f"Kong: {len(result.created)} created, {len(result.updated)} updated, {len(result.deleted)} deleted",
    )
    await ctx.update_record(
        kong_api_id={
            "service": config.service.id,
            "routes": sorted(route.id for route in config.routes),
            "consumer": release.consumer_name,
        }
    )
    return {"target": target.model_dump(mode="json"), "options": options.model_dump(mode="json")}


async def verify(
    ctx: JobContext, services: Services, release: Release, info: dict[str, Any], *, gateway_ok: bool
) -> list[SmokeResult]:
    paths = smoke_paths(release.spec)
    if not paths:
        await ctx.event(S.VERIFYING.value, "notice", "the spec has no GET operation without path parameters")
        return []

    async def via_service(path: str) -> int:
        return await services.cluster.service_get(info["namespace"], info["service"], info["port"], path)

    results = await run_smoke("service", via_service, paths)
    if gateway_ok and ctx.settings.kong.gateway_url:
        key = await ctx.developer_key()
        prefix = release.path_prefix(ctx.settings)

        async def via_gateway(path: str) -> int:
            return await services.gateway_get(prefix + path, key)

        results += await run_smoke("gateway", via_gateway, paths, authenticated=True)
    passed = sum(r.ok for r in results)
    await ctx.event(
        S.VERIFYING.value, "end", f"{passed}/{len(results)} smoke checks passed",
        {"results": [r.to_dict() for r in results]},
    )
    return results


# --- redeploy, rollback, delete ------------------------------------------------------------------


async def redeploy(ctx: JobContext, services: Services, changes: RedeployOptions) -> None:
    previous = await ctx.latest_revision()
    if previous is None:
        raise NotFoundError(f"upload '{ctx.upload_id}' has no deployment to redeploy; deploy it first")
    current = release_from_revision(previous, ctx.cipher)
    options = current.options
    env = {k: v for k, v in {**options.env, **changes.env}.items() if k not in changes.unset}
    secrets = {k: v for k, v in {**options.secrets, **changes.secrets}.items() if k not in changes.unset}
    update: dict[str, Any] = {"env": env, "secrets": secrets}
    for name in ("replicas", "resources", "rate_limit"):
        if getattr(changes, name) is not None:
            update[name] = getattr(changes, name)
    new_options = DeployOptions.model_validate({**options.model_dump(), **update})
    if changes.rebuild:
        await deploy(ctx, services, new_options)
        return
    async with ctx.sessions() as session:
        record = await store.get_analyze_result(session, ctx.upload_id)
        if record is None or not record.profile or not record.spec:
            raise NotFoundError(f"upload '{ctx.upload_id}' has no analysis")
        profile = analysis.profile_from_dict(record.profile)
        spec = dict(record.spec)
    if new_options.profile:
        profile = analysis.apply_overrides(profile, new_options.profile)
    release = replace(current, profile=profile, spec=spec, options=new_options)
    await roll_out(ctx, services, release, previous=previous)


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
        serving = int((current.resources or {}).get("rollback_of") or current.revision)
        older = [r for r in revisions if r.revision < serving]
        if not older:
            raise NotFoundError(f"upload '{ctx.upload_id}' has no revision before revision {serving}")
        target = older[-1]
    await ctx.set_status(S.ROLLING_BACK, f"rolling back to revision {target.revision}")
    release = release_from_revision(target, ctx.cipher)
    objects = release.restored_manifests(target)
    await services.cluster.apply_revision(objects)
    await services.cluster.wait_rollout(
        ctx.upload_id, ctx.settings.kubernetes.rollout_timeout_seconds, namespace=release.namespace(ctx.settings)
    )
    deployment_info = await describe(services, release, ctx)
    if services.gateway is not None and target.kong_config:
        try:
            await configure_gateway(ctx, services, release, deployment_info)
        except JustPushError as exc:
            await ctx.warn(S.ROLLING_BACK.value, f"Kong could not be rolled back: {exc.message}")
    async with ctx.sessions.begin() as session:
        await store.add_revision(
            session,
            ctx.cipher,
            upload_id=ctx.upload_id,
            image=target.image,
            image_digest=target.image_digest,
            env=dict(target.env),
            secret_env=dict(release.options.secrets),
            replicas=target.replicas,
            resources={**dict(target.resources or {}), "rollback_of": target.revision},
            manifests=target.manifests,
            kong_config=dict(target.kong_config or {}),
            created_by=ctx.user_id,
            status=f"rollback-to-{target.revision}",
        )
    await ctx.set_status(
        S.ROLLED_BACK,
        f"revision {target.revision} is serving again",
        docker_image=target.image,
        k8s_deployment_info=deployment_info,
    )


async def delete(ctx: JobContext, services: Services) -> None:
    upload, record = await ctx.load_upload()
    await ctx.set_status(S.DELETING)
    namespace = ((record.k8s_deployment_info if record else None) or {}).get(
        "namespace", ctx.settings.kubernetes.namespace
    )
    await services.cluster.delete(ctx.upload_id, namespace=namespace)
    await ctx.event(S.DELETING.value, "progress", "Kubernetes objects deleted")
    if services.gateway is not None:
        result = await services.gateway.delete(ctx.upload_id)
        await ctx.event(S.DELETING.value, "progress", f"Kong: {len(result.deleted)} entities deleted")
    image = record.docker_image if record else None
    if image:
        try:
            await services.registry.delete(registry.parse_reference(image), upload_id=ctx.upload_id)
            await ctx.event(S.DELETING.value, "progress", f"image {image} deleted from the registry")
        except ExternalServiceError as exc:
            await ctx.warn(S.DELETING.value, f"the registry kept the image: {exc.message}")
    await ctx.set_status(
        S.DELETED, "everything this upload deployed is gone",
        k8s_deployment_info=None, kong_api_id=None, docker_image=None, developer_api_key=None,
    )


__all__ = ["GenerationError", "deploy", "delete", "redeploy", "rollback"]
