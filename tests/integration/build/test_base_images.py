"""An upload's own Dockerfile is checked before its build: the engine pulls the base images it has not
got, and says which ones it cannot get (real engine, testenv's registry)."""

from __future__ import annotations

import secrets

import anyio
import docker
import pytest

from justpush import build
from justpush.config import BuildSettings

pytestmark = pytest.mark.integration


def test_missing_base_images_are_pulled_and_unknown_ones_named(
    build_settings: BuildSettings, base_images: dict[str, str], docker_client: docker.DockerClient
) -> None:
    registry = base_images["debian"].split("/", 1)[0]
    suffix = secrets.token_hex(4)
    # In the registry, not in the engine: the check pulls it.
    pullable = f"{registry}/jp-test-base/debian-{suffix}:1"
    docker_client.images.get(base_images["debian"]).tag(pullable)
    docker_client.images.push(pullable)
    docker_client.images.remove(pullable)
    unknown = f"{registry}/jp-test-base/none-{suffix}:1"
    dockerfile = (
        f"FROM {base_images['debian']} AS build\n"
        f"FROM build AS again\n"
        f"FROM {pullable}\n"
        "ARG BASE=x\n"
        "FROM $BASE\n"
        f"FROM {unknown}\n"
    )
    images = build.base_images(dockerfile)
    assert images == [(base_images["debian"], 1), (pullable, 3), (unknown, 6)]

    async def check() -> dict[str, str]:
        builder = build.DockerBuilder(build_settings)
        try:
            return await builder.unavailable_images([image for image, _ in images])
        finally:
            await builder.aclose()

    try:
        missing = anyio.run(check)
        assert list(missing) == [unknown]
        assert "not found" in missing[unknown] or "unknown" in missing[unknown]
        assert docker_client.images.get(pullable) is not None
    finally:
        docker_client.images.remove(pullable, force=True)
