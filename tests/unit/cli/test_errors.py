"""The CLI's error line: printed once, as written, without colour codes when not on a terminal."""

from __future__ import annotations

import io

from rich.console import Console

from justpush import errors
from justpush.cli._errors import report


def test_brackets_in_a_message_print_as_written_without_ansi() -> None:
    out = io.StringIO()
    message = "Dockerfile line 3: pin versions in apt-get install [DL3008]; see [bold] and [/]"
    failure = errors.StageFailed("scan", message)
    code = report(failure, Console(file=out, force_terminal=False, width=40))
    assert out.getvalue() == f"error: {failure.message}\n"
    assert message in failure.message
    assert code == 11
