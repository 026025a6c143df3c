"""Encryption at rest, API token hashing, redaction in the audit trail."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from justpush.config import SecuritySettings
from justpush.errors import ConfigError
from justpush.security import SecretBox, generate_key, generate_token, hash_token, load_secret_box, redact


def test_secret_box_round_trip_and_ciphertext_hides_plaintext() -> None:
    box = SecretBox(generate_key())
    sealed = box.encrypt("kong-consumer-key")
    assert "kong-consumer-key" not in sealed
    assert box.decrypt(sealed) == "kong-consumer-key"
    assert "key" not in repr(box).replace("key=", "")


def test_wrong_key_cannot_decrypt() -> None:
    sealed = SecretBox(generate_key()).encrypt("x")
    with pytest.raises(ConfigError, match="cannot be decrypted"):
        SecretBox(generate_key()).decrypt(sealed)


def test_invalid_configured_key_refused() -> None:
    with pytest.raises(ConfigError, match="encryptionKey"):
        load_secret_box(SecuritySettings(encryption_key=SecretStr("short")), Path("/nonexistent"))


def test_generated_key_file_is_private_and_reused(tmp_path: Path) -> None:
    first = load_secret_box(SecuritySettings(), tmp_path)
    key_file = tmp_path / "encryption.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    second = load_secret_box(SecuritySettings(), tmp_path)
    assert second.decrypt(first.encrypt("v")) == "v"


def test_configured_key_wins_over_key_file(tmp_path: Path) -> None:
    key = generate_key()
    box = load_secret_box(SecuritySettings(encryption_key=SecretStr(key)), tmp_path)
    assert SecretBox(key).decrypt(box.encrypt("v")) == "v"
    assert not (tmp_path / "encryption.key").exists()


def test_tokens_are_random_and_only_their_hash_is_kept() -> None:
    a, b = generate_token(), generate_token()
    assert a.token != b.token
    assert a.token.startswith("jp_") and len(a.token) > 40
    assert a.token_hash == hash_token(a.token) != a.token
    assert a.prefix == a.token[:11]
    assert a.token not in repr(a)


def test_redact_masks_secret_looking_keys_recursively() -> None:
    details = {
        "image": "app:1",
        "env": {"API_KEY": "k", "password": "p", "PORT": "80"},
        "list": [{"token": "t"}],
    }
    assert redact(details) == {
        "image": "app:1",
        "env": {"API_KEY": "********", "password": "********", "PORT": "80"},
        "list": [{"token": "********"}],
    }
