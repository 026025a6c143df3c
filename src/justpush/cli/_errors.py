"""The one map from JustPush errors to CLI exit codes."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from justpush import errors

# Most specific first; the first isinstance match wins.
EXIT_CODES: tuple[tuple[type[errors.JustPushError], int], ...] = (
    (errors.ConfigError, 3),
    (errors.AuthError, 4),
    (errors.NotFoundError, 5),
    (errors.ConflictError, 6),
    (errors.FeatureDisabledError, 7),
    (errors.UploadError, 8),
    (errors.AnalysisError, 9),
    (errors.GenerationError, 10),
    (errors.StageFailed, 11),
    (errors.GitAuthError, 4),
    (errors.GitRejectedError, 6),
    (errors.ExternalServiceError, 12),
    (errors.JustPushError, 1),
)


def exit_code_for(exc: errors.JustPushError) -> int:
    return next(code for cls, code in EXIT_CODES if isinstance(exc, cls))


def report(exc: errors.JustPushError, console: Console | None = None) -> int:
    """Print the error on stderr and return its exit code."""
    console = console or Console(stderr=True)
    # The message is data: "[DL3008]" or "[...]" in it must print as written, not as rich markup, and
    # unwrapped, so a pipe or log gets it as one line.
    console.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False, markup=True, soft_wrap=True)
    return exit_code_for(exc)
