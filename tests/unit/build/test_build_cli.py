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


def test_dockerfile_choice_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    own = "FROM python:3.12-slim\nRUN --mount=type=cache,target=/root/.cache pip install flask\nCOPY . .\n"
    (tmp_path / "Dockerfile").write_text(own)
    runner = CliRunner()
    # auto: its own cannot build here, so a generated one, saying why.
    auto = runner.invoke(app, ["dockerfile", str(tmp_path)])
    assert auto.exit_code == 0, auto.output
    assert "dockerfile: generated" in auto.stderr and auto.stdout != own
    warning = " ".join(auto.stderr.split())
    assert "uses RUN --mount, which only BuildKit understands" in warning
    assert "classic builder) (Dockerfile line 2)" in warning
    assert "choose --dockerfile repo to insist" in warning
    generated = runner.invoke(app, ["dockerfile", str(tmp_path), "--dockerfile", "generated"])
    assert generated.exit_code == 0 and generated.stdout == auto.stdout
    assert "warning" not in generated.stderr
    repo = runner.invoke(app, ["dockerfile", str(tmp_path), "--dockerfile", "repo"])
    assert repo.exit_code != 0
    assert "RUN --mount" in str(repo.exception) and "sets no CMD or ENTRYPOINT" in str(repo.exception)
    (tmp_path / "Dockerfile").write_text('FROM python:3.12-slim\nCOPY . .\nCMD ["python", "app.py"]\n')
    fixed = runner.invoke(app, ["dockerfile", str(tmp_path), "--dockerfile", "repo"])
    assert fixed.exit_code == 0 and "dockerfile: upload" in fixed.stderr


def test_dockerfile_generates_for_a_project_without_one(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "a", "scripts": {"start": "node index.js"}}')
    (tmp_path / "index.js").write_text("require('http').createServer().listen(3000)\n")
    result = CliRunner().invoke(app, ["dockerfile", str(tmp_path), "--upload-id", "u-9"])
    assert result.exit_code == 0, result.output
    assert "AS deps" in result.stdout and 'org.opencontainers.image.revision="u-9"' in result.stdout
    assert "dockerfile: generated" in result.stderr


def test_dockerfile_write_puts_the_generated_files_next_to_the_source(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "a", "scripts": {"start": "node index.js | cat"}}')
    (tmp_path / "index.js").write_text("require('http').createServer().listen(3000)\n")
    result = CliRunner().invoke(app, ["dockerfile", str(tmp_path), "--write"])
    assert result.exit_code == 0, result.output
    dockerfile = (tmp_path / "Dockerfile").read_text()
    assert dockerfile.endswith('CMD ["node", "/app/.justpush/run-script.cjs", "start"]\n')
    assert "spawn(" in (tmp_path / ".justpush" / "run-script.cjs").read_text()
    assert "node_modules" in (tmp_path / ".dockerignore").read_text()
    # The written Dockerfile is now the project's own: a second --write has nothing to write.
    again = CliRunner().invoke(app, ["dockerfile", str(tmp_path), "--write"])
    assert again.exit_code == 1 and "own Dockerfile" in again.stderr


def test_dockerfile_write_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "a", "scripts": {"start": "node index.js | cat"}}')
    (tmp_path / ".justpush").mkdir()
    (tmp_path / ".justpush" / "run-script.cjs").write_text("mine\n")
    result = CliRunner().invoke(app, ["dockerfile", str(tmp_path), "--write"])
    assert result.exit_code == 1 and ".justpush/run-script.cjs" in result.stderr
    assert not (tmp_path / "Dockerfile").exists()
    assert (tmp_path / ".justpush" / "run-script.cjs").read_text() == "mine\n"
