"""Build benchmarks on testenv: generated Dockerfiles vs what a developer would write by hand.

1. Cold build (no cache) vs rebuild after a one-line source change; target: rebuild <= 15 % of cold.
2. Size of the generated image vs a naive single-stage Dockerfile of the same app; target <= 0.5x.

The apps (``bench/apps/``) have realistic, modest dependency sets; their ProjectProfile comes from
JustPush's own analysis. The naive Dockerfiles are the ones the official image docs show (Python
image docs, the Node.js "Dockerizing a web app" guide) on testenv's language images.

Base images. In production a naive Dockerfile starts from the full official image
(``python:3.11`` / ``node:18``, about 1 GB: Debian with compilers, headers and version control, as
``buildpack-deps``) and the generated one's runtime stage from the ``-slim`` image. testenv has one
image per language, Debian + interpreter + pip/npm: a slim-class image already. So, as its setup, the
bench builds from testenv's own images (Debian packages only) the naive Dockerfile's base:

- ``full``: testenv's language image plus the compilers, headers and tools ``buildpack-deps`` adds
  (a subset of its package list, so if anything smaller than the official image); the size target
  is judged against the naive Dockerfile on it. The ratio against the naive Dockerfile on testenv's
  slim-class image is printed beside it: there the base alone is most of both images;

and the runtime bases a user would configure as ``python-runtime`` / ``node-runtime``:

- ``slim``: testenv's Debian with docs, man pages, locales and apt lists removed (as the official
  ``debian:*-slim`` images are made) plus only ``python3`` / ``nodejs``: what ``python:3.11-slim`` /
  ``node:18-slim`` are, without pip / npm;
- ``distroless``: only the interpreter, its standard library and the shared libraries they load, CA
  certificates and time zones on an empty image, no shell and no package manager: what
  Google's ``distroless/python3-debian12`` / ``nodejs18-debian12`` images are.

Every generated image is started and must answer HTTP as a non-root user, and the last rebuild
must serve the changed line. Needs DOCKER_HOST and JUSTPUSH_TEST_BASE_IMAGES (source testenv's env
file). Run: .venv/bin/python bench/build.py  (about 2-3 minutes; the runtime bases are kept as
``justpush-bench/runtime:*`` so the next run reuses them, the app images are removed).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import docker

from justpush.analysis import ProjectProfile, analyze
from justpush.build import (
    BuiltImage,
    DockerBuilder,
    DockerfileOptions,
    PreparedDockerfile,
    prepare_dockerfile,
)
from justpush.config import BuildSettings, SandboxSettings

APPS = Path(__file__).resolve().parent / "apps"
REBUILD_TARGET = 0.15
SIZE_TARGET = 0.5
REBUILDS = 3


@dataclass(frozen=True)
class Case:
    app: str
    language: str
    # The one-line change: `line` in `source` is replaced by `changed` ({n}: the change's number).
    source: str
    line: str
    changed: str
    naive: str
    # Files written over the app's (a variant of it), and the name its images and report use.
    files: Mapping[str, str] = field(default_factory=dict)
    variant: str = ""

    @property
    def name(self) -> str:
        return f"{self.app}-{self.variant}" if self.variant else self.app


_ISOLATED_TSCONFIG = """\
{
  "compilerOptions": {
    "target": "ES2022",
    "module": "commonjs",
    "rootDir": "src",
    "outDir": "dist",
    "strict": true,
    "esModuleInterop": true,
    "skipLibCheck": true,
    "isolatedModules": true
  },
  "include": ["src"]
}
"""

_TYPESCRIPT = Case(
    app="node-express-ts",
    language="node",
    source="src/server.ts",
    line='app.get("/", (_req, res) => res.json({ app: "bench-node-express-ts" }));',
    changed='app.get("/", (_req, res) => res.json({ app: "bench-node-express-ts", change: {n} }));',
    naive=(
        "FROM {node}\nWORKDIR /usr/src/app\nCOPY package*.json ./\nRUN npm install\n"
        'COPY . .\nRUN npm run build\nEXPOSE 3000\nCMD ["node", "dist/server.js"]\n'
    ),
)

CASES = (
    Case(
        app="python-flask",
        language="python",
        source="app.py",
        line='    return jsonify(app="bench-python-flask")',
        changed='    return jsonify(app="bench-python-flask", change={n})',
        # The official image has no EXTERNALLY-MANAGED marker, so its `pip install` goes into the
        # system; --break-system-packages makes Debian's python3 do the same, nothing more.
        naive=(
            "FROM {python}\nWORKDIR /usr/src/app\nCOPY requirements.txt ./\n"
            "RUN pip install --no-cache-dir --break-system-packages -r requirements.txt\n"
            'COPY . .\nCMD ["gunicorn", "--bind", "0.0.0.0:5000", "app:app"]\n'
        ),
    ),
    Case(
        app="node-express",
        language="node",
        source="server.js",
        line='app.get("/", (_req, res) => res.json({ app: "bench-node-express" }));',
        changed='app.get("/", (_req, res) => res.json({ app: "bench-node-express", change: {n} }));',
        naive=(
            "FROM {node}\nWORKDIR /usr/src/app\nCOPY package*.json ./\nRUN npm install\n"
            'COPY . .\nEXPOSE 3000\nCMD ["node", "server.js"]\n'
        ),
    ),
    _TYPESCRIPT,
    # What `tsc --init` writes since TypeScript 5.9 (isolatedModules): emitted file by file, with the
    # type check left to a step beside the push (timed below, not part of the build).
    dataclasses.replace(_TYPESCRIPT, files={"tsconfig.json": _ISOLATED_TSCONFIG}, variant="isolated"),
)

_SLIM = """\
FROM {debian} AS rootfs
RUN printf '%s\\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \\
      'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' 'path-exclude /usr/share/locale/*' \\
      > /etc/dpkg/dpkg.cfg.d/slim \\
 && apt-get update && apt-get install -y --no-install-recommends {package} \\
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/* \\
 && find /usr/share/doc -mindepth 1 ! -name copyright ! -type d -delete \\
 && rm -rf /usr/share/man/* /usr/share/info/* /usr/share/locale/*
# Removing files in a later layer would not shrink the image: the tree is copied onto scratch.
FROM scratch
COPY --from=rootfs / /
ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["{command}"]
"""

# What `buildpack-deps` adds to Debian under the full official images, less a few large rarities
# (ImageMagick, MySQL, Mercurial, Subversion).
_FULL = """\
FROM {image}
RUN apt-get update && apt-get install -y --no-install-recommends \\
      autoconf automake bzip2 curl dpkg-dev file g++ gcc git libbz2-dev libc6-dev \\
      libcurl4-openssl-dev libffi-dev libgdbm-dev libglib2.0-dev libgmp-dev libjpeg-dev libkrb5-dev \\
      liblzma-dev libncurses-dev libpng-dev libpq-dev libreadline-dev libsqlite3-dev libssl-dev \\
      libtool libxml2-dev libxslt1-dev libyaml-dev make openssh-client patch procps unzip wget \\
      xz-utils zlib1g-dev {extra} \\
 && rm -rf /var/lib/apt/lists/*
"""

NAIVE_BASES = {
    "python": _FULL.replace("{image}", "{python}").replace("{extra}", "python3-dev"),
    "node": _FULL.replace("{image}", "{node}").replace(" {extra}", ""),
}

# `keep` copies a path and, for a symlink, its target; the interpreter's and its extension
# modules' shared libraries come from ldd.
_DISTROLESS = """\
FROM {image} AS rootfs
RUN set -e; mkdir -p /rootfs/tmp /rootfs/usr/bin /rootfs/usr/lib /rootfs/usr/lib64 /rootfs/usr/sbin; \\
    chmod 1777 /rootfs/tmp; \\
    for d in bin lib lib64 sbin; do if [ -L /$d ]; then cp -a /$d /rootfs/; fi; done; \\
    keep() {{ for f in "$@"; do cp -a --parents "$f" /rootfs; r="$(readlink -f "$f")"; \\
      if [ "$r" != "$f" ]; then cp -a --parents "$r" /rootfs; fi; done; }}; \\
    keep {files} /etc/ssl/certs/ca-certificates.crt /usr/share/zoneinfo /etc/passwd /etc/group; \\
    keep $(ldd {elves} | awk '$2 == "=>" && $3 ~ /^\\// {{print $3}} $1 ~ /^\\/.*[^:]$/ {{print $1}}' \\
      | sort -u); \\
    {prune}
FROM scratch
COPY --from=rootfs /rootfs /
ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["{command}"]
"""

RUNTIMES: dict[str, dict[str, tuple[str, str]]] = {
    "python": {
        "slim": (
            "Debian slimmed (no docs/man/locales/apt lists) + python3, no pip  [~ python:3.11-slim]",
            _SLIM.replace("{package}", "python3").replace("{command}", "python3"),
        ),
        "distroless": (
            "python3.11 + stdlib + its shared libs, no shell  [~ distroless/python3-debian12]",
            _DISTROLESS.replace("{image}", "{python}")
            .replace("{files}", "/usr/bin/python3 /usr/bin/python3.11 /usr/lib/python3.11 /etc/python3.11")
            .replace("{elves}", "/usr/bin/python3.11 /usr/lib/python3.11/lib-dynload/*.so")
            .replace("{prune}", "rm -rf /rootfs/usr/lib/python3.11/ensurepip")
            .replace("{command}", "python3"),
        ),
    },
    "node": {
        "slim": (
            "Debian slimmed (no docs/man/locales/apt lists) + nodejs, no npm  [~ node:18-slim]",
            _SLIM.replace("{package}", "nodejs").replace("{command}", "node"),
        ),
        "distroless": (
            "node + its shared libs, no shell, no npm  [~ distroless/nodejs18-debian12]",
            _DISTROLESS.replace("{image}", "{node}")
            # Debian's node loads a few builtins (cjs-module-lexer, undici, acorn) from /usr/share/nodejs.
            .replace(
                "{files}", "/usr/bin/node $(grep -aoh '/usr/share/nodejs/[a-z-]*' /usr/lib/*/libnode.so.*)"
            )
            .replace("{elves}", "/usr/bin/node")
            .replace("{prune}", "true")
            .replace("{command}", "node"),
        ),
    },
}


def mb(size: int) -> str:
    return f"{size / 1e6:.0f} MB"


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


@contextlib.contextmanager
def workspace(app: str) -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix=f"jp-bench-{app}-"))
    try:
        shutil.copytree(APPS / app, root / "app")
        yield root / "app"
    finally:
        shutil.rmtree(root)


class Bench:
    def __init__(self, images: dict[str, str]) -> None:
        self.images = images
        self.settings = BuildSettings(
            docker_host=os.environ["DOCKER_HOST"],
            base_images={key: images[key] for key in ("python", "node", "debian")},
            sandbox=SandboxSettings(cpus=2, memory_mb=2048, timeout_seconds=900),
        )
        self.builder = DockerBuilder(self.settings)
        self.client = docker.DockerClient(base_url=os.environ["DOCKER_HOST"])
        self.upload = 0

    def upload_id(self) -> str:
        # Every build is a new upload, as in production: only the final LABEL differs.
        self.upload += 1
        return f"bench-{self.upload}"

    async def build(
        self,
        context: Path,
        dockerfile: str,
        tag: str,
        *,
        dockerignore: str = "",
        files: Mapping[str, str] | None = None,
        no_cache: bool = False,
    ) -> tuple[BuiltImage, float, list[tuple[float, str]]]:
        lines: list[tuple[float, str]] = []
        started = time.monotonic()
        image = await self.builder.build(
            context,
            dockerfile,
            tag,
            upload_id=self.upload_id(),
            dockerignore=dockerignore,
            files=files,
            on_log=lambda line: lines.append((time.monotonic(), line)),
            no_cache=no_cache,
        )
        lines.append((time.monotonic(), "Step end : "))
        return image, time.monotonic() - started, lines

    async def runtime_bases(self) -> dict[str, dict[str, tuple[str, str, int]]]:
        """language -> variant -> (description, tag, size)."""
        empty = Path(tempfile.mkdtemp(prefix="jp-bench-rt-"))
        bases: dict[str, dict[str, tuple[str, str, int]]] = {}
        try:
            for language, variants in RUNTIMES.items():
                for variant, (description, template) in variants.items():
                    tag = f"justpush-bench/runtime:{language}-{variant}"
                    image, _, _ = await self.build(empty, template.format(**self.images), tag)
                    bases.setdefault(language, {})[variant] = (description, tag, image.size)
        finally:
            shutil.rmtree(empty)
        return bases

    async def full_bases(self) -> dict[str, tuple[str, int]]:
        """language -> (tag, size) of the full-image stand-in the naive Dockerfiles start from."""
        empty = Path(tempfile.mkdtemp(prefix="jp-bench-full-"))
        bases: dict[str, tuple[str, int]] = {}
        try:
            for language, template in NAIVE_BASES.items():
                tag = f"justpush-bench/naive-base:{language}-full"
                image, _, _ = await self.build(empty, template.format(**self.images), tag)
                bases[language] = (tag, image.size)
        finally:
            shutil.rmtree(empty)
        return bases

    def _serve(self, tag: str, port: int, path: str) -> dict[str, Any]:
        """Start the image, GET path on its port; the JSON answer (raises if it never answers)."""
        container = self.client.containers.run(
            tag, detach=True, ports={f"{port}/tcp": ("127.0.0.1", None)}, labels={"io.justpush.bench": "1"}
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                container.reload()
                bound = (container.attrs["NetworkSettings"]["Ports"] or {}).get(f"{port}/tcp")
                if container.status == "exited":
                    raise RuntimeError(f"{tag} exited:\n{container.logs().decode(errors='replace')}")
                if bound:
                    url = f"http://127.0.0.1:{bound[0]['HostPort']}{path}"
                    with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
                        answer: dict[str, Any] = json.loads(response.read())
                        return answer
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{tag} did not answer:\n{container.logs().decode(errors='replace')}")
                time.sleep(0.3)
        finally:
            container.remove(force=True)

    async def serve(self, tag: str, port: int, path: str) -> dict[str, Any]:
        return await anyio.to_thread.run_sync(self._serve, tag, port, path)

    async def check_runs(self, tag: str, profile: ProjectProfile) -> None:
        health = await self.serve(tag, profile.port, "/health")
        uid = self.client.images.get(tag).attrs["Config"]["User"]
        if health.get("status") != "ok" or not health.get("uid"):
            raise RuntimeError(f"{tag}: unexpected /health answer {health}")
        print(f"    started {tag}: /health -> {health}, USER {uid}")

    async def case(
        self, case: Case, bases: dict[str, tuple[str, str, int]], full_base: tuple[str, int]
    ) -> list[bool]:
        results: list[bool] = []
        with workspace(case.app) as context:
            for name, text in case.files.items():
                (context / name).write_text(text, encoding="utf-8")
            profile = analyze(context).profile
            print(
                f"\n{case.name}: {profile.framework}, {profile.package_manager},"
                f" dependencies {', '.join(profile.dependency_files)};"
                f" start {' '.join(profile.start_command)}; build {' '.join(profile.build_command) or '-'}"
                f" (JustPush's analysis); generated Dockerfile: build stages on {self.images[case.language]}"
            )
            images = {**self.settings.base_images}
            images[f"{case.language}-runtime"] = bases["slim"][1]
            tag = f"justpush-bench/{case.name}:gen"

            def render(runtime_images: dict[str, str]) -> PreparedDockerfile:
                return prepare_dockerfile(
                    context,
                    profile,
                    DockerfileOptions(base_images=runtime_images, upload_id=f"bench-{self.upload + 1}"),
                )

            generated = render(images)
            _, cold, _ = await self.build(
                context,
                generated.dockerfile,
                tag,
                dockerignore=generated.dockerignore,
                files=generated.files,
                no_cache=True,
            )
            await self.check_runs(tag, profile)
            source = context / case.source
            text = source.read_text(encoding="utf-8")
            if case.line not in text:
                raise RuntimeError(f"{case.source} has no line {case.line!r}")
            rebuilds: list[float] = []
            for n in range(1, REBUILDS + 1):
                source.write_text(
                    text.replace(case.line, case.changed.replace("{n}", str(n))), encoding="utf-8"
                )
                generated = render(images)
                last, seconds, lines = await self.build(
                    context,
                    generated.dockerfile,
                    tag,
                    dockerignore=generated.dockerignore,
                    files=generated.files,
                )
                rebuilds.append(seconds)
            answer = await self.serve(tag, profile.port, "/")
            if answer.get("change") != REBUILDS:
                raise RuntimeError(f"the rebuilt image does not serve the change: {answer}")
            rebuild = statistics.median(rebuilds)
            ratio = rebuild / cold
            results.append(ratio <= REBUILD_TARGET)
            print(
                f"  build time on the slim runtime: cold (no build cache) {cold:.1f} s;"
                f" rebuilds after a one-line change {', '.join(f'{s:.2f}' for s in rebuilds)} s"
                f" (median {rebuild:.2f} s)"
                f" -> {ratio:.1%} of cold (target <= {REBUILD_TARGET:.0%}) {verdict(ratio <= REBUILD_TARGET)}"
            )
            steps = "; ".join(f"{step} {seconds:.2f} s" for step, seconds in _executed_steps(lines))
            print(f"    the last rebuild re-ran: {steps}")
            if generated.type_check is not None:
                await self.type_check(context, generated, last, case, rebuild)
            print(f"    and served the change: GET / -> {answer}")

            naive, _, _ = await self.build(
                context,
                case.naive.format(**{**self.images, case.language: full_base[0]}),
                f"justpush-bench/{case.name}:naive",
                no_cache=True,
            )
            # On testenv's own image, the naive Dockerfile's base is already slim-class.
            naive_slim, _, _ = await self.build(
                context,
                case.naive.format(**self.images),
                f"justpush-bench/{case.name}:naive-slim",
                no_cache=True,
            )
            base_size = self.client.images.get(self.images[case.language]).attrs["Size"]
            print(
                f"  image size: naive single-stage Dockerfile on the full-image stand-in"
                f" ({mb(full_base[1])} base): {mb(naive.size)};"
                f" on testenv's {self.images[case.language]} ({mb(base_size)} base): {mb(naive_slim.size)}"
            )
            for variant, (description, runtime_tag, runtime_size) in bases.items():
                variant_tag = f"justpush-bench/{case.name}:gen-{variant}"
                generated = render({**images, f"{case.language}-runtime": runtime_tag})
                built, _, _ = await self.build(
                    context,
                    generated.dockerfile,
                    variant_tag,
                    dockerignore=generated.dockerignore,
                    files=generated.files,
                )
                size_ratio = built.size / naive.size
                results.append(size_ratio <= SIZE_TARGET)
                print(
                    f"    generated on {variant} runtime ({mb(runtime_size)}: {description}):"
                    f" {mb(built.size)} -> {size_ratio:.2f}x of naive"
                    f" (target <= {SIZE_TARGET}x) {verdict(size_ratio <= SIZE_TARGET)};"
                    f" {built.size / naive_slim.size:.2f}x of naive on testenv's image,"
                    f" where the runtime base alone is {runtime_size / naive_slim.size:.2f}x"
                )
                await self.check_runs(variant_tag, profile)
                await self.builder.remove_image(variant_tag, upload_id="bench")
            for suffix in ("gen", "naive", "naive-slim"):
                await self.builder.remove_image(f"justpush-bench/{case.name}:{suffix}", upload_id="bench")
        return results

    async def type_check(
        self, context: Path, generated: PreparedDockerfile, built: BuiltImage, case: Case, rebuild: float
    ) -> None:
        """Time the type check a per-file build leaves to a step beside the push, on the last rebuild."""
        assert generated.type_check is not None
        started = time.monotonic()
        await self.builder.type_check(context, generated.type_check, built, upload_id="bench")
        seconds = time.monotonic() - started
        print(
            f"    its type check ({generated.type_check.command}) runs beside the push, not in the"
            f" build: {seconds:.2f} s; build + check in a row would be {rebuild + seconds:.2f} s"
        )

    async def aclose(self) -> None:
        await self.builder.aclose()
        self.client.close()


def _executed_steps(lines: list[tuple[float, str]]) -> list[tuple[str, float]]:
    """The Dockerfile steps of a timed build log that did not come from the cache, with their time."""
    steps: list[tuple[str, float]] = []
    current: tuple[str, float] | None = None
    for at, line in lines:
        if line.startswith("Step "):
            if current is not None:
                steps.append((current[0], at - current[1]))
            instruction = line.split(" : ", 1)[1]
            # A FROM is never "from the cache"; it starts a stage and runs nothing.
            current = None if instruction.startswith("FROM ") else (instruction[:40], at)
        elif "Using cache" in line:
            current = None
    return steps


async def main() -> int:
    if not os.environ.get("DOCKER_HOST") or not os.environ.get("JUSTPUSH_TEST_BASE_IMAGES"):
        print("set DOCKER_HOST and JUSTPUSH_TEST_BASE_IMAGES (source testenv's env file)")
        return 2
    bench = Bench(json.loads(os.environ["JUSTPUSH_TEST_BASE_IMAGES"]))
    try:
        started = time.monotonic()
        bases = await bench.runtime_bases()
        full = await bench.full_bases()
        print("naive Dockerfiles' base, built from testenv's images (stand-in for the full official image):")
        for language, (tag, size) in full.items():
            print(f"  {language} full: {tag} {mb(size)}")
        print("runtime bases built from testenv's images (configured as python-runtime / node-runtime):")
        for language, variants in bases.items():
            for variant, (description, tag, size) in variants.items():
                print(f"  {language}-runtime {variant}: {tag} {mb(size)} - {description}")
        # `bench/build.py node-express-ts node-express-ts-isolated` runs those cases only.
        cases = [case for case in CASES if not sys.argv[1:] or case.name in sys.argv[1:]]
        results = [
            ok for case in cases for ok in await bench.case(case, bases[case.language], full[case.language])
        ]
    finally:
        await bench.aclose()
    missed = results.count(False)
    print(f"\n{len(results) - missed} of {len(results)} targets met in {time.monotonic() - started:.0f} s")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(anyio.run(main))
