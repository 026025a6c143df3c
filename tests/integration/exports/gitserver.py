"""A real Git smart-HTTP server on loopback: `git http-backend` behind a small threaded HTTP server
that asks for Basic credentials, as a hosted Git service does for a push."""

from __future__ import annotations

import base64
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class GitServer:
    root: Path
    url: str
    username: str
    password: str
    # Runs once, as the next push begins (before the server lists its refs), e.g. to move the branch.
    before_push: list[Callable[[], None]] = field(default_factory=list)
    # Runs once, when the next push's objects arrive (after the refs were listed).
    before_update: list[Callable[[], None]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def repo_url(self, name: str) -> str:
        return f"{self.url}/{name}.git"

    def create(self, name: str) -> Path:
        bare = self.root / f"{name}.git"
        git("init", "-q", "--bare", "-b", "main", str(bare))
        return bare

    def head(self, name: str, branch: str = "main") -> str:
        result = subprocess.run(
            ["git", "rev-parse", "--verify", "-q", f"refs/heads/{branch}"],
            cwd=self.root / f"{name}.git",
            capture_output=True,
            text=True,
            check=False,
        )
        return result.stdout.strip()


def git(*args: str, cwd: Path | None = None) -> str:
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "PATH": "/usr/bin:/bin"}
    env |= {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


def _handler(server: GitServer) -> type[BaseHTTPRequestHandler]:
    expected = "Basic " + base64.b64encode(f"{server.username}:{server.password}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def _serve(self) -> None:
            path, _, query = self.path.partition("?")
            server.requests.append(f"{self.command} {path}")
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="git"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if query == "service=git-receive-pack" and server.before_push:
                server.before_push.pop(0)()
            if self.command == "POST" and path.endswith("/git-receive-pack") and server.before_update:
                server.before_update.pop(0)()
            env = {
                "PATH": "/usr/bin:/bin",
                "GIT_CONFIG_GLOBAL": "/dev/null",
                "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_PROJECT_ROOT": str(server.root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "REQUEST_METHOD": self.command,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)),
                "REMOTE_USER": server.username,
                "REMOTE_ADDR": "127.0.0.1",
                "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            }
            output = subprocess.run(
                ["git", "http-backend"], input=body, env=env, capture_output=True, timeout=60, check=False
            ).stdout
            head, _, payload = output.partition(b"\r\n\r\n")
            if not _:
                head, _, payload = output.partition(b"\n\n")
            status = 200
            headers = []
            for line in head.decode("latin-1").splitlines():
                name, _, value = line.partition(":")
                if name.lower() == "status":
                    status = int(value.split()[0])
                else:
                    headers.append((name, value.strip()))
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _serve
        do_POST = _serve

    return Handler


@contextmanager
def git_server(
    root: Path, username: str = "deployer", password: str = "s3cret-git-token"
) -> Iterator[GitServer]:
    root.mkdir(parents=True, exist_ok=True)
    server = GitServer(root=root, url="", username=username, password=password)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
    server.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
