"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) with a key from settings or a 0600 key file."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from justpush.config import SecuritySettings
from justpush.errors import ConfigError

logger = logging.getLogger(__name__)

KEY_FILE_NAME = "encryption.key"


class SecretBox:
    """Encrypts and decrypts short secrets (API keys, secret env values) to URL-safe text."""

    def __init__(self, key: bytes | str) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                "security.encryptionKey must be a Fernet key (32 bytes, URL-safe base64)"
            ) from exc

    def __repr__(self) -> str:
        return "SecretBox(key=********)"

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise ConfigError(
                "a stored secret cannot be decrypted: the encryption key changed or the data is corrupt"
            ) from exc


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def load_secret_box(settings: SecuritySettings, data_dir: Path) -> SecretBox:
    """The configured key, else `<data_dir>/encryption.key`, created with mode 0600 on first start."""
    configured = settings.encryption_key.get_secret_value()
    if configured:
        return SecretBox(configured)
    path = data_dir / KEY_FILE_NAME
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting at once must not both write a different key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return SecretBox(path.read_text(encoding="ascii").strip())
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(generate_key() + "\n")
    logger.info("generated a new encryption key", extra={"stage": "startup", "path": path.as_posix()})
    return SecretBox(path.read_text(encoding="ascii").strip())
