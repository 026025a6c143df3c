"""The Typer application: one module per command group, each with `register(app)`."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="justpush",
    help="JustPush: from API source code to a running, gateway-managed endpoint.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

_groups: dict[str, typer.Typer] = {}


def group(name: str, help: str) -> typer.Typer:
    """A sub-command group shared by several modules (e.g. `render manifests` and `render kong`)."""
    if name not in _groups:
        _groups[name] = typer.Typer(name=name, help=help, no_args_is_help=True)
        app.add_typer(_groups[name], name=name)
    return _groups[name]


# Each module registers its commands on import order; add a module here to add its commands.
_COMMAND_MODULES = (
)

for _module in _COMMAND_MODULES:
    importlib.import_module(f"justpush.cli.{_module}").register(app)
