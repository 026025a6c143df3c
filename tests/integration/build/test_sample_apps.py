"""Build each language's sample app from a generated Dockerfile, run it, request it, check its uid."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import anyio
import docker
import httpx
import pytest
from docker.models.containers import Container

from justpush.analysis import ProjectProfile
from justpush.build import BuiltImage, DockerBuilder, DockerfileOptions, lint_dockerfile, render_dockerfile
from justpush.config import BuildSettings
from justpush.errors import GenerationError, StageFailed

LANGUAGE_APPS = ("python-flask", "node-express", "go-nethttp", "java-plain")
BuildSample = Callable[[BuildSettings, str, str, str], tuple[BuiltImage, list[str]]]

pytestmark = pytest.mark.integration


@pytest.fixture
def running(docker_client: docker.DockerClient) -> Iterator[list[Container]]:
    containers: list[Container] = []
    yield containers
    for container in containers:
        container.remove(force=True)


def _wait_for(url: str, container: Container, seconds: float = 60) -> httpx.Response:
    deadline = time.monotonic() + seconds
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return response
        except httpx.HTTPError as exc:
            last = exc
        container.reload()
        if container.status == "exited":
            break
        time.sleep(0.5)
    raise AssertionError(f"{url} never answered ({last}); logs:\n{container.logs().decode()}")


@pytest.mark.parametrize("name", LANGUAGE_APPS)
def test_sample_app_runs_as_non_root_and_answers(
    name: str,
    sample_images: dict[str, BuiltImage],
    sample_profiles: dict[str, ProjectProfile],
    docker_client: docker.DockerClient,
    running: list[Container],
) -> None:
    image = sample_images[name]
    port = sample_profiles[name].port
    container = docker_client.containers.run(
        image.tag, detach=True, ports={f"{port}/tcp": ("127.0.0.1", None)}
    )
    running.append(container)
    container.reload()
    host_port = container.attrs["NetworkSettings"]["Ports"][f"{port}/tcp"][0]["HostPort"]
    health = _wait_for(f"http://127.0.0.1:{host_port}/health", container)
    assert health.json() == {"status": "ok"}
    root = httpx.get(f"http://127.0.0.1:{host_port}/", timeout=5).json()
    assert root["app"] == name
    # The uid of the server process as the kernel sees it, not as the image claims.
    top = container.top(ps_args="-o pid,uid,comm")
    uids = {int(process[top["Titles"].index("UID")]) for process in top["Processes"]}
    assert uids and 0 not in uids
    config = docker_client.api.inspect_image(image.image_id)["Config"]
    assert config["User"] == "10001:10001"
    assert config["Labels"]["org.opencontainers.image.revision"] == "it-build"
    assert image.size > 0


def test_generated_dockerfiles_for_the_samples_are_lint_clean(
    build_settings: BuildSettings, sample_profiles: dict[str, ProjectProfile]
) -> None:
    for name in LANGUAGE_APPS:
        text = render_dockerfile(
            sample_profiles[name], DockerfileOptions(base_images=build_settings.base_images, upload_id="u")
        ).dockerfile
        assert lint_dockerfile(text) == []


def test_python_syntax_error_fails_the_build_with_the_relevant_lines(
    build_settings: BuildSettings, build_sample: BuildSample
) -> None:
    with pytest.raises(StageFailed) as caught:
        build_sample(build_settings, "python-broken", "justpush-test/python-broken:it", "it-broken")
    message = str(caught.value)
    assert caught.value.stage == "build"
    assert "SyntaxError" in message and "app.py" in message
    assert "compileall" in message


def test_node_missing_start_script_is_refused_before_the_build(
    build_settings: BuildSettings, build_sample: BuildSample
) -> None:
    with pytest.raises(GenerationError) as caught:
        build_sample(build_settings, "node-missing-start", "justpush-test/node-missing-start:it", "it-broken")
    assert 'package.json has no "start" script' in str(caught.value)


def test_sample_passes_the_sandboxed_start_check(
    sample_images: dict[str, BuiltImage], build_settings: BuildSettings
) -> None:
    async def verify() -> None:
        builder = DockerBuilder(build_settings)
        try:
            run = await builder.verify(sample_images["python-flask"].tag, upload_id="it-build")
        finally:
            await builder.aclose()
        assert run.exit_code is None
        assert "Listening at" in run.output

    anyio.run(verify)
