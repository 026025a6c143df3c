"""The Kong step of a flow: sync the revision's entities, and what a failure to do so leaves owed."""

from __future__ import annotations

from typing import Any

from justpush import kong
from justpush.errors import JustPushError, KongError

from .._context import JobContext
from .._owed import GATEWAY_WARNING, owed_cleanup, owed_sync, unreachable
from .._release import Release, kong_inputs
from .._services import Services
from .._status import DeploymentStatus as S


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


async def remove_gateway(ctx: JobContext, services: Services) -> str | None:
    """Remove every Kong entity of the upload; what Kong could not remove is owed (and warned), and said."""
    if services.gateway is None:
        return None
    try:
        result = await services.gateway.delete(ctx.upload_id)
    except KongError as exc:
        # Kong down must not keep the rest deployed: what it holds is owed, and retried by the workers.
        owed = owed_cleanup(ctx.upload_id, exc.message)
        await ctx.warn(S.DELETING.value, owed)
        return owed
    await ctx.event(S.DELETING.value, "progress", f"Kong: {result.deleted} entities deleted")
    return None
