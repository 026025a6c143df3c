"""Fixtures for build integration tests: real Docker Engine, testenv base images, gVisor runtime.

Every fixture skips only when the testenv variable it needs is absent.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import anyio
import docker
import pytest

from justpush.analysis import ProjectProfile
from justpush.build import BuiltImage, DockerBuilder, DockerfileOptions, prepare_dockerfile
from justpush.config import BuildSettings, SandboxSettings
from tests.integration.support import testenv_base_images

APPS = Path(__file__).resolve().parents[2] / "fixtures" / "build-apps"

# The sample apps as the analysis would describe them.
PROFILES = {
    "python-flask": ProjectProfile(
        language="python",
        framework="flask",
        package_manager="pip",
        dependency_files=("requirements.txt",),
        entrypoint="app.py",
        start_command=("gunicorn", "--bind", "0.0.0.0:8000", "app:app"),
        port=8000,
    ),
    "node-express": ProjectProfile(
        language="node",
        framework="express",
        package_manager="npm",
        lockfile="package-lock.json",
        dependency_files=("package.json", "package-lock.json"),
        entrypoint="server.js",
        start_command=("node", "server.js"),
        port=3000,
    ),
    "go-nethttp": ProjectProfile(
        language="go", dependency_files=("go.mod",), entrypoint="main.go", port=8080
    ),
    "java-plain": ProjectProfile(language="java", entrypoint="Main.java", port=8080),
    "python-broken": ProjectProfile(
        language="python",
        package_manager="pip",
        dependency_files=("requirements.txt",),
        entrypoint="app.py",
        port=8000,
    ),
    "node-missing-start": ProjectProfile(
        language="node",
        package_manager="npm",
        dependency_files=("package.json",),
        start_command=("npm", "start"),
    ),
}
LANGUAGE_APPS = ("python-flask", "node-express", "go-nethttp", "java-plain")


def _require(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.skip(f"{name} is not set (testenv not up)")
    return value


@pytest.fixture(scope="session")
def docker_host() -> str:
    return _require("DOCKER_HOST")


@pytest.fixture(scope="session")
def base_images() -> dict[str, str]:
    return testenv_base_images()


@pytest.fixture(scope="session")
def build_settings(docker_host: str, base_images: dict[str, str]) -> BuildSettings:
    return BuildSettings(
        docker_host=docker_host,
        base_images=base_images,
        sandbox=SandboxSettings(
            runtime=os.environ.get("JUSTPUSH_TEST_GVISOR_RUNTIME", ""),
            cpus=1,
            memory_mb=512,
            pids_limit=256,
            timeout_seconds=600,
        ),
    )


@pytest.fixture(scope="session")
def docker_client(docker_host: str) -> Iterator[docker.DockerClient]:
    client = docker.DockerClient(base_url=docker_host)
    yield client
    client.close()


def build_app(settings: BuildSettings, name: str, tag: str, upload_id: str) -> tuple[BuiltImage, list[str]]:
    generated = prepare_dockerfile(
        APPS / name, PROFILES[name], DockerfileOptions(base_images=settings.base_images, upload_id=upload_id)
    )
    lines: list[str] = []

    async def run() -> BuiltImage:
        builder = DockerBuilder(settings)
        try:
            return await builder.build(
                APPS / name,
                generated.dockerfile,
                tag,
                upload_id=upload_id,
                dockerignore=generated.dockerignore,
                files=generated.files,
                on_log=lines.append,
            )
        finally:
            await builder.aclose()

    return anyio.run(run), lines


@pytest.fixture(scope="session")
def sample_profiles() -> dict[str, ProjectProfile]:
    return PROFILES


@pytest.fixture(scope="session")
def build_sample() -> Callable[[BuildSettings, str, str, str], tuple[BuiltImage, list[str]]]:
    """build_sample(settings, app name, tag, upload id) -> (image, log lines)."""
    return build_app


@pytest.fixture(scope="session")
def sample_images(
    build_settings: BuildSettings, docker_client: docker.DockerClient
) -> Iterator[dict[str, BuiltImage]]:
    """The four language samples, built once per session from generated Dockerfiles."""
    built = {
        name: build_app(build_settings, name, f"justpush-test/{name}:it", "it-build")[0]
        for name in LANGUAGE_APPS
    }
    yield built
    for image in built.values():
        docker_client.images.remove(image.tag, force=True)
