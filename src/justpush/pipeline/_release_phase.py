"""The release phase: the app's release command (migrations) run once as a Kubernetes Job before the rollout.

The Job runs the new image with the new env, so the ConfigMap/Secret (and a new namespace with its
policies) are applied first; the caller counts them as applied, so a failed release is undone like a
failed rollout (`undo_cluster`: the previous revision is re-applied, or the upload's objects removed) and
the previous pods keep serving, untouched.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable, Sequence

from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import ConfigMap, LimitRange, Namespace, ResourceQuota, Secret

from justpush import k8s
from justpush.errors import KubernetesError, StageFailed

from ._context import JobContext
from ._release import Release
from ._services import Services
from ._status import DeploymentStatus as S

# What the release pod needs to start: its namespace (with policies), env and pull credentials.
_PREREQUISITES = (Namespace, ResourceQuota, LimitRange, ConfigMap, Secret)
# A finished release Job that was not deleted (a worker died) is removed by the cluster after this.
_JOB_TTL_SECONDS = 3600
# Client-side slack over the Job's own deadline, for the pod to be scheduled and the status to settle.
_WAIT_SLACK_SECONDS = 60
# Shorter secret values are not masked: they would blank common words in every line.
_MIN_MASKED = 4
MASK = "****"


def masker(secrets: Iterable[str]) -> Callable[[str], str]:
    """Blanks the app's secret values in a line of the release's output (a migration may print its DSN)."""
    values = sorted({v for v in secrets if len(v) >= _MIN_MASKED}, key=len, reverse=True)

    def mask(line: str) -> str:
        for value in values:
            line = line.replace(value, MASK)
        return line

    return mask


async def run_release_phase(
    ctx: JobContext, services: Services, release: Release, objects: Sequence[k8s.Manifest]
) -> None:
    """Run the release command as a Job, its log lines as DEPLOYING events; StageFailed if it fails.
    A release the pods run themselves (an init container: the database is a file in each pod) is only
    announced."""
    stage = S.DEPLOYING.value
    command = release.release_command()
    if not command:
        if release.options.release is not None:
            await ctx.event(stage, "progress", "release: no release command (disabled by the release option)")
        return
    mask = masker(entry.value for entry in release.app().env if entry.secret)
    shown = mask(shlex.join(command))
    if release.release_in_pod():
        await ctx.event(
            stage,
            "progress",
            f"release: {shown} runs in each pod before the app (its database is a file in the pod)",
        )
        return
    (deployment,) = [o for o in objects if isinstance(o, Deployment)]
    assert deployment.metadata is not None and deployment.metadata.name is not None
    timeout = ctx.settings.kubernetes.release_timeout_seconds
    job = k8s.render_release_job(
        deployment,
        command,
        name=k8s.release_job_name(deployment.metadata.name, ctx.job_id),
        active_deadline_seconds=timeout,
        ttl_seconds_after_finished=_JOB_TTL_SECONDS,
    )
    await services.cluster.apply([o for o in objects if isinstance(o, _PREREQUISITES)])
    await ctx.event(stage, "progress", f"release: running {shown}")
    sink = ctx.log_sink(stage)
    try:
        await ctx.cancellable(
            S.DEPLOYING,
            services.cluster.run_job(
                job, timeout=timeout + _WAIT_SLACK_SECONDS, on_log=lambda line: sink(f"release: {mask(line)}")
            ),
        )
    except KubernetesError as exc:
        await ctx.flush_logs()
        tail = [mask(line) for line in exc.details.get("log_tail", [])]
        raise StageFailed(
            stage,
            f"release command `{shown}` failed, nothing was rolled out: {mask(exc.message)}",
            details={**exc.details, "release_command": shown, "log_tail": tail},
        ) from None  # the cause holds the unmasked lines: it must not reach a log
    await ctx.flush_logs()
    await ctx.event(stage, "progress", f"release: {shown} succeeded")
