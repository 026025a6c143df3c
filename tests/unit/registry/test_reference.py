"""Image references and API endpoints derived from RegistrySettings."""

from __future__ import annotations

import pytest

from justpush.config import RegistrySettings
from justpush.errors import ConfigError, GenerationError
from justpush.registry import api_base_url, image_reference, parse_reference, registry_host


def test_reference_is_registry_repository_app_upload_id() -> None:
    settings = RegistrySettings(url="https://registry.example.com/", repository="Team/Apps")
    ref = image_reference(settings, "Orders API", "5f0c-01")
    assert str(ref) == "registry.example.com/team/apps/orders-api:5f0c-01"
    assert ref.name == "team/apps/orders-api"
    assert ref.pinned("sha256:" + "0" * 64) == "registry.example.com/team/apps/orders-api@sha256:" + "0" * 64


def test_empty_repository_gives_a_flat_name() -> None:
    ref = image_reference(RegistrySettings(url="localhost:5000", repository=""), "app", "u1")
    assert str(ref) == "localhost:5000/app:u1"


def test_docker_hub_defaults() -> None:
    settings = RegistrySettings(provider="dockerhub", repository="myorg")
    assert registry_host(settings) == "docker.io"
    assert api_base_url(settings) == "https://registry-1.docker.io"
    assert str(image_reference(settings, "api", "u1")) == "docker.io/myorg/api:u1"


@pytest.mark.parametrize(
    ("url", "insecure", "expected"),
    [
        ("localhost:5000", True, "http://localhost:5000"),
        ("localhost:5000", False, "https://localhost:5000"),
        # Unset: plain HTTP on localhost and 127.0.0.0/8 only, as Docker does.
        ("localhost:5000", None, "http://localhost:5000"),
        ("localhost", None, "http://localhost"),
        ("127.0.0.1:5000", None, "http://127.0.0.1:5000"),
        ("127.45.6.7:5000", None, "http://127.45.6.7:5000"),
        ("128.0.0.1:5000", None, "https://128.0.0.1:5000"),
        ("10.0.0.5:5000", None, "https://10.0.0.5:5000"),
        ("localhost.example.com:5000", None, "https://localhost.example.com:5000"),
        ("registry.example.com", None, "https://registry.example.com"),
        ("10.0.0.5:5000", True, "http://10.0.0.5:5000"),
        ("http://localhost:5001/", False, "http://localhost:5001"),
        ("us-docker.pkg.dev", False, "https://us-docker.pkg.dev"),
    ],
)
def test_api_base_url(url: str, insecure: bool | None, expected: str) -> None:
    assert api_base_url(RegistrySettings(url=url, insecure=insecure)) == expected


def test_missing_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        registry_host(RegistrySettings())


@pytest.mark.parametrize(("app", "upload_id"), [("!!!", "u1"), ("app", "bad tag"), ("app", "-x")])
def test_invalid_names_are_refused(app: str, upload_id: str) -> None:
    with pytest.raises(GenerationError):
        image_reference(RegistrySettings(url="r.test"), app, upload_id)


def test_parse_round_trips() -> None:
    ref = parse_reference("localhost:5000/justpush/app:u-1")
    assert (ref.host, ref.name, ref.tag) == ("localhost:5000", "justpush/app", "u-1")
    with pytest.raises(GenerationError):
        parse_reference("justpush/app:u1")
    with pytest.raises(GenerationError):
        parse_reference("localhost:5000/app")
