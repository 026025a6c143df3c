"""Which Dockerfile a deploy builds with: the `dockerfile` mode against the upload's checks (pure)."""

from __future__ import annotations

import pytest

from justpush.build import (
    DOCKERFILE_MODES,
    DockerfileMode,
    LintFinding,
    UnavailableImage,
    breaking_findings,
    choose_dockerfile,
    lint_dockerfile,
    unavailable_images,
)

GOOD = 'FROM python:3.12-slim\nCOPY . /app\nCMD ["python", "/app/main.py"]\n'
NO_CMD = "FROM python:3.12-slim\nCOPY . /app\n"
OLD_IMAGE = UnavailableImage("python:3.6-alpine", 1, "manifest unknown")


def _findings(text: str) -> list[LintFinding]:
    return [*lint_dockerfile(text), *breaking_findings(text)]


@pytest.mark.parametrize("mode", DOCKERFILE_MODES)
def test_without_an_own_dockerfile_only_repo_fails(mode: DockerfileMode) -> None:
    choice = choose_dockerfile(mode, None)
    if mode == "repo":
        assert choice.origin is None and choice.error is not None
        assert "has no Dockerfile" in choice.error and "--dockerfile auto" in choice.error
    else:
        assert (choice.origin, choice.warning, choice.error) == ("generated", None, None)


@pytest.mark.parametrize("mode", ["auto", "repo"])
def test_a_dockerfile_that_passes_is_used(mode: DockerfileMode) -> None:
    # Running as root is a hardening finding, not a reason to replace the user's Dockerfile.
    findings = _findings(GOOD)
    assert {f.rule for f in findings} == {"no-user"}
    assert choose_dockerfile(mode, "Dockerfile", findings) == choose_dockerfile(mode, "Dockerfile")
    assert choose_dockerfile(mode, "Dockerfile", findings).origin == "upload"


def test_generated_ignores_the_uploads_dockerfile() -> None:
    choice = choose_dockerfile("generated", "Dockerfile", _findings(NO_CMD), [OLD_IMAGE])
    assert (choice.origin, choice.warning, choice.error) == ("generated", None, None)


def test_auto_falls_back_saying_exactly_why() -> None:
    choice = choose_dockerfile("auto", "Dockerfile", [], [OLD_IMAGE])
    assert choice.origin == "generated" and choice.error is None
    assert choice.warning == (
        "the upload's Dockerfile uses base image python:3.6-alpine the build host cannot pull "
        "(Dockerfile line 1: manifest unknown); building with a generated Dockerfile instead — "
        "choose --dockerfile repo to insist"
    )


def test_repo_fails_on_every_problem_in_line_order() -> None:
    text = "FROM python:3.6-alpine\nRUN --mount=type=cache,target=/root/.cache pip install -r r.txt\n"
    choice = choose_dockerfile("repo", "api/Dockerfile", _findings(text), [OLD_IMAGE])
    assert choice.origin is None and choice.error is not None
    image = choice.error.index("python:3.6-alpine")
    no_cmd = choice.error.index("sets no CMD or ENTRYPOINT")
    mount = choice.error.index("RUN --mount")
    assert image < no_cmd < mount
    assert "(api/Dockerfile line 1" in choice.error and "(api/Dockerfile line 2)" in choice.error
    assert "--dockerfile auto" in choice.error


def test_auto_falls_back_for_a_finding_that_breaks_the_build() -> None:
    choice = choose_dockerfile(
        "auto", "Dockerfile", _findings("FROM python:3.12\nCOPY ../shared /s\nCMD x\n")
    )
    assert choice.origin == "generated" and choice.warning is not None
    assert "copies ../shared from outside the build context" in choice.warning
    assert "(Dockerfile line 2)" in choice.warning


def test_unavailable_images_carry_their_dockerfile_line() -> None:
    missing = unavailable_images({"a:1": 1, "b:2": 4}, {"b:2": "not found"})
    assert missing == [UnavailableImage("b:2", 4, "not found")]
