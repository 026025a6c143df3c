"""`/tokens`: the caller's own API token."""

from __future__ import annotations

from fastapi import APIRouter, Response

from justpush import security

from ..deps import CurrentToken, CurrentUser, SessionDep

router = APIRouter(prefix="/tokens", tags=["users"])


@router.delete("/current", status_code=204)
async def revoke_current(token: CurrentToken, user: CurrentUser, session: SessionDep) -> Response:
    """Revoke the token of this request: refused from the next request on, and its open streams close."""
    await security.revoke_token(session, token)
    await security.audit(session, actor=user, action="token.revoke", target=f"user:{user.name}")
    await session.commit()
    return Response(status_code=204)
