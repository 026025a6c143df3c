"""`/session`: the browser's sign-in, kept in an HttpOnly cookie, and its sign-out.

Signing in with an API token issues a token of its own for the browser session (a sign-out revokes
that one, never the token the user pasted, which the CLI may still use).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from justpush import security
from justpush.errors import AuthError

from .._schemas import UserPublic
from ..deps import CredentialDep, CurrentToken, CurrentUser, SessionDep

router = APIRouter(prefix="/session", tags=["users"])


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


@router.post("", status_code=201)
async def sign_in(
    request: Request, response: Response, user: CurrentUser, credential: CredentialDep, session: SessionDep
) -> UserPublic:
    """Exchange the bearer token for a browser session (7 days at most): an HttpOnly, SameSite=Strict
    cookie, and a readable `justpush_csrf` cookie whose value state-changing calls echo in `X-CSRF-Token`."""
    if credential.from_cookie:
        raise AuthError("sign in with 'Authorization: Bearer <token>'")
    token = await security.issue_token(session, user, name=security.SESSION_TOKEN_NAME)
    await security.audit(session, actor=user, action="session.start", target=f"user:{user.name}")
    await session.commit()
    secure = _secure(request)
    max_age = int(security.SESSION_LIFETIME.total_seconds())
    response.set_cookie(
        security.SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
    )
    response.set_cookie(
        security.CSRF_COOKIE,
        security.csrf_token(token),
        max_age=max_age,
        samesite="strict",
        secure=secure,
        path="/",
    )
    return UserPublic.model_validate(user, from_attributes=True)


@router.delete("", status_code=204)
async def sign_out(
    request: Request, token: CurrentToken, credential: CredentialDep, user: CurrentUser, session: SessionDep
) -> Response:
    """End the browser session: its token is revoked (the cookie is refused from now on, its open
    streams close) and both cookies are cleared. A bearer token is left alone (`DELETE /tokens/current`)."""
    if credential.from_cookie:
        await security.revoke_token(session, token)
        await security.audit(session, actor=user, action="session.end", target=f"user:{user.name}")
        await session.commit()
    response = Response(status_code=204)
    for name in (security.SESSION_COOKIE, security.CSRF_COOKIE):
        response.delete_cookie(name, path="/", secure=_secure(request), samesite="strict")
    return response
