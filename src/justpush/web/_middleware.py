"""Request ids (X-Request-ID in and out, on every log line), one log line per request, the
last-resort 500 in the JSON error shape without a stack trace, and the bound on request bodies."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Mapping

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from justpush import security
from justpush.logging import request_id_var

from ._errors import error_response, internal_error_response

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
_ACCEPTED_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER.lower().encode(), b"").decode("latin-1")
        request_id = incoming if _ACCEPTED_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((REQUEST_ID_HEADER.lower().encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error", extra={"path": scope["path"]})
            if response_started:
                raise
            await internal_error_response()(scope, receive, send_with_id)
        finally:
            logger.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            request_id_var.reset(token)


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a body passes its limit. An HTTPException, so that FastAPI's body
    parsing lets it through (it turns other errors into 400) and the exception handlers answer 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")
        self.limit = limit


class BodyLimitMiddleware:
    """Bounds every request body before anything reads or parses it.

    A body without a bearer token or session cookie is refused with 401 before a byte of it is read
    (every route that takes a body needs a token). A declared Content-Length over the limit is refused
    with 413 at once; otherwise the bytes are counted as they arrive and the read that passes the limit
    fails with 413.
    The limit is `max_body_bytes`, or `route_limits[(method, path)]` for routes with their own (uploads).
    """

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, route_limits: Mapping[tuple[str, str], int]
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.route_limits = dict(route_limits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.route_limits.get((scope["method"], scope["path"].rstrip("/")), self.max_body_bytes)
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        if (chunked or declared not in (None, "0")) and not _has_credential(headers):
            response = error_response(
                401,
                "unauthorized",
                "missing API token: send 'Authorization: Bearer <token>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
            await response(scope, receive, send)
            return
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            # Normally answered by the exception handlers; this covers a read outside a route.
            if started:
                raise
            await _too_large(limit)(scope, receive, send)


def _has_credential(headers: Headers) -> bool:
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return True
    return bool(cookie_parser(headers.get("cookie", "")).get(security.SESSION_COOKIE))


def _too_large(limit: int) -> ASGIApp:
    return error_response(
        413, "request_too_large", f"the request body is larger than {limit} bytes", {"limit": limit}
    )
