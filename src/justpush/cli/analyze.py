"""`justpush analyze PATH`: print the OpenAPI spec (or the detected profile) of a source tree."""

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ._overrides import parse_sets


def _dump(data: Any, fmt: str) -> str:
    if fmt == "yaml":
        import yaml

        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def analyze_command(
    path: Annotated[Path, typer.Argument(help="Folder with the API's source code.")],
    fmt: Annotated[str, typer.Option("--format", help="Output format: json or yaml.")] = "json",
    profile: Annotated[
        bool, typer.Option("--profile", help="Print the detected profile instead of the spec.")
    ] = False,
    sets: Annotated[
        list[str] | None, typer.Option("--set", help="Override a profile field: field=value (repeatable).")
    ] = None,
    root: Annotated[
        str | None,
        typer.Option("--root", help="The API's folder inside PATH (default: detected, e.g. backend/)."),
    ] = None,
) -> None:
    """Analyse a source tree statically and print its OpenAPI 3.1 spec (warnings go to stderr)."""
    from justpush.analysis import AnalysisOptions, analyze, profile_to_dict

    if fmt not in ("json", "yaml"):
        raise typer.BadParameter("must be json or yaml", param_hint="--format")
    result = analyze(path, AnalysisOptions(overrides=parse_sets(sets or []), root=root))
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(f"spec: {result.spec_source} ({result.spec_reason})", err=True)
    data = profile_to_dict(result.profile) if profile else result.spec
    sys.stdout.write(_dump(data, fmt))


def register(app: typer.Typer) -> None:
    app.command("analyze")(analyze_command)
