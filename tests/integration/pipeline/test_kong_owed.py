"""A delete while Kong is down finishes everything else; Kong's cleanup is owed and done once it is back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.integration.support import PIPELINE_APPS, Kong, cluster_objects, free_port, registry_tags
from tests.kong_emulator import create_emulator, create_proxy, serve

pytestmark = pytest.mark.integration

APP = PIPELINE_APPS / "python-inventory"
IMAGES = "jp-pipeline-test/python-inventory"


async def test_a_delete_while_kong_is_down_owes_the_cleanup_until_kong_is_back(
    deployer_factory: Callable[..., Any], namespace: str
) -> None:
    # This test's own Kong: its Admin API stops and starts again on the same port, keeping its state.
    admin_app = create_emulator()
    port = free_port()
    admin_url = f"http://127.0.0.1:{port}"
    with serve(create_proxy(admin_app)) as proxy_url:
        async with deployer_factory(
            kong={"adminUrl": admin_url, "gatewayUrl": proxy_url}, server={"workerStaleSeconds": 4}
        ) as d:
            with serve(admin_app, port), httpx.Client(base_url=admin_url, timeout=10) as admin:
                kong = Kong(admin_url, proxy_url, admin)
                upload_id = await d.upload(APP)
                await d.call("POST", f"/deploy/{upload_id}", expect=202, json={})
                assert (await d.wait(upload_id))["status"] == "DEPLOYED"
                assert kong.entities(upload_id)["routes"]

            # Kong is gone: the delete removes the rest and owes Kong's part.
            with pytest.raises(httpx.HTTPError):
                httpx.get(admin_url, timeout=2)
            await d.call("DELETE", f"/deploy/{upload_id}", expect=202)
            status = await d.wait(upload_id)
            assert status["status"] == "DELETED", status
            assert f"upload:{upload_id}" in status["gateway_owed"]
            assert status["job"]["status"] == "succeeded"
            assert cluster_objects(namespace, upload_id) == []
            assert upload_id not in registry_tags(IMAGES)

            # Kong is back, with everything it held: a worker finishes the delete on its own.
            with serve(admin_app, port), httpx.Client(base_url=admin_url, timeout=10) as admin:
                kong = Kong(admin_url, proxy_url, admin)
                assert kong.entities(upload_id)["routes"], "the entities stayed while Kong was down"
                loop = asyncio.get_running_loop()
                deadline = loop.time() + 120
                while (await d.status(upload_id)).get("gateway_owed"):
                    assert loop.time() < deadline, await d.status(upload_id)
                    await asyncio.sleep(1)
                status = await d.wait(upload_id)
                assert status["status"] == "DELETED" and status["gateway_owed"] is None
                assert all(not entities for entities in kong.entities(upload_id).values())
