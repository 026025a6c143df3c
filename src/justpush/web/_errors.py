"""The one map from exceptions to HTTP statuses, and the one JSON error shape:

{"error": {"code": "not_found", "message": "upload 'x' not found", "details": {...}}}
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from justpush import errors

logger = logging.getLogger(__name__)

# Looked up along the exception's MRO, so a subclass without an entry gets its parent's status.
ERROR_STATUS: Mapping[type[errors.JustPushError], int] = {
    errors.JustPushError: 500,
    errors.NotFoundError: 404,
    errors.ConflictError: 409,
    errors.AuthError: 401,
    errors.ForbiddenError: 403,
    errors.TooManyRequestsError: 429,
    # A disabled feature looks like an endpoint that does not exist.
    errors.FeatureDisabledError: 404,
    errors.UploadError: 400,
    errors.UploadTooLargeError: 413,
    errors.ConfigError: 400,
    errors.AnalysisError: 422,
    errors.InvalidRootError: 400,
    errors.GenerationError: 422,
    errors.StageFailed: 500,
    errors.ExternalServiceError: 502,
    # The caller's repository or credentials, not a fault of JustPush's own services.
    errors.GitAuthError: 400,
    errors.GitRejectedError: 409,
}

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
}


def status_for(exc: errors.JustPushError) -> int:
    return next(ERROR_STATUS[cls] for cls in type(exc).__mro__ if cls in ERROR_STATUS)


def error_response(
    status: int,
    code: str,
    message: str,
    details: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": jsonable_encoder(details or {})}}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


async def _justpush_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.JustPushError)
    status = status_for(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status >= 500:
        logger.error("%s: %s", exc.code, exc.message, extra={"code": exc.code, "status": status})
    return error_response(status, exc.code, exc.message, exc.details, headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    limit = getattr(exc, "limit", None)
    details = {"limit": limit} if isinstance(limit, int) else None
    return error_response(exc.status_code, code, message, details, headers=exc.headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    # Only where and why: echoing the rejected input could echo a secret.
    problems = [
        {"loc": list(err.get("loc", ())), "message": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]
    summary = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['message']}" for e in problems)
    return error_response(422, "validation_error", f"invalid request: {summary}", {"errors": problems})


def internal_error_response() -> JSONResponse:
    return error_response(500, "internal_error", "internal server error")


def exception_handlers() -> dict[Any, Any]:
    handlers: dict[Any, Any] = dict.fromkeys(ERROR_STATUS, _justpush_error)
    handlers[HTTPException] = _http_error
    handlers[RequestValidationError] = _validation_error
    return handlers
