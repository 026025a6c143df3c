"""Issue 11 items 1, 5 and 9 for git URLs: links and limits checked before checkout, no internal
addresses, one error for every connection failure, no user git configuration.

Repositories are real ones served over file:// (listed in `uploads.gitSchemes` for these tests only)
or over a loopback HTTP server that the tests allow in `uploads.gitAllowedHosts`.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from justpush.config import Settings, UploadSettings
from justpush.errors import UploadError, UploadTooLargeError
from justpush.uploads import clone
from tests.conftest import SettingsFactory
from tests.security.support import Surroundings, app_client


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def make_repo(path: Path, files: dict[str, str], links: dict[str, str] | None = None) -> Path:
    path.mkdir(parents=True)
    git("init", "-q", "-b", "main", cwd=path)
    for name, content in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(content)
    for name, target in (links or {}).items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, path / name)
    git("add", "-A", cwd=path)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "x", cwd=path)
    return path


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    # git.invalid is allowed by name so that git itself runs for it (see the configuration test).
    return make_settings(
        uploads={
            "gitSchemes": ["https", "http", "file"],
            "maxFiles": 1000,
            "gitAllowedHosts": ["git.invalid"],
        }
    )


async def post_git(client: httpx.AsyncClient, auth: dict[str, str], url: str) -> httpx.Response:
    return await client.post("/uploads", headers=auth, json={"git_url": url})


# -- item 1: links -------------------------------------------------------------------------------


async def test_repository_link_escaping_through_another_link_is_400_and_nothing_outside(
    client: httpx.AsyncClient, auth: dict[str, str], tmp_path: Path
) -> None:
    name = f"planted-{secrets.token_hex(6)}"
    repo = make_repo(
        tmp_path / "src-repo",
        {"main.py": "print(1)\n"},
        {"d/up": "..", f"d/{name}": f"up/../{name}", "abs": "/etc/passwd"},
    )
    around = Surroundings(tmp_path)
    await client.get("/healthz")
    before = around.snapshot()
    response = await post_git(client, auth, f"file://{repo}")
    assert response.status_code == 400, response.text
    assert response.json()["error"]["details"]["reason"] == "unsafe_link"
    assert around.planted(name) == []
    after = around.snapshot()
    assert (after["parent"], after["tmp"], after["workspaces"]) == (before["parent"], before["tmp"], [])


async def test_repository_links_inside_are_kept(
    client: httpx.AsyncClient, auth: dict[str, str], tmp_path: Path, settings: Settings
) -> None:
    repo = make_repo(
        tmp_path / "src-repo", {"conf/base.yaml": "a: 1\n"}, {"app.yaml": "conf/base.yaml", "sub/up": ".."}
    )
    response = await post_git(client, auth, f"file://{repo}")
    assert response.status_code == 201, response.text
    workspace = settings.server.data_dir / "workspaces" / response.json()["id"]
    assert (workspace / "app.yaml").read_text() == "a: 1\n"
    assert (workspace / "sub" / "up" / "conf" / "base.yaml").read_text() == "a: 1\n"
    assert not (workspace / ".git").exists()


@pytest.mark.parametrize(
    ("files", "links", "limits", "error"),
    [
        ({"main.py": "x"}, {"d/up": "..", "d/out": "up/../x"}, {}, UploadError),
        ({f"d{i}/f.py": "x" for i in range(30)}, {}, {"max_files": 40}, UploadTooLargeError),
        ({"big.bin": "x" * 300_000, "main.py": "x"}, {}, {"max_bytes": 200_000}, UploadTooLargeError),
    ],
)
async def test_nothing_is_checked_out_before_the_tree_is_checked(
    files: dict[str, str],
    links: dict[str, str],
    limits: dict[str, int],
    error: type[Exception],
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path / "src-repo", files, links)
    dest, scratch = tmp_path / "dest", tmp_path / "scratch"
    dest.mkdir()
    scratch.mkdir()
    settings = UploadSettings(git_schemes=("file",), **limits)
    with pytest.raises(error):
        await clone(f"file://{repo}", None, dest, scratch, settings)
    assert list(dest.iterdir()) == []


# -- item 5: every entry counts, for clones too ----------------------------------------------------


async def test_repository_folders_count_against_max_files(
    client: httpx.AsyncClient, auth: dict[str, str], tmp_path: Path, settings: Settings
) -> None:
    # 600 files, each in its own folder: 1,200 entries against maxFiles 1,000.
    repo = make_repo(tmp_path / "src-repo", {f"d{i}/f.py": "x\n" for i in range(600)})
    response = await post_git(client, auth, f"file://{repo}")
    assert response.status_code == 413, response.text
    assert response.json()["error"]["details"] == {"limit": 1000, "reason": "too_many_files"}
    assert list((settings.server.data_dir / "workspaces").iterdir()) == []


async def test_clone_is_stopped_while_it_grows_past_max_bytes(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "src-repo", {"noise.bin": secrets.token_hex(3_000_000)})
    dest, scratch = tmp_path / "dest", tmp_path / "scratch"
    dest.mkdir()
    scratch.mkdir()
    with pytest.raises(UploadTooLargeError) as info:
        await clone(
            f"file://{repo}", None, dest, scratch, UploadSettings(git_schemes=("file",), max_bytes=1_000_000)
        )
    assert info.value.details["reason"] == "too_large"
    assert list(dest.iterdir()) == []


# -- item 9: internal addresses, one error, no user configuration ---------------------------------


class _Listener:
    """A TCP port on loopback that records whether anything connected."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen()
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.socket.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.socket.close()


@pytest.fixture
def listener() -> Iterator[_Listener]:
    server = _Listener()
    yield server
    server.close()


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:{port}/r.git",
        "http://localhost:{port}/r.git",
        "https://[::ffff:127.0.0.1]:{port}/r.git",
        "https://0x7f.1:{port}/r.git",
        "https://10.0.0.1/r.git",
        "https://192.168.1.1/r.git",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.0.1/r.git",
        "https://[fd00::1]/r.git",
        "https://[::1]/r.git",
        "https://[64:ff9b::a9fe:a9fe]/r.git",  # NAT64 of 169.254.169.254
        "https://[2002:7f00:1::1]/r.git",  # 6to4 of 127.0.0.1
        "https://0.0.0.0:{port}/r.git",
    ],
)
async def test_internal_addresses_refused_without_connecting(
    url: str, client: httpx.AsyncClient, auth: dict[str, str], listener: _Listener, settings: Settings
) -> None:
    response = await post_git(client, auth, url.format(port=listener.port))
    assert response.status_code == 400, response.text
    assert response.json()["error"]["details"]["reason"] == "internal_address"
    assert listener.connections == 0
    assert list((settings.server.data_dir / "workspaces").iterdir()) == []


class _NotFound(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def http_404() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_open_and_closed_ports_give_the_same_error(
    make_settings: SettingsFactory, http_404: int
) -> None:
    settings = make_settings(
        uploads={
            "gitSchemes": ["https", "http"],
            "gitAllowedHosts": ["127.0.0.1/32"],
            "gitTimeoutSeconds": 20,
        }
    )
    async with app_client(settings) as (client, auth):
        answers = []
        for port in (http_404, _closed_port()):
            response = await post_git(client, auth, f"http://127.0.0.1:{port}/r.git")
            assert response.status_code == 400, response.text
            error = response.json()["error"]
            answers.append((error["message"].replace(str(port), "PORT"), error["details"]))
    assert answers[0] == answers[1]


async def test_user_git_configuration_is_not_used(
    client: httpx.AsyncClient, auth: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operator's ~/.gitconfig (here: url.insteadOf to a local repository) must not apply."""
    repo = make_repo(tmp_path / "src-repo", {"main.py": "print(1)\n"})
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(f'[url "file://{repo}"]\n\tinsteadOf = https://git.invalid/r.git\n')
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    response = await post_git(client, auth, "https://git.invalid/r.git")
    assert response.status_code == 400, response.text
    assert response.json()["error"]["details"]["reason"] == "git_failed"
