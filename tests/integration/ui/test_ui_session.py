"""Signing in in a real browser: a session cookie shared by every tab (HttpOnly, SameSite=Strict), CSRF
refusals for a state-changing call without the token or from another origin, and a sign-out that
ends the session on the server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from justpush import security
from tests.integration.support import free_port
from tests.integration.ui.conftest import UiServer, sign_in

pytestmark = pytest.mark.integration


def session_cookie(page: Any) -> dict[str, Any]:
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert security.SESSION_COOKIE in cookies, cookies
    return dict(cookies[security.SESSION_COOKIE])


def test_signing_in_lasts_across_tabs_in_an_httponly_cookie(
    page: Any, ui_server: UiServer, shot: Callable[[str], Path]
) -> None:
    sign_in(page, ui_server)
    cookie = session_cookie(page)
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["value"] != ui_server.token
    # Neither the pasted token nor the session is readable by the page's script.
    assert ui_server.token not in page.evaluate(
        "JSON.stringify(sessionStorage) + JSON.stringify(localStorage)"
    )
    assert cookie["value"] not in page.evaluate("document.cookie")
    other_tab = page.context.new_page()
    other_tab.goto(ui_server.url + "/ui")
    other_tab.wait_for_selector("#content:not([hidden])")
    assert other_tab.is_hidden("#signin")
    assert other_tab.inner_text("#who") == page.inner_text("#who")
    shot("second-tab")
    other_tab.close()


def test_state_changing_calls_without_the_csrf_token_are_refused(page: Any, ui_server: UiServer) -> None:
    sign_in(page, ui_server)
    post = """async (headers) => {
        const r = await fetch('/uploads', {method: 'POST', body: JSON.stringify({ref: 'main'}),
                                            headers: {'Content-Type': 'application/json', ...headers}});
        return [r.status, (await r.json()).error.code];
    }"""
    assert page.evaluate(post, {}) == [403, "forbidden"]
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == security.CSRF_COOKIE)
    # With the token the same call passes the CSRF check and meets the API's own validation.
    assert page.evaluate(post, {security.CSRF_HEADER: csrf}) == [400, "bad_upload"]

    # Another origin of the same site (another port of this host): the browser sends the Strict cookie
    # with the form, so only the CSRF check stands between it and the API.
    evil = f"http://127.0.0.1:{free_port()}/"
    page.route(
        evil,
        lambda route: route.fulfill(
            content_type="text/html",
            body=(
                f'<form id="f" method="post" action="{ui_server.url}/uploads" enctype="text/plain">'
                '<input name=\'{"git_url": "https://example.com/x.git", "x": "\' value=\'"}\'></form>'
            ),
        ),
    )
    page.goto(evil)
    with page.expect_response(f"{ui_server.url}/uploads") as answer:
        page.evaluate("document.getElementById('f').submit()")
    assert answer.value.status == 403
    assert answer.value.json()["error"]["code"] == "forbidden"


def test_sign_out_ends_the_session_on_the_server(page: Any, ui_server: UiServer) -> None:
    sign_in(page, ui_server)
    old = session_cookie(page)["value"]
    page.click("#sign-out")
    page.wait_for_selector("#signin:not([hidden])")
    assert page.is_hidden("#content")
    assert security.SESSION_COOKIE not in {c["name"] for c in page.context.cookies()}
    # The old cookie, replayed from elsewhere, is refused: the session token was revoked.
    replay = httpx.get(ui_server.url + "/users/me", cookies={security.SESSION_COOKIE: old})
    assert replay.status_code == 401
    # The token the user pasted is another token and still works (the CLI may be using it).
    me = httpx.get(ui_server.url + "/users/me", headers={"Authorization": f"Bearer {ui_server.token}"})
    assert me.status_code == 200
