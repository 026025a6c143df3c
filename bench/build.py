"""Build benchmarks on testenv (Python and Node sample apps).

1. Cold build (no cache) vs rebuild after a one-line source change; target: rebuild <= 15 % of cold.
2. Size of the generated image vs a naive single-stage Dockerfile of the same app; target <= 0.5x.

testenv has one image per language (compiler/pip/npm included), so for a fair "slim runtime" the
bench first builds runtime images from testenv's Debian base with only the interpreter (python3 /
nodejs, from Debian's mirror), as the official -slim images would be. Needs DOCKER_HOST and
JUSTPUSH_TEST_BASE_IMAGES (source testenv's env file). Run: .venv/bin/python bench/build.py
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import anyio

from justpush.analysis import ProjectProfile
from justpush.build import BuiltImage, DockerBuilder, DockerfileOptions, render_dockerfile
from justpush.config import BuildSettings, SandboxSettings

APPS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "build-apps"
CASES = {
    "python-flask": (
        ProjectProfile(
            language="python",
            package_manager="pip",
            dependency_files=("requirements.txt",),
            start_command=("gunicorn", "--bind", "0.0.0.0:8000", "app:app"),
            port=8000,
        ),
        "app.py",
        "# one-line change {n}\n",
        "FROM {python}\nWORKDIR /app\nCOPY . .\n"
        "RUN python3 -m venv /venv && /venv/bin/pip install -r requirements.txt\n"
        'CMD ["/venv/bin/gunicorn", "--bind", "0.0.0.0:8000", "app:app"]\n',
    ),
    "node-express": (
        ProjectProfile(
            language="node",
            package_manager="npm",
            dependency_files=("package.json", "package-lock.json"),
            start_command=("node", "server.js"),
            port=3000,
        ),
        "server.js",
        "// one-line change {n}\n",
        'FROM {node}\nWORKDIR /app\nCOPY . .\nRUN npm install\nCMD ["node", "server.js"]\n',
    ),
}
RUNTIMES = {
    "python-runtime": "python3",
    "node-runtime": "nodejs",
}
REBUILD_TARGET = 0.15
SIZE_TARGET = 0.5


async def _build(
    builder: DockerBuilder, context: Path, dockerfile: str, tag: str, **kw: object
) -> BuiltImage:
    return await builder.build(context, dockerfile, tag, upload_id="bench", **kw)  # type: ignore[arg-type]


async def main() -> int:
    if not os.environ.get("DOCKER_HOST") or not os.environ.get("JUSTPUSH_TEST_BASE_IMAGES"):
        print("set DOCKER_HOST and JUSTPUSH_TEST_BASE_IMAGES (source testenv's env file)")
        return 2
    images = json.loads(os.environ["JUSTPUSH_TEST_BASE_IMAGES"])
    settings = BuildSettings(
        docker_host=os.environ["DOCKER_HOST"],
        base_images={"python": images["python"], "node": images["node"], "debian": images["debian"]},
        sandbox=SandboxSettings(cpus=2, memory_mb=2048, timeout_seconds=900),
    )
    builder = DockerBuilder(settings)
    base = dict(settings.base_images)
    empty = Path(tempfile.mkdtemp(prefix="jp-bench-rt-"))
    for key, package in RUNTIMES.items():
        tag = f"justpush-bench/{key}:1"
        dockerfile = (
            f"FROM {images['debian']}\nRUN apt-get update"
            f" && apt-get install -y --no-install-recommends {package}"
            " && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin\n"
        )
        await _build(builder, empty, dockerfile, tag)
        base[key] = tag
    failures = 0
    for name, (profile, source, change, naive) in CASES.items():
        work = Path(tempfile.mkdtemp(prefix=f"jp-bench-{name}-"))
        shutil.copytree(APPS / name, work / "app")
        context = work / "app"
        generated = render_dockerfile(profile, DockerfileOptions(base_images=base, upload_id="bench"))
        tag = f"justpush-bench/{name}:gen"
        started = time.monotonic()
        image = await _build(
            builder, context, generated.dockerfile, tag, dockerignore=generated.dockerignore, no_cache=True
        )
        cold = time.monotonic() - started
        with (context / source).open("a", encoding="utf-8") as handle:
            handle.write(change.format(n=time.time_ns()))
        started = time.monotonic()
        await _build(builder, context, generated.dockerfile, tag, dockerignore=generated.dockerignore)
        rebuild = time.monotonic() - started
        naive_image = await _build(
            builder, context, naive.format(**images), f"justpush-bench/{name}:naive", no_cache=True
        )
        ratio = rebuild / cold
        size_ratio = image.size / naive_image.size
        failures += ratio > REBUILD_TARGET
        failures += size_ratio > SIZE_TARGET
        verdict = "OK" if ratio <= REBUILD_TARGET else "MISSED"
        print(
            f"{name}: cold {cold:.1f} s, rebuild after a one-line change {rebuild:.1f} s"
            f" -> {ratio:.1%} of cold (target <= {REBUILD_TARGET:.0%}) {verdict}"
        )
        verdict = "OK" if size_ratio <= SIZE_TARGET else "MISSED"
        print(
            f"{name}: generated image {image.size / 1e6:.1f} MB vs naive single-stage"
            f" {naive_image.size / 1e6:.1f} MB -> {size_ratio:.2f}x (target <= {SIZE_TARGET}x) {verdict}"
        )
        for suffix in ("gen", "naive"):
            await builder.remove_image(f"justpush-bench/{name}:{suffix}", upload_id="bench")
        shutil.rmtree(work)
    shutil.rmtree(empty)
    await builder.aclose()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(anyio.run(main))
