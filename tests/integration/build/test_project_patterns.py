"""Patterns of real repositories, each a fixture app analysed, built from the generated Dockerfile on
testenv and asked what it runs: the runtime version the project asks for (built on testenv's second
Python / Node lines, python@3.13 and node@20), a start script that needs dev tools at run time, and an
install hook that would fail the dependency install, and dependencies that compile native code (a
Python driver, a Node addon)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import anyio
import docker
import httpx
import pytest

from justpush.analysis import AnalysisOptions, analyze
from justpush.build import DockerBuilder, DockerfileOptions, choose_runtime, prepare_dockerfile
from justpush.config import BuildSettings
from justpush.errors import StageFailed

pytestmark = pytest.mark.integration

APPS = Path(__file__).resolve().parents[2] / "fixtures" / "build-apps"


@pytest.mark.parametrize(
    ("name", "port", "field", "expected", "version"),
    [
        ("node-nvmrc", 3000, "node", "v20.", "20"),
        ("python-requires-python", 8000, "python", "3.13.", "3.13"),
        # `ts-node src/main.ts`: compiled in the build stage, started as node dist/main.js.
        ("node-ts-node-start", 3000, "compiled", True, "18"),
        # No start script: start:prod's `node dist/index.js`, after the tsc build (main names a missing .ts).
        ("node-ts-start-prod", 3000, "compiled", True, "18"),
        # isolatedModules: emitted file by file (the type check is left to a step beside the push);
        # node-ts-node-start and node-ts-start-prod are emitted from the project's own files.
        ("node-ts-isolated", 3000, "compiled", True, "18"),
        # `nodemon --exec babel-node src/index.js` on ES module syntax: compiled once by the project's Babel.
        ("node-babel-node", 3000, "compiled", True, "18"),
        # Babel's transform-runtime helpers from a development dependency: the image keeps every dependency.
        ("node-babel-runtime", 3000, "local", True, "18"),
        # A package-lock.json older than package.json: `npm ci` refuses it, `npm install` installs.
        ("node-stale-lockfile", 3000, "installed", True, "18"),
        # `prepare: husky install` with husky only in devDependencies: install scripts are skipped.
        ("node-husky-prepare", 3000, "installed", True, "18"),
        # A start script with shell syntax runs through the launcher generated into .justpush/.
        ("node-start-script", 3000, "greeting", "from-script/start", "18"),
        # psycopg2 compiles against libpq in the build stage and loads libpq5 at run time.
        ("python-psycopg2", 8000, "loaded", True, "3.11"),
        # bcrypt without a reachable prebuilt binary compiles with node-gyp in the dependency stage.
        ("node-native-addon", 3000, "loaded", True, "18"),
    ],
)
def test_fixture_app_runs_as_its_project_asks(
    name: str,
    port: int,
    field: str,
    expected: str | bool,
    version: str,
    build_settings: BuildSettings,
    docker_client: docker.DockerClient,
) -> None:
    profile = analyze(APPS / name, AnalysisOptions()).profile
    options = DockerfileOptions(
        base_images=build_settings.base_images, runtimes=build_settings.runtimes, upload_id="it-runtime"
    )
    runtime = choose_runtime(profile, options)
    assert runtime is not None and runtime.version == version
    generated = prepare_dockerfile(APPS / name, profile, options)
    tag = f"justpush-test/{name}:it"

    async def build() -> None:
        builder = DockerBuilder(build_settings)
        try:
            await builder.build(
                APPS / name,
                generated.dockerfile,
                tag,
                upload_id="it-runtime",
                dockerignore=generated.dockerignore,
                files=generated.files,
            )
        finally:
            await builder.aclose()

    anyio.run(build)
    container = docker_client.containers.run(tag, detach=True, ports={f"{port}/tcp": ("127.0.0.1", None)})
    try:
        container.reload()
        host_port = container.attrs["NetworkSettings"]["Ports"][f"{port}/tcp"][0]["HostPort"]
        deadline, answer = time.monotonic() + 60, None
        while answer is None and time.monotonic() < deadline:
            try:
                answer = httpx.get(f"http://127.0.0.1:{host_port}/", timeout=2).json()
            except httpx.HTTPError:
                time.sleep(0.5)
        assert answer is not None, container.logs().decode()
        assert answer["app"] == name
        if isinstance(expected, str):
            assert answer[field].startswith(expected)
        else:
            assert answer[field] is expected
    finally:
        container.remove(force=True)
        docker_client.images.remove(tag, force=True)


def test_a_type_error_in_the_sources_still_fails_a_build_that_skips_the_lib_check(
    build_settings: BuildSettings, tmp_path: Path
) -> None:
    app = tmp_path / "app"
    shutil.copytree(APPS / "node-ts-node-start", app)
    main = app / "src" / "main.ts"
    main.write_text(
        main.read_text(encoding="utf-8") + "\nconst wrong: number = 'not a number';\nconsole.log(wrong);\n",
        encoding="utf-8",
    )
    # Decorator metadata, which only the whole program can emit: tsc builds it (the helper, which leaves
    # the type check to a step beside the push, is tested in test_typescript_fast_emit.py).
    tsconfig = app / "tsconfig.json"
    tsconfig.write_text(
        tsconfig.read_text(encoding="utf-8").replace(
            '"strict": true,',
            '"strict": true, "experimentalDecorators": true, "emitDecoratorMetadata": true,',
        ),
        encoding="utf-8",
    )
    profile = analyze(app, AnalysisOptions()).profile
    options = DockerfileOptions(
        base_images=build_settings.base_images, runtimes=build_settings.runtimes, upload_id="it-type-error"
    )
    generated = prepare_dockerfile(app, profile, options)
    assert "RUN ./node_modules/.bin/tsc --skipLibCheck && rm -rf node_modules" in generated.dockerfile

    async def build() -> None:
        builder = DockerBuilder(build_settings)
        try:
            await builder.build(
                app,
                generated.dockerfile,
                "justpush-test/node-ts-type-error:it",
                upload_id="it-type-error",
                dockerignore=generated.dockerignore,
                files=generated.files,
            )
        finally:
            await builder.aclose()

    with pytest.raises(StageFailed) as failed:
        anyio.run(build)
    assert "TS2322" in str(failed.value), failed.value.details
    assert "src/main.ts" in str(failed.value)
