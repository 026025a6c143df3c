"""Cyclic garbage collection paused while an analysis runs.

An analysis keeps the syntax tree of every Python file it parsed (up to a few hundred nodes each) until
it ends, and allocates them fast enough that CPython's collector would run many times meanwhile, each
run walking all the trees built so far again: on 2,000 files that cost more CPU time than parsing them.
Syntax trees hold no reference cycles, so the collector has little to find there; the analysis drops
them when it ends (``_scope``), before the collector resumes with the last running analysis. Analyses
run in threads, so the pause is counted, and bounded: a server whose analyses overlap without a break
gets the collector back when one ends after ``MAX_PAUSE_SECONDS``.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

MAX_PAUSE_SECONDS = 30.0

_lock = threading.Lock()
_running = 0
# Whether the collector was on when the first of the running analyses paused it (and is still to resume).
_was_enabled = False
_paused_at = 0.0


@contextmanager
def collection_paused() -> Iterator[None]:
    global _running, _was_enabled, _paused_at
    with _lock:
        if _running == 0:
            _was_enabled = gc.isenabled()
            _paused_at = time.monotonic()
            gc.disable()
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            overdue = time.monotonic() - _paused_at > MAX_PAUSE_SECONDS
            if _was_enabled and (_running == 0 or overdue):
                _was_enabled = False
                gc.enable()
