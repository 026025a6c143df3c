"""Browser sessions: an API token of its own in an HttpOnly cookie, and the CSRF token bound to it.

The CSRF token is derived from the session token (signed double-submit): a page of this origin reads
it from a readable cookie and echoes it in a header; another site can neither read the cookie nor
compute the value, and the session cookie is SameSite=Strict besides.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from justpush import store
from justpush.errors import AuthError

from ._tokens import hash_token

SESSION_COOKIE = "justpush_session"
CSRF_COOKIE = "justpush_csrf"
CSRF_HEADER = "X-CSRF-Token"
SESSION_TOKEN_NAME = "browser session"
# A browser left signed in is signed out after this, whether or not its cookie is still kept.
SESSION_LIFETIME = timedelta(days=7)
_ENDED = "the browser session has ended or expired: sign in again"


def csrf_token(session_token: str) -> str:
    # Keyed by the session token itself: 256 random bits, so the value cannot be guessed without it.
    return hmac.new(session_token.encode("utf-8"), b"justpush-csrf", hashlib.sha256).hexdigest()


def csrf_matches(session_token: str, sent: str | None) -> bool:
    return sent is not None and hmac.compare_digest(csrf_token(session_token), sent)


async def identify_session(session: AsyncSession, token: str) -> tuple[store.User, store.ApiToken]:
    """The user of a browser session's token and the token's row, as `identify` does, for a token
    issued by sign-in, live, and younger than `SESSION_LIFETIME`; AuthError otherwise (an API token
    in the cookie is refused too)."""
    found = await store.get_token_user(session, hash_token(token))
    if (
        found is None
        or found[0].name != SESSION_TOKEN_NAME
        or found[0].created_at < store.utcnow() - SESSION_LIFETIME
    ):
        raise AuthError("the browser session has ended or expired: sign in again")
    row, user = found
    return user, row
