"""FastAPI dependencies as `Annotated` aliases: `StateDep`, `SettingsDep`, `SessionDep`, `ReaderDep`,
`CurrentUser`, `ReadingUser`, `CurrentToken`.

A request authenticates with `Authorization: Bearer <token>` (API, CLI) or, without that header, with
the browser session cookie. A state-changing call on the cookie must carry the session's CSRF token
in `X-CSRF-Token` and, when the browser says where it comes from, come from this site (403 otherwise).

One session per request (FastAPI caches dependencies per request, so `CurrentUser` and the route
share it); routes commit, an exception rolls back when the session closes. A route a client polls
reads through `ReaderDep` with `ReadingUser` instead, which take no write lock (on SQLite one writer
at a time: a poll would otherwise queue behind, and hold up, the pipeline's writes) and opens a
writer session of its own for the rare write it makes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from justpush import security, store
from justpush.config import Settings
from justpush.errors import ForbiddenError

from ._state import AppState

_bearer = HTTPBearer(auto_error=False, description="An API token from `justpush users create NAME`.")


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.justpush
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def get_settings(state: StateDep) -> Settings:
    return state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_session(state: StateDep) -> AsyncIterator[AsyncSession]:
    async with state.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_reader(state: StateDep) -> AsyncIterator[AsyncSession]:
    async with state.readers() as session:
        yield session


ReaderDep = Annotated[AsyncSession, Depends(get_reader)]


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Credential:
    """The token a request presents, and whether it came in the session cookie."""

    token: str | None
    from_cookie: bool


def _same_site(request: Request) -> bool:
    """False when the browser says the request comes from another site (Sec-Fetch-Site, Origin)."""
    if request.headers.get("sec-fetch-site", "same-origin") not in {"same-origin", "none"}:
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()


def get_credential(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Credential:
    if bearer is not None:
        return Credential(bearer.credentials, from_cookie=False)
    cookie = request.cookies.get(security.SESSION_COOKIE)
    if not cookie:
        return Credential(None, from_cookie=False)
    if request.method not in _SAFE_METHODS:
        if not _same_site(request):
            raise ForbiddenError("cross-site request refused")
        if not security.csrf_matches(cookie, request.headers.get(security.CSRF_HEADER)):
            raise ForbiddenError(
                f"the {security.CSRF_HEADER} header is missing or does not match the session; sign in again"
            )
    return Credential(cookie, from_cookie=True)


CredentialDep = Annotated[Credential, Depends(get_credential)]


async def _identify(session: AsyncSession, credential: Credential) -> tuple[store.User, store.ApiToken]:
    if credential.from_cookie and credential.token is not None:
        return await security.identify_session(session, credential.token)
    return await security.identify(session, credential.token)


async def get_current_user(session: SessionDep, credential: CredentialDep) -> store.User:
    user, token = await _identify(session, credential)
    await store.use_token(session, token)
    # Persist `last_used_at` now; the route's own transaction starts after this.
    await session.commit()
    return user


CurrentUser = Annotated[store.User, Depends(get_current_user)]


async def get_reading_user(state: StateDep, reader: ReaderDep, credential: CredentialDep) -> store.User:
    """`CurrentUser` through the reader; the token's use is recorded (in a writer) only when stale."""
    user, token = await _identify(reader, credential)
    if store.token_use_stale(token):
        async with state.sessions() as session:
            await store.mark_token_used(session, token.token_hash)
            await session.commit()
    return user


ReadingUser = Annotated[store.User, Depends(get_reading_user)]


def get_current_token(user: CurrentUser, credential: CredentialDep) -> str:
    """The token that authenticated `CurrentUser`, bearer or cookie (to revoke it, or re-check it later)."""
    assert credential.token is not None  # CurrentUser refused the request otherwise
    return credential.token


CurrentToken = Annotated[str, Depends(get_current_token)]
