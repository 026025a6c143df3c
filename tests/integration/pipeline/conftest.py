"""Fixtures for pipeline tests on testenv's real parts (see `support`)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from justpush.config import Settings
from tests.integration.support import Deployer, Kong, settings_sections


@pytest.fixture
def pipeline_settings(
    make_settings: Callable[..., Settings], namespace: str, kong: Kong
) -> Callable[..., Settings]:
    """Settings for the real testenv; keyword sections override (e.g. kong={"adminUrl": ...})."""

    def make(**overrides: dict[str, Any]) -> Settings:
        sections = settings_sections(namespace, kong)
        for section, values in overrides.items():
            sections.setdefault(section, {}).update(values)
        return make_settings(**sections)

    return make


@pytest.fixture
def deployer_factory(pipeline_settings: Callable[..., Settings]) -> Callable[..., Any]:
    """`async with deployer_factory(kong={...}) as d:` — an app with its worker, and a user's token."""
    from justpush import security, store
    from justpush.web import create_app, default_workers

    @asynccontextmanager
    async def make(**overrides: dict[str, Any]) -> AsyncIterator[Deployer]:
        settings = pipeline_settings(**overrides)
        app = create_app(settings, workers=default_workers(settings))
        async with app.router.lifespan_context(app):
            async with app.state.justpush.sessions() as session:
                user = await store.create_user(session, f"dev-{secrets.token_hex(4)}")
                token = await security.issue_token(session, user)
                await session.commit()
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://justpush.test", timeout=60
            ) as client:
                yield Deployer(client, {"Authorization": f"Bearer {token}"}, settings)

    return make
