"""API tokens: high-entropy random strings, stored only as sha256 with a short non-secret prefix."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from justpush import store
from justpush.errors import AuthError

TOKEN_PREFIX = "jp_"
# Characters of the token kept for display and support ("jp_AbCd1234…"); far too few to guess the rest.
DISPLAY_PREFIX_LENGTH = 11


@dataclass(frozen=True)
class NewToken:
    token: str
    prefix: str
    token_hash: str

    def __repr__(self) -> str:
        return f"NewToken(prefix={self.prefix!r}, token=********)"


def hash_token(token: str) -> str:
    # A plain sha256 suffices: the token has 256 bits of entropy, so there is nothing to brute-force.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def generate_token() -> NewToken:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return NewToken(token=token, prefix=token[:DISPLAY_PREFIX_LENGTH], token_hash=hash_token(token))


async def issue_token(session: AsyncSession, user: store.User, *, name: str = "") -> str:
    """Store a new token for `user` and return it; this is the only time the plain token exists."""
    new = generate_token()
    await store.add_api_token(session, user, prefix=new.prefix, token_hash=new.token_hash, name=name)
    return new.token


async def identify(session: AsyncSession, token: str | None) -> tuple[store.User, store.ApiToken]:
    """The user owning `token` and the token's row, its use not recorded (`store.use_token`);
    AuthError when it is missing, unknown or revoked."""
    if not token:
        raise AuthError("missing API token: send 'Authorization: Bearer <token>'")
    found = await store.get_token_user(session, hash_token(token))
    if found is None:
        raise AuthError("invalid or revoked API token")
    row, user = found
    return user, row


async def authenticate(session: AsyncSession, token: str | None) -> store.User:
    """The user owning `token`, its use recorded in `session`; AuthError as for `identify`."""
    user, row = await identify(session, token)
    await store.use_token(session, row)
    return user


async def revoke_token(session: AsyncSession, token: str) -> bool:
    """Revoke `token` (refused from the next request on); False when it was unknown or already revoked."""
    return await store.revoke_token(session, hash_token(token))


async def revoke_user_tokens(session: AsyncSession, user: store.User) -> int:
    """Revoke every token of `user`; how many were live."""
    return await store.revoke_user_tokens(session, user)


async def token_is_live(session: AsyncSession, token: str) -> bool:
    return await store.token_is_live(session, hash_token(token))
