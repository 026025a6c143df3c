"""The caller's own identity."""

from __future__ import annotations

from fastapi import APIRouter

from .._schemas import UserPublic
from ..deps import CurrentUser

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me")
async def me(user: CurrentUser) -> UserPublic:
    return UserPublic.model_validate(user, from_attributes=True)
