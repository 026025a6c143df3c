"""`justpush export terraform UPLOAD_ID|PATH -o DIR`: a deployment as a Terraform module."""

from __future__ import annotations

import io
import zipfile
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


def register(app: typer.Typer) -> None:
    group("export", "Export a deployment for Terraform or GitOps").command("terraform")(terraform)
