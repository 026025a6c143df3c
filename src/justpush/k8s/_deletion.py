"""What a delete is still waiting for, as one line a person reads (pure)."""

from __future__ import annotations

from collections.abc import Sequence

# Names listed in one line; more are counted.
_SHOWN = 3


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    more = len(names) - _SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def deletion_wait_message(left: Sequence[tuple[str, str]]) -> str:
    """`left` is (kind, name) of every object still present; pods come first, as they take longest."""
    pods = sorted(name for kind, name in left if kind == "Pod")
    others = sorted(f"{kind}/{name}" for kind, name in left if kind != "Pod")
    parts = []
    if pods:
        noun = "pod" if len(pods) == 1 else "pods"
        parts.append(f"waiting for {len(pods)} {noun} to terminate ({_names(pods)})")
    if others:
        noun = "object" if len(others) == 1 else "objects"
        lead = "and" if pods else "waiting for"
        parts.append(f"{lead} {len(others)} {noun} to go ({_names(others)})")
    return " ".join(parts) if parts else "every object is gone"
