"""The deployment CLI end to end, as a user runs it: `python -m justpush …` in a folder holding an
app-config.yaml that points at testenv — in-process (`--user`) and against a running server (`--server`).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from justpush.config import Settings
from tests.integration.support import (
    PIPELINE_APPS,
    Kong,
    cluster_objects,
    free_port,
    kubectl_json,
    registry_tags,
    slow_build_app,
    write_app_config,
)

pytestmark = pytest.mark.integration

APP = PIPELINE_APPS / "python-inventory"
# Where testenv's settings (repository jp-pipeline-test) put the app's image; tagged with the upload id.
IMAGES = "jp-pipeline-test/python-inventory"
# Variables that would point the CLI elsewhere than the test's folder and server.
_FOREIGN = ("JUSTPUSH_CONFIG", "JUSTPUSH_SERVER", "JUSTPUSH_TOKEN")


class Cli:
    """Runs `python -m justpush` in `cwd`, where app-config.yaml lives."""

    def __init__(self, cwd: Path, port: int) -> None:
        self.cwd = cwd
        # The port `justpush serve` listens on, from app-config.yaml.
        self.port = port
        self.env = {k: v for k, v in os.environ.items() if k not in _FOREIGN}
        self.env["PYTHONIOENCODING"] = "utf-8"

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "justpush", *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=timeout,
        )

    def ok(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        result = self.run(*args, timeout=timeout)
        assert result.returncode == 0, _output(result)
        return result


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def _field(stdout: str, label: str) -> str:
    """The value of a `label: value` line of the CLI's summary."""
    match = re.search(rf"^{label}:\s+(\S+)", stdout, flags=re.MULTILINE)
    assert match, f"no '{label}:' line in\n{stdout}"
    return match.group(1)


def _greeting(gateway_url: str, key: str, expected: str, seconds: float = 30) -> str | None:
    """GREETING through the gateway once it is `expected` (or whatever it is after `seconds`): pods of
    the previous revision leave the Service's endpoints a moment after a rollout completes."""
    deadline = time.monotonic() + seconds
    while True:
        response = httpx.get(f"{gateway_url}/env/GREETING", headers={"apikey": key}, timeout=10)
        value: str | None = response.json()["value"] if response.status_code == 200 else None
        if value == expected or time.monotonic() > deadline:
            assert response.status_code == 200, response.text
            return value
        time.sleep(0.5)


@pytest.fixture
def make_cli(pipeline_settings: Callable[..., Settings], tmp_path: Path) -> Callable[..., Cli]:
    """`make_cli(**sections)`: a folder with an app-config.yaml for testenv (deployment on, the Kong
    emulator, cluster-ip upstream), sections overridden as in `pipeline_settings`."""

    def make(**overrides: dict[str, Any]) -> Cli:
        port = free_port()
        write_app_config(pipeline_settings(**overrides), tmp_path / "app-config.yaml", port=port)
        return Cli(tmp_path, port)

    return make


def _create_user(cli: Cli, name: str) -> str:
    created = cli.ok("users", "create", name)
    return created.stdout.strip().splitlines()[-1]


def test_in_process_lifecycle(make_cli: Callable[..., Cli], kong: Kong, namespace: str) -> None:
    cli = make_cli()
    _create_user(cli, "cli-alice")
    as_alice = ("--user", "cli-alice")

    deployed = cli.ok("deploy", str(APP), *as_alice, "--env", "GREETING=hi")
    upload_id = _field(deployed.stdout, "upload id")
    assert _field(deployed.stdout, "status") == "DEPLOYED", _output(deployed)
    gateway_url = _field(deployed.stdout, "gateway url")
    assert gateway_url.startswith(kong.proxy_url)
    key_line = next(line for line in deployed.stdout.splitlines() if line.startswith("api key:"))
    assert "shown once" in key_line
    key = _field(deployed.stdout, "api key")

    shown = cli.ok("status", upload_id, *as_alice)
    assert _field(shown.stdout, "status") == "DEPLOYED"
    assert key not in shown.stdout and "(masked)" in shown.stdout

    # One pod has logged its start and the four smoke checks (and its probes', so the start line
    # soon falls out of the last five).
    tail = cli.ok("logs", upload_id, "--tail", "5", *as_alice).stdout.splitlines()
    assert len(tail) == 5 and all(line.startswith(f"python-inventory-{upload_id}-") for line in tail), tail
    logs = cli.ok("logs", upload_id, *as_alice)
    assert "listening on" in logs.stdout, _output(logs)

    # The printed key is the one the gateway accepts.
    assert _greeting(gateway_url, key, "hi") == "hi"

    scaled = cli.ok("scale", upload_id, "2", *as_alice)
    assert _field(scaled.stdout, "status") == "DEPLOYED"
    deployment = _field(scaled.stdout, "kubernetes").rpartition("/")[2]
    assert kubectl_json("get", "deployment", deployment, "-n", namespace)["spec"]["replicas"] == 2

    redeployed = cli.ok("redeploy", upload_id, "-e", "GREETING=x", *as_alice)
    assert _field(redeployed.stdout, "status") == "DEPLOYED", _output(redeployed)
    assert _greeting(gateway_url, key, "x") == "x"

    rolled_back = cli.ok("rollback", upload_id, *as_alice)
    assert _field(rolled_back.stdout, "status") == "ROLLED_BACK", _output(rolled_back)
    assert _greeting(gateway_url, key, "hi") == "hi"

    assert upload_id in registry_tags(IMAGES)
    deleted = cli.ok("delete", upload_id, *as_alice)
    assert _field(deleted.stdout, "status") == "DELETED"
    assert cluster_objects(namespace, upload_id) == []
    assert upload_id not in registry_tags(IMAGES)
    assert all(not entities for entities in kong.entities(upload_id).values())


@contextmanager
def _serving(cli: Cli) -> Iterator[str]:
    """`justpush serve` from the CLI's folder; yields its base URL."""
    log = cli.cwd / "server.log"
    with log.open("ab") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "justpush", "serve"],
            cwd=cli.cwd,
            env=cli.env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{cli.port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"server did not start:\n{log.read_text()}"
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_remote_deploy_streams_progress_and_fails_cleanly(
    make_cli: Callable[..., Cli], kong: Kong, namespace: str
) -> None:
    # Without a sandbox runtime the image gets no trial run, so the crash shows in the cluster: the
    # rollout fails, and what the run created (objects, image tag) is removed.
    cli = make_cli(build={"sandbox": {"runtime": ""}})
    token = _create_user(cli, "cli-bob")
    with _serving(cli) as url:
        remote = ("--server", url, "--token", token)

        deployed = cli.ok("deploy", str(APP), *remote)
        upload_id = _field(deployed.stdout, "upload id")
        assert _field(deployed.stdout, "status") == "DEPLOYED", _output(deployed)
        # The stages arrive over SSE, one line each as it completes.
        done = re.findall(r"✓ (\w+)", deployed.stderr)
        assert done == ["scanning", "building", "pushing", "deploying", "configuring", "verifying"], _output(
            deployed
        )
        assert f"queued for upload {upload_id}" in deployed.stderr, _output(deployed)
        assert "(shown once" in deployed.stdout

        crashing = cli.run("deploy", str(APP), *remote, "--env", "PORT=bad")
        assert crashing.returncode != 0, _output(crashing)
        failed_id = _field(crashing.stdout, "upload id")
        assert failed_id != upload_id
        assert _field(crashing.stdout, "status") == "FAILED"
        # The error shows under the stage that failed (not as completed), with the app's output.
        assert "✗ deploying: container app of pod" in crashing.stderr, _output(crashing)
        assert "keeps crashing" in crashing.stderr and "ValueError" in crashing.stderr
        assert re.findall(r"✓ (\w+)", crashing.stderr) == ["scanning", "building", "pushing"]
        assert "error: DEPLOYING: container app of pod" in crashing.stderr
        assert cluster_objects(namespace, failed_id) == []
        assert failed_id not in registry_tags(IMAGES)

        # The failed upload did not disturb the first one.
        assert _field(cli.ok("status", upload_id, *remote).stdout, "status") == "DEPLOYED"

        deleted = cli.ok("delete", upload_id, *remote)
        assert _field(deleted.stdout, "status") == "DELETED"
    assert cluster_objects(namespace, upload_id) == []
    assert upload_id not in registry_tags(IMAGES)
    assert all(not entities for entities in kong.entities(upload_id).values())


def _sigint_as_at_a_terminal() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_leaves_the_remote_job_running_and_cancel_stops_it(
    make_cli: Callable[..., Cli], namespace: str, tmp_path: Path
) -> None:
    cli = make_cli()
    token = _create_user(cli, "cli-carol")
    app = slow_build_app(tmp_path / "slow-build")
    with _serving(cli) as url:
        remote = ("--server", url, "--token", token)
        follower = subprocess.Popen(
            [sys.executable, "-m", "justpush", "deploy", str(app), *remote],
            cwd=cli.cwd,
            env=cli.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            # As at a terminal: a CI runner started in the background may pass SIGINT down ignored.
            preexec_fn=_sigint_as_at_a_terminal,
        )
        upload_id = ""
        deadline = time.monotonic() + 120
        while not upload_id and time.monotonic() < deadline:
            line = follower.stderr.readline() if follower.stderr else ""
            if match := re.search(r"uploaded \S+ as (\w+)", line):
                upload_id = match.group(1)
        assert upload_id, "the CLI never said which upload it made"
        while _field(cli.ok("status", upload_id, *remote).stdout, "status") != "BUILDING":
            assert time.monotonic() < deadline
            time.sleep(0.5)
        follower.send_signal(signal.SIGINT)
        _, stderr = follower.communicate(timeout=30)
        assert follower.returncode == 130, stderr
        assert "goes on on the server" in stderr and f"justpush cancel {upload_id}" in stderr

        # The server kept building; the CLI's cancel stops it and waits until it has.
        assert _field(cli.ok("status", upload_id, *remote).stdout, "status") == "BUILDING"
        cancelled = cli.ok("cancel", upload_id, *remote, timeout=120)
        assert "cancel requested" in cancelled.stderr and "stopped: BUILDING: cancelled by cli-carol" in (
            cancelled.stderr
        ), _output(cancelled)
        assert _field(cli.ok("status", upload_id, *remote).stdout, "status") == "FAILED"
    assert cluster_objects(namespace, upload_id) == []
