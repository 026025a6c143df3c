"""What a failed or interrupted job undoes, so the previous revision keeps serving and nothing is orphaned."""

from __future__ import annotations

from justpush import store
from justpush.errors import JustPushError, KongError
from justpush.store import DeploymentRevision

from .._context import JobContext
from .._owed import owed_cleanup, owed_sync, unreachable
from .._release import release_from_revision, revision_manifests
from .._services import Services
from .._status import DeploymentStatus as S
from ._kong import configure_gateway

_BEFORE_CLUSTER = frozenset({None, S.PENDING.value, S.SCANNING.value, S.BUILDING.value, S.PUSHING.value})


async def remove_local_images(ctx: JobContext, services: Services, local_tag: str, reference: str) -> None:
    """The registry holds the image now (or the run failed): the engine's copies only take disk.

    `reference` is the upload's tag, which a later job of the upload may be pushing: a worker that lost
    this job leaves it (recovery or `justpush gc` removes it). The layers under the tags stay as the
    build cache: a later upload of the same files then builds the same image, whose start check passed.
    """
    for tag in [local_tag] if ctx.lost else [local_tag, reference]:
        try:
            await services.builder.remove_image(tag, upload_id=ctx.upload_id, keep_layers=True)
        except JustPushError as exc:
            if not ctx.lost:
                await ctx.warn(S.BUILDING.value, f"could not remove the local image {tag}: {exc.message}")


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
    async with ctx.readers() as session:
        kept = {revision.image_digest for revision in await store.list_revisions(session, ctx.upload_id)}
    if digest not in kept:
        await delete_image(ctx, services, reference, stage)


async def delete_image(ctx: JobContext, services: Services, image: str, stage: str) -> None:
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
            await services.builder.remove_leftovers(upload_id=ctx.upload_id)
        except JustPushError as exc:
            await ctx.warn(
                S.FAILED.value, f"could not remove the run's leftover containers and volumes: {exc.message}"
            )
        await remove_local_images(ctx, services, local_image, image)
    if stage not in _BEFORE_CLUSTER:
        previous = await ctx.latest_revision()
        reason = f"the server stopped during {stage}"
        target = namespace or ctx.settings.kubernetes.namespace
        await undo_cluster(ctx, services, previous, namespace=target, reason=reason)
        await undo_gateway(ctx, services, previous)
    if image:
        await undo_push(ctx, services, image, S.FAILED.value)
