"""Credential generation: the only non-deterministic part of the package, kept out of the mapping."""

from __future__ import annotations

import secrets

from pydantic import SecretStr

from ._model import JwtKey


def generate_api_key() -> SecretStr:
    """A key-auth key: 32 random bytes, URL-safe base64 (43 characters)."""
    return SecretStr(secrets.token_urlsafe(32))


def generate_jwt_key(issuer: str | None = None) -> JwtKey:
    """An HS256 JWT credential; ``issuer`` becomes the key Kong matches against the token's ``iss``."""
    return JwtKey(key=issuer or secrets.token_hex(16), secret=SecretStr(secrets.token_urlsafe(48)))
