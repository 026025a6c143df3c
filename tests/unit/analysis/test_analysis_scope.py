"""One parse per analysis (and a fresh one for the next), and the collector paused only while analyses run."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from justpush.analysis import _gc, analyze
from justpush.analysis._gc import collection_paused
from justpush.analysis._scope import analysis_scope, once_per_analysis
from justpush.analysis.python import _frontend

APP = (
    "import os\n"
    "from fastapi import FastAPI\n\n"
    "app = FastAPI()\n"
    "REGION = os.environ.get('REGION') or 'eu-west-1'\n\n\n"
    "@app.get('/items')\n"
    "def items():\n"
    "    return []\n"
)


@pytest.fixture
def gc_enabled() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_once_per_analysis_inside_a_scope_only() -> None:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    with analysis_scope():
        assert once_per_analysis("k", compute) == 1
        assert once_per_analysis("k", compute) == 1
        assert once_per_analysis("other", compute) == 2
    with analysis_scope():
        assert once_per_analysis("k", compute) == 3
    assert once_per_analysis("k", compute) == 4
    assert once_per_analysis("k", compute) == 5


def test_an_analysis_parses_the_project_once_and_the_next_sees_edits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "requirements.txt").write_text("fastapi\n")
    (tmp_path / "main.py").write_text(APP)
    builds: list[Path] = []
    real_build = _frontend.build_index

    def counting_build(root: Path, warnings: list[str], evidence_prefix: str = "") -> _frontend.PythonIndex:
        builds.append(root)
        return real_build(root, warnings, evidence_prefix)

    monkeypatch.setattr(_frontend, "build_index", counting_build)
    first = analyze(tmp_path)
    assert len(builds) == 1
    assert list(first.spec["paths"]) == ["/items"]
    assert {v.name: v.default for v in first.profile.env_vars}["REGION"] == "eu-west-1"

    (tmp_path / "main.py").write_text(APP.replace("/items", "/things"))
    second = analyze(tmp_path)
    assert len(builds) == 2
    assert list(second.spec["paths"]) == ["/things"]


def test_collection_paused_while_any_analysis_runs(gc_enabled: None) -> None:
    first_in = threading.Event()
    first_may_leave = threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with collection_paused():
            first_in.set()
            first_may_leave.wait(5)
        seen.append(gc.isenabled())

    thread = threading.Thread(target=first)
    thread.start()
    assert first_in.wait(5)
    with collection_paused():
        first_may_leave.set()
        thread.join(5)
        # The first analysis ended, this one still runs.
        assert seen == [False]
        assert not gc.isenabled()
    assert gc.isenabled()


def test_collection_stays_off_when_it_was_off(gc_enabled: None) -> None:
    gc.disable()
    with collection_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_overlapping_analyses_do_not_pause_the_collector_forever(
    gc_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_gc, "MAX_PAUSE_SECONDS", 0.0)
    first_in = threading.Event()
    first_may_leave = threading.Event()

    def first() -> None:
        with collection_paused():
            first_in.set()
            first_may_leave.wait(5)

    thread = threading.Thread(target=first)
    thread.start()
    assert first_in.wait(5)
    with collection_paused():
        assert not gc.isenabled()
        first_may_leave.set()
        thread.join(5)
        # The first one ended past the bound: the collector is back although this analysis still runs.
        assert gc.isenabled()
    assert gc.isenabled()
