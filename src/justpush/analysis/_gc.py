"""Cyclic garbage collection paused while an analysis runs.

An analysis keeps every parsed syntax tree of the project until it ends (about 250 nodes per Python file,
half a million for 2,000 files), and allocates them fast enough that CPython's collector runs many times in
between, each run walking the trees built so far again: on 2,000 files that was more CPU time than parsing
them. Syntax trees hold no reference cycles (the analysis frees what it drops by reference counting), so
the collector finds nothing there; it resumes when the last running analysis ends. Analyses run in threads,
so the pause is counted.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_running = 0
# Whether the collector was on when the first of the running analyses paused it.
_was_enabled = False


@contextmanager
def collection_paused() -> Iterator[None]:
    global _running, _was_enabled
    with _lock:
        if _running == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0 and _was_enabled:
                gc.enable()
