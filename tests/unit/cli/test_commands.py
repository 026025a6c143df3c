"""The table the top-level help lists commands from is the commands themselves: same names, same help,
and the help it renders is the one the built commands render."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import pytest
import typer.main
from typer.core import TyperCommand, TyperGroup
from typer.testing import CliRunner

import justpush.cli
from justpush.cli import app
from justpush.cli._commands import COMMANDS, LazyGroup, build


def _every_registered_command() -> dict[str, Any]:
    """What the `register` of every module under justpush.cli defines, whether COMMANDS lists it or not."""
    scratch = typer.Typer()
    for found in pkgutil.iter_modules(justpush.cli.__path__, "justpush.cli."):
        module = importlib.import_module(found.name)
        if hasattr(module, "register"):
            module.register(scratch)
    return dict(typer.main.get_group(scratch).commands)


def _first_paragraph(text: str | None) -> str:
    return inspect.cleandoc(text or "").split("\n\n")[0].replace("\n", " ").strip()


def test_every_command_is_listed_with_its_own_help() -> None:
    real = _every_registered_command()
    assert sorted(COMMANDS) == sorted(real)
    assert {name: listed.help for name, listed in COMMANDS.items()} == {
        name: _first_paragraph(command.help) for name, command in real.items()
    }


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_command_is_built_from_the_modules_listed_for_it(name: str) -> None:
    built = build([name])
    assert list(built) == [name]
    assert type(built[name]) in (TyperCommand, TyperGroup)  # what Typer builds, not a placeholder


def _help(group: Any, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert group.main([*args, "--help"], prog_name="justpush", standalone_mode=False) == 0
    return capsys.readouterr().out


def test_the_top_level_help_is_the_help_of_the_built_commands(capsys: pytest.CaptureFixture[str]) -> None:
    lazy = typer.main.get_command(app)
    assert isinstance(lazy, LazyGroup)
    listed = _help(lazy, capsys)
    eager = typer.main.get_command(app)
    assert isinstance(eager, LazyGroup)
    built = build(COMMANDS)
    eager.commands = {name: built[name] for name in COMMANDS}
    assert listed == _help(eager, capsys)
    for name, listed_command in COMMANDS.items():
        assert name in listed
        assert listed_command.help[:30] in listed


@pytest.mark.parametrize("args", [("users",), ("render",), ("deploy",), ("users", "create")])
def test_a_command_runs_and_shows_its_own_help_as_built(
    args: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    eager = typer.main.get_command(app)
    assert isinstance(eager, LazyGroup)
    eager.commands = build(COMMANDS)
    lazy = typer.main.get_command(app)
    assert _help(lazy, capsys, *args) == _help(eager, capsys, *args)
    assert "Usage: justpush " + " ".join(args) in _help(lazy, capsys, *args)


def test_a_mistyped_command_gets_a_suggestion() -> None:
    result = CliRunner().invoke(app, ["deplo"])
    assert result.exit_code == 2
    assert "Did you mean 'deploy', 'redeploy'?" in result.output


def test_the_shell_completes_command_names_and_a_command_s_options(monkeypatch: pytest.MonkeyPatch) -> None:
    def complete(words: str) -> list[str]:
        monkeypatch.setenv("_JUSTPUSH_COMPLETE", "complete_bash")
        monkeypatch.setenv("COMP_WORDS", words)
        monkeypatch.setenv("COMP_CWORD", str(len(words.split()) - (0 if words.endswith(" ") else 1)))
        result = CliRunner().invoke(app, [], prog_name="justpush")
        return result.output.split()

    assert complete("justpush de") == ["deploy", "delete"]
    assert complete("justpush render m") == ["manifests"]
    assert complete("justpush deploy --re") == ["--replicas", "--release"]
