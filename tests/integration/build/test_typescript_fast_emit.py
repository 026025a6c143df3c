"""TypeScript projects built on testenv by helpers/transpile.cjs: with isolatedModules one file at a
time, without it through tsc's emitter over the project's own files. Either writes byte for byte what
tsc writes, leaves to tsc what it cannot reproduce (naming why), and the type check the build left out
fails on a type error the build itself let through (and is not run again when tsc built the project);
without isolatedModules it also fails when the emit is not tsc's."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import anyio
import docker
import pytest
import yaml
from typer.testing import CliRunner

from justpush.analysis import AnalysisOptions, analyze
from justpush.build import UPLOAD_LABEL, DockerBuilder, DockerfileOptions, prepare_dockerfile
from justpush.build._dockerfile import helper_source
from justpush.cli import app as cli
from justpush.config import BuildSettings, Settings
from justpush.errors import StageFailed
from tests.integration.support import local_images

pytestmark = pytest.mark.integration

APP = Path(__file__).resolve().parents[2] / "fixtures" / "build-apps" / "node-ts-isolated"
PLAIN = APP.with_name("node-ts-plain")

# The project with its dependencies; each RUN after it fails the build when what it checks does not hold.
_INSTALLED = """\
FROM {node}
WORKDIR /app
COPY package.json ./
RUN npm install --no-audit --no-fund --ignore-scripts
COPY . .
"""

_COMPARE = (
    _INSTALLED
    + """\
RUN node .justpush/transpile.cjs && mv dist /tmp/per-file && ./node_modules/.bin/tsc \\
 && diff -r /tmp/per-file dist && test -f dist/lib/counted.js.map
RUN rm -rf dist && node .justpush/transpile.cjs -p tsconfig.plain.json | tee /tmp/out \\
 && grep -q "emitted 3 file(s) from the project's own files" /tmp/out && mv dist /tmp/program \\
 && ./node_modules/.bin/tsc -p tsconfig.plain.json && diff -r /tmp/program dist
RUN rm -rf dist && node .justpush/transpile.cjs --check && test ! -e dist \\
 && node .justpush/transpile.cjs --check -p tsconfig.plain.json && test ! -e dist \\
 && node .justpush/transpile.cjs --check -p tsconfig.partial.json | tee /tmp/out \\
 && grep -q "tsc type-checked the project as it built it (src/routes/items.ts is imported" /tmp/out
RUN rm -rf dist && sed -i 's/"private": true,/"private": true, "type": "module",/' package.json \\
 && node .justpush/transpile.cjs -p tsconfig.partial.json | tee /tmp/out \\
 && grep -q "src/routes/items.ts is imported but not among the tsconfig's files" /tmp/out \\
 && test -f dist/routes/items.js
"""
)


# Without isolatedModules: tsc's JavaScript from the project's files alone (a const enum of another
# file inlined, its re-export dropped, an imported JSON file the tsconfig does not list copied), each
# name that resolves into a package's declarations in a way the JavaScript depends on left to tsc, and
# an emit that differs from tsc's after all (a generated name that a package's global takes) failing
# the check; tsc found where a workspace hoists it.
_PROGRAM = (
    _INSTALLED
    + """\
RUN node .justpush/transpile.cjs | tee /tmp/out \\
 && grep -q "emitted 6 file(s) from the project's own files" /tmp/out \\
 && test -f dist/defaults.json && mv dist /tmp/program && ./node_modules/.bin/tsc \\
 && diff -r /tmp/program dist && grep -q "level: 2 /\\* Level.High \\*/" dist/server.js \\
 && ! grep -q Level dist/model/index.js \\
 && rm -rf dist && node .justpush/transpile.cjs --check && test ! -e dist
RUN node .justpush/transpile.cjs -p tsconfig.reexport.json | tee /tmp/out \\
 && grep -q "running tsc, hazards/reexport.ts:2 re-exports from node:http, outside its files" /tmp/out \\
 && test -f dist/hazards/reexport.js && rm -rf dist
RUN node .justpush/transpile.cjs -p tsconfig.alias.json | tee /tmp/out \\
 && grep -q "running tsc, hazards/alias.ts:4 re-exports IncomingMessage from outside its files" /tmp/out \\
 && rm -rf dist
RUN node .justpush/transpile.cjs -p tsconfig.enum.json | tee /tmp/out \\
 && grep -q "running tsc, hazards/enum.ts:5 sets an enum member from EOL, outside its files" /tmp/out \\
 && rm -rf dist
RUN mkdir node_modules/@types/fixture && cd node_modules/@types/fixture \\
 && echo '{{"name": "@types/fixture", "version": "1.0.0", "types": "index.d.ts"}}' > package.json \\
 && echo 'declare const enum Priority {{ Urgent = 1 }}' > index.d.ts && cd /app \\
 && node .justpush/transpile.cjs -p tsconfig.priority.json | tee /tmp/out \\
 && grep -q "running tsc, hazards/priority.ts:2 names Priority, a const enum of a package" /tmp/out \\
 && rm -rf dist
RUN echo 'declare var node_http_1: number;' > node_modules/@types/fixture/index.d.ts \\
 && node .justpush/transpile.cjs | tee /tmp/out && grep -q "from the project's own files" /tmp/out \\
 && ! node .justpush/transpile.cjs --check 2> /tmp/err && cat /tmp/err \\
 && grep -q "the build wrote dist/server.js unlike tsc (first at line 6)" /tmp/err
RUN rm -rf dist node_modules/@types/fixture && mv node_modules / \\
 && node .justpush/transpile.cjs -p tsconfig.reexport.json && test -f dist/hazards/reexport.js
"""
)


def _build(settings: BuildSettings, app: Path, dockerfile: str, tag: str, **kwargs: object) -> list[str]:
    """The build's log. Without the cache: the steps' own output is what the tests read, and a layer
    left by an interrupted earlier run would hide it."""
    lines: list[str] = []

    async def build() -> None:
        builder = DockerBuilder(settings)
        try:
            await builder.build(  # type: ignore[arg-type]
                app, dockerfile, tag, upload_id="it-per-file", on_log=lines.append, no_cache=True, **kwargs
            )
        finally:
            await builder.remove_image(tag, upload_id="it-per-file")
            await builder.aclose()

    anyio.run(build)
    return lines


def test_the_per_file_emit_writes_what_tsc_writes(build_settings: BuildSettings) -> None:
    dockerfile = _COMPARE.format(node=build_settings.base_images["node"].format(version="18"))
    files = {".justpush/transpile.cjs": helper_source("transpile.cjs")}
    lines = _build(build_settings, APP, dockerfile, "justpush-test/per-file-compare:it", files=files)
    assert any("emitted 3 file(s) one by one" in line for line in lines), lines


def test_without_isolated_modules_the_emit_is_tscs_from_the_projects_own_files(
    build_settings: BuildSettings,
) -> None:
    dockerfile = _PROGRAM.format(node=build_settings.base_images["node"].format(version="20"))
    files = {".justpush/transpile.cjs": helper_source("transpile.cjs")}
    lines = _build(build_settings, PLAIN, dockerfile, "justpush-test/program-emit:it", files=files)
    assert any("running tsc, hazards/enum.ts" in line for line in lines), lines


def test_a_type_error_passes_the_build_and_fails_its_type_check(
    build_settings: BuildSettings, tmp_path: Path
) -> None:
    app = tmp_path / "app"
    shutil.copytree(APP, app)
    items = app / "src" / "routes" / "items.ts"
    items.write_text(items.read_text(encoding="utf-8") + "\nexport const wrong: number = 'text';\n")
    profile = analyze(app, AnalysisOptions()).profile
    options = DockerfileOptions(
        base_images=build_settings.base_images, runtimes=build_settings.runtimes, upload_id="it-per-file"
    )
    prepared = prepare_dockerfile(app, profile, options)
    assert prepared.type_check is not None

    async def build_and_check() -> None:
        builder = DockerBuilder(build_settings)
        tag = "justpush-test/per-file-type-error:it"
        try:
            built = await builder.build(
                app,
                prepared.dockerfile,
                tag,
                upload_id="it-per-file",
                dockerignore=prepared.dockerignore,
                files=prepared.files,
            )
            assert prepared.type_check is not None
            await builder.type_check(app, prepared.type_check, built, upload_id="it-per-file")
        finally:
            await builder.remove_image(tag, upload_id="it-per-file")
            await builder.aclose()

    with pytest.raises(StageFailed) as failed:
        anyio.run(build_and_check)
    assert "src/routes/items.ts" in str(failed.value) and "TS2322" in str(failed.value), failed.value.details
    message = str(failed.value)
    assert message.startswith("build: the type check failed: ") and "transpile.cjs --check" in message
    # The check's own image is gone, failed or not.
    assert local_images("it-per-file") == []


def test_justpush_build_runs_the_type_check_the_build_left_out(
    build_settings: BuildSettings, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    app = tmp_path / "app"
    shutil.copytree(APP, app)
    items = app / "src" / "routes" / "items.ts"
    items.write_text(items.read_text(encoding="utf-8") + "\nexport const wrong: number = 'text';\n")
    settings = make_settings()
    config = tmp_path / "app-config.yaml"
    build = {"dockerHost": build_settings.docker_host, "baseImages": dict(build_settings.base_images)}
    config.write_text(
        yaml.safe_dump(
            {
                "server": {"dataDir": str(settings.server.data_dir)},
                "database": {"url": settings.database.url},
                "build": build,
            }
        )
    )
    tag = "justpush-test/per-file-cli:it"
    arguments = ["--config", str(config), "build", str(app), "--tag", tag, "--upload-id", "it-per-file-cli"]
    try:
        failed = CliRunner().invoke(cli, arguments)
        # `justpush` (cli.main) prints it and exits with StageFailed's code.
        assert isinstance(failed.exception, StageFailed), failed.output
        assert "the type check failed" in failed.exception.message and "TS2322" in failed.exception.message
        items.write_text(items.read_text(encoding="utf-8").replace("'text'", "1"))
        passed = CliRunner().invoke(cli, arguments)
        assert passed.exit_code == 0, passed.output
        assert "type-checked node .justpush/transpile.cjs --check --skipLibCheck" in passed.output
    finally:
        # The first build's image is untagged by the second one's: removed by id.
        engine = docker.DockerClient(base_url=build_settings.docker_host)
        try:
            for image in engine.api.images(filters={"label": f"{UPLOAD_LABEL}=it-per-file-cli"}):
                engine.api.remove_image(image["Id"], force=True)
        finally:
            engine.close()
    assert local_images("it-per-file-cli") == []
