"""Fixtures for upload tests: limits, a workspace folder, a writer for archive bytes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from justpush.config import UploadSettings


@pytest.fixture
def limits() -> UploadSettings:
    return UploadSettings(max_bytes=10 * 1024 * 1024, max_files=50, max_compression_ratio=100)


@pytest.fixture
def write_archive(tmp_path: Path) -> Callable[[bytes], Path]:
    def write(data: bytes) -> Path:
        path = tmp_path / "upload.bin"
        path.write_bytes(data)
        return path

    return write


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "ws" / "abc"
    path.mkdir(parents=True)
    return path
