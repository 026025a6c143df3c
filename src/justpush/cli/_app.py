"""The Typer application: one module per command group, each with `register(app)`.

Command modules do without `from __future__ import annotations`: Typer reads the annotations of every
command on each start, and compiling and evaluating string ones took more than half of that time.
"""

import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from justpush.config import Settings

app = typer.Typer(
    name="justpush",
    help="JustPush: from API source code to a running, gateway-managed endpoint.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

_groups: dict[str, typer.Typer] = {}


@app.callback()
def _global_options(
    ctx: typer.Context,
    config: Path | None = typer.Option(
        None,
        "--config",
        envvar="JUSTPUSH_CONFIG",
        help="Configuration file (default: ./app-config.yaml).",
        dir_okay=False,
    ),
) -> None:
    ctx.obj = {"config": config}


def load_settings(ctx: typer.Context, config: Path | None = None) -> "Settings":
    """The effective settings: a command's own `--config` wins over the global one."""
    from justpush.config import load as load_config

    chosen = config or (ctx.find_root().obj or {}).get("config")
    return load_config(chosen, os.environ)


def group(name: str, help: str) -> typer.Typer:
    """A sub-command group shared by several modules (e.g. `render manifests` and `render kong`)."""
    if name not in _groups:
        _groups[name] = typer.Typer(name=name, help=help, no_args_is_help=True)
        app.add_typer(_groups[name], name=name)
    return _groups[name]


# Each module registers its commands on import order; add a module here to add its commands.
_COMMAND_MODULES = (
    "serve",
    "users",
    "db",
    "config_cmd",
    "upload",
    "analyze",
    "kong",
    "manifests",
    "build",
    "deploy",
    "export",
    "worker",
    "gc",
)

for _module in _COMMAND_MODULES:
    importlib.import_module(f"justpush.cli.{_module}").register(app)
