"""Configuration layering, `${VAR}` substitution and masking."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from justpush.config import load, masked_dump
from justpush.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load(None, {})
    assert settings.deployment.enabled is False
    assert settings.kubernetes.namespace == "justpush-apps"
    assert settings.database_url == "sqlite:///data/justpush.db"


def test_layers_defaults_file_local_environment(tmp_path: Path) -> None:
    config = write(
        tmp_path / "app-config.yaml",
        "kong:\n  adminUrl: http://file:8001\n  gatewayUrl: http://file:8000\nserver:\n  port: 9000\n",
    )
    write(tmp_path / "app-config.local.yaml", "kong:\n  adminUrl: http://local:8001\n")
    settings = load(config, {"JUSTPUSH_SERVER__PORT": "9100"})
    assert settings.kong.admin_url == "http://local:8001"  # local file beats the file
    assert settings.kong.gateway_url == "http://file:8000"  # untouched keys survive the merge
    assert settings.server.port == 9100  # environment beats both
    assert settings.kubernetes.namespace == "justpush-apps"  # default


def test_substitution_with_defaults(tmp_path: Path) -> None:
    config = write(
        tmp_path / "c.yaml",
        "containerRegistry:\n  url: ${REGISTRY:-localhost:5000}\n  password: ${REG_PW}\n"
        "kong:\n  adminUrl: literal-$${NOT_A_VAR}\n",
    )
    settings = load(config, {"REG_PW": "s3cret"})
    assert settings.container_registry.url == "localhost:5000"
    assert settings.container_registry.password.get_secret_value() == "s3cret"
    assert settings.kong.admin_url == "literal-${NOT_A_VAR}"


def test_missing_variable_names_key_and_variable(tmp_path: Path) -> None:
    config = write(tmp_path / "c.yaml", "kubernetes:\n  token: ${K8S_TOKEN}\n")
    with pytest.raises(ConfigError) as info:
        load(config, {})
    assert "kubernetes.token" in info.value.message
    assert "K8S_TOKEN" in info.value.message
    assert info.value.details == {"key": "kubernetes.token", "variable": "K8S_TOKEN"}


def test_explicit_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load(tmp_path / "nope.yaml", {})


def test_config_path_from_environment(tmp_path: Path) -> None:
    config = write(tmp_path / "elsewhere.yaml", "deployment:\n  enabled: true\n")
    assert load(None, {"JUSTPUSH_CONFIG": str(config)}).deployment.enabled is True


def test_unknown_key_refused_with_its_path(tmp_path: Path) -> None:
    config = write(tmp_path / "c.yaml", "kong:\n  adminUrll: x\n")
    with pytest.raises(ConfigError, match=r"kong\.adminUrll"):
        load(config, {})


def test_masked_dump_hides_every_secret(tmp_path: Path) -> None:
    config = write(
        tmp_path / "c.yaml",
        "containerRegistry:\n  password: reg-pw\nkubernetes:\n  token: k8s-tok\n"
        "kong:\n  adminToken: kong-tok\nsecurity:\n  encryptionKey: fernet-key\n"
        "database:\n  url: postgresql://jp:db-pw@localhost/jp\n",
    )
    dumped = masked_dump(load(config, {}))
    text = repr(dumped)
    for secret in ("reg-pw", "k8s-tok", "kong-tok", "fernet-key", "db-pw"):
        assert secret not in text
    assert dumped["containerRegistry"]["password"] == "********"
    assert dumped["database"]["url"] == "postgresql://jp:********@localhost/jp"
    assert dumped["kubernetes"]["namespace"] == "justpush-apps"


def test_logging_and_upload_settings(tmp_path: Path) -> None:
    config = write(
        tmp_path / "c.yaml",
        "server:\n  logFormat: json\nuploads:\n  gitSchemes: [https, file]\n  maxFiles: 5\n",
    )
    settings = load(config, {})
    assert settings.server.log_format == "json"
    assert settings.uploads.git_schemes == ("https", "file")
    with pytest.raises(ConfigError, match="logFormat"):
        load(write(tmp_path / "bad.yaml", "server:\n  logFormat: xml\n"), {})


def test_example_config_loads_and_documents_every_section() -> None:
    example = Path(__file__).parents[3] / "app-config.example.yaml"
    settings = load(example, {})
    assert settings.deployment.enabled is False
    assert settings.database_url.startswith("sqlite:///")
    sections = {field.alias for field in type(settings).model_fields.values()}

    assert set(yaml.safe_load(example.read_text())) == sections
