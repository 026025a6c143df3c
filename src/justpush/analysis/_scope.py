"""Values computed once per analysis (a language's parsed project) and dropped when the analysis ends.

Detection, extraction and the env/port scans all read the same project; `analyze` opens a scope so they
share one parse, and closing it frees the syntax trees rather than keeping them for a later analysis.
Outside a scope (a front-end called on its own) every call computes afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar, cast

T = TypeVar("T")

_memo: ContextVar[dict[Hashable, object] | None] = ContextVar("analysis_memo", default=None)


@contextmanager
def analysis_scope() -> Iterator[None]:
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def once_per_analysis(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, run at most once per key in the running analysis."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return cast(T, memo[key])
