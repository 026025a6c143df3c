"""FastAPI dependencies as `Annotated` aliases: `StateDep`, `SettingsDep`, `SessionDep`, `CurrentUser`,
`CurrentToken`.

One session per request (FastAPI caches dependencies per request, so `CurrentUser` and the route
share it); routes commit, an exception rolls back when the session closes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from justpush import security, store
from justpush.config import Settings

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


async def get_current_user(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> store.User:
    user = await security.authenticate(session, credentials.credentials if credentials else None)
    # Persist `last_used_at` now; the route's own transaction starts after this.
    await session.commit()
    return user


CurrentUser = Annotated[store.User, Depends(get_current_user)]


def get_current_token(
    user: CurrentUser,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The bearer token that authenticated `CurrentUser` (to revoke it, or to re-check it later)."""
    assert credentials is not None  # CurrentUser refused the request otherwise
    return credentials.credentials


CurrentToken = Annotated[str, Depends(get_current_token)]
