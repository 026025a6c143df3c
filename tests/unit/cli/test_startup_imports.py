"""The CLI answers quickly because it imports only what the command it runs needs.

Each case runs a command in a fresh interpreter and checks the set of modules it loaded (timings belong
in bench/cli.py): `--help` loads no client, database, web or analysis stack, and `analyze` loads the
front-end and grammars of the detected language only, and no validator of repository specs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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
    assert "justpush.cli.deploy" in modules  # the probe ran the CLI, which registered every command
    assert _present(modules, SERVICE_STACK + ANALYSIS_STACK + ("justpush.analysis",)) == []


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
    assert _present(modules, SERVICE_STACK + ANALYSIS_STACK) == ["justpush.analysis.python"]


def test_analyze_of_an_express_app_loads_the_javascript_grammars_only(tmp_path: Path) -> None:
    modules = _loaded(tmp_path, "analyze", str(_express_app(tmp_path / "app")))
    assert _present(modules, SERVICE_STACK + ANALYSIS_STACK) == [
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
