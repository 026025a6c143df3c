"""Push images (docker SDK, in a thread) and inspect/delete tags (registry v2 API over httpx).

Foreign exceptions become ``RegistryError`` in ``_registry_errors``; every message passes through
``_scrub`` so a password or token never reaches an exception or a log line.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread
import docker
import docker.errors
import httpx

from justpush.config import RegistrySettings
from justpush.errors import JustPushError, RegistryError

from ._auth import Credentials, RegistryAuth, resolve_credentials
from ._reference import ImageReference, api_base_url, parse_reference

logger = logging.getLogger(__name__)

MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


@dataclass(frozen=True)
class PushedImage:
    reference: str
    digest: str

    @property
    def pinned(self) -> str:
        """``repository@sha256:…``, what deployments reference."""
        return f"{self.reference.rsplit(':', 1)[0]}@{self.digest}"


class RegistryClient:
    """One registry (``containerRegistry`` settings): push, digest lookup, tag deletion."""

    def __init__(
        self,
        settings: RegistrySettings,
        *,
        docker_client: docker.DockerClient | None = None,
        docker_host: str = "",
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._settings = settings
        self._docker_client = docker_client
        self._owns_docker = docker_client is None
        self._docker_host = docker_host
        self._transport = transport
        self._credentials: Credentials | None = None
        self._resolved = False
        self._http: httpx.AsyncClient | None = None

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        if self._docker_client is not None and self._owns_docker:
            await anyio.to_thread.run_sync(self._docker_client.close)
            self._docker_client = None

    async def credentials(self) -> Credentials | None:
        if not self._resolved:
            self._credentials = await anyio.to_thread.run_sync(resolve_credentials, self._settings)
            self._resolved = True
        return self._credentials

    async def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                base_url=api_base_url(self._settings),
                auth=RegistryAuth(await self.credentials()),
                transport=self._transport,
                timeout=_TIMEOUT,
            )
        return self._http

    async def _docker(self) -> docker.DockerClient:
        if self._docker_client is None:
            host = self._docker_host
            with self._errors("connecting to the Docker Engine"):
                self._docker_client = await anyio.to_thread.run_sync(
                    lambda: docker.DockerClient(base_url=host) if host else docker.from_env()
                )
        return self._docker_client

    @contextlib.contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """The one place docker/httpx exceptions become RegistryError, with secrets removed."""
        try:
            yield
        except JustPushError as exc:
            exc.message = self._scrub(exc.message)
            exc.args = (exc.message,)
            raise
        except docker.errors.APIError as exc:
            detail = self._scrub(str(exc.explanation or exc))
            raise RegistryError(f"{action} failed: {detail}", status=exc.status_code) from exc
        except (docker.errors.DockerException, httpx.HTTPError, OSError) as exc:
            detail = self._scrub(str(exc))
            raise RegistryError(f"{action} failed: {type(exc).__name__}: {detail}") from exc

    def _scrub(self, text: str) -> str:
        secret = self._settings.password.get_secret_value()
        credentials = self._credentials
        for value in (secret, credentials.password if credentials else ""):
            if value:
                text = text.replace(value, "***")
        return text

    async def check_credentials(self, reference: ImageReference, *, upload_id: str) -> None:
        """Raise RegistryError (status 401/403) when the registry refuses us for ``reference``."""
        client = await self._client()
        logger.info("registry auth check %s", reference.host, extra={"stage": "push", "upload_id": upload_id})
        with self._errors(f"contacting registry {reference.host}"):
            response = await client.get(
                f"/v2/{reference.name}/tags/list", headers={"Accept": "application/json"}
            )
        if response.status_code in (401, 403):
            user = self._credentials.username if self._credentials else "anonymous access"
            raise RegistryError(
                f"registry {reference.host} rejected the credentials for {user!r} "
                f"(HTTP {response.status_code}); check containerRegistry.username/password",
                status=response.status_code,
            )

    async def push(
        self,
        local_image: str,
        reference: ImageReference | str,
        *,
        upload_id: str,
        on_progress: Callable[[str], None] | None = None,
    ) -> PushedImage:
        """Tag ``local_image`` as ``reference``, push it and return the pushed digest."""
        ref = parse_reference(reference) if isinstance(reference, str) else reference
        await self.check_credentials(ref, upload_id=upload_id)
        client = await self._docker()
        credentials = self._credentials
        auth_config = credentials.auth_config(ref.host) if credentials else None
        logger.info("docker push %s", ref, extra={"stage": "push", "upload_id": upload_id})

        def stream() -> str | None:
            client.api.tag(local_image, ref.repository, ref.tag)
            digest: str | None = None
            for message in client.api.push(
                ref.repository, ref.tag, stream=True, decode=True, auth_config=auth_config
            ):
                if "error" in message:
                    detail = (message.get("errorDetail") or {}).get("message") or message["error"]
                    raise RegistryError(f"push of {ref} failed: {detail}")
                aux = message.get("aux")
                if isinstance(aux, dict) and aux.get("Digest"):
                    digest = str(aux["Digest"])
                line = _progress_line(message)
                if line and on_progress is not None:
                    anyio.from_thread.run_sync(on_progress, line)
            return digest

        with self._errors(f"push of {ref}"):
            digest = await anyio.to_thread.run_sync(stream)
        if digest is None:
            digest = await self.manifest_digest(ref, upload_id=upload_id)
        if digest is None:
            raise RegistryError(f"push of {ref} reported no digest")
        return PushedImage(reference=str(ref), digest=digest)

    async def manifest_digest(self, reference: ImageReference | str, *, upload_id: str) -> str | None:
        """The digest ``reference``'s tag points to, or None when the tag does not exist."""
        ref = parse_reference(reference) if isinstance(reference, str) else reference
        client = await self._client()
        logger.info("registry HEAD manifest %s", ref, extra={"stage": "push", "upload_id": upload_id})
        with self._errors(f"manifest lookup of {ref}"):
            response = await client.head(
                f"/v2/{ref.name}/manifests/{ref.tag}", headers={"Accept": ", ".join(MANIFEST_TYPES)}
            )
        if response.status_code == 404:
            return None
        self._raise_for_status(response, f"manifest lookup of {ref}")
        digest = response.headers.get("Docker-Content-Digest")
        return str(digest) if digest else None

    async def delete(self, reference: ImageReference | str, *, upload_id: str) -> bool:
        """Delete the manifest ``reference``'s tag points to. False (with a warning) when the tag is
        already gone or the registry does not allow deletes; that never fails a teardown."""
        ref = parse_reference(reference) if isinstance(reference, str) else reference
        digest = await self.manifest_digest(ref, upload_id=upload_id)
        if digest is None:
            logger.warning("tag %s is already gone", ref, extra={"stage": "delete", "upload_id": upload_id})
            return False
        client = await self._client()
        logger.info(
            "registry DELETE %s@%s", ref.name, digest, extra={"stage": "delete", "upload_id": upload_id}
        )
        with self._errors(f"delete of {ref}"):
            response = await client.delete(f"/v2/{ref.name}/manifests/{digest}")
        if response.status_code in (400, 405) or (
            response.status_code == 403 and "UNSUPPORTED" in response.text.upper()
        ):
            logger.warning(
                "registry %s does not allow deleting %s (HTTP %s); left in place",
                ref.host,
                ref,
                response.status_code,
                extra={"stage": "delete", "upload_id": upload_id},
            )
            return False
        if response.status_code == 404:
            return False
        self._raise_for_status(response, f"delete of {ref}")
        return True

    def _raise_for_status(self, response: httpx.Response, action: str) -> None:
        if response.status_code < 400:
            return
        detail: Any = None
        with contextlib.suppress(ValueError):
            detail = response.json() if response.content else None
        raise RegistryError(
            f"{action} failed: HTTP {response.status_code}",
            status=response.status_code,
            detail=detail,
        )


def _progress_line(message: dict[str, Any]) -> str:
    status = str(message.get("status") or "")
    if not status:
        return ""
    layer = message.get("id")
    progress = message.get("progress")
    return " ".join(str(part) for part in (layer and f"{layer}:", status, progress) if part)
