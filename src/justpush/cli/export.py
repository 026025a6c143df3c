"""`justpush export terraform UPLOAD_ID|PATH -o DIR`: a deployment as a Terraform module;
`justpush export gitops UPLOAD_ID --repo URL`: its manifests, decK file and Argo CD / Flux object
committed to a Git branch."""

import json
import os
from pathlib import Path, PurePosixPath

import typer

from justpush.errors import UploadError

from ._api import Api
from ._app import group, load_settings
from .deploy import ServerOpt, TokenOpt, UserOpt, _run


def _write(files: dict[str, str], output: Path) -> None:
    output.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (output / name).write_text(text, encoding="utf-8")
    typer.echo(f"wrote {len(files)} files to {output}: {', '.join(sorted(files))}")


def _from_folder(ctx: typer.Context, path: Path, image: str, upload_id: str) -> dict[str, str]:
    """What a deployment of the folder would apply, rendered offline (nothing is touched)."""
    from justpush.analysis import analyze
    from justpush.exports import TerraformOptions, render_terraform
    from justpush.k8s import (
        SERVICE_PORT,
        ManifestOptions,
        app_from_profile,
        base_name,
        render_manifests,
        scaling_plan,
    )
    from justpush.kong import KongOptions, KongTarget, gateway_prefix, openapi_to_kong

    settings = load_settings(ctx)
    result = analyze(path)
    name = result.profile.name or path.resolve().name
    replicas, autoscaling = scaling_plan("small")
    app = app_from_profile(
        result.profile,
        upload_id=upload_id,
        app_name=name,
        image=image,
        openapi=result.spec,
        replicas=replicas,
        autoscaling=autoscaling,
        require_env=False,
    )
    namespace = settings.kubernetes.namespace
    kubernetes = settings.kubernetes
    manifest_options = ManifestOptions(
        namespace=namespace,
        termination_grace_period_seconds=kubernetes.termination_grace_period_seconds,
        pre_stop_seconds=kubernetes.pre_stop_delay,
    )
    manifests = render_manifests(app, manifest_options)
    target = KongTarget(
        upload_id=upload_id,
        name=name,
        service_name=base_name(upload_id, name),
        namespace=namespace,
        port=SERVICE_PORT,
    )
    kong_options = KongOptions.from_settings(settings.gateway)
    kong_config = openapi_to_kong(result.spec, target, kong_options)
    options = TerraformOptions(
        app_name=name,
        upload_id=upload_id,
        gateway_url=settings.kong.gateway_url or "https://api.example.com",
        path_prefix=gateway_prefix(target, kong_options),
    )
    return render_terraform([m.to_dict() for m in manifests], kong_config, options)  # type: ignore[attr-defined]


def _unzip(data: bytes) -> dict[str, str]:
    import io
    import zipfile

    files: dict[str, str] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            name = PurePosixPath(info.filename).name
            if name:
                files[name] = archive.read(info).decode("utf-8")
    return files


def terraform(
    ctx: typer.Context,
    source: str = typer.Argument(..., help="A deployed upload's id, or a project folder."),
    output: Path = typer.Option(..., "--output", "-o", help="Folder to write the module into."),
    image: str | None = typer.Option(None, "--image", help="Image reference (with a folder: required)."),
    upload_id: str = typer.Option("local", "--upload-id", help="With a folder: the id used in names."),
    server: str | None = ServerOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
) -> None:
    """Write a Terraform module (hashicorp/kubernetes + kong/kong-gateway) of a deployment."""
    path = Path(source)
    if path.is_dir():
        if not image:
            raise UploadError("exporting a folder needs --image REF (the image the module deploys)")
        _write(_from_folder(ctx, path, image, upload_id), output)
        return

    async def work(api: Api) -> bytes:
        return await api.download(f"/deploy/{source}/export/terraform")

    _write(_unzip(_run(ctx, server, token, user, work)), output)


# The git token is read from here (or asked for), never from the command line: argv is visible to
# every user of the machine and kept in shell histories.
GIT_TOKEN_VARIABLE = "JUSTPUSH_GIT_TOKEN"


def _read_file(path: Path | None, what: str) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UploadError(f"cannot read the {what} {path}: {exc.strerror}") from exc


def gitops(
    ctx: typer.Context,
    upload_id: str = typer.Argument(..., help="A deployed upload's id."),
    repo: str | None = typer.Option(
        None, "--repo", help="https://… or ssh://… repository (default: gitops.repoUrl)."
    ),
    branch: str | None = typer.Option(None, "--branch", help="Branch to commit to (default: gitops.branch)."),
    path: str | None = typer.Option(None, "--path", help="Folder in the repository (default: gitops.path)."),
    tool: str | None = typer.Option(
        None, "--tool", help="argocd (an Application) or flux (a Kustomization)."
    ),
    username: str | None = typer.Option(None, "--username", help="HTTPS user the token belongs to."),
    ask_token: bool = typer.Option(
        False, "--ask-token", help=f"Prompt for the HTTPS token (else ${GIT_TOKEN_VARIABLE} is used)."
    ),
    ssh_key: Path | None = typer.Option(None, "--ssh-key", help="SSH private key file (ssh:// URLs)."),
    known_hosts: Path | None = typer.Option(None, "--known-hosts", help="known_hosts file for the SSH host."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
    server: str | None = ServerOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
) -> None:
    """Commit a deployment's manifests, decK file and Argo CD / Flux object to a Git repository."""
    if tool is not None and tool not in ("argocd", "flux"):
        raise typer.BadParameter("must be argocd or flux", param_hint="--tool")
    git_token = (
        typer.prompt("git token", hide_input=True) if ask_token else os.environ.get(GIT_TOKEN_VARIABLE)
    )
    body = {
        "repo_url": repo,
        "branch": branch,
        "path": path,
        "tool": tool,
        "username": username,
        "token": git_token or None,
        "ssh_key": _read_file(ssh_key, "SSH key"),
        "known_hosts": _read_file(known_hosts, "known_hosts file"),
    }

    async def work(api: Api) -> dict[str, object]:
        sent = {k: v for k, v in body.items() if v is not None}
        answer: dict[str, object] = await api.call("POST", f"/deploy/{upload_id}/export/gitops", json=sent)
        return answer

    result = _run(ctx, server, token, user, work)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    where = f"{result['repo_url']} {result['branch']}:{result['path'] or '/'}"
    if result["changed"]:
        files = ", ".join(str(f) for f in result["files"])
        typer.echo(f"committed revision {result['revision']} as {result['commit']} to {where} ({files})")
    else:
        typer.echo(f"{where} already holds revision {result['revision']} (at {result['commit']})")


def register(app: typer.Typer) -> None:
    commands = group(app, "export")
    commands.command("terraform")(terraform)
    commands.command("gitops")(gitops)
