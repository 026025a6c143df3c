"""An in-memory emulator of Kong's Admin API (and a minimal proxy), held to Kong's published schemas.

Kong cannot run on the development machine, so tests drive the real ``KongClient`` against this:

    app = create_emulator()                      # ASGI app; app.state.emulator holds the state
    transport = httpx2.ASGITransport(app=app)    # KongClient(settings, transport=transport)

    with serve(create_emulator()) as url:        # the same on a real port (uvicorn in a thread)
        ...

    python -m tests.kong_emulator --port 8001 [--proxy-port 8000] [--db-less] [--admin-token T]
        [--latency-ms 5] [--quiet]                # a separate process, as the sync benchmark runs it

``create_proxy(app)`` gives the gateway side for end-to-end smoke tests: it matches routes like Kong
(regex_priority, then path), enforces key-auth with consumers' keys, acl groups and request-termination,
applies request-transformer ``replace.uri``, and forwards to the service URL with httpx.
Request bodies are validated as described in ``_reference``.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn
from starlette.applications import Starlette

from ._app import Emulator, create_app
from ._proxy import create_proxy
from ._reference import REFERENCE_DIR
from ._store import Store

__all__ = ["REFERENCE_DIR", "Emulator", "create_emulator", "create_proxy", "serve"]


def create_emulator(
    db_less: bool = False,
    *,
    admin_token: str | None = None,
    workspace: str | None = None,
    latency: float = 0.0,
    enterprise: bool = False,
) -> Starlette:
    """A fresh emulated Kong node; ``latency`` (seconds) is slept on every request to model a network."""
    emulator = Emulator(
        db_less=db_less,
        admin_token=admin_token,
        workspace=workspace,
        latency=latency,
        enterprise=enterprise,
        store=Store(enterprise=enterprise),
    )
    return create_app(emulator)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def serve(app: Any, port: int = 0, host: str = "127.0.0.1") -> Iterator[str]:
    """Run an ASGI app with uvicorn in a background thread; yields its base URL."""
    port = port or _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the Kong emulator did not start")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
