"""Fixtures for registry integration tests: testenv's plain and authenticated registries."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from justpush.build import DockerBuilder
from justpush.config import BuildSettings


def _require(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.skip(f"{name} is not set (testenv not up)")
    return value


@pytest.fixture(scope="session")
def plain_registry() -> str:
    return _require("JUSTPUSH_TEST_REGISTRY")


@pytest.fixture(scope="session")
def auth_registry() -> tuple[str, str, str]:
    """(host, user, password) of the htpasswd registry."""
    return (
        _require("JUSTPUSH_TEST_AUTH_REGISTRY"),
        _require("JUSTPUSH_TEST_AUTH_REGISTRY_USER"),
        _require("JUSTPUSH_TEST_AUTH_REGISTRY_PASSWORD"),
    )


@pytest.fixture(scope="session")
def tiny_image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A busybox image with a unique label, so every run pushes a fresh digest."""
    docker_host = _require("DOCKER_HOST")
    busybox = json.loads(_require("JUSTPUSH_TEST_BASE_IMAGES"))["busybox"]
    context: Path = tmp_path_factory.mktemp("tiny")
    tag = "justpush-test/tiny:it"
    dockerfile = f'FROM {busybox}\nLABEL run="{secrets.token_hex(8)}"\nUSER 10001:10001\nCMD ["true"]\n'
    builder = DockerBuilder(BuildSettings(docker_host=docker_host))

    async def build() -> None:
        await builder.build(context, dockerfile, tag, upload_id="it-registry")

    async def remove() -> None:
        await builder.remove_image(tag, upload_id="it-registry")
        await builder.aclose()

    anyio.run(build)
    yield tag
    anyio.run(remove)
