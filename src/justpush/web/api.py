"""All API routers in one place; add a resource by adding its `routes/<name>.py` router here."""

from __future__ import annotations

from fastapi import APIRouter

from .routes import analyze, deploy, exports, health, sessions, tokens, ui, uploads, users

api_router = APIRouter()
api_router.include_router(health.router)
api_router.include_router(users.router)
api_router.include_router(tokens.router)
api_router.include_router(sessions.router)
api_router.include_router(uploads.router)
api_router.include_router(analyze.router)
api_router.include_router(deploy.router)
api_router.include_router(exports.router)
api_router.include_router(ui.router)
