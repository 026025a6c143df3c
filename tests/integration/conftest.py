"""Fixtures shared by the integration tests that deploy: the Kong emulator and a throw-away namespace."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import pytest
from lightkube import ApiError, Client, KubeConfig
from lightkube.resources.core_v1 import Namespace

from tests.integration.support import Kong, require
from tests.kong_emulator import create_emulator, create_proxy, serve


@pytest.fixture(scope="session")
def kong() -> Iterator[Kong]:
    """Kong's Admin API and proxy, emulated on real loopback ports."""
    admin_app = create_emulator()
    with (
        serve(admin_app) as admin_url,
        serve(create_proxy(admin_app)) as proxy_url,
        httpx.Client(base_url=admin_url, timeout=10) as admin,
    ):
        yield Kong(admin_url, proxy_url, admin)


@pytest.fixture
def namespace() -> Iterator[str]:
    """A fresh namespace name for the test's apps; removed afterwards with anything left in it."""
    kubeconfig = require("KUBECONFIG")
    name = f"jp-it-{secrets.token_hex(3)}"
    yield name
    client = Client(KubeConfig.from_file(kubeconfig))
    try:
        client.delete(Namespace, name, grace_period=0)
    except ApiError as exc:
        if exc.status.code != 404:
            raise
    finally:
        client.close()
