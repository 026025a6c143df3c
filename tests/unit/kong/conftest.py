"""Fixtures of the Kong tests: specs, targets, the Admin API emulator and a client bound to it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest
from pydantic import SecretStr

from justpush.config import KongSettings
from justpush.kong import KongClient, KongOptions, KongTarget
from tests.kong_emulator import REFERENCE_DIR, create_emulator

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def kong_reference() -> Path:
    # The reference files live next to the repository: <repo>/../shared/reference/kong.
    path = REPO_ROOT.parent / "shared" / "reference" / "kong"
    assert path == REFERENCE_DIR
    return path


@pytest.fixture(scope="session")
def deck_schema(kong_reference: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((kong_reference / "kong_json_schema.json").read_text())
    return data


@pytest.fixture
def target() -> KongTarget:
    return KongTarget(upload_id="u1", name="petstore", namespace="apps", port=8080)


@pytest.fixture
def options() -> KongOptions:
    return KongOptions()


@pytest.fixture
def emulator_app() -> Any:
    return create_emulator()


ClientFactory = Callable[..., KongClient]


@pytest.fixture
async def kong(emulator_app: Any) -> AsyncIterator[KongClient]:
    settings = KongSettings(admin_url="http://kong.test", concurrency=8, admin_token=SecretStr(""))
    async with KongClient(settings, transport=httpx2.ASGITransport(app=emulator_app)) as client:
        yield client
