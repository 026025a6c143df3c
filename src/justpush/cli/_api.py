"""One REST client for the commands that manage deployments, remote or in-process.

With `--server` the commands talk to a running JustPush over HTTP. Without it they start the same
FastAPI app (and its pipeline worker) inside the CLI process on `./app-config.yaml` and talk to it
through `httpx.ASGITransport` — one code path, the same validation and errors either way.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

    from justpush.config import Settings

from justpush.errors import (
    AuthError,
    ConflictError,
    ExternalServiceError,
    FeatureDisabledError,
    ForbiddenError,
    GitAuthError,
    GitRejectedError,
    JustPushError,
    NotFoundError,
    TooManyRequestsError,
    UploadError,
    UploadTooLargeError,
)

_STATUS_ERRORS: dict[int, type[JustPushError]] = {
    400: UploadError,
    401: AuthError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    413: UploadTooLargeError,
    422: UploadError,
    429: TooManyRequestsError,
}
# Errors whose status is shared with others but whose exit code is their own.
_CODE_ERRORS: dict[str, type[JustPushError]] = {
    cls.code: cls for cls in (FeatureDisabledError, GitAuthError, GitRejectedError)
}
# The base URL of the in-process app; never resolved.
IN_PROCESS_URL = "http://justpush.in-process"


def raise_for_response(response: httpx.Response) -> None:
    """Turn the server's error shape back into the JustPush exception it came from."""
    if response.is_success:
        return
    try:
        error = response.json()["error"]
        message, details = str(error["message"]), dict(error.get("details") or {})
        code = str(error.get("code", ""))
    except (ValueError, KeyError, TypeError):
        message, details, code = response.text[:300] or response.reason_phrase, {}, ""
    cls = _CODE_ERRORS.get(code) or _STATUS_ERRORS.get(response.status_code)
    if cls is None:
        raise ExternalServiceError(
            f"server answered {response.status_code}: {message}", status=response.status_code
        )
    raise cls(message, details=details)


class Api:
    """Thin typed verbs over the REST API; every error becomes a JustPushError."""

    def __init__(self, client: httpx.AsyncClient, *, streaming: bool) -> None:
        self.client = client
        # In-process (ASGITransport) responses arrive whole, so event streams are polled instead.
        self.streaming = streaming

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        try:
            response = await self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ExternalServiceError(f"cannot reach the JustPush server: {exc}") from exc
        raise_for_response(response)
        return response.json() if response.content else None

    async def download(self, path: str) -> bytes:
        """A binary answer (e.g. a zip), errors mapped like `call`'s."""
        import httpx

        try:
            response = await self.client.get(path)
        except httpx.HTTPError as exc:
            raise ExternalServiceError(f"cannot reach the JustPush server: {exc}") from exc
        raise_for_response(response)
        return response.content

    async def events(self, upload_id: str, after: int = 0) -> AsyncIterator[dict[str, Any]]:
        """Every event after `after`, until no job is queued or running."""
        import anyio
        import httpx

        path = f"/deploy/{upload_id}/events"
        if self.streaming:
            try:
                async with self.client.stream(
                    "GET", path, params={"after": after, "until_done": "true"}, timeout=None
                ) as response:
                    if not response.is_success:
                        await response.aread()
                        raise_for_response(response)
                    async for event in parse_sse(response.aiter_lines()):
                        yield event
            except httpx.HTTPError as exc:
                raise ExternalServiceError(f"event stream interrupted: {exc}") from exc
            return
        # Not the status route: its first answer after a deployment reveals the API key, once.
        while True:
            response = await self.client.get(
                path, params={"after": after, "follow": "false", "until_done": "true"}
            )
            raise_for_response(response)
            batch = [event async for event in parse_sse(_lines(response.text))]
            for event in batch:
                after = event["id"]
                yield event
            if "event: done" in response.text.split("\n"):
                return
            if not batch:
                await anyio.sleep(0.5)


async def _lines(text: str) -> AsyncIterator[str]:
    for line in text.split("\n"):
        yield line


async def parse_sse(lines: AsyncIterator[str]) -> AsyncIterator[dict[str, Any]]:
    """The `data` objects of a Server-Sent Events stream; stops at an `event: done`."""
    event, data = "", ""
    async for line in lines:
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data = line[5:].strip()
        elif not line and (event or data):
            if event == "done":
                return
            if data:
                yield json.loads(data)
            event, data = "", ""


@asynccontextmanager
async def open_api(
    settings_loader: Any, server: str | None, token: str | None, user: str | None
) -> AsyncIterator[Api]:
    import httpx

    if server:
        if not token:
            raise AuthError("--server needs --token (or JUSTPUSH_TOKEN)")
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=server, headers=headers, timeout=600) as client:
            yield Api(client, streaming=True)
        return
    settings: Settings = settings_loader()
    async with in_process_app(settings, token, user) as client:
        yield Api(client, streaming=False)


@asynccontextmanager
async def in_process_app(
    settings: Settings, token: str | None, user: str | None
) -> AsyncIterator[httpx.AsyncClient]:
    import httpx

    from justpush import security, store
    from justpush.web import create_app, default_workers

    if not token and not user:
        raise AuthError("without --server, give --token or --user to act as a JustPush user")
    app = create_app(settings, workers=default_workers(settings))
    async with app.router.lifespan_context(app):
        state = app.state.justpush
        session_token: str | None = None
        if not token:
            # Acting as a user in-process is a session of its own: a token issued now, revoked at the end,
            # so every check a served request passes (body limits, stream re-checks) applies as well.
            async with state.sessions() as session:
                found = await store.get_user_by_name(session, str(user))
                if found is None:
                    raise NotFoundError(
                        f"user '{user}' not found; create it with `justpush users create {user}`"
                    )
                session_token = await security.issue_token(session, found, name="cli in-process session")
                await session.commit()
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {token or session_token}"}
        try:
            async with httpx.AsyncClient(
                transport=transport, base_url=IN_PROCESS_URL, headers=headers, timeout=None
            ) as client:
                yield client
        finally:
            if session_token is not None:
                async with state.sessions() as session:
                    await security.revoke_token(session, session_token)
                    await session.commit()
