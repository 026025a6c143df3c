"""`justpush render manifests PATH --image REF`: the Kubernetes objects of a deployment, as YAML, offline."""

from pathlib import Path
from typing import cast

import typer

from ._app import group, load_settings


def manifests(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="Folder with the API's source code.", exists=True, file_okay=False),
    image: str = typer.Option(..., "--image", help="Image reference, preferably digest-pinned."),
    namespace: str | None = typer.Option(None, "--namespace", help="Target namespace (default: config)."),
    replicas: int | None = typer.Option(
        None, "--replicas", min=0, help="Replicas (the HPA's minimum); default: the size's."
    ),
    max_replicas: int | None = typer.Option(
        None, "--max-replicas", min=0, help="The HPA's maximum; 0 turns autoscaling off."
    ),
    size: str = typer.Option("small", "--size", help="small | medium | large: resources and replica range."),
    upload_id: str = typer.Option("local", "--upload-id", help="Upload id for names and labels."),
    name: str | None = typer.Option(None, "--name", help="App name (default: project name or folder)."),
    legacy: bool = typer.Option(
        False, "--legacy-apis", help="autoscaling/v2beta2 and policy/v1beta1, for Kubernetes < 1.23."
    ),
    root: str | None = typer.Option(
        None, "--root", help="The API's folder inside PATH (default: detected, e.g. backend/)."
    ),
) -> None:
    """Print the multi-document YAML that a deployment would apply (nothing is touched)."""
    from justpush.analysis import AnalysisOptions, analyze
    from justpush.k8s import (
        AppSize,
        ManifestOptions,
        app_from_profile,
        dump_yaml,
        render_manifests,
        scaling_plan,
    )

    settings = load_settings(ctx).kubernetes
    result = analyze(path, AnalysisOptions(root=root))
    if size not in ("small", "medium", "large"):
        raise typer.BadParameter("must be small, medium or large", param_hint="--size")
    count, autoscaling = scaling_plan(cast(AppSize, size), replicas=replicas, max_replicas=max_replicas)
    app = app_from_profile(
        result.profile,
        upload_id=upload_id,
        app_name=name or result.profile.name or path.resolve().name,
        image=image,
        openapi=result.spec,
        replicas=count,
        autoscaling=autoscaling,
        size=cast(AppSize, size),
        require_env=False,
    )
    missing = sorted(v.name for v in result.profile.env_vars if v.required and v.default is None)
    if missing:
        typer.echo(f"warning: no value for required environment variables: {', '.join(missing)}", err=True)
    options = ManifestOptions(
        namespace=namespace or settings.namespace,
        gateway_namespace=settings.gateway_namespace,
        hpa_api_version="autoscaling/v2beta2" if legacy else "autoscaling/v2",
        pdb_api_version="policy/v1beta1" if legacy else "policy/v1",
        termination_grace_period_seconds=settings.termination_grace_period_seconds,
        pre_stop_seconds=settings.pre_stop_delay,
    )
    typer.echo(dump_yaml(render_manifests(app, options)), nl=False)


def register(app: typer.Typer) -> None:
    group(app, "render").command("manifests")(manifests)
