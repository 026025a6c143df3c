"""A failed build's message: the engine's reason, the failing step, its first error lines, the tail."""

from __future__ import annotations

import pytest

from justpush.build._failure import (
    STEP_LINES,
    StepLog,
    failure_message,
    first_errors,
    plain_lines,
    write_hint,
)


def _log(lines: list[str]) -> StepLog:
    step = StepLog()
    for line in lines:
        step.add(line)
    return step


def test_the_first_error_is_named_although_the_tail_has_moved_on() -> None:
    output = [
        "Step 1/3 : FROM python:3.12-slim",
        " ---> 1a2b3c",
        "Step 2/3 : RUN pip install -r requirements.txt",
        " ---> Running in 0123456789ab",
        "Collecting fastapi",
        "ERROR: Could not find a version that satisfies the requirement fastapi==99.0",
        "ERROR: No matching distribution found for fastapi==99.0",
        *[f"notice {i}" for i in range(30)],
    ]
    step = _log(output)
    assert step.step == "Step 2/3 : RUN pip install -r requirements.txt"
    reason = "The command '/bin/sh -c pip install -r requirements.txt' returned a non-zero code: 1"
    message = failure_message(reason, step, output[-3:])
    assert message.splitlines() == [
        reason,
        "failed at Step 2/3 : RUN pip install -r requirements.txt",
        "first error lines:",
        "  ERROR: Could not find a version that satisfies the requirement fastapi==99.0",
        "  ERROR: No matching distribution found for fastapi==99.0",
        "  notice 0",
        "last lines:",
        "  notice 27",
        "  notice 28",
        "  notice 29",
    ]


def test_lines_are_kept_per_step_and_bounded() -> None:
    step = _log(["Step 1/2 : RUN a", "error in one", "Step 2/2 : RUN b", *(["ok"] * (STEP_LINES + 50))])
    assert step.step == "Step 2/2 : RUN b"
    assert len(step.lines) == STEP_LINES and "error in one" not in step.lines
    assert first_errors(step.lines) == []


def test_without_steps_or_errors_the_reason_and_tail_remain() -> None:
    message = failure_message("the engine reported no image", StepLog(), ["a", "b"])
    assert message == "the engine reported no image\nlast lines:\n  a\n  b"


def test_first_errors_stops_at_the_limit() -> None:
    lines = [f"error {i}" for i in range(20)]
    assert first_errors(lines, limit=3) == ["error 0", "error 1", "error 2"]


def test_terminal_escapes_are_removed_from_build_output() -> None:
    # The legacy builder colours a step's stderr red; npm colours its own words.
    chunk = (
        "\x1b[91mnpm\x1b[0m \x1b[91mERR!\x1b[0m gyp build failed\n"
        "\x1b[91m\n\x1b[0m"
        "\x1b]0;title\x07plain line   \n"
    )
    lines = plain_lines(chunk)
    assert lines == ["npm ERR! gyp build failed", "plain line"]
    assert first_errors(lines) == lines


@pytest.mark.parametrize(
    "output",
    [
        "sqlite3.OperationalError: unable to open database file",
        "Error: EACCES: permission denied, open 'store.db'",
        "OSError: [Errno 30] Read-only file system: 'uploads/a.png'",
    ],
)
def test_a_start_check_that_could_not_write_names_the_writable_folders(output: str) -> None:
    hint = write_hint(f"Traceback (most recent call last):\n{output}\n", ["/app/data"])
    assert "could not write a file" in hint and "(/app/data)" in hint
    assert "--set writable_paths=" in hint
    assert "(none found)" in write_hint(output, [])


@pytest.mark.parametrize(
    ("output", "folder"),
    [
        ("Error: EROFS: read-only file system, mkdir '/app/dist/logs'", "dist/logs"),
        ("OSError: [Errno 30] Read-only file system: 'uploads/a.png'", "uploads"),
        ("PermissionError: [Errno 13] Permission denied: '/app/instance/app.db'", "instance"),
        ("Error: EACCES: permission denied, open 'store.db'", "."),
        # Outside the app's folder, or no path: the example stays an example.
        ("Error: EACCES: permission denied, open '/etc/app.conf'", "data"),
        ("sqlite3.OperationalError: unable to open database file", "data"),
    ],
)
def test_the_hint_names_the_folder_the_refused_write_was_in(output: str, folder: str) -> None:
    assert f"--set writable_paths={folder})" in write_hint(output, [], "/app")


def test_other_failures_get_nowrite_hint() -> None:
    assert write_hint("ModuleNotFoundError: No module named 'flask'", []) == ""


def test_a_release_pip_skipped_for_the_python_says_which_python_it_needs() -> None:
    step = _log(
        [
            "Step 7/19 : RUN pip install -r requirements.txt",
            "ERROR: Ignored the following versions that require a different python version:"
            " 5.2 Requires-Python >=3.10; 6.1 Requires-Python >=3.12; 6.1.1 Requires-Python >=3.12",
            "ERROR: Could not find a version that satisfies the requirement Django[argon2]==6.1"
            " (from versions: 4.2, 5.2)",
            "ERROR: No matching distribution found for Django[argon2]==6.1",
        ]
    )
    message = failure_message("The command returned a non-zero code: 1", step, [])
    assert (
        "Django[argon2]==6.1 needs Python >=3.12, which the image's Python does not meet: deploy on a"
        " version that does (justpush deploy --set language_version=<version>" in message
    )
    # Nothing pip skipped for the interpreter: no such advice.
    other = _log(["Step 7/19 : RUN pip install .", "ERROR: No matching distribution found for x"])
    assert "needs Python" not in failure_message("failed", other, [])
