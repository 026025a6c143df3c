"""`justpush render kong SPEC_OR_PATH`: the Kong configuration of a deployment, as YAML, offline."""

from pathlib import Path
from typing import Any

import typer

from justpush.errors import GenerationError

from ._app import group, load_settings


def _load_spec(path: Path) -> tuple[dict[str, Any], str, int | None]:
    """(spec, default name, port) from a spec file (YAML or JSON) or a source folder (analysed)."""
    import yaml

    from justpush.analysis import analyze

    if path.is_dir():
        result = analyze(path)
        return result.spec, result.profile.name or path.resolve().name, result.profile.port
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise GenerationError(f"{path}: not a readable YAML or JSON OpenAPI document ({exc})") from exc
    if not isinstance(spec, dict):
        raise GenerationError(f"{path}: not an OpenAPI document")
    title = (spec.get("info") or {}).get("title")
    return spec, str(title or path.stem), None


def kong(
    ctx: typer.Context,
    spec_or_path: Path = typer.Argument(..., help="OpenAPI file (YAML/JSON) or source folder.", exists=True),
    output_format: str = typer.Option("deck", "--format", help="deck (decK file, format 3.0) or kic."),
    service_host: str | None = typer.Option(
        None, "--service-host", help="Upstream host (default: the K8s Service)."
    ),
    service_port: int | None = typer.Option(None, "--service-port", min=1, max=65535, help="Upstream port."),
    upload_id: str = typer.Option("local", "--upload-id", help="Upload id for ids and tags."),
    name: str | None = typer.Option(None, "--name", help="Kong service name (default: API title or folder)."),
    namespace: str | None = typer.Option(None, "--namespace", help="Kubernetes namespace (default: config)."),
) -> None:
    """Print the Kong entities a deployment would configure (nothing is touched)."""
    import yaml

    from justpush.k8s import SERVICE_PORT, base_name
    from justpush.kong import KongOptions, KongTarget, openapi_to_kong, to_deck, to_kic

    if output_format not in ("deck", "kic"):
        raise typer.BadParameter("must be deck or kic", param_hint="--format")
    settings = load_settings(ctx)
    spec, default_name, detected_port = _load_spec(spec_or_path)
    ns = namespace or settings.kubernetes.namespace
    app_name = name or default_name
    if service_host:
        port = service_port or detected_port or 80
        target = KongTarget(
            upload_id=upload_id, name=app_name, namespace=ns, port=port, url=f"http://{service_host}:{port}"
        )
    else:
        # The Service `justpush render manifests` renders for the same upload and name.
        target = KongTarget(
            upload_id=upload_id,
            name=app_name,
            service_name=base_name(upload_id, app_name),
            namespace=ns,
            port=service_port or SERVICE_PORT,
        )
    config = openapi_to_kong(spec, target, KongOptions.from_settings(settings.gateway))
    for warning in config.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if output_format == "deck":
        typer.echo(yaml.safe_dump(to_deck(config), sort_keys=False, allow_unicode=True), nl=False)
    else:
        documents = to_kic(config, ns, target)
        typer.echo(yaml.safe_dump_all(documents, sort_keys=False, allow_unicode=True), nl=False)


def register(app: typer.Typer) -> None:
    group(app, "render").command("kong")(kong)
