"""Push the sample images built from generated Dockerfiles to testenv's plain and auth registries."""

from __future__ import annotations

import os
import re

import anyio
import pytest
from pydantic import SecretStr

from justpush.build import BuiltImage
from justpush.config import RegistrySettings
from justpush.registry import RegistryClient, image_reference

pytestmark = pytest.mark.integration

# The auth registry shares no layers with the base images, so only the two smallest go there.
TARGETS = [
    ("python-flask", "plain"),
    ("node-express", "plain"),
    ("go-nethttp", "plain"),
    ("java-plain", "plain"),
    ("go-nethttp", "auth"),
    ("python-flask", "auth"),
]


def _settings(kind: str) -> RegistrySettings:
    if kind == "plain":
        url = os.environ.get("JUSTPUSH_TEST_REGISTRY")
        if not url:
            pytest.skip("JUSTPUSH_TEST_REGISTRY is not set")
        return RegistrySettings(url=url, insecure=True, repository="justpush-it")
    names = (
        "JUSTPUSH_TEST_AUTH_REGISTRY",
        "JUSTPUSH_TEST_AUTH_REGISTRY_USER",
        "JUSTPUSH_TEST_AUTH_REGISTRY_PASSWORD",
    )
    values = [os.environ.get(name, "") for name in names]
    if not all(values):
        pytest.skip("auth registry variables are not set")
    return RegistrySettings(
        url=values[0],
        insecure=True,
        username=values[1],
        password=SecretStr(values[2]),
        repository="justpush-it",
    )


@pytest.mark.parametrize(("name", "kind"), TARGETS)
def test_push_sample(name: str, kind: str, sample_images: dict[str, BuiltImage]) -> None:
    settings = _settings(kind)

    async def push() -> None:
        client = RegistryClient(settings)
        ref = image_reference(settings, name, "it-push")
        try:
            pushed = await client.push(sample_images[name].tag, ref, upload_id="it-push")
            assert re.fullmatch(r"sha256:[0-9a-f]{64}", pushed.digest)
            assert await client.manifest_digest(ref, upload_id="it-push") == pushed.digest
        finally:
            await client.aclose()

    anyio.run(push)
