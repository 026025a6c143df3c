"""The runtime version a generated image runs: requirements as projects write them, matched against
the versions the configured base images serve; unservable versions fail naming file and setting."""

from __future__ import annotations

import dataclasses

import pytest

from justpush.analysis import Evidence, ProjectProfile
from justpush.build import DockerfileOptions, choose_runtime, render_dockerfile
from justpush.config import BuildSettings, RuntimeVersions
from justpush.errors import GenerationError

DEFAULTS = BuildSettings()


def profile(language: str, version: str | None, where: str = "f", line: int | None = 3) -> ProjectProfile:
    evidence = {"language_version": (Evidence(where, line, "note"),)} if version else {}
    return ProjectProfile(
        language=language,  # type: ignore[arg-type]
        language_version=version,
        evidence=evidence,
        entrypoint="main.py" if language == "python" else "index.js",
        dependency_files=("requirements.txt",) if language == "python" else ("package.json",),
    )


def options(**images: str) -> DockerfileOptions:
    return DockerfileOptions(base_images={**DEFAULTS.base_images, **images}, upload_id="u")


@pytest.mark.parametrize(
    ("requirement", "version"),
    [
        (None, "3.11"),  # the configured default
        ("3.12", "3.12"),  # .python-version / Pipfile pin
        ("3.12.1", "3.12"),  # a patch pin is served by its line
        ("python-3.10.4", "3.10"),  # runtime.txt
        (">=3.12", "3.14"),  # newest satisfying first
        (">=3.8,<3.12", "3.11"),
        ("==3.11.4", "3.11"),  # the line's image carries a release the range names
        ("~=3.10", "3.14"),
        ("^3.10", "3.14"),  # poetry caret
        ("~3.10", "3.10"),  # poetry tilde
        (">=3.9,<3.13", "3.12"),
    ],
)
def test_python_requirements(requirement: str | None, version: str) -> None:
    choice = choose_runtime(profile("python", requirement), options())
    assert choice is not None
    assert choice.version == version
    assert choice.images["python"] == f"python:{version}-slim"
    assert choice.images["python-runtime"] == f"python:{version}-slim"


@pytest.mark.parametrize(
    ("requirement", "version"),
    [
        (None, "18"),
        ("20", "20"),
        ("v20.11.0", "20"),  # .nvmrc
        ("lts/iron", "20"),
        ("lts/*", "24"),
        ("node", "24"),
        (">=18 <21", "20"),
        ("^20", "20"),
        ("20.x", "20"),
        (">=22", "24"),
        ("~20.11", "20"),
        ("^16 || ^18", "18"),
        (">=20.19.0 || >=22.12.0", "24"),
    ],
)
def test_node_requirements(requirement: str | None, version: str) -> None:
    choice = choose_runtime(profile("node", requirement), options())
    assert choice is not None
    assert (choice.version, choice.images["node"], choice.images["node-runtime"]) == (
        version,
        f"node:{version}-slim",
        f"node:{version}-slim",
    )


def test_go_takes_the_newest_toolchain_and_java_the_closest_release() -> None:
    go = choose_runtime(profile("go", "1.22.3"), options())
    assert go is not None and go.version == "1.25"
    assert go.images["go"] == "golang:1.25"
    assert go.images["go-runtime"] == DEFAULTS.base_images["go-runtime"]  # not versioned
    java = choose_runtime(profile("java", "1.8"), options())
    assert java is not None and java.version == "11"
    assert (java.images["java"], java.images["java-runtime"], java.images["maven"]) == (
        "eclipse-temurin:11-jdk",
        "eclipse-temurin:11-jre",
        "maven:3.9-eclipse-temurin-11",
    )


def test_explicit_images_per_version_next_to_fixed_images() -> None:
    # testenv's shape: fixed 3.11 images (serving build.runtimes.python.default) plus one more version.
    fixed = options(
        python="reg/base/python:3.11",
        **{"python-runtime": "reg/base/python:3.11", "python@3.13": "reg/py:3.13"},
    )
    assert choose_runtime(profile("python", None), fixed).images["python"] == "reg/base/python:3.11"  # type: ignore[union-attr]
    chosen = choose_runtime(profile("python", ">=3.12"), fixed)
    assert chosen is not None
    assert (chosen.version, chosen.images["python"], chosen.images["python-runtime"]) == (
        "3.13",
        "reg/py:3.13",
        "reg/py:3.13",
    )
    with pytest.raises(GenerationError) as caught:
        choose_runtime(profile("python", "3.12", ".python-version", 1), fixed)
    message = str(caught.value)
    assert "python version '3.12' (from .python-version:1 note) cannot be served" in message
    assert "serve 3.11, 3.13" in message
    assert "build.runtimes.python.versions" in message and "build.baseImages.python@<version>" in message


@pytest.mark.parametrize(
    ("language", "requirement", "served"),
    [
        ("node", "16", "18, 20, 22, 24"),
        ("node", ">=26", "18, 20, 22, 24"),
        ("python", "<3.9", "3.9, 3.10, 3.11, 3.12, 3.13, 3.14"),
        ("go", "1.30", "1.22, 1.23, 1.24, 1.25"),
        ("java", "26", "11, 17, 21, 25"),
    ],
)
def test_unservable_versions_fail_before_the_build(language: str, requirement: str, served: str) -> None:
    with pytest.raises(GenerationError) as caught:
        render_dockerfile(profile(language, requirement, "package.json", 7), options())
    assert f"{language} version {requirement!r} (from package.json:7 note) cannot be served" in str(
        caught.value
    )
    assert f"serve {served}." in str(caught.value)


def test_unreadable_requirement_is_refused() -> None:
    with pytest.raises(GenerationError, match=r"'banana' .* is not a version JustPush can read"):
        choose_runtime(profile("node", "banana"), options())


def test_configured_runtimes_extend_what_is_served() -> None:
    settings = BuildSettings.model_validate(
        {"runtimes": {"node": {"versions": ["18", "20", "22", "24", "26"]}}}
    )
    assert settings.runtimes["node"] == RuntimeVersions(default="18", versions=("18", "20", "22", "24", "26"))
    assert settings.runtimes["python"].default == "3.11"  # other languages keep their defaults
    chosen = choose_runtime(
        profile("node", ">=25"),
        DockerfileOptions(base_images=settings.base_images, runtimes=settings.runtimes, upload_id="u"),
    )
    assert chosen is not None and chosen.images["node"] == "node:26-slim"


def test_describe_names_version_source_and_image() -> None:
    chosen = choose_runtime(profile("node", ">=18 <21", "package.json", 12), options())
    assert chosen is not None
    assert chosen.describe() == "Node.js 20 ('>=18 <21' from package.json:12 note), base image node:20-slim"
    default = choose_runtime(profile("python", None), options())
    assert default is not None
    assert default.describe() == (
        "Python 3.11 (the project names no version: build.runtimes.python.default), "
        "base image python:3.11-slim"
    )


def _pinned(language: str, pin: str, declared: str | None, overridden: bool = False) -> ProjectProfile:
    base = profile(language, pin, ".python-version" if language == "python" else ".nvmrc", 1)
    evidence = {**base.evidence, "language_range": (Evidence("pyproject.toml", 6, "requires-python"),)}
    return dataclasses.replace(
        base,
        language_range=declared,
        evidence=evidence if declared else base.evidence,
        overridden=("language_version",) if overridden else (),
    )


@pytest.mark.parametrize(
    ("language", "pin", "declared", "version"),
    [("python", "3.15", ">=3.12", "3.14"), ("node", "26", ">=20", "24")],
)
def test_a_pin_nothing_serves_falls_back_to_the_declared_range(
    language: str, pin: str, declared: str, version: str
) -> None:
    chosen = choose_runtime(_pinned(language, pin, declared), options())
    assert chosen is not None and chosen.version == version
    assert chosen.requested == declared and chosen.source == "pyproject.toml:6 requires-python"
    assert chosen.instead_of_pin is not None
    assert chosen.instead_of_pin.startswith(f"{language} {pin} (from ")
    assert f"building with {version}, which {declared!r} (pyproject.toml:6 requires-python) allows" in (
        chosen.instead_of_pin
    )


def test_a_served_pin_is_kept_whatever_the_range() -> None:
    chosen = choose_runtime(_pinned("python", "3.12", ">=3.10"), options())
    assert chosen is not None and (chosen.version, chosen.instead_of_pin) == ("3.12", None)


@pytest.mark.parametrize(
    "pinned",
    [
        _pinned("python", "3.15", None),  # no declared range
        _pinned("python", "3.15", ">=3.15"),  # the range allows nothing served either
        _pinned("python", "3.15", ">=3.12", overridden=True),  # the user chose the version
    ],
)
def test_no_stand_in_without_a_range_that_allows_one(pinned: ProjectProfile) -> None:
    with pytest.raises(GenerationError, match=r"python version '3.15' .* cannot be served"):
        choose_runtime(pinned, options())
