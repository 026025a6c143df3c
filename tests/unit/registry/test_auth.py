"""Credentials per provider and the v2 API flows, against pinned URLs on httpx.MockTransport."""

from __future__ import annotations

import base64
import logging
import sys
import types
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from justpush.config import RegistrySettings
from justpush.errors import ConfigError, RegistryError
from justpush.registry import RegistryClient, parse_reference, resolve_credentials

PASSWORD = "s3cr3t-pa55"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_generic_basic_credentials() -> None:
    creds = resolve_credentials(RegistrySettings(url="r.test", username="u", password=SecretStr(PASSWORD)))
    assert creds is not None and (creds.username, creds.password) == ("u", PASSWORD)
    assert PASSWORD not in repr(creds)
    assert creds.auth_config("r.test") == {"username": "u", "password": PASSWORD, "serveraddress": "r.test"}


def test_anonymous_and_half_configured() -> None:
    assert resolve_credentials(RegistrySettings(url="r.test")) is None
    with pytest.raises(ConfigError):
        resolve_credentials(RegistrySettings(url="r.test", username="u"))


@pytest.mark.parametrize(
    ("secret", "user"),
    [('{"type": "service_account", "private_key": "k"}', "_json_key"), ("ya29.token", "oauth2accesstoken")],
)
def test_gcr_usernames(secret: str, user: str) -> None:
    creds = resolve_credentials(RegistrySettings(url="gcr.io", provider="gcr", password=SecretStr(secret)))
    assert creds is not None and creds.username == user and creds.password == secret


def test_ecr_token_via_boto3(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str]] = []

    class FakeEcr:
        def get_authorization_token(self) -> dict[str, Any]:
            token = base64.b64encode(b"AWS:ecr-password").decode()
            return {"authorizationData": [{"authorizationToken": token}]}

    def client(service: str, region_name: str) -> FakeEcr:
        calls.append((service, region_name))
        return FakeEcr()

    monkeypatch.setitem(sys.modules, "boto3", types.SimpleNamespace(client=client))
    settings = RegistrySettings(
        url="1.dkr.ecr.eu-west-1.amazonaws.com", provider="ecr", aws_region="eu-west-1"
    )
    creds = resolve_credentials(settings)
    assert creds is not None and (creds.username, creds.password) == ("AWS", "ecr-password")
    assert calls == [("ecr", "eu-west-1")]


def test_ecr_without_boto3_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(ConfigError, match="aws"):
        resolve_credentials(RegistrySettings(url="x.test", provider="ecr", aws_region="eu-west-1"))


def _client(settings: RegistrySettings, handler: Any) -> RegistryClient:
    return RegistryClient(settings, transport=httpx.MockTransport(handler))


async def test_bearer_flow_fetches_a_token_with_basic_credentials() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url}")
        if request.url.host == "auth.test":
            assert request.headers["Authorization"] == _basic("u", PASSWORD)
            assert request.url.params["scope"] == "repository:team/app:pull"
            return httpx.Response(200, json={"token": "tok-1"})
        if request.headers.get("Authorization") != "Bearer tok-1":
            challenge = (
                'Bearer realm="https://auth.test/token",service="reg.test",scope="repository:team/app:pull"'
            )
            return httpx.Response(401, headers={"WWW-Authenticate": challenge})
        assert request.headers["Accept"].startswith("application/vnd.oci.image.index.v1+json")
        return httpx.Response(200, headers={"Docker-Content-Digest": "sha256:abc"})

    settings = RegistrySettings(url="reg.test", username="u", password=SecretStr(PASSWORD))
    client = _client(settings, handler)
    assert await client.manifest_digest("reg.test/team/app:u1", upload_id="u1") == "sha256:abc"
    await client.aclose()
    assert seen == [
        "HEAD https://reg.test/v2/team/app/manifests/u1",
        "GET https://auth.test/token?service=reg.test&scope=repository%3Ateam%2Fapp%3Apull",
        "HEAD https://reg.test/v2/team/app/manifests/u1",
    ]


async def test_delete_heads_the_manifest_then_deletes_by_digest() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        if request.method == "HEAD":
            return httpx.Response(200, headers={"Docker-Content-Digest": "sha256:d1"})
        return httpx.Response(202)

    client = _client(RegistrySettings(url="localhost:5000", insecure=True), handler)
    assert await client.delete("localhost:5000/justpush/app:u1", upload_id="u1") is True
    await client.aclose()
    assert seen == ["HEAD /v2/justpush/app/manifests/u1", "DELETE /v2/justpush/app/manifests/sha256:d1"]


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(405),
        httpx.Response(400, json={"errors": [{"code": "UNSUPPORTED"}]}),
        httpx.Response(403, json={"errors": [{"code": "UNSUPPORTED"}]}),
    ],
)
async def test_delete_not_allowed_is_a_warning(
    response: httpx.Response, caplog: pytest.LogCaptureFixture
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "HEAD":
            return httpx.Response(200, headers={"Docker-Content-Digest": "sha256:d1"})
        return response

    client = _client(RegistrySettings(url="localhost:5000", insecure=True), handler)
    with caplog.at_level(logging.WARNING, logger="justpush.registry"):
        assert await client.delete("localhost:5000/app:u1", upload_id="u1") is False
    await client.aclose()
    assert any("does not allow deleting" in record.getMessage() for record in caplog.records)


async def test_delete_of_a_missing_tag_is_not_an_error() -> None:
    client = _client(RegistrySettings(url="localhost:5000", insecure=True), lambda r: httpx.Response(404))
    assert await client.delete("localhost:5000/app:u1", upload_id="u1") is False
    await client.aclose()


async def test_wrong_credentials_give_a_clear_error_without_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        # Echo the credentials back, as a badly behaved registry might.
        body = f"denied for {request.headers.get('Authorization', '')} {PASSWORD}"
        return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'}, text=body)

    settings = RegistrySettings(url="reg.test", username="jp", password=SecretStr(PASSWORD))
    client = _client(settings, handler)
    with caplog.at_level(logging.DEBUG), pytest.raises(RegistryError) as caught:
        await client.check_credentials(
            parse_reference("reg.test/app:u1"),
            upload_id="u1",
        )
    await client.aclose()
    message = str(caught.value)
    assert "rejected the credentials for 'jp'" in message and caught.value.status == 401
    assert PASSWORD not in message and PASSWORD not in repr(caught.value.detail)
    assert all(PASSWORD not in record.getMessage() for record in caplog.records)
    encoded = base64.b64encode(f"jp:{PASSWORD}".encode()).decode()
    assert encoded not in message and encoded not in caplog.text


async def test_transport_errors_become_registry_errors_without_secrets() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot connect (password was {PASSWORD})")

    settings = RegistrySettings(url="reg.test", username="jp", password=SecretStr(PASSWORD))
    client = _client(settings, handler)
    with pytest.raises(RegistryError) as caught:
        await client.manifest_digest("reg.test/app:u1", upload_id="u1")
    await client.aclose()
    assert "ConnectError" in str(caught.value) and PASSWORD not in str(caught.value)
