"""Container registries: image references (pure), credentials per provider, push/inspect/delete (I/O).

Providers: any OCI v2 registry (basic or bearer auth), Docker Hub, GCR/Artifact Registry
(``_json_key`` + JSON key, or ``oauth2accesstoken`` + access token) and ECR (token from boto3,
imported only for provider ``ecr``; install the ``aws`` extra).
"""

from ._auth import Credentials, RegistryAuth, resolve_credentials
from ._reference import (
    DOCKER_HUB_HOST,
    ImageReference,
    api_base_url,
    image_reference,
    parse_reference,
    push_location,
    registry_host,
)
from .client import MANIFEST_TYPES, PushedImage, RegistryClient

__all__ = [
    "DOCKER_HUB_HOST",
    "MANIFEST_TYPES",
    "Credentials",
    "ImageReference",
    "PushedImage",
    "RegistryAuth",
    "RegistryClient",
    "api_base_url",
    "image_reference",
    "parse_reference",
    "push_location",
    "registry_host",
    "resolve_credentials",
]
