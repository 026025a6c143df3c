"""Push, digest lookup and tag deletion against testenv's real registries; wrong credentials."""

from __future__ import annotations

import logging
import re
import secrets

import pytest
from pydantic import SecretStr

from justpush.config import RegistrySettings
from justpush.errors import RegistryError
from justpush.registry import RegistryClient, image_reference

pytestmark = pytest.mark.integration

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def _upload_id() -> str:
    return f"it-{secrets.token_hex(4)}"


async def test_push_to_the_plain_registry_then_delete_the_tag(tiny_image: str, plain_registry: str) -> None:
    settings = RegistrySettings(url=plain_registry, insecure=True, repository="justpush-it")
    upload_id = _upload_id()
    ref = image_reference(settings, "tiny", upload_id)
    client = RegistryClient(settings)
    progress: list[str] = []
    try:
        pushed = await client.push(tiny_image, ref, upload_id=upload_id, on_progress=progress.append)
        assert pushed.reference == f"{plain_registry}/justpush-it/tiny:{upload_id}"
        assert DIGEST.match(pushed.digest)
        assert pushed.pinned == f"{plain_registry}/justpush-it/tiny@{pushed.digest}"
        assert progress
        assert await client.manifest_digest(ref, upload_id=upload_id) == pushed.digest
        assert await client.delete(ref, upload_id=upload_id) is True
        assert await client.manifest_digest(ref, upload_id=upload_id) is None
        assert await client.delete(ref, upload_id=upload_id) is False
    finally:
        await client.aclose()


async def test_push_to_the_auth_registry_with_credentials(
    tiny_image: str, auth_registry: tuple[str, str, str]
) -> None:
    host, user, password = auth_registry
    settings = RegistrySettings(url=host, insecure=True, username=user, password=SecretStr(password))
    upload_id = _upload_id()
    ref = image_reference(settings, "tiny", upload_id)
    client = RegistryClient(settings)
    try:
        pushed = await client.push(tiny_image, ref, upload_id=upload_id)
        assert DIGEST.match(pushed.digest)
        assert await client.manifest_digest(ref, upload_id=upload_id) == pushed.digest
        deleted = await client.delete(ref, upload_id=upload_id)
        assert (await client.manifest_digest(ref, upload_id=upload_id) is None) == deleted
    finally:
        await client.aclose()


async def test_anonymous_push_to_the_auth_registry_is_refused(
    tiny_image: str, auth_registry: tuple[str, str, str]
) -> None:
    host, _, _ = auth_registry
    settings = RegistrySettings(url=host, insecure=True)
    client = RegistryClient(settings)
    try:
        with pytest.raises(RegistryError, match="rejected the credentials for 'anonymous access'"):
            await client.push(tiny_image, image_reference(settings, "tiny", _upload_id()), upload_id="it")
    finally:
        await client.aclose()


async def test_wrong_password_is_a_clear_error_that_never_shows_the_password(
    tiny_image: str, auth_registry: tuple[str, str, str], caplog: pytest.LogCaptureFixture
) -> None:
    host, user, _ = auth_registry
    wrong = f"wrong-{secrets.token_hex(12)}"
    settings = RegistrySettings(url=host, insecure=True, username=user, password=SecretStr(wrong))
    client = RegistryClient(settings)
    try:
        with caplog.at_level(logging.DEBUG), pytest.raises(RegistryError) as caught:
            await client.push(tiny_image, image_reference(settings, "tiny", _upload_id()), upload_id="it")
    finally:
        await client.aclose()
    message = str(caught.value)
    assert f"rejected the credentials for {user!r}" in message
    assert caught.value.status == 401
    assert wrong not in message and wrong not in repr(caught.value.args)
    assert wrong not in caplog.text
