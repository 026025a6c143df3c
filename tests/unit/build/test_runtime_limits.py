"""Exact pins of releases that fail on newer runtime lines steer the runtime a generated image runs, and
stop the deployment before the build, naming the pin, when no configured line is old enough."""

from __future__ import annotations

import dataclasses

import pytest

from justpush.analysis import Evidence, ProjectProfile, RuntimeLimit
from justpush.build import DockerfileOptions, choose_runtime, render_dockerfile
from justpush.config import BuildSettings
from justpush.errors import GenerationError

DEFAULTS = BuildSettings()
DJANGO_110 = RuntimeLimit(
    "django", "1.10.5", "3.10", "it imports Iterator from collections", "Python 3.10 What's New",
    Evidence("requirements/prod.txt", 1, "exact pin"),
)  # fmt: skip
SQLITE3_4 = RuntimeLimit(
    "sqlite3", "4.0.9", "18", "it does not build", "its changelog", Evidence("yarn.lock", 5688, "locked")
)


def profile(
    language: str, limits: tuple[RuntimeLimit, ...], version: str | None = None, line: int = 3
) -> ProjectProfile:
    return ProjectProfile(
        language=language,  # type: ignore[arg-type]
        language_version=version,
        evidence={"language_version": (Evidence("pyproject.toml", line, "requires-python"),)}
        if version
        else {},
        entrypoint="main.py" if language == "python" else "index.js",
        dependency_files=("requirements.txt",) if language == "python" else ("package.json",),
        runtime_limits=limits,
    )


def options(versions: dict[str, tuple[str, ...]] | None = None) -> DockerfileOptions:
    runtimes = dict(DEFAULTS.runtimes)
    for language, served in (versions or {}).items():
        runtimes[language] = runtimes[language].model_copy(update={"versions": served, "default": served[-1]})
    return DockerfileOptions(base_images=DEFAULTS.base_images, runtimes=runtimes, upload_id="u")


def test_without_a_version_of_its_own_the_project_gets_the_newest_line_its_pins_allow() -> None:
    # The default (3.11) is at or above where Django 1.10 breaks: 3.9 is served, so it is chosen.
    chosen = choose_runtime(profile("python", (DJANGO_110,)), options())
    assert chosen is not None
    assert chosen.version == "3.9"
    assert chosen.images["python"] == "python:3.9-slim"


def test_the_default_stays_when_the_pins_allow_it() -> None:
    chosen = choose_runtime(profile("node", (SQLITE3_4,)), options({"node": ("16", "18", "20")}))
    # The default here is the newest configured line (20); 16 is the newest below 18.
    assert chosen is not None and chosen.version == "16"
    old = RuntimeLimit("django", "3.2.0", "3.14", "x", "y", Evidence("requirements.txt", 1))
    default = choose_runtime(profile("python", (old,)), options())
    assert default is not None and default.version == "3.11"


def test_a_range_of_the_project_is_narrowed_by_its_pins() -> None:
    chosen = choose_runtime(profile("python", (DJANGO_110,), ">=3.8"), options())
    assert chosen is not None and chosen.version == "3.9"


def test_no_served_line_old_enough_stops_naming_pin_file_range_and_both_ways_out() -> None:
    with pytest.raises(GenerationError) as caught:
        render_dockerfile(profile("python", (DJANGO_110,)), options({"python": ("3.11", "3.13")}))
    message = str(caught.value)
    assert message.startswith(
        "django 1.10.5 (pinned in requirements/prod.txt:1) does not work on Python 3.10 or newer: "
        "it imports Iterator from collections. "
        "The configured base images serve 3.11, 3.13. "
        "Pin a django release that supports Python 3.13 in requirements/prod.txt, "
        "or serve a Python line older than Python 3.10: add it to build.runtimes.python.versions"
    )
    assert message.endswith("or set build.baseImages.python@<version>. Source: Python 3.10 What's New")
    assert caught.value.details["package"] == "django"
    assert caught.value.details["served"] == ["3.11", "3.13"]


def test_a_project_requirement_that_only_allows_broken_lines_is_named() -> None:
    with pytest.raises(GenerationError) as caught:
        choose_runtime(profile("python", (DJANGO_110,), ">=3.12", line=9), options())
    assert "'>=3.12' from pyproject.toml:9 requires-python allows 3.12, 3.13, 3.14" in str(caught.value)


def test_the_earliest_break_is_named_when_several_pins_limit() -> None:
    psycopg = RuntimeLimit("psycopg2", "2.7.3", "3.8", "no compile", "s", Evidence("requirements.txt", 4))
    with pytest.raises(GenerationError, match=r"^psycopg2 2\.7\.3 \(pinned in requirements\.txt:4\)"):
        choose_runtime(profile("python", (DJANGO_110, psycopg)), options())


def test_no_limits_change_nothing() -> None:
    chosen = choose_runtime(profile("node", ()), options())
    assert chosen is not None and chosen.version == "18"


PSYCOPG2_299 = RuntimeLimit(
    "psycopg2-binary", "2.9.9", "3.13", "no wheel", "its release notes", Evidence("requirements.txt", 3)
)


def test_an_unserved_version_names_the_nearest_served_line_the_pins_allow() -> None:
    served = options({"python": ("3.11", "3.13")})
    with pytest.raises(GenerationError) as refused:
        choose_runtime(profile("python", (PSYCOPG2_299,), "==3.12.0"), served)
    # 3.13 is as near as 3.11, but the psycopg2 pin rules it out.
    assert refused.value.message.endswith("(justpush deploy --set language_version=3.11)")
    with pytest.raises(GenerationError) as unpinned:
        choose_runtime(profile("python", (), "==3.12.0"), served)
    assert unpinned.value.message.endswith("--set language_version=3.13)")


def test_the_users_own_line_ruled_out_by_a_pin_names_a_served_one_that_is_not() -> None:
    chosen = dataclasses.replace(
        profile("python", (PSYCOPG2_299,), "3.13"), overridden=frozenset({"language_version"})
    )
    with pytest.raises(GenerationError) as refused:
        choose_runtime(chosen, options({"python": ("3.11", "3.13")}))
    assert refused.value.message.startswith("psycopg2-binary 2.9.9 (pinned in requirements.txt:3)")
    assert refused.value.message.endswith(
        "Python 3.11, which the base images also serve, has no such limit:"
        " justpush deploy --set language_version=3.11"
    )


def test_a_go_line_above_every_served_one_suggests_no_older_toolchain() -> None:
    go = ProjectProfile(
        language="go",
        language_version="1.25.0",
        evidence={"language_version": (Evidence("go.mod", 3, "go"),)},
        dependency_files=("go.mod",),
    )
    with pytest.raises(GenerationError) as refused:
        choose_runtime(go, options({"go": ("1.22", "1.23")}))
    assert "language_version=" not in refused.value.message
    assert refused.value.message.endswith(
        "the go line is a minimum, which an older Go toolchain cannot build"
    )
