"""Issue 11, item 7 against a real `justpush serve` process: an 80 MB body, with or without a token, does
not raise the server's peak memory (it used to cost about 300 MB before authentication)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

pytestmark = pytest.mark.integration

BODY_BYTES = 80 * 1024 * 1024
CHUNK = 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cli(*args: str, config: Path) -> str:
    command = [sys.executable, "-c", "from justpush.cli import main; main()", "--config", str(config), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def peak_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc status")


@pytest.fixture
def config(tmp_path: Path, db_url: str) -> Path:
    path = tmp_path / "app-config.yaml"
    path.write_text(
        yaml.safe_dump({"server": {"dataDir": str(tmp_path / "data")}, "database": {"url": db_url}})
    )
    return path


@pytest.fixture
def server(config: Path, tmp_path: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    command = [sys.executable, "-c", "from justpush.cli import main; main()", "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--config", str(config)],
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
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def big_body() -> Iterator[bytes]:
    yield b'{"env": {"A": "'
    for _ in range(BODY_BYTES // CHUNK):
        yield b"x" * CHUNK
    yield b'"}}'


def send(url: str, headers: dict[str, str]) -> int | None:
    """The status, or None when the server closed the connection while the body was still being sent
    (it may answer early and stop reading, which is the point)."""
    try:
        response = httpx.post(
            url, content=big_body(), headers={**headers, "Content-Type": "application/json"}, timeout=60
        )
    except (httpx.WriteError, httpx.RemoteProtocolError, httpx.ReadError):
        return None
    return response.status_code


@pytest.mark.parametrize("who", ["no token", "valid token"])
def test_a_large_body_does_not_raise_server_memory(server: tuple[str, int], config: Path, who: str) -> None:
    base, pid = server
    headers = {}
    if who == "valid token":
        token = cli("users", "create", "bodyload", config=config).strip()
        headers = {"Authorization": f"Bearer {token}"}
    # Warm up the code paths once, so that what is measured is the body alone.
    httpx.post(f"{base}/deploy/x/redeploy", json={}, headers=headers)
    before = peak_rss_bytes(pid)
    status = send(f"{base}/deploy/x/redeploy", headers)
    grown = peak_rss_bytes(pid) - before
    assert grown < 20 * 1024 * 1024, f"peak RSS grew by {grown // (1024 * 1024)} MB"
    assert status in (None, 401 if who == "no token" else 413)
    assert httpx.get(f"{base}/healthz").status_code == 200
