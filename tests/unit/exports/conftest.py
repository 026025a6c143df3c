from __future__ import annotations

from typing import Any

import pytest

from justpush.kong import KongConfig
from tests.unit.exports.sample import sample_kong_config, sample_manifests


@pytest.fixture
def manifests() -> list[dict[str, Any]]:
    return sample_manifests()


@pytest.fixture
def kong_config() -> KongConfig:
    return sample_kong_config()
