"""Fixtures for pipeline tests on testenv's real parts (see `support`)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from lightkube import ApiError, AsyncClient, KubeConfig
from lightkube.resources.core_v1 import Namespace

from justpush.config import Settings
from tests.integration.pipeline.support import Deployer, Kong, require, settings_sections
from tests.kong_emulator import create_emulator, create_proxy, serve


@pytest.fixture(scope="session")
def kong() -> Iterator[Kong]:
    admin_app = create_emulator()
    with (
        serve(admin_app) as admin_url,
        serve(create_proxy(admin_app)) as proxy_url,
        httpx.Client(base_url=admin_url, timeout=10) as admin,
    ):
        yield Kong(admin_url, proxy_url, admin)


@pytest.fixture
async def namespace() -> AsyncIterator[str]:
    """A fresh namespace name for the test's apps; removed afterwards (with anything left in it)."""
    kubeconfig = require("KUBECONFIG")
    name = f"jp-pipe-{secrets.token_hex(3)}"
    yield name
    client = AsyncClient(KubeConfig.from_file(kubeconfig), lazy=False)
    try:
        await client.delete(Namespace, name, grace_period=0)
    except ApiError as exc:
        if exc.status.code != 404:
            raise
    finally:
        await client.close()


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
