"""CLI commands in-process: config show, users create, db upgrade, upload (local mode), exit codes."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import anyio
import pytest
import yaml
from typer.testing import CliRunner

from justpush import security, store
from justpush.cli import app, main
from justpush.cli.upload import zip_directory
from justpush.config import load

runner = CliRunner()


@pytest.fixture
def config(tmp_path: Path, db_url: str) -> Path:
    path = tmp_path / "app-config.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "server": {"dataDir": str(tmp_path / "data")},
                "database": {"url": db_url},
                "kong": {"adminToken": "${KONG_TOKEN:-kong-secret-token}"},
            }
        )
    )
    return path


def invoke(config: Path, *args: str) -> str:
    result = runner.invoke(app, ["--config", str(config), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_config_show_masks_secrets(config: Path) -> None:
    shown = yaml.safe_load(invoke(config, "config", "show"))
    assert shown["kong"]["adminToken"] == "********"
    assert "kong-secret-token" not in json.dumps(shown)
    assert shown["kubernetes"]["namespace"] == "justpush-apps"
    as_json = json.loads(invoke(config, "config", "show", "--json"))
    assert as_json == shown


def test_config_from_environment_variable(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUSTPUSH_CONFIG", str(config))
    result = runner.invoke(app, ["config", "show"], catch_exceptions=False)
    assert yaml.safe_load(result.stdout)["server"]["dataDir"] == str(config.parent / "data")


def test_db_upgrade(config: Path, db_url: str) -> None:
    assert store.head_revision() in invoke(config, "db", "upgrade")
    assert store.current_revision(db_url) == store.head_revision()


def test_users_create_prints_a_working_token_once(config: Path) -> None:
    token = invoke(config, "users", "create", "carol-cli").strip()
    assert token.startswith("jp_")
    settings = load(config, {})

    async def check() -> str:
        engine = store.create_engine(settings.database_url)
        try:
            async with store.session_factory(engine)() as session:
                return (await security.authenticate(session, token)).name
        finally:
            await engine.dispose()

    assert anyio.run(check) == "carol-cli"
    second = runner.invoke(app, ["--config", str(config), "users", "create", "carol-cli"])
    assert second.exit_code != 0


def test_zip_directory_skips_vcs_dependencies_and_symlinks(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    for rel in ["app.py", "pkg/mod.py", ".git/config", "node_modules/x/index.js", ".venv/bin/python"]:
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text("x")
    (project / "link.py").symlink_to("/etc/hostname")
    archive = tmp_path / "out.zip"
    assert zip_directory(project, archive) == 2
    with zipfile.ZipFile(archive) as opened:
        assert sorted(opened.namelist()) == ["app.py", "pkg/mod.py"]


def test_upload_directory_in_process(config: Path, tmp_path: Path) -> None:
    token = invoke(config, "users", "create", "dave-cli").strip()
    project = tmp_path / "proj"
    (project / "node_modules").mkdir(parents=True)
    (project / "node_modules" / "big.js").write_text("x" * 1000)
    (project / "server.js").write_text("require('http')\n")
    result = json.loads(invoke(config, "upload", str(project), "--token", token))
    assert (result["status"], result["files"], result["bytes"]) == ("ready", 1, 16)
    workspace = tmp_path / "data" / "workspaces" / result["id"]
    assert (workspace / "server.js").exists()
    by_user = json.loads(invoke(config, "upload", str(project), "--user", "dave-cli"))
    assert by_user["id"] != result["id"]


def test_deploy_dockerfile_port_and_profile_options_reach_the_job_and_bad_values_are_refused(
    config: Path, tmp_path: Path, db_url: str
) -> None:
    settings = yaml.safe_load(config.read_text())
    # No in-process worker: the job stays queued with the options the CLI sent.
    config.write_text(
        yaml.safe_dump(
            {**settings, "deployment": {"enabled": True}, "server": {**settings["server"], "worker": "none"}}
        )
    )
    invoke(config, "users", "create", "erin-cli")
    project = tmp_path / "proj"
    project.mkdir()
    (project / "app.py").write_text("print('hi')\n")
    base = ["--config", str(config), "deploy", str(project), "--user", "erin-cli", "--detach"]
    bad = runner.invoke(app, [*base, "--dockerfile", "mine"])
    assert bad.exit_code == 2 and "'mine'" in bad.output and "--dockerfile" in bad.output
    bad_port = runner.invoke(app, [*base, "--port", "0"])
    assert bad_port.exit_code == 2 and "--port" in bad_port.output
    accepted = json.loads(
        invoke(
            config,
            *("deploy", str(project), "--user", "erin-cli", "--detach", "--dockerfile", "generated"),
            *("--port", "7071", "--set", "language_version=20", "--set", "writable_paths=data,tmp"),
        )
    )
    bad_set = runner.invoke(app, [*base, "--set", "language_version"])
    # Raised to the entry point, which maps it to exit code 9 (AnalysisError) and the message.
    assert "--set expects field=value, got 'language_version'" in str(bad_set.exception)
    redeploy = runner.invoke(app, ["--config", str(config), "redeploy", "x" * 8, "--dockerfile", "repo"])
    assert redeploy.exit_code == 2 and "--rebuild" in redeploy.output

    async def stored() -> dict[str, object]:
        engine = store.create_engine(db_url)
        try:
            async with store.session_factory(engine)() as session:
                job = await store.get_job(session, accepted["job_id"])
                return dict(job.options)
        finally:
            await engine.dispose()

    options = anyio.run(stored)
    assert options["dockerfile"] == "generated"
    assert options["profile"] == {"port": 7071, "language_version": "20", "writable_paths": "data,tmp"}


def test_upload_in_process_needs_an_owner(config: Path, tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x")
    result = runner.invoke(app, ["--config", str(config), "upload", str(tmp_path / "a.py")])
    assert result.exit_code != 0
    assert "--token or --user" in str(result.exception)


def test_main_maps_errors_to_exit_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kong:\n  adminToken: ${UNSET_TEST_VARIABLE}\n")
    monkeypatch.delenv("UNSET_TEST_VARIABLE", raising=False)
    monkeypatch.setattr(sys, "argv", ["justpush", "--config", str(bad), "config", "show"])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 3
    err = capsys.readouterr().err
    assert "kong.adminToken" in err and "UNSET_TEST_VARIABLE" in err


def test_status_names_what_kong_owes(capsys: pytest.CaptureFixture[str]) -> None:
    from justpush.cli.deploy import _summary

    owed = "Kong still owes revision 2's routes"
    _summary({"upload_id": "u-1", "status": "DEPLOYED_WITH_WARNINGS", "gateway_owed": owed}, as_json=False)
    assert f"kong owes:   {owed}" in capsys.readouterr().out
    _summary({"upload_id": "u-1", "status": "DEPLOYED", "gateway_owed": None}, as_json=False)
    assert "kong owes" not in capsys.readouterr().out
