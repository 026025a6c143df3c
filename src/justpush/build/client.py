"""Sandboxed image builds and sandboxed runs through the Docker Engine (see SANDBOX.md).

The docker SDK is blocking, so every call runs in a worker thread; build output is streamed back
to the event loop line by line. Foreign exceptions become ``DockerError`` in ``_docker_errors``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import re
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread
import docker
import docker.errors

from justpush.config import BuildSettings
from justpush.errors import DockerError, StageFailed

from ._context import DOCKERFILE_NAME, context_archive
from ._dockerfile import TypeCheck, type_check_dockerfile
from ._failure import StepLog, failure_message, first_errors, plain_lines, write_hint
from ._identity import run_digest
from ._listening import ListeningSocket, listening_sockets, port_problem, served_port

logger = logging.getLogger(__name__)

UPLOAD_LABEL = "io.justpush.upload-id"
_RUNNING_IN = re.compile(r"Running in ([0-9a-f]{12,64})")
_FROM_STEP = re.compile(r"Step \d+/\d+ : FROM (?:--\S+\s+)*(\S+)", re.IGNORECASE)
_IMAGE_ID = re.compile(r"[0-9a-f]{12,64}")
_LOG_TAIL = 15
# How long a start check waits, past its grace period, for an app that listens on nothing yet: one still
# loading (a large bundle, a JVM under gVisor) may yet listen, or fail on a module it loads late.
_LISTEN_PATIENCE_SECONDS = 30.0
# Where a type check's own image goes, under a tag of its own, until it is removed.
_TYPE_CHECK_REPOSITORY = "justpush-local/type-check"
# Build steps get a lower CPU weight than the default 1024, so deployed workloads win contention.
_BUILD_CPU_SHARES = 512
_SANDBOX_TMPFS_OPTIONS = "rw,nosuid,nodev,size=64m"
_SANDBOX_TMPFS = {"/tmp": _SANDBOX_TMPFS_OPTIONS}
# Where a seeding run of the sandbox sees the volume it copies the app's folder into.
_SEED_MOUNT = "/justpush-seed"


@dataclass(frozen=True)
class BuiltImage:
    image_id: str
    tag: str
    size: int
    # What a container of the image runs, labels aside (`run_digest`).
    run_digest: str
    # The image each FROM of the build started from, by the name it uses (lower case): for a stage a
    # later one starts from, the image that stage ended as.
    stages: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LocalImage:
    """An image in the engine that a JustPush build made (it carries UPLOAD_LABEL)."""

    image_id: str
    upload_id: str
    tags: tuple[str, ...]
    size: int


@dataclass(frozen=True)
class SandboxRun:
    """Outcome of a container run in the sandbox; ``exit_code`` is None when it was still running."""

    exit_code: int | None
    output: str
    timed_out: bool
    oom_killed: bool
    # What it listened on when the run ended still running (None: not read, or not readable in the image).
    listening: tuple[ListeningSocket, ...] | None = None

    def served_port(self, expected: int) -> int | None:
        """The one other port the app serves on, when it does not listen on `expected` (see _listening)."""
        return served_port(expected, self.listening) if self.listening else None


@dataclass
class _BuildState:
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=_LOG_TAIL))
    step: StepLog = field(default_factory=StepLog)
    container_id: str | None = None
    image_id: str | None = None
    error: str | None = None
    failure: BaseException | None = None
    stop_reason: str | None = None
    # The name a FROM step starts from, until the engine prints the image it stands for.
    starting_from: str | None = None
    stages: dict[str, str] = field(default_factory=dict)


@contextlib.contextmanager
def _docker_errors(action: str) -> Iterator[None]:
    """The one place docker SDK / transport exceptions become DockerError."""
    try:
        yield
    except docker.errors.APIError as exc:
        detail = exc.explanation if isinstance(exc.explanation, str) else str(exc)
        raise DockerError(f"{action} failed: {detail}", status=exc.status_code, detail=detail) from exc
    except (docker.errors.DockerException, OSError) as exc:
        raise DockerError(f"{action} failed: {exc}", detail=str(exc)) from exc


class DockerBuilder:
    """Builds images with resource limits and a wall-clock limit; runs untrusted code in the sandbox."""

    def __init__(self, settings: BuildSettings, client: docker.DockerClient | None = None) -> None:
        self._settings = settings
        self._client = client
        self._owns_client = client is None
        self._cpu_count: int | None = None

    async def _docker(self) -> docker.DockerClient:
        if self._client is None:
            host = self._settings.docker_host
            with _docker_errors("connecting to the Docker Engine"):
                self._client = await anyio.to_thread.run_sync(
                    lambda: docker.DockerClient(base_url=host) if host else docker.from_env()
                )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None and self._owns_client:
            await anyio.to_thread.run_sync(self._client.close)
            self._client = None

    async def _container_limits(self, client: docker.DockerClient) -> dict[str, Any]:
        sandbox = self._settings.sandbox
        if self._cpu_count is None:
            with _docker_errors("reading engine info"):
                info = await anyio.to_thread.run_sync(client.info)
            self._cpu_count = max(1, int(info.get("NCPU", 1)))
        cpus = min(self._cpu_count, max(1, math.ceil(sandbox.cpus)))
        memory = sandbox.memory_mb * 1024 * 1024
        return {
            "memory": memory,
            # Equal to memory: no swap, so the memory limit is a hard limit.
            "memswap": memory,
            "cpushares": _BUILD_CPU_SHARES,
            "cpusetcpus": f"0-{cpus - 1}",
        }

    async def build(
        self,
        context: Path,
        dockerfile_text: str,
        tag: str,
        *,
        upload_id: str,
        dockerignore: str = "",
        files: Mapping[str, str] | None = None,
        on_log: Callable[[str], None] | None = None,
        cancel: anyio.Event | None = None,
        no_cache: bool = False,
    ) -> BuiltImage:
        """Build ``context`` with ``dockerfile_text`` (and its generated helper ``files``) as ``tag``.

        Raises StageFailed (stage ``build``) when the Dockerfile fails, times out or is cancelled,
        with the last log lines in the message; DockerError when the engine itself fails.
        """
        client = await self._docker()
        built = await self._stream_build(
            client,
            context,
            dockerfile_text,
            tag,
            upload_id=upload_id,
            dockerignore=dockerignore,
            files=files,
            on_log=on_log,
            cancel=cancel,
            no_cache=no_cache,
        )
        with _docker_errors("inspecting the built image"):
            attrs = await anyio.to_thread.run_sync(client.api.inspect_image, built.image_id)
        return BuiltImage(
            image_id=built.image_id,
            tag=tag,
            size=int(attrs.get("Size", 0)),
            run_digest=run_digest(attrs),
            stages=dict(built.stages),
        )

    async def _stream_build(
        self,
        client: docker.DockerClient,
        context: Path,
        dockerfile_text: str,
        tag: str,
        *,
        upload_id: str,
        dockerignore: str,
        files: Mapping[str, str] | None,
        on_log: Callable[[str], None] | None,
        cancel: anyio.Event | None,
        no_cache: bool = False,
    ) -> _Built:
        """Run the build and follow its stream; raises as ``build`` does."""
        limits = await self._container_limits(client)
        archive = await anyio.to_thread.run_sync(
            context_archive, context, dockerfile_text, dockerignore, files
        )
        timeout = self._settings.sandbox.timeout_seconds
        state = _BuildState()
        send, receive = anyio.create_memory_object_stream[dict[str, Any]](math.inf)
        started = time.monotonic()
        logger.info(
            "docker build %s",
            tag,
            extra={"stage": "build", "upload_id": upload_id, "tag": tag, "timeout": timeout},
        )

        def stream() -> None:
            for chunk in client.api.build(
                fileobj=archive,
                custom_context=True,
                dockerfile=DOCKERFILE_NAME,
                tag=tag,
                rm=True,
                forcerm=True,
                pull=False,
                nocache=no_cache,
                decode=True,
                container_limits=limits,
                labels={UPLOAD_LABEL: upload_id},
                use_config_proxy=False,
            ):
                anyio.from_thread.run_sync(send.send_nowait, chunk)

        async def pump() -> None:
            try:
                with _docker_errors("docker build"):
                    await anyio.to_thread.run_sync(stream, abandon_on_cancel=True)
            except DockerError as exc:
                state.failure = exc
            finally:
                send.close()
                archive.close()

        async def watch() -> None:
            with anyio.move_on_after(timeout) as deadline:
                await (cancel.wait() if cancel is not None else anyio.sleep_forever())
            state.stop_reason = f"timed out after {timeout} s" if deadline.cancelled_caught else "cancelled"
            # Killing the step's container fails the step and ends the stream; repeat in case the
            # next step had already started.
            while True:
                await self._kill_step(client, state)
                await anyio.sleep(1)

        try:
            async with anyio.create_task_group() as group:
                group.start_soon(pump)
                group.start_soon(watch)
                async with receive:
                    async for chunk in receive:
                        _consume(chunk, state, on_log)
                group.cancel_scope.cancel()
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                await self._kill_step(client, state)
            raise
        return _outcome(state, time.monotonic() - started)

    async def type_check(
        self,
        context: Path,
        check: TypeCheck,
        built: BuiltImage,
        *,
        upload_id: str,
        on_log: Callable[[str], None] | None = None,
        cancel: anyio.Event | None = None,
    ) -> None:
        """Run ``check`` on the image its stage of ``built`` ended as: a build of its own (limits,
        timeout and cancel as for ``build``), whose image is removed afterwards.

        Raises StageFailed (stage ``build``) saying the type check failed, with its first error lines.
        """
        image = built.stages.get(check.stage)
        if image is None:
            raise StageFailed(
                "build", f"the build named no image for its {check.stage!r} stage to type-check"
            )
        tag = f"{_TYPE_CHECK_REPOSITORY}:{secrets.token_hex(8)}"
        client = await self._docker()
        try:
            # Only its outcome counts: the image is not inspected, and is removed below.
            await self._stream_build(
                client,
                context,
                type_check_dockerfile(check, image),
                tag,
                upload_id=upload_id,
                # Nothing of the context is needed: the stage's image holds the sources.
                dockerignore="**",
                files=None,
                on_log=on_log,
                cancel=cancel,
            )
        except StageFailed as exc:
            reason = exc.message.removeprefix("build: ")
            raise StageFailed("build", f"the type check failed: {reason}", details=exc.details) from exc
        finally:
            with anyio.CancelScope(shield=True):
                try:
                    await self.remove_image(tag, upload_id=upload_id)
                except DockerError as exc:
                    # Left for `justpush gc` (it carries the upload's label); the check's answer stands.
                    logger.warning(
                        "could not remove %s: %s",
                        tag,
                        exc.message,
                        extra={"stage": "build", "upload_id": upload_id},
                    )

    async def _kill_step(self, client: docker.DockerClient, state: _BuildState) -> None:
        container_id = state.container_id
        if container_id is None:
            return
        with contextlib.suppress(docker.errors.APIError, OSError):
            await anyio.to_thread.run_sync(client.api.kill, container_id)

    async def run_sandboxed(
        self,
        image: str,
        command: Sequence[str] | None = None,
        *,
        upload_id: str,
        timeout: float | None = None,
        wait_for_exit: bool = True,
        environment: Mapping[str, str] | None = None,
        writable_dirs: Sequence[str] = (),
        seeded_dirs: Sequence[str] = (),
        writable_root: bool = False,
        read_listening: bool = False,
        patience: float = 0.0,
    ) -> SandboxRun:
        """Run ``image`` (default CMD when ``command`` is None) with no network, a read-only root,
        no capabilities, memory/pids/CPU limits and the configured sandbox runtime (gVisor).

        ``writable_dirs`` get an empty filesystem each; ``seeded_dirs`` a writable copy of what the
        image holds there, as the pod's emptyDirs and seeded app folder. With ``wait_for_exit=False``
        a container still running at ``timeout`` is a success (``exit_code`` None, ``timed_out``
        False): that is how a server's start-up is checked. With ``read_listening``, such a run's
        listening sockets are read before it is stopped; one that listens on nothing yet gets up to
        ``patience`` seconds more to listen, or to exit.
        """
        client = await self._docker()
        sandbox = self._settings.sandbox
        limit = float(timeout if timeout is not None else sandbox.timeout_seconds)
        options: dict[str, Any] = {
            "network_mode": "none",
            "mem_limit": sandbox.memory_mb * 1024 * 1024,
            "memswap_limit": sandbox.memory_mb * 1024 * 1024,
            "pids_limit": sandbox.pids_limit,
            "nano_cpus": int(sandbox.cpus * 1e9),
            # As in the pod: a read-only root with empty writable folders (the pod's emptyDirs).
            "read_only": not writable_root,
            "tmpfs": {**{path: _SANDBOX_TMPFS_OPTIONS for path in writable_dirs}, **_SANDBOX_TMPFS},
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "privileged": False,
            "labels": {UPLOAD_LABEL: upload_id},
            "detach": True,
            # The deployment's own variables: an app that needs one must not fail the check for lack of it.
            "environment": dict(environment or {}),
        }
        if sandbox.runtime:
            options["runtime"] = sandbox.runtime
        logger.info(
            "sandboxed run of %s",
            image,
            extra={"stage": "verify", "upload_id": upload_id, "runtime": sandbox.runtime or "default"},
        )
        volumes: list[Any] = []
        try:
            for path in seeded_dirs:
                # The copy gets the sandbox's whole time limit, not the app's start-up grace.
                volume = await self._seeded_volume(
                    client, image, path, options, float(sandbox.timeout_seconds)
                )
                volumes.append(volume)
                options.setdefault("volumes", {})[volume.name] = {"bind": path, "mode": "rw"}
            return await self._run_container(
                client,
                image,
                command,
                options,
                limit,
                wait_for_exit=wait_for_exit,
                read_listening=read_listening,
                patience=patience,
            )
        finally:
            for volume in volumes:
                with (
                    anyio.CancelScope(shield=True),
                    contextlib.suppress(docker.errors.APIError, OSError),
                ):
                    await anyio.to_thread.run_sync(functools.partial(volume.remove, force=True))

    async def _seeded_volume(
        self, client: Any, image: str, path: str, options: Mapping[str, Any], limit: float
    ) -> Any:
        """A volume holding a writable copy of what ``image`` has at ``path``. As the pod's init
        container seeds its emptyDir, the image's own `cp` copies it, in the sandbox; the copy is then
        opened to every user, the app's included (the copies belong to the seeding root user)."""
        with _docker_errors("sandboxed run"):
            volume = await anyio.to_thread.run_sync(
                lambda: client.volumes.create(labels=dict(options["labels"]))
            )
        seed = {
            **options,
            "user": "0",
            "environment": {},
            "volumes": {volume.name: {"bind": _SEED_MOUNT, "mode": "rw"}},
        }
        copy = f'cp -R "$1/." {_SEED_MOUNT}/ && chmod -R a+rwX {_SEED_MOUNT}'
        try:
            run = await self._run_container(client, image, ["sh", "-c", copy, "seed", path], seed, limit)
        except BaseException:
            with anyio.CancelScope(shield=True), contextlib.suppress(docker.errors.APIError, OSError):
                await anyio.to_thread.run_sync(functools.partial(volume.remove, force=True))
            raise
        if run.exit_code != 0:
            with contextlib.suppress(docker.errors.APIError, OSError):
                await anyio.to_thread.run_sync(functools.partial(volume.remove, force=True))
            tail = "\n".join(run.output.splitlines()[-_LOG_TAIL:])
            raise StageFailed(
                "verify",
                f"could not copy {path} into a writable folder, as the pod's init container does, with "
                f"the image's own cp\n{tail}",
                details={"path": path, "exit_code": run.exit_code},
            )
        return volume

    async def _run_container(
        self,
        client: Any,
        image: str,
        command: Sequence[str] | None,
        options: Mapping[str, Any],
        limit: float,
        *,
        wait_for_exit: bool = True,
        read_listening: bool = False,
        patience: float = 0.0,
    ) -> SandboxRun:
        with _docker_errors("sandboxed run"):
            container = await anyio.to_thread.run_sync(
                lambda: client.containers.create(image, list(command) if command else None, **options)
            )
        try:
            with _docker_errors("sandboxed run"):
                await anyio.to_thread.run_sync(container.start)
                exit_code: int | None = None
                timed_out = False
                listening: tuple[ListeningSocket, ...] | None = None
                with anyio.move_on_after(limit):
                    while True:
                        await anyio.to_thread.run_sync(container.reload)
                        if container.status not in ("created", "running"):
                            exit_code = int(container.attrs["State"]["ExitCode"])
                            break
                        await anyio.sleep(0.25)
                if exit_code is None and read_listening:
                    listening = await self._listening(container)
                    # Still loading (nothing listens yet): wait for it to listen or to fail.
                    with anyio.move_on_after(patience if listening == () else 0):
                        while listening == ():
                            await anyio.sleep(0.5)
                            await anyio.to_thread.run_sync(container.reload)
                            if container.status not in ("created", "running"):
                                exit_code = int(container.attrs["State"]["ExitCode"])
                                break
                            listening = await self._listening(container)
                if exit_code is None:
                    killed = True
                    try:
                        await anyio.to_thread.run_sync(lambda: container.kill())
                    except docker.errors.APIError as exc:
                        if exc.status_code != 409:
                            raise
                        killed = False  # 409: it exited on its own between the last look and the kill
                    await anyio.to_thread.run_sync(container.reload)
                    if killed:
                        timed_out = wait_for_exit
                    else:
                        exit_code = int(container.attrs["State"]["ExitCode"])
                oom = bool(container.attrs["State"].get("OOMKilled", False))
                raw = await anyio.to_thread.run_sync(lambda: container.logs(stdout=True, stderr=True))
        finally:
            with (
                anyio.CancelScope(shield=True),
                contextlib.suppress(docker.errors.APIError, OSError),
            ):
                await anyio.to_thread.run_sync(lambda: container.remove(force=True))
        return SandboxRun(
            exit_code=exit_code,
            output=raw.decode("utf-8", errors="replace"),
            timed_out=timed_out,
            oom_killed=oom,
            listening=listening,
        )

    @staticmethod
    async def _listening(container: Any) -> tuple[ListeningSocket, ...] | None:
        """The container's listening sockets, read with the image's own `cat` (an image without one,
        e.g. distroless, says nothing)."""
        command = ["cat", "/proc/net/tcp", "/proc/net/tcp6"]
        try:
            result = await anyio.to_thread.run_sync(lambda: container.exec_run(command, stderr=False))
        except (docker.errors.APIError, OSError):
            return None
        text = result.output.decode("utf-8", errors="replace")
        # One table may be missing (a kernel without IPv6): the other still answers.
        return listening_sockets(text) if "local_address" in text else None

    async def verify(
        self,
        image: str,
        *,
        upload_id: str,
        grace_seconds: float = 5.0,
        environment: Mapping[str, str] | None = None,
        writable_dirs: Sequence[str] = (),
        seeded_dirs: Sequence[str] = (),
        writable_root: bool = False,
        port: int | None = None,
        follow_port: bool = False,
    ) -> SandboxRun:
        """Start the image's own CMD in the sandbox; it must keep running (or exit 0) for
        ``grace_seconds`` (listening on nothing yet, until it listens or exits, at most
        _LISTEN_PATIENCE_SECONDS more) and, given the ``port`` traffic will be sent to, listen there on
        an address other pods reach. Raises StageFailed (stage ``verify``) with its output otherwise.

        With ``follow_port``, an app that serves on exactly one other reachable port passes: the caller
        sends traffic there instead (``SandboxRun.served_port``)."""
        run = await self.run_sandboxed(
            image,
            upload_id=upload_id,
            timeout=grace_seconds,
            wait_for_exit=False,
            environment=environment,
            writable_dirs=writable_dirs,
            seeded_dirs=seeded_dirs,
            writable_root=writable_root,
            read_listening=port is not None,
            patience=_LISTEN_PATIENCE_SECONDS,
        )
        if run.exit_code not in (None, 0):
            tail = "\n".join(run.output.splitlines()[-_LOG_TAIL:])
            reason = "was killed for exceeding its memory limit" if run.oom_killed else "exited"
            hint = write_hint(run.output, writable_dirs) if not writable_root else ""
            raise StageFailed(
                "verify",
                f"the app {reason} with code {run.exit_code} in the sandbox{hint}\n{tail}",
                details={"exit_code": run.exit_code, "oom_killed": run.oom_killed},
            )
        if port is None or not run.listening:
            return run
        problem = port_problem(port, run.listening)
        if problem is None or (follow_port and run.served_port(port) is not None):
            return run
        # Caught here, a wrong port fails in seconds instead of a rollout that never becomes ready.
        raise StageFailed("verify", problem, details={"port": port, "listening": repr(run.listening)})

    async def unavailable_images(self, images: Sequence[str]) -> dict[str, str]:
        """The images among `images` the engine has not got and cannot pull, with the engine's reason:
        the base images of an upload's own Dockerfile, checked before its build is started."""
        client = await self._docker()
        limit = self._settings.sandbox.timeout_seconds
        missing: dict[str, str] = {}
        with _docker_errors("checking the Dockerfile's base images"):
            for image in images:
                try:
                    await anyio.to_thread.run_sync(functools.partial(client.api.inspect_image, image))
                    continue
                except docker.errors.ImageNotFound:
                    pass
                try:
                    # The build would pull it anyway (its builder pulls what is missing): no time is lost.
                    with anyio.fail_after(limit):
                        await anyio.to_thread.run_sync(functools.partial(client.api.pull, image))
                except docker.errors.APIError as exc:
                    missing[image] = str(exc.explanation or exc)
                except TimeoutError:
                    missing[image] = f"no answer from its registry within {limit} s"
        return missing

    async def local_images(self) -> list[LocalImage]:
        """Every image in the engine built by JustPush (whatever version), by its upload label."""
        client = await self._docker()
        with _docker_errors("listing images"):
            found = await anyio.to_thread.run_sync(lambda: client.api.images(filters={"label": UPLOAD_LABEL}))
        return [
            LocalImage(
                image_id=str(image["Id"]),
                upload_id=str((image.get("Labels") or {}).get(UPLOAD_LABEL, "")),
                tags=tuple(sorted(t for t in image.get("RepoTags") or () if t != "<none>:<none>")),
                size=int(image.get("Size") or 0),
            )
            for image in found
        ]

    async def remove_leftovers(self, *, upload_id: str) -> int:
        """Remove the upload's containers and volumes left by a worker killed mid-run (a sandboxed start
        check keeps its image in use, so the image would outlive its tag, and may hold a seeded volume);
        how many were removed."""
        client = await self._docker()
        wanted = {"label": f"{UPLOAD_LABEL}={upload_id}"}
        with _docker_errors("removing leftover containers"):
            found = await anyio.to_thread.run_sync(lambda: client.api.containers(all=True, filters=wanted))
            for container in found:
                logger.info(
                    "docker rm %s", container["Id"][:12], extra={"stage": "build", "upload_id": upload_id}
                )
                with contextlib.suppress(docker.errors.NotFound):
                    await anyio.to_thread.run_sync(
                        functools.partial(client.api.remove_container, container["Id"], force=True)
                    )
        with _docker_errors("removing leftover volumes"):
            # Only once their containers are gone: a volume in use cannot be removed.
            listed = await anyio.to_thread.run_sync(lambda: client.api.volumes(filters=wanted))
            volumes = (listed or {}).get("Volumes") or []
            for volume in volumes:
                logger.info(
                    "docker volume rm %s",
                    volume["Name"][:12],
                    extra={"stage": "build", "upload_id": upload_id},
                )
                with contextlib.suppress(docker.errors.NotFound):
                    await anyio.to_thread.run_sync(
                        functools.partial(client.api.remove_volume, volume["Name"], force=True)
                    )
        return len(found) + len(volumes)

    async def remove_image(self, reference: str, *, upload_id: str, keep_layers: bool = False) -> None:
        """Remove a local image; a missing one is not an error.

        `keep_layers` keeps the untagged images under it: they are the builder's cache of the steps
        that made it, so a later build of the same files reuses those layers (and so runs the same
        image, see `run_digest`) instead of writing new ones with new timestamps.
        """
        client = await self._docker()
        logger.info("docker rmi %s", reference, extra={"stage": "build", "upload_id": upload_id})
        with _docker_errors("removing an image"), contextlib.suppress(docker.errors.ImageNotFound):
            await anyio.to_thread.run_sync(
                lambda: client.api.remove_image(reference, force=True, noprune=keep_layers)
            )


def _consume(chunk: dict[str, Any], state: _BuildState, on_log: Callable[[str], None] | None) -> None:
    """Fold one decoded build-stream message into the state and pass its lines to ``on_log``."""
    if "error" in chunk:
        detail = chunk.get("errorDetail") or {}
        state.error = "\n".join(plain_lines(str(detail.get("message") or chunk["error"])))
        lines = [state.error]
    elif "aux" in chunk and isinstance(chunk["aux"], dict) and "ID" in chunk["aux"]:
        state.image_id = str(chunk["aux"]["ID"])
        return
    else:
        text = str(chunk.get("stream") or chunk.get("status") or "")
        lines = plain_lines(text)
    for line in lines:
        _note_stage(line, state)
        match = _RUNNING_IN.search(line)
        if match:
            state.container_id = match.group(1)
        elif line.startswith(" ---> ") or line.startswith("Step "):
            # A finished step's container is gone; only a running one can be killed.
            state.container_id = None
        state.tail.append(line)
        state.step.add(line)
        if on_log is not None:
            on_log(line)


def _note_stage(line: str, state: _BuildState) -> None:
    """Keep the image a `FROM <stage>` step starts from: the legacy builder prints it on the next line."""
    if line.startswith("Step "):
        match = _FROM_STEP.match(line)
        state.starting_from = match.group(1).lower() if match else None
        return
    image = line.removeprefix(" ---> ")
    if state.starting_from is not None and image != line and _IMAGE_ID.fullmatch(image.strip()):
        state.stages[state.starting_from] = image.strip()
    state.starting_from = None


@dataclass(frozen=True)
class _Built:
    """What a build's stream ended with: its image and the image each stage started from."""

    image_id: str
    stages: Mapping[str, str]


def _outcome(state: _BuildState, elapsed: float) -> _Built:
    """The built image, or the build's failure raised: StageFailed (stage ``build``) with the last
    log lines when the Dockerfile failed, timed out or was cancelled; the engine's DockerError."""
    details = {
        "log_tail": list(state.tail),
        "seconds": round(elapsed, 1),
        "failed_step": state.step.step,
        "first_errors": first_errors(state.step.lines),
    }
    if state.stop_reason is not None:
        reason = f"build {state.stop_reason}"
        raise StageFailed("build", failure_message(reason, state.step, state.tail), details=details)
    if state.failure is not None:
        raise state.failure
    if state.error is not None or state.image_id is None:
        error = state.error or "the engine reported no image"
        raise StageFailed("build", failure_message(error, state.step, state.tail), details=details)
    return _Built(state.image_id, dict(state.stages))
