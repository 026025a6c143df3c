"""Shared fixtures for analysis tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.analysis.spec_summary import APPS


@pytest.fixture
def apps_dir() -> Path:
    return APPS
