"""The external systems one job talks to, opened from settings for the job's duration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import httpx

from justpush import build, k8s, kong, registry
from justpush.config import Settings
from justpush.errors import KongError


@dataclass
class Services:
    builder: build.DockerBuilder
    registry: registry.RegistryClient
    cluster: k8s.K8sClient
    # None when Kong is not configured (kong.adminUrl empty): CONFIGURING is skipped.
    gateway: kong.KongClient | None
    gateway_http: httpx.AsyncClient | None

    async def gateway_get(self, path: str, api_key: str | None, key_name: str = "apikey") -> int:
        """GET through the Kong proxy (kong.gatewayUrl) with the developer's key; the status code."""
        if self.gateway_http is None:
            raise KongError("kong.gatewayUrl is not configured")
        headers = {key_name: api_key} if api_key else {}
        response = await self.gateway_http.get(path, headers=headers)
        return response.status_code


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Clients for Docker, the registry, Kubernetes and (when configured) Kong, closed afterwards."""
    async with AsyncExitStack() as stack:
        builder = build.DockerBuilder(settings.build)
        stack.push_async_callback(builder.aclose)
        images = registry.RegistryClient(settings.container_registry, docker_host=settings.build.docker_host)
        stack.push_async_callback(images.aclose)
        cluster = k8s.K8sClient(settings.kubernetes)
        stack.push_async_callback(cluster.aclose)
        gateway = None
        gateway_http = None
        if settings.kong.admin_url:
            gateway = kong.KongClient(settings.kong)
            stack.push_async_callback(gateway.aclose)
        if settings.kong.gateway_url:
            gateway_http = httpx.AsyncClient(
                base_url=settings.kong.gateway_url, timeout=settings.kong.timeout_seconds
            )
            stack.push_async_callback(gateway_http.aclose)
        yield Services(builder, images, cluster, gateway, gateway_http)
