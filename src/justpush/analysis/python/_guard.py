"""One route's failure must not lose the others: run a step, turn any error into a located warning."""

from __future__ import annotations

from collections.abc import Callable


def guarded(warnings: list[str], where: str, line: int | None, what: str, step: Callable[[], None]) -> None:
    """Run ``step``; on an exception append "<file>:<line>: <what> left out (<reason>)" and go on."""
    try:
        step()
    except RecursionError:
        warnings.append(f"{where}:{line or '?'}: {what} left out (code nested too deeply to analyse)")
    except Exception as exc:  # an analyser bug on one route must not drop the rest of the API
        warnings.append(f"{where}:{line or '?'}: {what} left out ({type(exc).__name__}: {exc})")
