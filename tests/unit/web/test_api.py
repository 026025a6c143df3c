"""Health, the error shape for every kind of error, authentication, request ids, OpenAPI."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from justpush import errors
from justpush.web import status_for


def assert_error_shape(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    detail: dict[str, object] = body["error"]
    return detail


async def test_health_and_readiness_need_no_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ready", "database": "ok"}


async def test_readiness_fails_when_database_is_gone(app: FastAPI, client: httpx.AsyncClient) -> None:
    from justpush import store

    await app.state.justpush.engine.dispose()
    # Port 1 on loopback: nothing listens, so the connection is refused at once.
    app.state.justpush.engine = store.create_engine("postgresql://nobody:x@127.0.0.1:1/none")
    assert_error_shape(await client.get("/readyz"), 503, "not_ready")


async def test_openapi_document(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert spec["info"]["title"] == "JustPush"
    assert {"/uploads", "/uploads/{upload_id}", "/analyze/{upload_id}", "/healthz"} <= set(spec["paths"])
    assert "multipart/form-data" in spec["paths"]["/uploads"]["post"]["requestBody"]["content"]


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer jp_wrong"}, {"Authorization": "Basic eDp5"}]
)
async def test_every_resource_needs_a_valid_token(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    for method, path in [
        ("GET", "/uploads"),
        ("POST", "/uploads"),
        ("GET", "/uploads/x"),
        ("GET", "/analyze/x"),
    ]:
        response = await client.request(method, path, headers=headers)
        assert_error_shape(response, 401, "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer"


async def test_me(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    body = (await client.get("/users/me", headers=auth)).json()
    assert body["name"].startswith("alice-")


async def test_unknown_route_and_wrong_method_use_the_error_shape(client: httpx.AsyncClient) -> None:
    assert_error_shape(await client.get("/nothing-here"), 404, "not_found")
    response = await client.put("/healthz")
    assert_error_shape(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET"


async def test_validation_errors_use_the_error_shape(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.post("/uploads", headers=auth, json={"ref": "main"})
    error = assert_error_shape(response, 400, "bad_upload")
    assert "git_url" in str(error["details"])


async def test_request_validation_error_shape(app: FastAPI, client: httpx.AsyncClient) -> None:
    @app.get("/probe/{number}")
    async def probe(number: int) -> dict[str, int]:
        return {"number": number}

    error = assert_error_shape(await client.get("/probe/abc"), 422, "validation_error")
    assert error["details"] == {
        "errors": [
            {
                "loc": ["path", "number"],
                "message": error["details"]["errors"][0]["message"],
                "type": "int_parsing",
            }
        ]  # type: ignore[index]
    }


async def test_unhandled_exception_is_a_500_without_trace(app: FastAPI, client: httpx.AsyncClient) -> None:
    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals at /srv/x.py")

    response = await client.get("/boom")
    assert_error_shape(response, 500, "internal_error")
    assert "secret internals" not in response.text and "Traceback" not in response.text
    assert response.headers["x-request-id"]


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (errors.NotFoundError("x"), 404),
        (errors.ConflictError("x"), 409),
        (errors.AuthError("x"), 401),
        (errors.FeatureDisabledError("x"), 404),
        (errors.UploadTooLargeError("x"), 413),
        (errors.UploadError("x"), 400),
        (errors.ConfigError("x"), 400),
        (errors.AnalysisError("x"), 422),
        (errors.GenerationError("x"), 422),
        (errors.StageFailed("build", "x"), 500),
        (errors.KongError("x", status=500), 502),
        (errors.DockerError("x"), 502),
    ],
)
async def test_error_map(
    app: FastAPI, client: httpx.AsyncClient, exc: errors.JustPushError, status: int
) -> None:
    assert status_for(exc) == status

    @app.get("/raise")
    async def raise_it() -> None:
        raise exc

    response = await client.get("/raise")
    assert_error_shape(response, status, exc.code)


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "trace-123"})
    assert given.headers["x-request-id"] == "trace-123"
    generated = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert generated.headers["x-request-id"] not in ("", "bad id\twith spaces")
    assert len(generated.headers["x-request-id"]) == 32


async def test_request_id_on_log_lines(client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    from justpush.logging import RequestIdFilter

    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level("INFO")
    await client.get("/healthz", headers={"X-Request-ID": "rid-42"})
    request_lines = [r for r in caplog.records if r.name == "justpush.web._middleware"]
    assert request_lines and all(getattr(r, "request_id", None) == "rid-42" for r in request_lines)
    assert request_lines[-1].__dict__["status"] == 200
