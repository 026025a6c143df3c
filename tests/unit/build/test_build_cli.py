"""`justpush dockerfile PATH`: Dockerfile on stdout, lint findings on stderr."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from justpush.cli import app


def test_dockerfile_prints_the_uploads_own_file_and_lints_it(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    own = 'FROM python:latest\nCOPY . .\nCMD ["python", "app.py"]\n'
    (tmp_path / "Dockerfile").write_text(own)
    result = CliRunner().invoke(app, ["dockerfile", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == own
    assert "no-user" in result.stderr and "unpinned-base-image" in result.stderr


def test_dockerfile_generates_for_a_project_without_one(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "a", "scripts": {"start": "node index.js"}}')
    (tmp_path / "index.js").write_text("require('http').createServer().listen(3000)\n")
    result = CliRunner().invoke(app, ["dockerfile", str(tmp_path), "--upload-id", "u-9"])
    assert result.exit_code == 0, result.output
    assert "AS deps" in result.stdout and 'org.opencontainers.image.revision="u-9"' in result.stdout
    assert "dockerfile: generated" in result.stderr
