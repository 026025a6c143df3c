"""Shared fixtures for build unit tests."""

from __future__ import annotations

import pytest

from justpush.build import DockerfileOptions
from justpush.config import BuildSettings


@pytest.fixture
def options() -> DockerfileOptions:
    return DockerfileOptions(base_images=BuildSettings().base_images, upload_id="up-1")
