"""The CLI answers quickly because it imports only what the command it runs needs.

Each case runs a command in a fresh interpreter and checks the set of modules it loaded (timings belong
in bench/cli.py): `--help` loads no client, database, web or analysis stack, and `analyze` loads the
front-end and grammars of the detected language only, no validator of repository specs, no pydantic
(Typer converts option values itself) and no parser for files the project does not have.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import pkgutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from justpush.cli._commands import COMMANDS, build

# Runs the CLI as `python -m justpush ARGS…`, then writes the names of the loaded modules to a file.
PROBE = """
import json, runpy, sys
out, sys.argv = sys.argv[1], ["justpush", *sys.argv[2:]]
try:
    runpy.run_module("justpush", run_name="__main__")
except SystemExit:
    pass
with open(out, "w") as handle:
    json.dump(sorted(sys.modules), handle)
"""

# What no command may load before it runs: clients, the database, the web app, the pipeline, YAML.
SERVICE_STACK = (
    "httpx",
    "anyio",
    "asyncio",
    "yaml",
    "pydantic_settings",
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "uvicorn",
    "lightkube",
    "docker",
    "jinja2",
    "justpush.config",
    "justpush.store",
    "justpush.web",
    "justpush.pipeline",
    "justpush.build",
    "justpush.k8s",
    "justpush.kong",
    "justpush.registry",
)
# The analysis stack beyond the core: validators of repository specs and every language's parser.
ANALYSIS_STACK = (
    "openapi_spec_validator",
    "jsonschema",
    "requests",
    "tree_sitter",
    "tree_sitter_javascript",
    "tree_sitter_typescript",
    "tree_sitter_java",
    "tree_sitter_go",
    "justpush.analysis.python",
    "justpush.analysis.node",
    "justpush.analysis.java",
    "justpush.analysis.go",
)
# What analysing a small app needs none of: pydantic (Typer 0.29 converts option values with it) and the
# parsers of files such an app does not have (pyproject.toml, pom.xml, .env and its templates).
SMALL_APP_EXTRAS = ("pydantic", "pydantic_core", "tomllib", "xml.etree", "dotenv", "logging")


def _loaded(tmp_path: Path, *args: str) -> set[str]:
    out = tmp_path / "modules.json"
    subprocess.run(
        [sys.executable, "-c", PROBE, str(out), *args], check=True, capture_output=True, timeout=120
    )
    return set(json.loads(out.read_text()))


def _present(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """The `names` that were loaded (a package counts as loaded when any of its modules was)."""
    return [name for name in names if any(m == name or m.startswith(f"{name}.") for m in modules)]


@pytest.mark.parametrize("args", [("--help",), ("analyze", "--help"), ("users", "--help")])
def test_help_loads_neither_the_service_nor_the_analysis_stack(tmp_path: Path, args: tuple[str, ...]) -> None:
    modules = _loaded(tmp_path, *args)
    assert "justpush.cli._commands" in modules  # the probe ran the CLI
    assert _present(modules, SERVICE_STACK + ANALYSIS_STACK + ("justpush.analysis",)) == []


def _command_modules(modules: set[str]) -> list[str]:
    """The modules defining top-level commands that were loaded."""
    defining = dict.fromkeys(f"justpush.cli.{name}" for item in COMMANDS.values() for name in item.modules)
    return [name for name in defining if name in modules]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # The list of commands builds none of them (Typer reads each one's signature to build it).
        (("--help",), []),
        # A command, or its help, builds that one: here a group and its sub-commands.
        (("users", "--help"), ["justpush.cli.users"]),
        (("render", "--help"), ["justpush.cli.kong", "justpush.cli.manifests"]),
        # `status` is defined with `deploy` and the other commands on a deployment (which upload a folder).
        (("status", "--help"), ["justpush.cli.upload", "justpush.cli.deploy"]),
    ],
    ids=["top-level", "users", "render", "status"],
)
def test_a_help_loads_the_modules_of_its_own_commands_only(
    tmp_path: Path, args: tuple[str, ...], expected: list[str]
) -> None:
    assert _command_modules(_loaded(tmp_path, *args)) == expected


def test_the_top_level_help_does_not_load_pydantic(tmp_path: Path) -> None:
    # Typer converts option values with pydantic, so any sub-command (even its --help, which runs the
    # `--config` callback first) loads it; the list of commands does not need it.
    assert _present(_loaded(tmp_path, "--help"), ("pydantic",)) == []


def _python_app(root: Path) -> Path:
    root.mkdir()
    (root / "requirements.txt").write_text("fastapi\n")
    (root / "main.py").write_text(
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/items')\ndef items(): ...\n"
    )
    return root


def _express_app(root: Path) -> Path:
    root.mkdir()
    (root / "package.json").write_text('{"name": "shop", "dependencies": {"express": "^4.19.0"}}')
    (root / "index.js").write_text(
        "const express = require('express');\nconst app = express();\n"
        "app.get('/items', (req, res) => res.json([]));\napp.listen(3000);\n"
    )
    return root


def test_analyze_of_a_python_app_loads_the_python_front_end_only(tmp_path: Path) -> None:
    modules = _loaded(tmp_path, "analyze", str(_python_app(tmp_path / "app")))
    assert "justpush.analysis.python" in modules
    present = _present(modules, SERVICE_STACK + ANALYSIS_STACK + SMALL_APP_EXTRAS)
    assert present == ["justpush.analysis.python"]
    # Of the framework extractors, the FastAPI one only.
    extractors = ("_fastapi", "_flask", "_django", "_ninja")
    assert _present(modules, tuple(f"justpush.analysis.python.{name}" for name in extractors)) == [
        "justpush.analysis.python._fastapi"
    ]


def test_analyze_of_an_express_app_loads_the_javascript_grammars_only(tmp_path: Path) -> None:
    modules = _loaded(tmp_path, "analyze", str(_express_app(tmp_path / "app")))
    assert _present(modules, SERVICE_STACK + ANALYSIS_STACK + SMALL_APP_EXTRAS) == [
        "tree_sitter",
        "tree_sitter_javascript",
        "tree_sitter_typescript",
        "justpush.analysis.node",
    ]


def test_a_repository_spec_is_validated_in_full(tmp_path: Path) -> None:
    app = _python_app(tmp_path / "app")
    spec = {"openapi": "3.1.0", "info": {"title": "Shop", "version": "1"}, "paths": {}}
    (app / "openapi.json").write_text(json.dumps(spec))
    modules = _loaded(tmp_path, "analyze", str(app))
    assert _present(modules, ("openapi_spec_validator", "httpx", "sqlalchemy")) == ["openapi_spec_validator"]


def test_the_parsers_of_project_files_load_when_the_project_has_them(tmp_path: Path) -> None:
    # The other side of SMALL_APP_EXTRAS: deferred, not dropped.
    app = _python_app(tmp_path / "app")
    (app / "pyproject.toml").write_text('[project]\nname = "shop"\ndependencies = ["fastapi"]\n')
    (app / ".env.example").write_text("# The shop's database\nDATABASE_URL=postgresql://localhost/shop\n")
    modules = _loaded(tmp_path, "analyze", str(app))
    assert _present(modules, ("tomllib", "dotenv", "pydantic")) == ["tomllib", "dotenv"]


def _callbacks(command: Any) -> Iterator[Callable[..., Any]]:
    """The functions behind a command and all its sub-commands (a group's own callback included)."""
    if command.callback is not None:
        yield inspect.unwrap(command.callback)
    for sub in getattr(command, "commands", {}).values():
        yield from _callbacks(sub)


def test_command_annotations_are_objects_not_strings() -> None:
    # Typer reads those of the command that runs on each start; strings (`from __future__ import
    # annotations`) it must compile and evaluate, which took more than half of its set-up of the command.

    callbacks = [callback for command in build(COMMANDS).values() for callback in _callbacks(command)]
    assert len(callbacks) > 20
    stringly = [
        f"{f.__module__}.{f.__qualname__}: {name}"
        for f in callbacks
        for name, annotation in f.__annotations__.items()
        if isinstance(annotation, str)
    ]
    assert stringly == []


def test_every_dataclass_of_the_analysis_has_a_docstring() -> None:
    # Without one, Python 3.11 writes it from the class's signature (inspect.signature, then str) when the
    # module is imported: the 20 such classes on the path of `analyze` cost about 1.5 ms of each start.
    import justpush.analysis

    undocumented = []
    for found in pkgutil.walk_packages(justpush.analysis.__path__, "justpush.analysis."):
        module = importlib.import_module(found.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and dataclasses.is_dataclass(value)
                and value.__module__ == module.__name__
                and (value.__doc__ or "").startswith(f"{value.__name__}(")
            ):
                undocumented.append(f"{module.__name__}.{name}")
    assert undocumented == []
