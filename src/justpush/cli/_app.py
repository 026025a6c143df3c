"""The Typer application: one module per command group, each with `register(app)`, listed in _commands.

Command modules do without `from __future__ import annotations`: Typer reads the annotations of the command
that runs on each start, and compiling and evaluating string ones took more than half of that time.
"""

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ._commands import COMMANDS, LazyGroup

if TYPE_CHECKING:
    from justpush.config import Settings

app = typer.Typer(
    name="justpush",
    help="JustPush: from API source code to a running, gateway-managed endpoint.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=LazyGroup,
)


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


def group(parent: typer.Typer, name: str) -> typer.Typer:
    """The sub-command group `name` of `parent`, shared by several modules (e.g. `render manifests` and
    `render kong`); its help is the one COMMANDS lists."""
    for info in parent.registered_groups:
        if info.name == name and info.typer_instance is not None:
            return info.typer_instance
    created = typer.Typer(name=name, help=COMMANDS[name].help, no_args_is_help=True)
    parent.add_typer(created, name=name)
    return created
