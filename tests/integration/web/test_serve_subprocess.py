"""The newcomer flow against a real `justpush serve` process: create a user with the CLI, upload a
zip with plain HTTP, see it listed. Uses the test database of this run (SQLite or PostgreSQL)."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def justpush(*args: str, config: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from justpush.cli import main; main()", "--config", str(config), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def config(tmp_path: Path, db_url: str) -> Path:
    path = tmp_path / "app-config.yaml"
    path.write_text(
        yaml.safe_dump(
            {"server": {"dataDir": str(tmp_path / "data"), "logFormat": "json"}, "database": {"url": db_url}}
        )
    )
    return path


@pytest.fixture
def server(config: Path, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from justpush.cli import main; main()",
            "serve",
            "--port",
            str(port),
            "--config",
            str(config),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "JUSTPUSH_CONFIG": ""},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("server did not become ready: " + (tmp_path / "serve.log").read_text())
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_newcomer_flow(server: str, config: Path, tmp_path: Path) -> None:
    created = justpush("users", "create", "newcomer", config=config)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    auth = {"Authorization": f"Bearer {token}"}

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("main.py", "print('hello')\n")
    response = httpx.post(f"{server}/uploads", headers=auth, files={"file": ("hello.zip", buffer.getvalue())})
    assert response.status_code == 201, response.text
    upload_id = response.json()["id"]

    listed = httpx.get(f"{server}/uploads", headers=auth).json()
    assert [u["id"] for u in listed] == [upload_id]
    assert httpx.get(f"{server}/uploads").status_code == 401

    # The CLI client against the same server.
    project = tmp_path / "proj"
    project.mkdir()
    (project / "app.py").write_text("x = 1\n")
    sent = justpush("upload", str(project), "--server", server, "--token", token, config=config)
    assert sent.returncode == 0, sent.stderr
    assert len(httpx.get(f"{server}/uploads", headers=auth).json()) == 2

    # Structured JSON logs with request ids, and no token in them.
    log = (tmp_path / "serve.log").read_text()
    assert '"request_id"' in log and token not in log
