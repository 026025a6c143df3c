"""Fixtures for the tree-sitter extractor tests; the expectation helpers live in `expectations`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from justpush.analysis import ProjectProfile
from tests.unit.analysis.lang.expectations import FIXTURES


@pytest.fixture
def fixture_app() -> Any:
    def get(name: str, language: str) -> tuple[Path, ProjectProfile]:
        return FIXTURES / name, ProjectProfile(language=language)  # type: ignore[arg-type]

    return get
