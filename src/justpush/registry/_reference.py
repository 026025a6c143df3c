"""Pure helpers: image references and registry endpoints from ``RegistrySettings``."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from justpush.config import RegistrySettings
from justpush.errors import ConfigError, GenerationError

DOCKER_HUB_HOST = "docker.io"
# Docker Hub serves the v2 API on its own host, not on docker.io.
_DOCKER_HUB_API = "https://registry-1.docker.io"
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_NAME_INVALID = re.compile(r"[^a-z0-9._/-]+")
_LOOPBACK_V4 = ipaddress.ip_network("127.0.0.0/8")


@dataclass(frozen=True)
class ImageReference:
    """``host/name:tag``; ``name`` is the repository path the v2 API uses."""

    host: str
    name: str
    tag: str

    @property
    def repository(self) -> str:
        return f"{self.host}/{self.name}"

    def __str__(self) -> str:
        return f"{self.repository}:{self.tag}"

    def pinned(self, digest: str) -> str:
        return f"{self.repository}@{digest}"


def registry_host(settings: RegistrySettings) -> str:
    """The registry as it appears in image references (no scheme, no trailing slash)."""
    url = settings.url.strip()
    if not url:
        if settings.provider == "dockerhub":
            return DOCKER_HUB_HOST
        raise ConfigError("containerRegistry.url is not set")
    host = url.split("://", 1)[-1].rstrip("/")
    return DOCKER_HUB_HOST if host in ("index.docker.io", "registry-1.docker.io") else host


def api_base_url(settings: RegistrySettings) -> str:
    """Where the registry's v2 API answers."""
    host = registry_host(settings)
    if host == DOCKER_HUB_HOST:
        return _DOCKER_HUB_API
    url = settings.url.strip().rstrip("/")
    if "://" in url:
        return url
    insecure = settings.insecure if settings.insecure is not None else _is_loopback(host)
    return f"{'http' if insecure else 'https'}://{host}"


def _is_loopback(host: str) -> bool:
    """``localhost`` or an address in 127.0.0.0/8 (a port may follow): the registries Docker talks to over
    plain HTTP without being told to."""
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name) in _LOOPBACK_V4
    except ValueError:
        return False


def _component(value: str) -> str:
    cleaned = _NAME_INVALID.sub("-", value.lower()).strip("-./_")
    return re.sub(r"/+", "/", cleaned)


def push_location(settings: RegistrySettings) -> tuple[str, str]:
    """The registry host and the repository path under which every deployment's image is pushed."""
    return registry_host(settings), _component(settings.repository)


def image_reference(settings: RegistrySettings, app: str, upload_id: str) -> ImageReference:
    """``<registry>/<repository>/<app>:<uploadId>`` with the name parts normalised to what
    registries accept (lowercase; letters, digits and ``._-/``)."""
    name_app = _component(app)
    if not name_app:
        raise GenerationError(f"app name {app!r} gives no valid image name")
    if not _TAG.match(upload_id):
        raise GenerationError(f"upload id {upload_id!r} is not a valid image tag")
    repository = _component(settings.repository)
    name = f"{repository}/{name_app}" if repository else name_app
    return ImageReference(host=registry_host(settings), name=name, tag=upload_id)


def parse_reference(reference: str) -> ImageReference:
    """Split ``host/name:tag`` (the form ``image_reference`` produces)."""
    host, _, rest = reference.partition("/")
    if not rest or ("." not in host and ":" not in host and host != "localhost"):
        raise GenerationError(f"image reference {reference!r} names no registry host")
    name, _, tag = rest.rpartition(":")
    if not name or "/" in tag or not _TAG.match(tag):
        raise GenerationError(f"image reference {reference!r} has no tag")
    return ImageReference(host=host, name=name, tag=tag)
