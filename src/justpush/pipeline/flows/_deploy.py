"""A deploy: scan, build, check and push the image, then hand over to the rollout."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from justpush import analysis, build, registry, security, store
from justpush.errors import JustPushError, StageFailed
from justpush.store import AnalyzeResult, Upload

from .._context import JobContext
from .._options import DeployOptions
from .._release import Release
from .._services import Services
from .._start_check import plan_start_check
from .._status import DeploymentStatus as S
from .._together import timed, together
from ._rollout import check_namespace, roll_out
from ._undo import remove_local_images, undo_push


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
    ctx: JobContext, upload: Upload, record: AnalyzeResult | None, root: str | None = None
) -> tuple[analysis.ProjectProfile, dict[str, Any]]:
    """The stored analysis (`record`), or a fresh one when the upload was never analysed or for another
    root."""
    workspace = Path(upload.workspace)
    wanted = analysis.resolve_root(workspace, root) if root is not None else None
    if record is not None and record.status == "succeeded" and record.profile and record.spec:
        profile = analysis.profile_from_dict(record.profile)
        if wanted is None or profile.app_dir == wanted:
            return profile, dict(record.spec)
    await ctx.event(S.SCANNING.value, "progress", f"analysing the upload (root {wanted or 'detected'})")
    result = await asyncio.to_thread(analysis.analyze, workspace, analysis.AnalysisOptions(root=wanted))
    async with ctx.transaction() as session:
        store.record_analysis(await store.ensure_analyze_result(session, ctx.upload_id), result.to_dict())
    return result.profile, result.spec


async def _unavailable_images(services: Services, dockerfile: str) -> list[build.UnavailableImage]:
    """The base images of the upload's own Dockerfile the build host cannot pull, found now rather than
    at the first build step."""
    images = build.base_images(dockerfile)
    missing = await services.builder.unavailable_images([image for image, _ in images])
    return build.unavailable_images(dict(images), missing)


async def _choose_dockerfile(
    ctx: JobContext,
    services: Services,
    workspace: Path,
    profile: analysis.ProjectProfile,
    dockerfile_options: build.DockerfileOptions,
    mode: build.DockerfileMode,
) -> build.PreparedDockerfile:
    """The Dockerfile the build uses, as the user's `dockerfile` mode decides (build/_choice.py): a
    fallback from the upload's is a warning naming why, an upload's that `repo` cannot use fails here."""
    prepared = build.prepare_dockerfile(workspace, profile, dockerfile_options, own=mode != "generated")
    own = (profile.dockerfile or None) if mode != "generated" else None
    unavailable: list[build.UnavailableImage] = []
    if prepared.origin == "upload":
        breaking = [f for f in prepared.findings if f.rule in build.BREAKING_RULES]
        # A Dockerfile that cannot build anyway needs no look at its images (auto falls back regardless);
        # one naming a deployment's image must not make the engine fetch it.
        if not breaking or (mode == "repo" and not any(f.rule == build.RULE_PUSHED_IMAGE for f in breaking)):
            unavailable = await _unavailable_images(services, prepared.dockerfile)
    choice = build.choose_dockerfile(mode, own, prepared.findings, unavailable)
    if choice.origin is None:
        raise StageFailed(S.SCANNING.value, choice.error or "the upload's Dockerfile cannot be used")
    if choice.warning is not None:
        await ctx.event(S.SCANNING.value, "warning", choice.warning, {"dockerfile": "generated"})
    if choice.origin == prepared.origin:
        return prepared
    return build.prepare_dockerfile(workspace, profile, dockerfile_options, own=False)


def all_problems(checks: list[Callable[[], object]]) -> None:
    """Run every check; raise the one failure as it is, or several as one, each on a line of its own,
    so a deploy is not refused again and again for the next thing each time."""
    problems: list[JustPushError] = []
    for check in checks:
        try:
            check()
        except JustPushError as exc:
            problems.append(exc)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise StageFailed(
            S.SCANNING.value,
            f"{len(problems)} things stop this deploy:\n" + "\n".join(f"- {p.message}" for p in problems),
            details={"problems": [p.message for p in problems]},
        )


async def deploy(ctx: JobContext, services: Services, options: DeployOptions) -> None:
    # The job's first status and what it reads of the upload, in one transaction (no other job of the
    # upload runs meanwhile, so none of it changes under the job).
    async with ctx.transaction() as session:
        upload = await store.get_upload(session, ctx.upload_id, owner_id=None)
        record = await store.get_analyze_result(session, ctx.upload_id)
        previous = await store.latest_revision(session, ctx.upload_id)
        await ctx.set_status(S.SCANNING)
    check_namespace(ctx, options.namespace or ctx.settings.kubernetes.namespace, S.SCANNING.value, record)
    profile, spec = await _analysis(ctx, upload, record, options.root)
    if options.profile:
        profile = analysis.apply_overrides(profile, options.profile)
    workspace = Path(upload.workspace)
    app_name = app_name_for(upload, profile)
    settings = ctx.settings

    reference = registry.image_reference(settings.container_registry, app_name, ctx.upload_id)
    release = Release(
        app_name=app_name,
        profile=profile,
        spec=spec,
        image=str(reference),
        options=options,
        upload_id=ctx.upload_id,
    )
    dockerfile_options = build.DockerfileOptions(
        base_images=settings.build.base_images,
        runtimes=settings.build.runtimes,
        upload_id=ctx.upload_id,
        source_url=upload.git_url or "",
        pushed_to=registry.push_location(settings.container_registry),
    )
    generated = options.dockerfile == "generated" or profile.dockerfile is None
    # What stops the deploy before pulling base images or building, all said at once: a variable the
    # code needs but nobody set, a requirement that installs a release failing at import
    # (analysis/dependency_conflicts.yaml), a database address no pod can reach, a runtime version no
    # image serves (when the image is generated).
    all_problems(
        [
            release.app,
            lambda: analysis.check_conflicts(profile),
            lambda: analysis.check_services(profile.backing_services),
            *([lambda: build.choose_runtime(profile, dockerfile_options)] if generated else []),
        ]
    )
    # A version the base images cannot serve fails here, naming where it was read and the setting.
    prepared = await _choose_dockerfile(
        ctx, services, workspace, profile, dockerfile_options, options.dockerfile
    )
    if prepared.origin == "generated" and profile.dockerfile is not None:
        # The upload's own Dockerfile is not built: the image holds the app where a generated one does,
        # so it gets what generated images get (volumes for the folders it writes to, a preStop sleep).
        profile = replace(profile, dockerfile=None)
        release = replace(release, profile=profile)
    runtime = build.choose_runtime(profile, dockerfile_options) if prepared.origin == "generated" else None
    await scan_context(ctx, workspace / prepared.context, prepared, profile.dockerfile or "Dockerfile")

    # The build tag belongs to this job alone (the pushed tag is the upload's, shared with its later jobs).
    local_tag = f"justpush-local/{app_name}:{ctx.job_id}"
    # One commit hands over to the next stage, with what SCANNING found on the way.
    async with ctx.transaction():
        if runtime is not None:
            await ctx.event(S.SCANNING.value, "progress", runtime.describe())
            if runtime.instead_of_pin is not None:
                await ctx.warn(S.SCANNING.value, runtime.instead_of_pin)
        for finding in prepared.findings:
            await ctx.event(
                S.SCANNING.value,
                "warning",
                f"Dockerfile line {finding.line}: {finding.message} [{finding.rule}]",
                {"rule": finding.rule, "line": finding.line, "severity": str(finding.severity)},
            )
        await ctx.event(
            S.SCANNING.value, "end", f"{prepared.origin} Dockerfile, {len(prepared.findings)} lint finding(s)"
        )
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
        ctx.check_cancelled(S.BUILDING)
        async with ctx.transaction():
            await ctx.flush_logs()
            await ctx.event(S.BUILDING.value, "end", f"built {local_tag} ({built.size} bytes)", timing)
            await ctx.set_status(S.PUSHING)
        pushing = True
        # The sandboxed start check runs beside the push: the image goes to the cluster only once both
        # are done, and a failure of either stops the other (the pushed tag is then deleted below).
        checked = sandbox_check(ctx, services, release, built, owner_id=upload.owner_id)
        works = [push_image(ctx, services, local_tag, reference), checked]
        if prepared.type_check is not None:
            # The type check a TypeScript build left out runs beside the push too, the same way.
            context = workspace / prepared.context
            works.append(type_check(ctx, services, context, prepared.type_check, built))
        pushed, served, *_ = await together(*works)
        if served is not None:
            release = replace(release, profile=_serving_on(release.profile, served))
    except BaseException:
        try:
            if pushing and not ctx.lost:
                await undo_push(ctx, services, str(reference), S.PUSHING.value)
        finally:
            await remove_local_images(ctx, services, local_tag, str(reference))
        raise
    finally:
        await ctx.flush_logs()
    # The engine's copies go while the cluster rolls out (recovery removes them after a crash too).
    cleanup = asyncio.ensure_future(remove_local_images(ctx, services, local_tag, str(reference)))
    try:
        await roll_out(
            ctx,
            services,
            replace(release, image=pushed.pinned),
            previous=previous,
            pushed=str(reference),
            beside=cleanup,
        )
    finally:
        await cleanup


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
    async with ctx.transaction():
        await ctx.flush_logs()
        await ctx.event(S.PUSHING.value, "end", f"pushed {pushed.pinned}", timing)
    return pushed


async def type_check(
    ctx: JobContext, services: Services, context: Path, check: build.TypeCheck, built: build.BuiltImage
) -> None:
    """The check a TypeScript build left out; a failure fails the deploy as a failed build would."""
    await ctx.event(S.PUSHING.value, "progress", f"type-checking the sources: {check.command}")
    timing: dict[str, float] = {}
    try:
        await timed(
            "type_check",
            timing,
            lambda: services.builder.type_check(
                context,
                check,
                built,
                upload_id=ctx.upload_id,
                on_log=ctx.log_sink(S.PUSHING.value),
                cancel=ctx.cancelled,
            ),
        )
    except StageFailed:
        # A check stopped by a cancel fails as "cancelled by <who>".
        ctx.check_cancelled(S.PUSHING)
        raise
    await ctx.event(S.PUSHING.value, "progress", "the sources type-check", timing)


def _serving_on(profile: analysis.ProjectProfile, port: int) -> analysis.ProjectProfile:
    seen = analysis.Evidence("<start check>", None, f"the app listened on port {port} in the sandbox")
    return replace(profile, port=port, evidence={**profile.evidence, "port": (seen,)})


async def sandbox_check(
    ctx: JobContext, services: Services, release: Release, built: build.BuiltImage, *, owner_id: int
) -> int | None:
    """Start the image under the sandbox runtime (gVisor), with no network and the deployment's env;
    skipped when the same image passed under the same inputs before (`_start_check`).

    Returns the port the deployment must send traffic to instead of the detected one, when the app
    serves on exactly one other port and the user did not choose the port (else such a check fails)."""
    runtime = ctx.settings.build.sandbox.runtime
    if not runtime:
        return None
    plan = plan_start_check(ctx.settings.build.sandbox, release.app(), built.run_digest)
    digest, inputs = plan.run_digest, plan.inputs_hash()
    async with ctx.readers() as session:
        passed = await store.start_check_passed(
            session, owner_id=owner_id, run_digest=digest, inputs_hash=inputs
        )
    if passed:
        data = {"run_digest": digest, "inputs_hash": inputs, "skipped": True}
        await ctx.event(S.PUSHING.value, "progress", plan.skipped_message(), data)
        return None
    await ctx.event(S.PUSHING.value, "progress", f"starting the image under runtime {runtime}")
    timing: dict[str, float] = {}
    run = await timed(
        "verify",
        timing,
        lambda: services.builder.verify(
            built.tag,
            upload_id=ctx.upload_id,
            grace_seconds=plan.grace_seconds,
            environment=plan.environment,
            writable_dirs=plan.writable_dirs,
            seeded_dirs=plan.seeded_dirs,
            writable_root=plan.writable_root,
            port=plan.port,
            follow_port="port" not in release.profile.overridden,
        ),
    )
    served = run.served_port(plan.port)
    if served is not None:
        # Not recorded as passed: the next deploy of this image plans the detected port again, and must
        # find out again where the app serves.
        await ctx.event(
            S.PUSHING.value,
            "warning",
            f"the app listens on port {served}, not on {plan.port} as detected: deploying on port "
            f"{served} (choose another with --port or the `port` override)",
            {"detected_port": plan.port, "port": served},
        )
        return served
    async with ctx.transaction() as session:
        await store.record_start_check(
            session, owner_id=owner_id, run_digest=digest, inputs_hash=inputs, job_id=ctx.job_id
        )
    await ctx.event(
        S.PUSHING.value,
        "progress",
        f"the image starts under runtime {runtime}",
        {**timing, "run_digest": digest},
    )
    return None


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
