"""`justpush deploy | status | logs | scale | redeploy | rollback | delete | revisions`.

Each command works against a running server (`--server URL --token T`, or JUSTPUSH_SERVER /
JUSTPUSH_TOKEN) or in-process on `./app-config.yaml` (`--token` or `--user NAME`).
"""

import json
import re
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from justpush.errors import StageFailed, UploadError

from ._api import Api, open_api
from ._app import load_settings
from ._dockerfile_mode import DOCKERFILE_HELP, DockerfileMode
from ._overrides import parse_sets
from .upload import zip_directory

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{4,16}$")
_STAGES = ("SCANNING", "BUILDING", "PUSHING", "DEPLOYING", "CONFIGURING", "VERIFYING")
_OK_STATUSES = ("DEPLOYED", "DEPLOYED_WITH_WARNINGS", "ROLLED_BACK", "DELETED")

ServerOpt = typer.Option(None, "--server", envvar="JUSTPUSH_SERVER", help="Server URL (default: in-process).")
TokenOpt = typer.Option(None, "--token", envvar="JUSTPUSH_TOKEN", help="API token.")
UserOpt = typer.Option(None, "--user", help="Act as this user in-process, without a token.")
JsonOpt = typer.Option(False, "--json", help="Print JSON instead of text.")

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def _pairs(values: list[str], what: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UploadError(f"{what} must look like NAME=VALUE, got {item!r}")
        pairs[name] = value
    return pairs


# The job `follow_job` is printing, so that Ctrl-C can say what keeps running (one command per process).
_followed: dict[str, str] = {}


def _run(ctx: typer.Context, server: str | None, token: str | None, user: str | None, work: Any) -> Any:
    async def main() -> Any:
        async with open_api(lambda: load_settings(ctx), server, token, user) as api:
            return await work(api)

    import anyio

    try:
        return anyio.run(main)
    except KeyboardInterrupt:
        if _followed.get("remote"):
            upload_id, job_id = _followed["upload_id"], _followed["job_id"]
            err.print(
                f"\nstopped following; job {job_id} goes on on the server. "
                f"`justpush status {upload_id}` shows it, `justpush cancel {upload_id}` stops it."
            )
        elif _followed:
            err.print(
                f"\njob {_followed['job_id']} ran in this process and was interrupted; the next justpush "
                f"command undoes it (e.g. `justpush status {_followed['upload_id']}`)."
            )
        raise typer.Exit(130) from None


async def _upload(api: Api, source: str) -> str:
    """An upload id: SOURCE itself when it is one, else the id of a new upload of the folder/archive/URL."""
    if _URL.match(source):
        created = await api.call("POST", "/uploads", json={"git_url": source})
        return str(created["id"])
    path = Path(source)
    if not path.exists():
        if _UPLOAD_ID.match(source):
            return source
        raise UploadError(f"{source} is neither a folder, an archive, a git URL nor an upload id")
    import tempfile

    with tempfile.TemporaryDirectory(prefix="justpush-deploy-") as tmp:
        archive = path
        if path.is_dir():
            archive = Path(tmp, f"{path.resolve().name or 'app'}.zip")
            zip_directory(path, archive)
        with archive.open("rb") as handle:
            created = await api.call(
                "POST", "/uploads", files={"file": (archive.name, handle, "application/octet-stream")}
            )
    err.print(f"uploaded {source} as [bold]{created['id']}[/] ({created['files']} files)")
    return str(created["id"])


async def follow_job(api: Api, upload_id: str, job_id: str) -> dict[str, Any]:
    """Print the job's events stage by stage until it ends; the final status record."""
    _followed.update(upload_id=upload_id, job_id=job_id, remote="yes" if api.streaming else "")
    current, last_error = "", ""
    with err.status("waiting for the worker…") as spinner:
        async for event in api.events(upload_id):
            # The stream replays the upload's earlier jobs too.
            if event["job_id"] != job_id:
                continue
            kind, stage, message = event["kind"], event["stage"], escape(event["message"])
            if kind == "status":
                if current:
                    err.print(f"  [green]✓[/] {current.lower()}")
                current = stage if stage in _STAGES else ""
                if stage in _STAGES:
                    spinner.update(f"{stage.lower()}…")
                else:
                    redundant = message.lower() in (stage.lower(), "deployed") or message == last_error
                    err.print(f"[bold]{stage}[/]" + ("" if redundant else f" {message}"))
            elif kind == "error":
                # The worker files a job's error under FAILED; it belongs to the stage that was running.
                err.print(f"  [red]✗ {(current or stage).lower()}:[/] {message}")
                current, last_error = "", message
            elif kind in ("warning", "notice"):
                err.print(f"  [yellow]![/] {message}")
            elif kind == "end":
                err.print(f"  [dim]{stage.lower()}: {message}[/]")
            else:
                spinner.update(f"{(current or stage).lower()}: {message[:100]}")
    return dict(await api.call("GET", f"/deploy/{upload_id}/status"))


def _line(text: str) -> None:
    # Values are data (an error may hold "[...]"): never rich markup, never wrapped.
    out.print(text, markup=False, highlight=False, soft_wrap=True)


def _summary(status: dict[str, Any], as_json: bool, *, job_error: bool = True) -> None:
    """The record, and a failed job's error unless the caller reports it as the command's error."""
    if as_json:
        out.print_json(json.dumps(status, default=str))
        return
    _line(f"upload id:   {status['upload_id']}")
    _line(f"status:      {status['status']}")
    if status.get("image"):
        _line(f"image:       {status['image']}")
    k8s = status.get("kubernetes") or {}
    if k8s:
        where = f"{k8s.get('namespace')}/{k8s.get('deployment')}"
        _line(f"kubernetes:  {where} (service {k8s.get('service')}:{k8s.get('port')})")
    if status.get("gateway_url"):
        _line(f"gateway url: {status['gateway_url']}")
    if status.get("api_key"):
        _line(f"api key:     {status['api_key']}   (shown once — store it now)")
    elif status.get("api_key_masked"):
        _line(f"api key:     {status['api_key_masked']} (masked)")
    if status.get("gateway_owed"):
        _line(f"kong owes:   {status['gateway_owed']}")
    job = status.get("job") or {}
    if job_error and job.get("status") == "failed":
        # Also after a failed redeploy, while the previous revision serves on: the failure is news.
        _line(f"last job:    {job.get('kind')} failed at {job.get('stage')}: {job.get('error')}")


def _finish(status: dict[str, Any], as_json: bool) -> None:
    job = status.get("job") or {}
    failed = status.get("status") not in _OK_STATUSES or job.get("status") == "failed"
    # A failure is the command's error: printed once, by the error handler.
    _summary(status, as_json, job_error=not failed)
    if failed:
        raise StageFailed(
            str(job.get("stage") or status.get("status") or "deploy"),
            job.get("error") or "the job did not succeed",
        )


def deploy(
    ctx: typer.Context,
    source: str = typer.Argument(..., help="A project folder, archive, git URL, or an existing upload id."),
    env: list[str] = typer.Option(
        [], "--env", "-e", help="Plain environment variable NAME=VALUE (repeatable)."
    ),
    secret: list[str] = typer.Option(
        [], "--secret", "-s", help="Secret environment variable NAME=VALUE (repeatable)."
    ),
    replicas: int | None = typer.Option(
        None, "--replicas", min=0, max=100, help="Replicas (the HPA's minimum); default: the size's."
    ),
    max_replicas: int | None = typer.Option(
        None, "--max-replicas", min=0, max=100, help="The HPA's maximum; 0 turns autoscaling off."
    ),
    size: str = typer.Option("small", "--size", help="small | medium | large: resources and replica range."),
    writable_root: bool = typer.Option(
        False,
        "--writable-root",
        help="Turn the read-only root filesystem off (apps that write to absolute paths their user owns;"
        " for a folder next to the code, --set writable_paths=<folder>).",
    ),
    namespace: str | None = typer.Option(None, "--namespace", help="Kubernetes namespace override."),
    detach: bool = typer.Option(False, "--detach", help="Queue the deployment and return."),
    root: str | None = typer.Option(
        None, "--root", help="The API's folder inside the upload (default: detected, e.g. backend/)."
    ),
    release: str | None = typer.Option(
        None,
        "--release",
        help="Release command run before the rollout (migrations); 'none' runs none. Default: detected.",
    ),
    dockerfile: DockerfileMode = typer.Option(DockerfileMode.AUTO, "--dockerfile", help=DOCKERFILE_HELP),
    port: int | None = typer.Option(
        None, "--port", min=1, max=65535, help="The port the app listens on (default: detected)."
    ),
    sets: list[str] = typer.Option(
        [],
        "--set",
        help="Override a detected profile field: field=value (repeatable), e.g. language_version=20,"
        " writable_paths=data,uploads.",
    ),
    server: str | None = ServerOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Upload (when needed) and deploy; exits 0 on DEPLOYED / DEPLOYED_WITH_WARNINGS."""
    body: dict[str, Any] = {
        "env": _pairs(env, "--env"),
        "secrets": _pairs(secret, "--secret"),
        "size": size,
    }
    if replicas is not None:
        body["replicas"] = replicas
    if max_replicas is not None:
        body["max_replicas"] = max_replicas
    if writable_root:
        body["read_only_root"] = False
    if namespace:
        body["namespace"] = namespace
    if root is not None:
        body["root"] = root
    if release is not None:
        body["release"] = release
    body["dockerfile"] = dockerfile.value
    profile = parse_sets(sets)
    if port is not None:
        profile["port"] = port
    if profile:
        body["profile"] = profile

    async def work(api: Api) -> dict[str, Any]:
        upload_id = await _upload(api, source)
        accepted = await api.call("POST", f"/deploy/{upload_id}", json=body)
        err.print(f"deploy job {accepted['job_id']} queued for upload [bold]{upload_id}[/]")
        if detach:
            return dict(accepted)
        return await follow_job(api, upload_id, str(accepted["job_id"]))

    result = _run(ctx, server, token, user, work)
    if detach:
        out.print(json.dumps(result))
        return
    _finish(result, as_json)


def status(
    ctx: typer.Context,
    upload_id: str,
    server: str | None = ServerOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    as_json: bool = JsonOpt,
) -> None:
    """The deployment record of an upload."""
    result = _run(ctx, server, token, user, lambda api: api.call("GET", f"/deploy/{upload_id}/status"))
    _summary(result, as_json)


def logs(
    ctx: typer.Context,
    upload_id: str,
    follow: bool = typer.Option(False, "--follow", "-f"),
    tail: int = typer.Option(100, "--tail"),
    since: int | None = typer.Option(None, "--since", help="Seconds."),
    server: str | None = ServerOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
) -> None:
    """The app's logs from every pod."""
    params: dict[str, Any] = {"follow": str(follow).lower(), "tail": tail}
    if since:
        params["since"] = since

    async def work(api: Api) -> None:
        async with api.client.stream(
            "GET", f"/deploy/{upload_id}/logs", params=params, timeout=None
        ) as response:
            if not response.is_success:
                await response.aread()
                from ._api import raise_for_response

                raise_for_response(response)
            async for line in response.aiter_lines():
                out.print(line, markup=False)

    _run(ctx, server, token, user, work)


def scale(
    ctx: typer.Context,
    upload_id: str,
    replicas: int = typer.Argument(..., min=0, max=100),
    server: str | None = ServerOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Set the number of replicas."""
    result = _run(
        ctx,
        server,
        token,
        user,
        lambda api: api.call("PUT", f"/deploy/{upload_id}/scale", json={"replicas": replicas}),
    )
    _summary(result, as_json)


def _job_command(kind: str, method: str, path: str, body: dict[str, Any]) -> Any:
    def command(
        ctx: typer.Context,
        upload_id: str,
        server: str | None,
        token: str | None,
        user: str | None,
        as_json: bool,
    ) -> None:
        async def work(api: Api) -> dict[str, Any]:
            accepted = await api.call(method, path.format(upload_id=upload_id), json=body or None)
            err.print(f"{kind} job {accepted['job_id']} queued")
            return await follow_job(api, upload_id, str(accepted["job_id"]))

        _finish(_run(ctx, server, token, user, work), as_json)

    return command


def redeploy(
    ctx: typer.Context,
    upload_id: str,
    env: list[str] = typer.Option([], "--env", "-e", help="Set NAME=VALUE (repeatable)."),
    secret: list[str] = typer.Option([], "--secret", "-s", help="Set secret NAME=VALUE (repeatable)."),
    unset: list[str] = typer.Option([], "--unset", help="Remove a variable (repeatable)."),
    replicas: int | None = typer.Option(None, "--replicas"),
    rebuild: bool = typer.Option(False, "--rebuild", help="Build the image again from the upload."),
    release: str | None = typer.Option(
        None,
        "--release",
        help="Release command run before the rollout (migrations); 'none' runs none. Default: as deployed.",
    ),
    dockerfile: DockerfileMode | None = typer.Option(
        None,
        "--dockerfile",
        help="With --rebuild: " + DOCKERFILE_HELP + " Default: as deployed.",
    ),
    server: str | None = ServerOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Roll out changed environment or configuration."""
    body: dict[str, Any] = {
        "env": _pairs(env, "--env"),
        "secrets": _pairs(secret, "--secret"),
        "unset": unset,
        "rebuild": rebuild,
    }
    if replicas is not None:
        body["replicas"] = replicas
    if release is not None:
        body["release"] = release
    if dockerfile is not None:
        if not rebuild:
            raise typer.BadParameter("applies to a rebuild: add --rebuild", param_hint="--dockerfile")
        body["dockerfile"] = dockerfile.value
    _job_command("redeploy", "POST", "/deploy/{upload_id}/redeploy", body)(
        ctx, upload_id, server, token, user, as_json
    )


def rollback(
    ctx: typer.Context,
    upload_id: str,
    revision: int | None = typer.Option(
        None, "--revision", help="Default: the last good one before the current."
    ),
    server: str | None = ServerOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Re-apply a stored revision, app and gateway together."""
    body = {"revision": revision} if revision is not None else {}
    _job_command("rollback", "POST", "/deploy/{upload_id}/rollback", body)(
        ctx, upload_id, server, token, user, as_json
    )


def delete(
    ctx: typer.Context,
    upload_id: str,
    server: str | None = ServerOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Remove everything the upload deployed (Kubernetes objects, Kong entities, image tag)."""
    _job_command("delete", "DELETE", "/deploy/{upload_id}", {})(ctx, upload_id, server, token, user, as_json)


def cancel(
    ctx: typer.Context,
    upload_id: str,
    server: str | None = ServerOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Follow a running job until it has stopped."),
) -> None:
    """Cancel the upload's queued job, or stop its running deploy/redeploy and undo it."""

    async def work(api: Api) -> None:
        job = await api.call("POST", f"/deploy/{upload_id}/cancel")
        if job["status"] != "running":
            err.print(f"{job['kind']} job {job['id']} cancelled before it started")
            return
        err.print(f"{job['kind']} job {job['id']}: cancel requested")
        if not wait:
            return
        status = await follow_job(api, upload_id, str(job["id"]))
        final = status.get("job") or {}
        if final.get("status") == "succeeded":
            err.print(f"the job was past its last safe point and finished: {status['status']}")
        else:
            err.print(f"stopped: {final.get('error') or status['status']}")

    _run(ctx, server, token, user, work)


def revisions(
    ctx: typer.Context,
    upload_id: str,
    server: str | None = ServerOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
) -> None:
    """Every applied revision, oldest first."""
    rows = _run(ctx, server, token, user, lambda api: api.call("GET", f"/deploy/{upload_id}/revisions"))
    out.print_json(json.dumps(rows, default=str))


def register(app: typer.Typer) -> None:
    for command in (deploy, status, logs, scale, redeploy, rollback, delete, cancel, revisions):
        app.command(command.__name__)(command)
