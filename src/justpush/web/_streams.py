"""Long-lived responses (event and log streams): a per-user cap on how many are open, and a watch that
ends a stream once its token is revoked or its upload is gone."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterable, Awaitable, Callable
from typing import Any

import anyio
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import StreamingResponse
from starlette.types import Message, Receive, Scope, Send

from justpush import security, store
from justpush.errors import NotFoundError, TooManyRequestsError

from ._state import AppState

logger = logging.getLogger(__name__)

StillAllowed = Callable[[], Awaitable[bool]]


class StreamLease:
    """One of the user's open streams, counted from `acquire` until `release` (which may be repeated)."""

    def __init__(self, state: AppState, user_id: int) -> None:
        self._state = state
        self._user_id = user_id
        self._held = True

    @classmethod
    def acquire(cls, state: AppState, user_id: int) -> StreamLease:
        limit = state.settings.api.max_streams_per_user
        if state.open_streams[user_id] >= limit:
            raise TooManyRequestsError(
                f"you have {limit} streams open already (api.maxStreamsPerUser); close one first",
                details={"limit": limit},
            )
        state.open_streams[user_id] += 1
        return cls(state, user_id)

    def release(self) -> None:
        if self._held:
            self._held = False
            self._state.open_streams[self._user_id] -= 1
            if self._state.open_streams[self._user_id] <= 0:
                del self._state.open_streams[self._user_id]


def access_check(state: AppState, token: str, upload_id: str, user_id: int) -> StillAllowed:
    """Whether `token` is still live and the upload still exists and belongs to `user_id`."""

    async def still_allowed() -> bool:
        try:
            async with state.readers() as session:
                if not await security.token_is_live(session, token):
                    return False
                await store.get_upload(session, upload_id, owner_id=user_id)
        except NotFoundError:
            return False
        except (SQLAlchemyError, OSError) as exc:
            # Unable to check is treated as a refusal: the client can reconnect once the database is back.
            logger.warning("stream access check failed: %s", exc.__class__.__name__)
            return False
        return True

    return still_allowed


class GuardedStreamingResponse(StreamingResponse):
    """A StreamingResponse that holds a `StreamLease` while it runs, and ends (cleanly, as if the stream
    were over) within `every` seconds after `still_allowed()` turns False."""

    def __init__(
        self,
        content: AsyncIterable[str],
        *,
        lease: StreamLease,
        still_allowed: StillAllowed,
        every: float,
        **kwargs: Any,
    ) -> None:
        super().__init__(content, **kwargs)
        self._lease = lease
        self._still_allowed = still_allowed
        self._every = every

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = finished = False

        async def tracking_send(message: Message) -> None:
            nonlocal started, finished
            started = started or message["type"] == "http.response.start"
            finished = finished or (message["type"] == "http.response.body" and not message.get("more_body"))
            await send(message)

        try:
            async with anyio.create_task_group() as group:

                async def watch() -> None:
                    while True:
                        await anyio.sleep(self._every)
                        if not await self._still_allowed():
                            logger.info("stream closed: token revoked or upload gone")
                            group.cancel_scope.cancel()
                            return

                group.start_soon(watch)
                await super().__call__(scope, receive, tracking_send)
                group.cancel_scope.cancel()
            if started and not finished:
                # The client may have gone meanwhile; then there is nobody to tell.
                with contextlib.suppress(OSError):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            self._lease.release()
