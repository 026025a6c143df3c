"""Kong entities and the inputs of the mapping, as frozen pydantic models.

Entities hold references by id (``service_id``, ``route_id``, ``consumer_id``); the output modules
(decK, KIC, Admin API bodies) decide how a reference is spelled.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from justpush.config import GatewaySettings

from ._names import slugify

# Kong tags: printable ASCII without "," and "/" (they are the AND/OR separators of the tags filter).
_TAG_SAFE = re.compile(r"^[\x21-\x7e]+$")
HTTP_METHODS = ("GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE")
ROUTE_PROTOCOLS = ("http", "https", "grpc", "grpcs", "ws", "wss")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KongService(_Frozen):
    id: str
    name: str
    protocol: Literal["http", "https"] = "http"
    host: str
    port: int = Field(ge=1, le=65535)
    path: str | None = None
    connect_timeout: int = 60_000
    read_timeout: int = 60_000
    write_timeout: int = 60_000
    retries: int = 5
    tags: tuple[str, ...] = ()


class KongRoute(_Frozen):
    id: str
    name: str
    service_id: str
    paths: tuple[str, ...]
    methods: tuple[str, ...]
    protocols: tuple[str, ...] = ("http", "https")
    # Always false on full-path regex routes: Kong strips the whole regex match (see MAPPING.md).
    strip_path: bool = False
    preserve_host: bool = False
    regex_priority: int = 0
    https_redirect_status_code: int = 426
    request_buffering: bool = True
    response_buffering: bool = True
    path_handling: Literal["v0", "v1"] = "v0"
    tags: tuple[str, ...] = ()
    # The OpenAPI operation this route serves ("GET /users/{id}"); not sent to Kong.
    operation: str = Field("", exclude=True)


class KongPlugin(_Frozen):
    id: str
    name: str
    config: dict[str, Any] = Field(default_factory=dict)
    service_id: str | None = None
    route_id: str | None = None
    consumer_id: str | None = None
    enabled: bool = True
    tags: tuple[str, ...] = ()


class KongConsumer(_Frozen):
    id: str
    username: str
    custom_id: str
    tags: tuple[str, ...] = ()


class KeyAuthCredential(_Frozen):
    id: str
    consumer_id: str
    key: SecretStr
    tags: tuple[str, ...] = ()


class JwtCredential(_Frozen):
    id: str
    consumer_id: str
    # Matched against the token's `iss` claim (Kong's default key_claim_name).
    key: str
    secret: SecretStr
    algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    tags: tuple[str, ...] = ()


class BasicAuthCredential(_Frozen):
    id: str
    consumer_id: str
    username: str
    password: SecretStr
    tags: tuple[str, ...] = ()


class AclCredential(_Frozen):
    """Membership of a consumer in an ACL group (Kong's ``acls`` entity)."""

    id: str
    consumer_id: str
    group: str
    tags: tuple[str, ...] = ()


class KongConfig(_Frozen):
    """Everything one upload owns in Kong; every list sorted, every entity tagged."""

    upload_id: str
    service: KongService
    routes: tuple[KongRoute, ...] = ()
    plugins: tuple[KongPlugin, ...] = ()
    consumers: tuple[KongConsumer, ...] = ()
    key_auth_credentials: tuple[KeyAuthCredential, ...] = ()
    jwt_credentials: tuple[JwtCredential, ...] = ()
    basic_auth_credentials: tuple[BasicAuthCredential, ...] = ()
    acl_credentials: tuple[AclCredential, ...] = ()
    # Things a human should know (enterprise plugins, dropped alternatives, ambiguous paths).
    warnings: tuple[str, ...] = ()

    @property
    def tags(self) -> tuple[str, str]:
        return ownership_tags(self.upload_id)


def ownership_tags(upload_id: str) -> tuple[str, str]:
    return ("justpush", f"upload:{upload_id}")


def acl_group(upload_id: str) -> str:
    """The ACL group that admits a consumer to one upload's authenticated routes."""
    return f"justpush-upload-{upload_id}"


class KongTarget(_Frozen):
    """Where the gateway sends traffic: a Kubernetes Service by default, or an explicit URL."""

    upload_id: str
    # Service name in Kong (unique on the gateway); route and consumer names start with it.
    name: str
    service_name: str = ""
    namespace: str = "default"
    port: int = Field(80, ge=1, le=65535)
    url: str | None = None

    @field_validator("upload_id")
    @classmethod
    def _tag_safe(cls, value: str) -> str:
        if not _TAG_SAFE.match(value) or "," in value or "/" in value:
            raise ValueError("upload_id must be printable ASCII without ',' or '/' (it becomes a Kong tag)")
        return value

    def upstream_url(self) -> str:
        if self.url:
            return self.url
        service = self.service_name or slugify(self.name)
        return f"http://{service}.{self.namespace}.svc.cluster.local:{self.port}"


class JwtKey(_Frozen):
    key: str
    secret: SecretStr
    algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"


class Developer(_Frozen):
    """A consumer of the deployed API; the secrets are inputs (see ``generate_api_key``)."""

    username: str
    api_key: SecretStr | None = None
    jwt: JwtKey | None = None
    basic_password: SecretStr | None = None


class RateLimit(_Frozen):
    second: int | None = None
    minute: int | None = None
    hour: int | None = None
    day: int | None = None
    policy: Literal["local", "cluster", "redis"] = "local"

    def config(self) -> dict[str, Any]:
        limits = {
            k: v
            for k, v in (
                ("second", self.second),
                ("minute", self.minute),
                ("hour", self.hour),
                ("day", self.day),
            )
            if v is not None
        }
        return {**limits, "policy": self.policy}


class Cors(_Frozen):
    origins: tuple[str, ...] = ("*",)
    methods: tuple[str, ...] = HTTP_METHODS
    headers: tuple[str, ...] = ()
    credentials: bool = False
    max_age: int = 3600

    def config(self) -> dict[str, Any]:
        return {
            "origins": list(self.origins),
            "methods": sorted({m.upper() for m in self.methods}),
            "headers": list(self.headers),
            "credentials": self.credentials,
            "max_age": self.max_age,
        }


PluginOverrides = Mapping[str, dict[str, Any] | None]


class KongOptions(_Frozen):
    """Every knob of the mapping; ``from_settings`` takes the defaults from app-config.yaml."""

    path_prefix: str = ""
    strip_path: bool = True
    preserve_host: bool = False
    protocols: tuple[str, ...] = ("http", "https")
    connect_timeout_ms: int = 60_000
    read_timeout_ms: int = 60_000
    write_timeout_ms: int = 60_000
    retries: int = 5
    rate_limit: RateLimit | None = RateLimit(minute=60, hour=1000)
    cors: Cors | None = Cors()
    request_transformer: dict[str, Any] | None = None
    response_transformer: dict[str, Any] | None = None
    # Extra service-level plugins by name (config) from the deployment; None removes a default.
    plugins: dict[str, dict[str, Any] | None] = Field(default_factory=dict)
    # Per-operation plugin overrides; key is an operationId or "METHOD /path". None removes a plugin.
    operation_plugins: dict[str, dict[str, dict[str, Any] | None]] = Field(default_factory=dict)
    developers: tuple[Developer, ...] = ()
    # Plugins a spec's extensions may name (gateway.allowedPlugins); the rest are dropped with a warning.
    allowed_plugins: tuple[str, ...] = GatewaySettings().allowed_plugins

    @classmethod
    def from_settings(cls, gateway: GatewaySettings, **overrides: Any) -> KongOptions:
        rl = gateway.rate_limit
        limits = (rl.second, rl.minute, rl.hour)
        cors = gateway.cors
        values: dict[str, Any] = {
            "path_prefix": gateway.path_prefix,
            "strip_path": gateway.strip_path,
            "preserve_host": gateway.preserve_host,
            "protocols": gateway.protocols,
            "connect_timeout_ms": gateway.connect_timeout_ms,
            "read_timeout_ms": gateway.read_timeout_ms,
            "write_timeout_ms": gateway.write_timeout_ms,
            "retries": gateway.retries,
            "allowed_plugins": gateway.allowed_plugins,
            "rate_limit": (
                RateLimit(second=rl.second, minute=rl.minute, hour=rl.hour, policy=rl.policy)
                if any(v is not None for v in limits)
                else None
            ),
            "cors": (
                Cors(
                    origins=cors.origins,
                    methods=cors.methods,
                    headers=cors.headers,
                    credentials=cors.credentials,
                    max_age=cors.max_age,
                )
                if cors.enabled
                else None
            ),
        }
        return cls(**{**values, **overrides})
