"""Escape attempts by a build step and by a sandboxed (gVisor) run are contained."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from pathlib import Path

import anyio
import docker
import pytest

from justpush.build import DockerBuilder, SandboxRun
from justpush.config import BuildSettings
from justpush.errors import StageFailed

pytestmark = pytest.mark.integration


@pytest.fixture
def host_secret(tmp_path: Path) -> tuple[Path, str]:
    """A file only the host has, with content no image could contain."""
    token = secrets.token_hex(16)
    path = tmp_path / "host-only-secret"
    path.write_text(token)
    return path, token


@pytest.fixture
def tight(build_settings: BuildSettings) -> BuildSettings:
    return build_settings.model_copy(
        update={
            "sandbox": build_settings.sandbox.model_copy(
                update={"memory_mb": 256, "pids_limit": 128, "timeout_seconds": 10}
            )
        }
    )


def _build(
    settings: BuildSettings, context: Path, dockerfile: str, tag: str, cancel_after: float | None = None
) -> list[str]:
    lines: list[str] = []

    async def run() -> None:
        builder = DockerBuilder(settings)
        cancel = anyio.Event()
        failure: StageFailed | None = None

        async def cancel_later(delay: float) -> None:
            await anyio.sleep(delay)
            cancel.set()

        try:
            async with anyio.create_task_group() as group:
                if cancel_after is not None:
                    group.start_soon(cancel_later, cancel_after)
                try:
                    await builder.build(
                        context, dockerfile, tag, upload_id="it-sandbox", on_log=lines.append, cancel=cancel
                    )
                except StageFailed as exc:
                    failure = exc
                group.cancel_scope.cancel()
        finally:
            await builder.remove_image(tag, upload_id="it-sandbox")
            await builder.aclose()
        if failure is not None:
            raise failure

    anyio.run(run)
    return lines


def _no_build_containers_left(docker_client: docker.DockerClient, step: str) -> None:
    """The killed step's container is gone (the build removes it with forcerm). `step` is a command
    no other test runs, so builds elsewhere on the machine do not count."""
    leftovers = [
        container.short_id
        for container in docker_client.containers.list()
        if (container.attrs["Config"].get("Cmd") or [])[-1:] == [step]
    ]
    assert leftovers == []


def test_build_step_cannot_see_host_files_or_the_docker_socket(
    tight: BuildSettings, base_images: dict[str, str], host_secret: tuple[Path, str], tmp_path: Path
) -> None:
    path, token = host_secret
    context = tmp_path / "ctx"
    context.mkdir()
    dockerfile = (
        f"FROM {base_images['debian']}\n"
        f"RUN cat {path} 2>&1 || true\n"
        f"RUN test ! -e {path} && test ! -S /var/run/docker.sock && test ! -S /run/docker.sock "
        "&& echo contained\n"
    )
    lines = _build(tight, context, dockerfile, "justpush-test/escape:it")
    output = "\n".join(lines)
    assert "contained" in lines
    assert token not in output


def test_build_step_exceeding_memory_is_killed(
    tight: BuildSettings, base_images: dict[str, str], tmp_path: Path
) -> None:
    # The marker is assembled at run time so the echoed command line cannot contain it.
    allocate = "python3 -c \"b = bytearray(1024 * 1024 * 1024); print('ALLOC' + 'ATED')\""
    dockerfile = f"FROM {base_images['python']}\nRUN {allocate}\n"
    with pytest.raises(StageFailed) as caught:
        _build(tight, tmp_path, dockerfile, "justpush-test/oom:it")
    assert "ALLOCATED" not in str(caught.value)
    assert "non-zero code: 137" in str(caught.value)


def test_build_step_exceeding_the_wall_clock_is_killed(
    tight: BuildSettings, base_images: dict[str, str], tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    started = time.time()
    with pytest.raises(StageFailed, match="timed out after 10 s"):
        _build(tight, tmp_path, f"FROM {base_images['debian']}\nRUN sleep 301\n", "justpush-test/slow:it")
    assert time.time() - started < 60
    _no_build_containers_left(docker_client, "sleep 301")


def test_cancel_stops_a_running_build(
    build_settings: BuildSettings,
    base_images: dict[str, str],
    tmp_path: Path,
    docker_client: docker.DockerClient,
) -> None:
    started = time.time()
    with pytest.raises(StageFailed, match="cancelled"):
        _build(
            build_settings,
            tmp_path,
            f"FROM {base_images['debian']}\nRUN sleep 302\n",
            "justpush-test/cancel:it",
            3,
        )
    assert time.time() - started < 60
    _no_build_containers_left(docker_client, "sleep 302")


def _sandboxed(settings: BuildSettings, image: str, command: list[str], timeout: float = 60) -> SandboxRun:
    async def run() -> SandboxRun:
        builder = DockerBuilder(settings)
        try:
            return await builder.run_sandboxed(image, command, upload_id="it-sandbox", timeout=timeout)
        finally:
            await builder.aclose()

    return anyio.run(run)


@pytest.fixture
def gvisor(tight: BuildSettings) -> BuildSettings:
    runtime = os.environ.get("JUSTPUSH_TEST_GVISOR_RUNTIME")
    if not runtime:
        pytest.skip("JUSTPUSH_TEST_GVISOR_RUNTIME is not set")
    return tight.model_copy(update={"sandbox": tight.sandbox.model_copy(update={"runtime": runtime})})


def test_sandboxed_run_is_under_gvisor_without_network(
    gvisor: BuildSettings, base_images: dict[str, str]
) -> None:
    run = _sandboxed(
        gvisor,
        base_images["python"],
        [
            "sh",
            "-c",
            "dmesg | head -n 1; "
            "python3 -c \"import socket; socket.create_connection(('1.1.1.1', 80), 3)\" 2>&1 | tail -n 1",
        ],
    )
    assert "gVisor" in run.output
    assert "Error" in run.output  # no route out: network none


def test_sandboxed_run_cannot_read_host_files_or_reach_docker(
    gvisor: BuildSettings, base_images: dict[str, str], host_secret: tuple[Path, str]
) -> None:
    path, token = host_secret
    run = _sandboxed(
        gvisor,
        base_images["debian"],
        [
            "sh",
            "-c",
            f"cat {path} 2>&1; test -e /var/run/docker.sock && echo SOCKET; touch /etc/x 2>&1; echo done",
        ],
    )
    assert token not in run.output
    assert "SOCKET" not in run.output
    assert "Read-only file system" in run.output
    assert run.exit_code == 0


def test_sandboxed_run_exceeding_memory_is_killed(gvisor: BuildSettings, base_images: dict[str, str]) -> None:
    run = _sandboxed(
        gvisor, base_images["python"], ["python3", "-c", "b = bytearray(1024 ** 3); print('allocated')"]
    )
    assert "allocated" not in run.output
    assert run.exit_code != 0


def test_sandboxed_run_exceeding_pids_is_stopped(gvisor: BuildSettings, base_images: dict[str, str]) -> None:
    spawn = (
        "import subprocess\nprocs = []\ntry:\n    for _ in range(400):\n"
        "        procs.append(subprocess.Popen(['sleep', '30']))\nexcept OSError as exc:\n"
        "    print('refused after', len(procs))\nelse:\n    print('spawned', len(procs))\n"
    )
    run = _sandboxed(gvisor, base_images["python"], ["python3", "-c", spawn], timeout=60)
    # Either fork is refused inside, or the sandbox is killed outright: never 400 processes.
    assert "spawned 400" not in run.output
    assert "refused after" in run.output or run.exit_code != 0


def test_sandboxed_run_exceeding_time_is_killed(gvisor: BuildSettings, base_images: dict[str, str]) -> None:
    started = time.monotonic()
    run = _sandboxed(gvisor, base_images["debian"], ["sleep", "300"], timeout=3)
    assert run.timed_out and time.monotonic() - started < 30


def test_a_failing_step_is_named_with_its_first_error(
    tight: BuildSettings, base_images: dict[str, str], tmp_path: Path
) -> None:
    """The error printed first survives 40 lines of later output that push it out of the tail."""
    context = tmp_path / "ctx"
    context.mkdir()
    step = "echo 'error: schema.sql not found' && seq 1 40 && exit 3"
    dockerfile = f"FROM {base_images['debian']}\nRUN echo ready\nRUN {step}\n"
    with pytest.raises(StageFailed) as caught:
        _build(tight, context, dockerfile, "justpush-test/first-error:it")
    message = str(caught.value)
    assert "returned a non-zero code: 3" in message.splitlines()[0]
    # JustPush adds its label step to the user's Dockerfile.
    assert re.search(rf"^failed at Step 3/\d : RUN {re.escape(step)}$", message, re.MULTILINE)
    assert "first error lines:\n  error: schema.sql not found\n" in message
    assert caught.value.details["first_errors"][0] == "error: schema.sql not found"
    assert "error: schema.sql not found" not in caught.value.details["log_tail"]
    assert message.rstrip().endswith("  40")


def test_containers_left_by_a_killed_worker_are_removed(
    tight: BuildSettings, base_images: dict[str, str], docker_client: docker.DockerClient
) -> None:
    """A worker killed during the start check leaves its container running, with the volume it seeded;
    recovery removes both (else the image the container holds outlives its tag)."""
    upload_id = f"it-left-{secrets.token_hex(4)}"
    label = {"io.justpush.upload-id": upload_id}
    other_label = {"io.justpush.upload-id": f"{upload_id}-other"}
    seeded = docker_client.volumes.create(labels=label)
    other_volume = docker_client.volumes.create(labels=other_label)
    left = docker_client.containers.create(
        base_images["debian"], ["sleep", "300"], labels=label, volumes={seeded.name: {"bind": "/app"}}
    )
    left.start()
    other = docker_client.containers.create(base_images["debian"], ["true"], labels=other_label)

    async def remove() -> int:
        builder = DockerBuilder(tight)
        try:
            return await builder.remove_leftovers(upload_id=upload_id)
        finally:
            await builder.aclose()

    try:
        assert anyio.run(remove) == 2
        wanted = {"label": f"io.justpush.upload-id={upload_id}"}
        assert docker_client.containers.list(all=True, filters=wanted) == []
        assert docker_client.volumes.list(filters=wanted) == []
        other.reload()  # another upload's container and volume are untouched
        other_volume.reload()
    finally:
        other.remove(force=True)
        other_volume.remove(force=True)
        with contextlib.suppress(docker.errors.NotFound):
            left.remove(force=True)
        with contextlib.suppress(docker.errors.NotFound):
            seeded.remove(force=True)


LISTENER = (
    "import socket, time\n"
    "for address, port in (('0.0.0.0', 7071), ('127.0.0.1', 3000)):\n"
    "    s = socket.socket(); s.bind((address, port)); s.listen()\n"
    "    globals()[f's{port}'] = s\n"
    "time.sleep(600)\n"
)


def test_the_start_check_says_which_port_the_app_listens_on(
    gvisor: BuildSettings, base_images: dict[str, str], tmp_path: Path
) -> None:
    """A port the analysis got wrong fails the check in seconds, naming the port the app does use; one it
    listens on only for loopback is named as unreachable."""
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "listen.py").write_text(LISTENER)
    dockerfile = f'FROM {base_images["python"]}\nCOPY listen.py /listen.py\nCMD ["python3", "/listen.py"]\n'
    tag = "justpush-test/listener:it"
    failures: dict[int, str] = {}
    served: dict[int, int | None] = {}

    async def run() -> None:
        builder = DockerBuilder(gvisor)
        try:
            await builder.build(context, dockerfile, tag, upload_id="it-sandbox")
            for port in (8000, 3000, 7071):
                try:
                    passed = await builder.verify(tag, upload_id="it-sandbox", grace_seconds=3, port=port)
                except StageFailed as exc:
                    failures[port] = exc.message
                else:
                    assert passed.listening is not None
                    assert {(s.address, s.port) for s in passed.listening} == {
                        ("0.0.0.0", 7071),
                        ("127.0.0.1", 3000),
                    }
            # Told to follow, the check passes and says where the app serves: the one reachable port.
            followed = await builder.verify(
                tag, upload_id="it-sandbox", grace_seconds=3, port=8000, follow_port=True
            )
            served[8000] = followed.served_port(8000)
            # On port 3000 it listens, but only for loopback: following cannot help, the check fails.
            with pytest.raises(StageFailed, match=re.escape("only on 127.0.0.1")):
                await builder.verify(
                    tag, upload_id="it-sandbox", grace_seconds=3, port=3000, follow_port=True
                )
        finally:
            await builder.remove_image(tag, upload_id="it-sandbox")
            await builder.aclose()

    anyio.run(run)
    assert set(failures) == {8000, 3000}
    assert "listens on port 7071, not on 8000" in failures[8000]
    assert "port 3000 only on 127.0.0.1, which other pods cannot reach" in failures[3000]
    assert served == {8000: 7071}


WRITES_ITS_FOLDER = (
    "import os, time\n"
    "open('/app/app.db', 'w').write('created at start')\n"
    "print(open('/app/shipped.txt').read(), sorted(os.listdir('/app')), flush=True)\n"
    "time.sleep(600)\n"
)


def test_the_start_check_seeds_the_app_folder_as_the_pod_does(
    gvisor: BuildSettings, base_images: dict[str, str], tmp_path: Path
) -> None:
    """A non-root app that creates a file in its own folder (a SQLite database) passes when that folder is
    seeded writable, as the pod's init container seeds it; with the root merely writable it cannot (the
    image's folder belongs to root), which is what the check said before."""
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "serve.py").write_text(WRITES_ITS_FOLDER)
    (context / "shipped.txt").write_text("shipped with the image\n")
    dockerfile = (
        f"FROM {base_images['python']}\nWORKDIR /app\nCOPY serve.py shipped.txt ./\n"
        'RUN useradd --uid 10001 app\nUSER 10001\nCMD ["python3", "/app/serve.py"]\n'
    )
    tag = "justpush-test/seeded:it"
    outcome: dict[str, str] = {}

    async def run() -> None:
        builder = DockerBuilder(gvisor)
        try:
            await builder.build(context, dockerfile, tag, upload_id="it-sandbox")
            seeded = await builder.verify(tag, upload_id="it-sandbox", grace_seconds=3, seeded_dirs=("/app",))
            outcome["seeded"] = seeded.output
            try:
                await builder.verify(tag, upload_id="it-sandbox", grace_seconds=3, writable_root=True)
            except StageFailed as exc:
                outcome["root"] = exc.message
            client = docker.DockerClient(base_url=gvisor.docker_host)
            try:
                left = client.volumes.list(filters={"label": "io.justpush.upload-id=it-sandbox"})
                outcome["volumes"] = str(len(left))
            finally:
                client.close()
        finally:
            await builder.remove_image(tag, upload_id="it-sandbox")
            await builder.aclose()

    anyio.run(run)
    assert "shipped with the image" in outcome["seeded"] and "'app.db'" in outcome["seeded"], outcome
    assert "Permission denied" in outcome.get("root", ""), outcome
    assert outcome["volumes"] == "0"


LATE_FAILURE = (
    "import time\n"
    "print('loading the bundle', flush=True)\n"
    "time.sleep(6)\n"
    "raise SystemExit(\"Error: Cannot find module '../exceptions/httpException'\")\n"
)
LATE_LISTENER = (
    "import socket, time\ntime.sleep(6)\n"
    "s = socket.socket(); s.bind(('0.0.0.0', 8000)); s.listen()\ntime.sleep(600)\n"
)


def test_an_app_listening_on_nothing_yet_is_waited_for_until_it_listens_or_fails(
    gvisor: BuildSettings, base_images: dict[str, str], tmp_path: Path
) -> None:
    """Past the grace period an app that listens on nothing may still be loading: the check waits for
    it to listen (it passes) or to exit (it fails with its output), instead of passing it at once."""
    results: dict[str, str] = {}

    async def run() -> None:
        builder = DockerBuilder(gvisor)
        try:
            for name, program in (("late-failure", LATE_FAILURE), ("late-listener", LATE_LISTENER)):
                context = tmp_path / name
                context.mkdir()
                (context / "app.py").write_text(program)
                tag = f"justpush-test/{name}:it"
                dockerfile = (
                    f'FROM {base_images["python"]}\nCOPY app.py /app.py\nCMD ["python3", "/app.py"]\n'
                )
                await builder.build(context, dockerfile, tag, upload_id="it-sandbox")
                try:
                    run = await builder.verify(tag, upload_id="it-sandbox", grace_seconds=2, port=8000)
                    results[name] = f"passed listening on {sorted(s.port for s in run.listening or ())}"
                except StageFailed as exc:
                    results[name] = exc.message
                finally:
                    await builder.remove_image(tag, upload_id="it-sandbox")
        finally:
            await builder.aclose()

    anyio.run(run)
    assert results["late-listener"] == "passed listening on [8000]"
    assert results["late-failure"].startswith("verify: the app exited with code 1 in the sandbox")
    assert "Cannot find module '../exceptions/httpException'" in results["late-failure"]
