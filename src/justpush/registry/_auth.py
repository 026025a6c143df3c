"""Registry credentials per provider, and the v2 API auth flow (basic, or bearer via WWW-Authenticate)."""

from __future__ import annotations

import base64
import importlib
import re
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import httpx

from justpush.config import RegistrySettings
from justpush.errors import ConfigError, RegistryError

_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)

    def auth_config(self, server: str) -> dict[str, str]:
        """The docker SDK's ``auth_config`` for a push."""
        return {"username": self.username, "password": self.password, "serveraddress": server}


def resolve_credentials(settings: RegistrySettings) -> Credentials | None:
    """Credentials for ``settings.provider``; None for an anonymous registry.

    Blocking for ECR (an AWS API call); run it in a thread.
    """
    password = settings.password.get_secret_value()
    if settings.provider == "ecr":
        return _ecr_credentials(settings)
    if settings.provider == "gcr" and password and not settings.username:
        # A service-account JSON key, or an OAuth2 access token (e.g. from gcloud).
        user = "_json_key" if password.lstrip().startswith("{") else "oauth2accesstoken"
        return Credentials(user, password)
    if not settings.username and not password:
        return None
    if not settings.username or not password:
        raise ConfigError("containerRegistry needs both username and password (or neither)")
    return Credentials(settings.username, password)


def _ecr_credentials(settings: RegistrySettings) -> Credentials:
    try:
        boto3: Any = importlib.import_module("boto3")
    except ImportError as exc:
        raise ConfigError("provider 'ecr' needs the 'aws' extra (boto3)") from exc
    if not settings.aws_region:
        raise ConfigError("provider 'ecr' needs containerRegistry.awsRegion")
    try:
        response = boto3.client("ecr", region_name=settings.aws_region).get_authorization_token()
        token = response["authorizationData"][0]["authorizationToken"]
        username, _, password = base64.b64decode(token).decode("utf-8").partition(":")
    except Exception as exc:
        # botocore's exceptions are many and generated at run time; none carries our secrets.
        raise RegistryError(f"ECR get_authorization_token failed: {type(exc).__name__}") from exc
    return Credentials(username, password)


class RegistryAuth(httpx.Auth):
    """Answers the registry's challenge: Basic, or Bearer with a token from the realm it names."""

    # The token endpoint's JSON body must be read inside the flow.
    requires_response_body = True

    def __init__(self, credentials: Credentials | None) -> None:
        self._credentials = credentials
        self._token: str | None = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._token:
            request.headers["Authorization"] = f"Bearer {self._token}"
        response = yield request
        if response.status_code != 401:
            return
        scheme, params = _parse_challenge(response.headers.get("WWW-Authenticate", ""))
        if scheme == "basic" and self._credentials is not None:
            request.headers["Authorization"] = _basic(self._credentials)
            yield request
        elif scheme == "bearer" and "realm" in params:
            query: dict[str, str] = {key: params[key] for key in ("service", "scope") if key in params}
            token_request = httpx.Request("GET", params["realm"], params=query)
            if self._credentials is not None:
                token_request.headers["Authorization"] = _basic(self._credentials)
            token_response = yield token_request
            if token_response.status_code != 200:
                # The caller sees the original 401 and reports rejected credentials.
                return
            body = token_response.json()
            self._token = str(body.get("token") or body.get("access_token") or "")
            request.headers["Authorization"] = f"Bearer {self._token}"
            yield request


def _basic(credentials: Credentials) -> str:
    raw = f"{credentials.username}:{credentials.password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def _parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    scheme, _, rest = header.strip().partition(" ")
    return scheme.lower(), dict(_CHALLENGE_PARAM.findall(rest))
