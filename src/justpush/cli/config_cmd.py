"""`justpush config show`: the effective configuration, secrets masked."""

import json

import typer

from ._app import group, load_settings


def show(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of YAML."),
) -> None:
    """Print the effective configuration (defaults < file < local file < environment)."""
    import yaml

    from justpush.config import masked_dump

    dumped = masked_dump(load_settings(ctx))
    if as_json:
        typer.echo(json.dumps(dumped, indent=2))
    else:
        typer.echo(yaml.safe_dump(dumped, sort_keys=False), nl=False)


def register(app: typer.Typer) -> None:
    group(app, "config").command("show")(show)
