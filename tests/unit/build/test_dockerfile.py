"""Properties every generated Dockerfile must have, checked across languages."""

from __future__ import annotations

import dataclasses
import json
import re

import jinja2
import pytest

from justpush.analysis import ProjectProfile
from justpush.build import DockerfileOptions, IgnoreMatcher, lint_dockerfile, render_dockerfile

PROFILES = {
    "python": ProjectProfile(
        language="python",
        package_manager="pip",
        dependency_files=("requirements.txt",),
        start_command=("uvicorn", "main:app", "--port", "8000"),
        port=8000,
    ),
    "node": ProjectProfile(
        language="node",
        package_manager="npm",
        dependency_files=("package.json", "package-lock.json"),
        start_command=("node", "index.js"),
        port=3000,
    ),
    "go": ProjectProfile(language="go", dependency_files=("go.mod", "go.sum"), port=8081),
    "java": ProjectProfile(language="java", entrypoint="src/App.java", port=8082),
}


def _instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    lines = [line.strip() for line in joined.splitlines()]
    return [
        (line.split(" ", 1)[0], line.split(" ", 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def _final_stage(text: str) -> list[tuple[str, str]]:
    instructions = _instructions(text)
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


@pytest.mark.parametrize("language", sorted(PROFILES))
def test_generated_dockerfile_is_multi_stage_non_root_and_lint_clean(
    language: str, options: DockerfileOptions
) -> None:
    profile = PROFILES[language]
    text = render_dockerfile(profile, options).dockerfile
    instructions = _instructions(text)
    assert sum(keyword == "FROM" for keyword, _ in instructions) >= 2
    final = _final_stage(text)
    users = [args for keyword, args in final if keyword == "USER"]
    assert users == ["10001:10001"]
    assert ("EXPOSE", str(profile.port)) in final
    cmd = [args for keyword, args in final if keyword == "CMD"]
    assert len(cmd) == 1 and isinstance(json.loads(cmd[0]), list)
    assert lint_dockerfile(text) == []


@pytest.mark.parametrize("language", ["go", "node", "python"])
def test_dependency_manifests_are_installed_before_the_source_is_copied(
    language: str, options: DockerfileOptions
) -> None:
    text = render_dockerfile(PROFILES[language], options).dockerfile
    instructions = _instructions(text)
    source_copy = next(i for i, item in enumerate(instructions) if item == ("COPY", ". ."))
    first_dependency = next(
        i
        for i, (keyword, args) in enumerate(instructions)
        if keyword == "COPY" and any(name in args for name in PROFILES[language].dependency_files)
    )
    assert first_dependency < source_copy


def test_output_is_deterministic_and_labels_sorted(options: DockerfileOptions) -> None:
    opts = dataclasses.replace(options, labels={"z.label": "1", "a.label": "2"}, source_url="https://s")
    first = render_dockerfile(PROFILES["python"], opts)
    second = render_dockerfile(PROFILES["python"], opts)
    assert first == second
    label_line = text_after(first.dockerfile, "LABEL ")
    keys = re.findall(r"([\w.]+)=\"", label_line)
    assert keys == sorted(keys)
    assert "org.opencontainers.image.revision" in keys
    assert "created" not in first.dockerfile


def text_after(text: str, marker: str) -> str:
    return text[text.index(marker) :].split("\nCMD", 1)[0]


def test_labels_follow_the_layers_so_a_new_upload_reuses_the_cache(options: DockerfileOptions) -> None:
    first = render_dockerfile(PROFILES["node"], options).dockerfile
    second = render_dockerfile(PROFILES["node"], dataclasses.replace(options, upload_id="up-2")).dockerfile
    differing = [a for a, b in zip(first.splitlines(), second.splitlines(), strict=True) if a != b]
    assert len(differing) == 1 and differing[0].startswith("LABEL")
    assert first.index("LABEL") > first.index("COPY . .")


@pytest.mark.parametrize(
    ("lockfile", "expected"),
    [("package-lock.json", "npm ci"), (None, "npm install")],
)
def test_npm_ci_only_with_a_lockfile(lockfile: str | None, expected: str, options: DockerfileOptions) -> None:
    files = ("package.json", lockfile) if lockfile else ("package.json",)
    profile = ProjectProfile(language="node", dependency_files=files, start_command=("node", "a.js"))
    text = render_dockerfile(profile, options).dockerfile
    assert expected in text
    assert ("npm ci" in text) == (lockfile is not None)


@pytest.mark.parametrize(("files", "download"), [(("go.mod",), False), (("go.mod", "go.sum"), True)])
def test_go_mod_download_only_with_go_sum(
    files: tuple[str, ...], download: bool, options: DockerfileOptions
) -> None:
    text = render_dockerfile(ProjectProfile(language="go", dependency_files=files), options).dockerfile
    assert ("go mod download" in text) == download
    assert "CGO_ENABLED=0" in text
    assert "HEALTHCHECK" not in text


def test_healthcheck_never_uses_curl(options: DockerfileOptions) -> None:
    for profile in PROFILES.values():
        text = render_dockerfile(profile, options).dockerfile
        assert "curl" not in text and "wget" not in text


def test_base_images_come_from_the_options(options: DockerfileOptions) -> None:
    images = {**options.base_images, "python": "mirror.test/py:1", "python-runtime": "mirror.test/py:1-slim"}
    text = render_dockerfile(PROFILES["python"], dataclasses.replace(options, base_images=images)).dockerfile
    assert [args for keyword, args in _instructions(text) if keyword == "FROM"] == [
        "mirror.test/py:1 AS build",
        "mirror.test/py:1-slim",
    ]


def test_dockerignore_keeps_secrets_out_and_dependency_files_in(options: DockerfileOptions) -> None:
    ignore = IgnoreMatcher(render_dockerfile(PROFILES["node"], options).dockerignore)
    assert ignore.excluded(".env")
    assert ignore.excluded(".git/config")
    assert ignore.excluded("node_modules/express/index.js")
    assert not ignore.excluded("package-lock.json")
    assert not ignore.excluded("index.js")


def test_an_injected_environment_overrides_templates(options: DockerfileOptions) -> None:
    env = jinja2.Environment(
        loader=jinja2.DictLoader(
            {"go.Dockerfile.j2": "FROM {{ build_image }}\nCMD {{ cmd }}\n", "dockerignore.j2": "x\n"}
        ),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    generated = render_dockerfile(PROFILES["go"], options, env)
    assert generated.dockerfile == 'FROM golang:1.23\nCMD ["/app/server"]\n'
    assert generated.dockerignore == "x\n"
