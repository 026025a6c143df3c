"""The top-level commands: listed from a table, each built (and its module imported) only when it runs.

Typer builds a command by reading its function's signature, annotations and defaults; doing that for
every command on each start was most of what `justpush --help` spent beyond importing Typer and rich.
"""

import importlib
from collections.abc import Collection
from typing import Any, NamedTuple

import typer
from typer import _click  # Typer 0.28 ships its own Click; its groups and contexts are these classes.
from typer.core import TyperCommand, TyperGroup


class Listed(NamedTuple):
    modules: tuple[str, ...]  # the modules under justpush.cli whose `register(app)` defines the command
    help: str  # the first paragraph of its help, as `--help` lists it


# In the order `justpush --help` lists them. tests/unit/cli checks the help against the commands.
COMMANDS: dict[str, Listed] = {
    "serve": Listed(("serve",), "Run the JustPush API server."),
    "upload": Listed(("upload",), 'Upload source code; prints {"id", "status", "files", "bytes"}.'),
    "analyze": Listed(
        ("analyze",),
        "Analyse a source tree statically and print its OpenAPI 3.1 spec (warnings go to stderr).",
    ),
    "dockerfile": Listed(
        ("build",),
        "Print the Dockerfile a build would use (the upload's own or a generated one); lint on stderr.",
    ),
    "build": Listed(("build",), "Build an image (and push it) with live progress."),
    "deploy": Listed(
        ("deploy",), "Upload (when needed) and deploy; exits 0 on DEPLOYED / DEPLOYED_WITH_WARNINGS."
    ),
    "status": Listed(("deploy",), "The deployment record of an upload."),
    "logs": Listed(("deploy",), "The app's logs from every pod."),
    "scale": Listed(("deploy",), "Set the number of replicas."),
    "redeploy": Listed(("deploy",), "Roll out changed environment or configuration."),
    "rollback": Listed(("deploy",), "Re-apply a stored revision, app and gateway together."),
    "delete": Listed(
        ("deploy",), "Remove everything the upload deployed (Kubernetes objects, Kong entities, image tag)."
    ),
    "cancel": Listed(
        ("deploy",), "Cancel the upload's queued job, or stop its running deploy/redeploy and undo it."
    ),
    "revisions": Listed(("deploy",), "Every applied revision, oldest first."),
    "worker": Listed(("worker",), "Run the pipeline worker until interrupted."),
    "gc": Listed(("gc",), "Remove local images of uploads with no queued or running job."),
    # Groups: their help is this one (see `group` in _app).
    "users": Listed(("users",), "Users and API tokens."),
    "db": Listed(("db",), "Database migrations."),
    "config": Listed(("config_cmd",), "Configuration."),
    "render": Listed(("kong", "manifests"), "Render deployment artefacts without touching anything"),
    "export": Listed(("export",), "Export a deployment for Terraform or GitOps"),
}


def build(names: Collection[str]) -> dict[str, _click.Command]:
    """The top-level commands `names`, as Typer makes them from the `register` of their modules."""
    scratch = typer.Typer()
    for module in dict.fromkeys(module for name in names for module in COMMANDS[name].modules):
        importlib.import_module(f"justpush.cli.{module}").register(scratch)
    # A module may define more commands than those asked for: Typer builds only the ones kept.
    scratch.registered_commands = [info for info in scratch.registered_commands if info.name in names]
    scratch.registered_groups = [info for info in scratch.registered_groups if info.name in names]
    return dict(typer.main.get_group(scratch).commands)


class _Placeholder(TyperCommand):
    """A command not built yet: its name and help, all that the help listing, the shell completion of
    command names and the suggestion for a mistyped one read."""


class LazyGroup(TyperGroup):
    """The top-level group: lists COMMANDS as placeholders and builds one when it is resolved, to run
    it, to show its own `--help` or to complete its arguments."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for name, listed in COMMANDS.items():
            self.commands.setdefault(name, _Placeholder(name=name, help=listed.help))

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name is not None and isinstance(command, _Placeholder):
            command = self.commands[name] = build([name])[name]
        return name, command, rest
