"""Redeploy, rollback and delete of a deployed upload."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from justpush import k8s, store
from justpush.errors import JustPushError, NotFoundError

from .._context import JobContext
from .._options import DeployOptions, RedeployOptions, RollbackOptions
from .._release import deployment_name, release_from_revision, revision_manifests
from .._services import Services
from .._status import DeploymentStatus as S
from ._deploy import deploy
from ._kong import configure_gateway, gateway_failed, remove_gateway
from ._rollout import check_namespace, commit_gitops, describe, roll_out, verify
from ._undo import delete_image


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
    for name in ("replicas", "resources", "rate_limit", "release", "dockerfile"):
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
    async with ctx.readers() as session:
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
    check_namespace(ctx, release.namespace(ctx.settings), S.ROLLING_BACK.value, record)
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
        await delete_image(ctx, services, image, S.DELETING.value)
    if services.gateway is not None:
        await waiting("removing the gateway's routes, service and key (Kong)")
    owed = await remove_gateway(ctx, services)
    await ctx.set_status(
        S.DELETED,
        f"deleted, except: {owed}" if owed else "everything this upload deployed is gone",
        k8s_deployment_info=None,
        kong_api_id=None,
        docker_image=None,
        developer_api_key=None,
        gateway_owed=owed,
    )
