"""Dockerfile lint rules."""

from __future__ import annotations

import pytest

from justpush.build import BREAKING_RULES, RULE_PUSHED_IMAGE, breaking_findings, lint_dockerfile
from justpush.build._lint import pushed_image_findings


def _rules(text: str) -> list[tuple[str, int]]:
    return [(finding.rule, finding.line) for finding in lint_dockerfile(text)]


def test_clean_dockerfile_has_no_findings() -> None:
    text = 'FROM python:3.11 AS build\nRUN pip install x\nFROM python:3.11-slim\nUSER 10001\nCMD ["x"]\n'
    assert lint_dockerfile(text) == []


def test_missing_user_is_reported_on_the_final_from() -> None:
    assert _rules("FROM a:1 AS b\nUSER 1000\nFROM c:2\nCMD x\n") == [("no-user", 3)]


@pytest.mark.parametrize("user", ["root", "0", "0:0", "root:root"])
def test_root_user(user: str) -> None:
    assert _rules(f"FROM a:1\nUSER 1000\nUSER {user}\n") == [("root-user", 3)]


@pytest.mark.parametrize(
    ("image", "flagged"),
    [
        ("python", True),
        ("python:latest", True),
        ("localhost:5000/base/python", True),
        ("localhost:5000/base/python:3.11", False),
        ("python@sha256:" + "a" * 64, False),
        ("scratch", False),
        ("$BASE", False),
    ],
)
def test_unpinned_base_images(image: str, flagged: bool) -> None:
    rules = _rules(f"FROM {image}\nUSER 1\n")
    assert (("unpinned-base-image", 1) in rules) == flagged


def test_a_previous_stage_is_not_an_image() -> None:
    assert _rules("FROM node:18 AS deps\nFROM deps\nUSER 1\n") == []


def test_pipe_to_shell_across_continuation_lines() -> None:
    text = "FROM a:1\nRUN apt-get update && \\\n    curl -fsSL https://x.test/i.sh | bash\nUSER 1\n"
    assert _rules(text) == [("pipe-to-shell", 2)]
    assert _rules("FROM a:1\nRUN wget -qO- https://x.test | sudo sh -\nUSER 1\n") == [("pipe-to-shell", 2)]
    assert _rules("FROM a:1\nRUN curl -o f https://x.test && sha256sum -c s && sh f\nUSER 1\n") == []


def test_add_from_url_but_not_local_add() -> None:
    assert _rules("FROM a:1\nADD https://x.test/a.tgz /a\nADD --chown=1 b.tgz /b\nUSER 1\n") == [
        ("add-from-url", 2)
    ]


def test_secrets_in_env_and_arg_without_echoing_values() -> None:
    text = (
        "FROM a:1\nARG NPM_TOKEN\nENV DB_PASSWORD=hunter2 AUTHOR=me\n"
        "ENV AWS_SECRET_ACCESS_KEY abc\nENV BYPASS_CACHE=1 PASSENGER_COUNT=2\nUSER 1\n"
    )
    findings = lint_dockerfile(text)
    assert [(f.rule, f.line, f.severity) for f in findings] == [
        ("secret-in-env", 2, "error"),
        ("secret-in-env", 3, "error"),
        ("secret-in-env", 4, "error"),
    ]
    assert all("hunter2" not in f.message and "abc" not in f.message for f in findings)
    assert "DB_PASSWORD" in findings[1].message


def test_lint_never_changes_its_input() -> None:
    text = "FROM python\nENV TOKEN=x\n"
    copy = str(text)
    lint_dockerfile(text)
    assert text == copy


def _breaking(text: str) -> list[tuple[str, int]]:
    return [(finding.rule, finding.line) for finding in breaking_findings(text)]


def test_a_final_stage_without_a_command_is_breaking_unless_it_inherits_one() -> None:
    assert _breaking("FROM a:1\nRUN x\n") == [("no-cmd", 1)]
    assert _breaking("FROM a:1 AS base\nCMD x\nFROM base\nRUN y\n") == []
    assert _breaking('FROM a:1 AS build\nCMD x\nFROM b:1\nENTRYPOINT ["y"]\n') == []
    assert _breaking("FROM a:1 AS build\nCMD x\nFROM b:1\nCOPY --from=build /a /a\n") == [("no-cmd", 3)]


def test_buildkit_only_syntax_is_breaking() -> None:
    text = (
        "FROM a:1\nRUN --mount=type=cache,target=/root/.cache pip install x\n"
        "COPY --link . /app\nCOPY --chown=1:1 . /app\nRUN <<EOF\necho hi\nEOF\nCMD x\n"
    )
    assert _breaking(text) == [("buildkit-only", 2), ("buildkit-only", 3), ("buildkit-only", 5)]
    assert "RUN --mount" in breaking_findings(text)[0].message


def test_copying_from_outside_the_context_is_breaking() -> None:
    text = (
        'FROM a:1 AS b\nCOPY ../lib /lib\nCOPY ["../x", "/x"]\nCOPY --from=b ../y /y\n'
        "ADD https://x.test/a.tgz /a\nCOPY ./.. /z\nCOPY src/../app /app\nCMD x\n"
    )
    assert _breaking(text) == [
        ("copy-outside-context", 2),
        ("copy-outside-context", 3),
        ("copy-outside-context", 6),
    ]


_REGISTRY, _REPOSITORY = "localhost:5000", "justpush"


@pytest.mark.parametrize(
    "dockerfile",
    [
        "FROM localhost:5000/justpush/todo:abc\n",
        "FROM LOCALHOST:5000/JustPush/todo:abc\n",
        "FROM 127.0.0.1:5000/justpush/todo@sha256:" + "a" * 64 + "\n",
        "FROM 10.0.0.5:5000/justpush/todo:abc\n",
        "FROM localhost:5000/justpush/team/todo\n",
        "ARG BASE=localhost:5000/justpush/todo:abc\nFROM $BASE\n",
        "ARG HOST=localhost:5000\nARG BASE=${HOST}/justpush/todo:abc\nFROM ${BASE}\n",
        "FROM ${BASE:-localhost:5000/justpush/todo:abc} AS app\n",
        "FROM python:3.11 AS build\nCOPY --from=localhost:5000/justpush/todo:abc /app /app\n",
        "FROM python:3.11\nADD --chown=1:1 http://localhost:5000/v2/justpush/todo/manifests/abc /m\n",
        "FROM python:3.11\nADD http://user@127.0.0.1:5000/v2/justpush/todo/blobs/sha256:aa /b\n",
    ],
)
def test_an_upload_may_not_build_on_a_pushed_image(dockerfile: str) -> None:
    findings = pushed_image_findings(dockerfile, _REGISTRY, _REPOSITORY)
    assert [f.rule for f in findings] == [RULE_PUSHED_IMAGE], findings
    assert findings[0].severity == "error" and "other deployments' images" in findings[0].message
    assert RULE_PUSHED_IMAGE in BREAKING_RULES


@pytest.mark.parametrize(
    "dockerfile",
    [
        "FROM localhost:5000/base/python:3.11\n",
        "FROM localhost:5000/justpushed/todo:1\n",
        "FROM ghcr.io/justpush/todo:1\n",
        "FROM localhost:6000/justpush/todo:1\n",
        "FROM justpush/todo:1\n",
        "FROM python:3.11 AS justpush\nFROM justpush\nCOPY --from=justpush /a /a\nCOPY --from=0 /b /b\n",
        "FROM python:3.11\nARG BASE=localhost:5000/justpush/todo:1\nADD https://example.com/a.tgz /a\n",
        "FROM $UNSET\n",
    ],
)
def test_other_images_are_not_taken_for_pushed_ones(dockerfile: str) -> None:
    assert pushed_image_findings(dockerfile, _REGISTRY, _REPOSITORY) == []


def test_pushed_images_on_docker_hub_and_at_a_registrys_root() -> None:
    assert pushed_image_findings("FROM acme/todo:1\n", "docker.io", "acme")
    assert pushed_image_findings("FROM index.docker.io/acme/todo:1\n", "docker.io", "acme")
    assert not pushed_image_findings("FROM acme-base/python:3\n", "docker.io", "acme")
    # No repository: every image of the registry may be a deployment's.
    assert pushed_image_findings("FROM registry.example:443/todo:1\n", "registry.example:443", "")
    assert not pushed_image_findings("FROM other.example/todo:1\n", "registry.example:443", "")
