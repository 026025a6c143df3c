"""The browser session: sign-in sets an HttpOnly, SameSite=Strict cookie; state-changing calls on it need
the CSRF token and this site's origin; sign-out revokes it on the server. Bearer tokens keep working."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI

from justpush import security

ORIGIN = "http://justpush.test"


async def _sign_in(client: httpx.AsyncClient, token: str) -> httpx.Response:
    response = await client.post("/session", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.text
    return response


def _cookie(client: httpx.AsyncClient, name: str) -> str:
    value = client.cookies.get(name)
    assert value, f"no {name} cookie"
    return value


async def test_sign_in_sets_an_httponly_strict_cookie_for_a_new_token(
    client: httpx.AsyncClient, user_token: str
) -> None:
    response = await _sign_in(client, user_token)
    set_cookies = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in set_cookies if c.startswith(security.SESSION_COOKIE + "="))
    csrf_cookie = next(c for c in set_cookies if c.startswith(security.CSRF_COOKIE + "="))
    assert "httponly" in session_cookie.lower() and "samesite=strict" in session_cookie.lower()
    assert "httponly" not in csrf_cookie.lower() and "samesite=strict" in csrf_cookie.lower()
    session_token = _cookie(client, security.SESSION_COOKIE)
    # A token of its own: signing out must not revoke the one the user pasted (the CLI may use it).
    assert session_token != user_token
    assert _cookie(client, security.CSRF_COOKIE) == security.csrf_token(session_token)
    assert response.json()["name"].startswith("alice-")
    me = await client.get("/users/me")
    assert me.status_code == 200 and me.json()["name"].startswith("alice-")


async def test_sign_in_needs_a_valid_bearer_token(client: httpx.AsyncClient) -> None:
    response = await client.post("/session", headers={"Authorization": "Bearer jp_wrong"})
    assert response.status_code == 401
    assert not response.headers.get_list("set-cookie")


async def test_state_changing_calls_on_the_cookie_need_the_csrf_token(
    client: httpx.AsyncClient, user_token: str
) -> None:
    await _sign_in(client, user_token)
    csrf = _cookie(client, security.CSRF_COOKIE)
    body = {"ref": "main"}  # no git_url: a call that passes the CSRF check is refused with 400
    cross_site = await client.post("/uploads", json=body, headers={"Origin": "https://evil.example"})
    assert cross_site.status_code == 403, cross_site.text
    assert cross_site.json()["error"]["code"] == "forbidden"
    fetch_cross_site = await client.post(
        "/uploads", json=body, headers={"Sec-Fetch-Site": "cross-site", security.CSRF_HEADER: csrf}
    )
    assert fetch_cross_site.status_code == 403
    no_token = await client.post("/uploads", json=body, headers={"Origin": ORIGIN})
    assert no_token.status_code == 403
    assert security.CSRF_HEADER in no_token.json()["error"]["message"]
    wrong = await client.post("/uploads", json=body, headers={security.CSRF_HEADER: "0" * 64})
    assert wrong.status_code == 403
    allowed = await client.post("/uploads", json=body, headers={"Origin": ORIGIN, security.CSRF_HEADER: csrf})
    assert allowed.status_code == 400, allowed.text
    # Reads need no CSRF token.
    assert (await client.get("/uploads")).status_code == 200


async def test_sign_out_revokes_the_session_on_the_server(client: httpx.AsyncClient, user_token: str) -> None:
    await _sign_in(client, user_token)
    session_token = _cookie(client, security.SESSION_COOKIE)
    csrf = _cookie(client, security.CSRF_COOKIE)
    assert (await client.delete("/session")).status_code == 403
    response = await client.delete("/session", headers={security.CSRF_HEADER: csrf})
    assert response.status_code == 204
    assert client.cookies.get(security.SESSION_COOKIE) is None
    # The old cookie, replayed, is refused: revoked on the server, not only forgotten by the browser.
    client.cookies.set(security.SESSION_COOKIE, session_token)
    replay = await client.get("/users/me")
    assert replay.status_code == 401
    # The pasted token still works for the API and the CLI.
    assert (
        await client.get("/users/me", headers={"Authorization": f"Bearer {user_token}"})
    ).status_code == 200


async def test_bearer_tokens_need_no_csrf_token(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.post(
        "/uploads", json={"ref": "main"}, headers={**auth, "Origin": "https://x.example"}
    )
    assert response.status_code == 400, response.text


async def test_a_session_older_than_its_lifetime_is_refused(
    app: FastAPI, client: httpx.AsyncClient, user_token: str
) -> None:
    from justpush import store

    response = await _sign_in(client, user_token)
    assert (
        f"max-age={int(security.SESSION_LIFETIME.total_seconds())}" in response.headers["set-cookie"].lower()
    )
    assert (await client.get("/users/me")).status_code == 200
    token_hash = security.hash_token(_cookie(client, security.SESSION_COOKIE))
    async with app.state.justpush.sessions() as session:
        row = await store.get_live_token(session, token_hash)
        assert row is not None
        row.created_at = store.utcnow() - security.SESSION_LIFETIME - timedelta(minutes=1)
        await session.commit()
    expired = await client.get("/users/me")
    assert expired.status_code == 401
    assert "expired" in expired.json()["error"]["message"]


async def test_an_api_token_in_the_session_cookie_is_refused(
    client: httpx.AsyncClient, user_token: str
) -> None:
    client.cookies.set(security.SESSION_COOKIE, user_token)
    assert (await client.get("/users/me")).status_code == 401
