"""`justpush analyze PATH [--format json|yaml] [--profile] [--set field=value]`."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from justpush.cli import app


def test_prints_spec_as_json_and_warnings_on_stderr(apps_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "from flask import Flask\napp = Flask(__name__)\n@app.get('/x')\ndef x(): ...\n"
    )
    (tmp_path / "broken.py").write_text("def (:\n")
    result = CliRunner().invoke(app, ["analyze", str(tmp_path)])
    assert result.exit_code == 0, result.output
    spec = json.loads(result.stdout)
    assert list(spec["paths"]) == ["/x"]
    assert "broken.py" in result.stderr


def test_profile_as_yaml_with_overrides(apps_dir: Path) -> None:
    args = [
        "analyze",
        str(apps_dir / "python-flask-library"),
        "--profile",
        "--format",
        "yaml",
        "--set",
        "port=7000",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    profile = yaml.safe_load(result.stdout)
    assert profile["framework"] == "flask"
    assert profile["port"] == 7000
    assert profile["overridden"] == ["port"]
    assert profile["startCommand"][:3] == ["gunicorn", "--bind", "0.0.0.0:7000"]


def test_unknown_override_is_an_analysis_error(apps_dir: Path) -> None:
    result = CliRunner().invoke(
        app, ["analyze", str(apps_dir / "python-flask-library"), "--set", "colour=red"]
    )
    assert result.exit_code != 0
    assert "colour" in str(result.exception)
