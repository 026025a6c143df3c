"""Command-line interface (`justpush …`)."""

import sys

from justpush.errors import JustPushError

from ._app import app, group, load_settings
from ._errors import exit_code_for, report


def main() -> None:
    try:
        app()
    except JustPushError as exc:
        sys.exit(report(exc))


__all__ = ["app", "exit_code_for", "group", "load_settings", "main"]
