"""A `gateway` job: what Kong owes (`_owed`) is settled once it answers again."""

from __future__ import annotations

from typing import Any

from justpush.errors import JustPushError, KongError
from justpush.store import DeploymentRevision

from .._context import JobContext
from .._owed import caught_up_warnings, owes_sync, unreachable
from .._release import release_from_revision
from .._services import Services
from .._status import DeploymentStatus as S
from ._kong import configure_gateway, gateway_failed, remove_gateway
from ._rollout import verify


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
    owed = await remove_gateway(ctx, services)
    await ctx.set_status(
        final,
        f"Kong still owes: {owed}" if owed else "Kong holds nothing of this upload any more",
        kong_api_id=None,
        gateway_owed=owed,
    )
