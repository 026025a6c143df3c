"""Kong Gateway: OpenAPI → Kong entities (pure), decK and KIC exports, and the Admin API client.

See MAPPING.md in this folder for the mapping rules.
"""

from ._deck import FORMAT_VERSION, route_fields, service_fields, to_deck, to_declarative
from ._kic import to_kic
from ._mapping import gateway_prefix, openapi_to_kong, tenant_segment
from ._model import (
    AclCredential,
    BasicAuthCredential,
    Cors,
    Developer,
    JwtCredential,
    JwtKey,
    KeyAuthCredential,
    KongConfig,
    KongConsumer,
    KongOptions,
    KongPlugin,
    KongRoute,
    KongService,
    KongTarget,
    RateLimit,
    acl_group,
    ownership_tags,
)
from ._names import NAMESPACE, entity_id
from ._secrets import generate_api_key, generate_jwt_key
from .client import KongClient, KongStatus, SyncResult

__all__ = [
    "FORMAT_VERSION",
    "NAMESPACE",
    "AclCredential",
    "BasicAuthCredential",
    "Cors",
    "Developer",
    "JwtCredential",
    "JwtKey",
    "KeyAuthCredential",
    "KongClient",
    "KongConfig",
    "KongConsumer",
    "KongOptions",
    "KongPlugin",
    "KongRoute",
    "KongService",
    "KongStatus",
    "KongTarget",
    "RateLimit",
    "SyncResult",
    "acl_group",
    "entity_id",
    "gateway_prefix",
    "generate_api_key",
    "generate_jwt_key",
    "openapi_to_kong",
    "ownership_tags",
    "route_fields",
    "service_fields",
    "tenant_segment",
    "to_deck",
    "to_declarative",
    "to_kic",
]
