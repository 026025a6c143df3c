"""The registry goes away in the middle of a push: the job fails at PUSHING and leaves no tag, no image."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.support import (
    PIPELINE_APPS,
    cluster_objects,
    free_port,
    local_images,
    registry_tags,
    require,
)

pytestmark = pytest.mark.integration

IMAGES = "jp-pipeline-test/python-inventory"


class DyingRegistry:
    """A TCP relay to testenv's registry that goes down for good when the manifest is pushed.

    Every layer gets through; the request that would create the tag finds the registry gone.
    """

    def __init__(self, upstream: str) -> None:
        host, _, port = upstream.rpartition(":")
        self.upstream = (host or "127.0.0.1", int(port))
        self.port = free_port()
        self.dead = asyncio.Event()
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> DyingRegistry:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._die()

    def _die(self) -> None:
        self.dead.set()
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.dead.is_set():
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        self._writers |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter, watch: bool) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while chunk := await source.read(65536):
                    if watch and b"PUT /v2/" in chunk and b"/manifests/" in chunk:
                        self._die()
                        return
                    sink.write(chunk)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer, True), pipe(up_reader, writer, False))
        self._writers -= {writer, up_writer}


async def test_a_registry_gone_mid_push_fails_the_job_and_leaves_nothing(
    deployer_factory: Callable[..., Any], namespace: str
) -> None:
    async with DyingRegistry(require("JUSTPUSH_TEST_REGISTRY")) as registry:
        # The engine treats loopback registries as insecure (plain HTTP), as it does testenv's.
        async with deployer_factory(containerRegistry={"url": f"http://127.0.0.1:{registry.port}"}) as d:
            upload_id = await d.upload(PIPELINE_APPS / "python-inventory")
            await d.call("POST", f"/deploy/{upload_id}", expect=202, json={})
            status = await d.wait(upload_id, timeout=300)
        assert registry.dead.is_set(), "the push never reached its manifest"
    assert status["status"] == "FAILED", status
    assert status["job"]["stage"] == "PUSHING", status["job"]
    assert "push" in status["job"]["error"]
    assert upload_id not in registry_tags(IMAGES)
    assert local_images(upload_id) == []
    assert cluster_objects(namespace, upload_id) == []
