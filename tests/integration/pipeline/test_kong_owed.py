"""A job that cannot reach Kong finishes everything else; what Kong owes is recorded and settled once
it is back: a delete's cleanup, and a deploy's, redeploy's or rollback's sync of the revision."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

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


class AdminApi:
    """This test's Kong Admin API, on a port of its own, keeping its state while it is stopped.

    `stop_after(n)` lets n more writes through, then Kong stops mid-flight: from the next request on it
    answers 503 (as a Kong whose database went away) until `stop()` takes it off its port; `start()`
    brings it back.
    """

    def __init__(self) -> None:
        self.app = create_emulator()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._left: int | None = None
        self._stopping = False
        self._stack = contextlib.ExitStack()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if not self._stopping and self._left is not None and scope["method"] != "GET":
                self._stopping = self._left == 0
                self._left -= 1
            if self._stopping:
                await JSONResponse({"message": "Kong is stopping"}, status_code=503)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def stop_after(self, writes: int) -> None:
        self._left = writes

    def start(self, stop_after: int | None = None) -> None:
        self._left, self._stopping = stop_after, False
        self._stack.enter_context(serve(self, self.port))

    def stop(self) -> None:
        self._stack.close()

    close = stop


def _holds_exactly(kong: Kong, upload_id: str, record: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Kong holds the record's service, routes and consumer, and plugins of nothing else."""
    entities = kong.entities(upload_id)
    ids = record["kong"]
    assert [s["id"] for s in entities["services"]] == [ids["service"]], entities["services"]
    assert sorted(r["id"] for r in entities["routes"]) == sorted(ids["routes"]), entities["routes"]
    # Kong names the consumer after the service it belongs to.
    consumers = [c["username"] for c in entities["consumers"]]
    assert len(consumers) == 1 and consumers[0].endswith(f"_{ids['consumer']}"), consumers
    owners = {ids["service"], *ids["routes"], *(c["id"] for c in entities["consumers"])}
    for plugin in entities["plugins"]:
        refs = {(plugin.get(k) or {}).get("id") for k in ("service", "route", "consumer")} - {None}
        assert refs <= owners, plugin
    return entities


def _per_minute(entities: dict[str, list[dict[str, Any]]]) -> object:
    limits = [p["config"].get("minute") for p in entities["plugins"] if p["name"] == "rate-limiting"]
    return limits[0] if limits else None


async def _gateway_job(d: Any, upload_id: str, keys: list[str], after: str | None) -> dict[str, Any]:
    """The status once a gateway job other than `after` has ended; `keys` collects API keys shown."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 180
    while True:
        status: dict[str, Any] = await d.status(upload_id)
        if status.get("api_key"):
            keys.append(status["api_key"])
        job = status.get("job") or {}
        if job.get("kind") == "gateway" and job["id"] != after and job["status"] in ("succeeded", "failed"):
            return status
        assert loop.time() < deadline, status
        await asyncio.sleep(1)


async def _owed_then_settled(
    d: Any, admin: AdminApi, upload_id: str, before: dict[str, Any], keys: list[str], *, again: bool = False
) -> dict[str, Any]:
    """Kong stopped mid-flight: the debt holds while Kong is off its port; once it is back a worker
    settles it. With `again`, Kong first comes back only to stop during the settling sync: the debt
    stays. Returns the status after the gateway job that settled it."""
    assert before["job"]["status"] == "succeeded", before
    assert before["gateway_owed"], before
    await asyncio.to_thread(admin.stop)
    await asyncio.sleep(3)
    still = await d.status(upload_id)
    assert still["gateway_owed"] == before["gateway_owed"] and still["status"] == before["status"], still
    after = None
    if again:
        await asyncio.to_thread(admin.start, 0)
        failed = await _gateway_job(d, upload_id, keys, None)
        assert failed["job"]["status"] == "succeeded" and failed["status"] == before["status"], failed
        # The same sync is owed, for the same reason (Kong stopped at the same write).
        assert failed["gateway_owed"] == before["gateway_owed"] and "503" in failed["gateway_owed"], failed
        after = failed["job"]["id"]
        await asyncio.to_thread(admin.stop)
    await asyncio.to_thread(admin.start)
    status = await _gateway_job(d, upload_id, keys, after)
    assert status["job"]["status"] == "succeeded", status
    assert status["gateway_owed"] is None, status
    return status


async def test_kong_stopped_mid_flight_at_each_step_catches_up_once_it_is_back(
    deployer_factory: Callable[..., Any], namespace: str
) -> None:
    admin = AdminApi()
    admin.start()
    with (
        contextlib.closing(admin),
        serve(create_proxy(admin.app)) as proxy_url,
        # The test reads Kong's state on a port of its own, which never stops.
        serve(admin.app) as inspect_url,
        httpx.Client(base_url=inspect_url, timeout=10) as http,
    ):
        kong = Kong(inspect_url, proxy_url, http)
        async with deployer_factory(
            kong={"adminUrl": admin.url, "gatewayUrl": proxy_url}, server={"workerStaleSeconds": 4}
        ) as d:
            keys: list[str] = []
            # Deploy: Kong stops after the sync's first write.
            upload_id = await d.upload(APP)
            admin.stop_after(1)
            await d.call("POST", f"/deploy/{upload_id}", expect=202, json={})
            status = await d.wait(upload_id)
            assert status["status"] == "DEPLOYED_WITH_WARNINGS", status
            assert "revision 1" in status["gateway_owed"] and f"upload:{upload_id}" in status["gateway_owed"]
            assert status["gateway_owed"] in status["verification"]["warnings"]
            # The app runs; the key Kong does not hold is not shown.
            assert any(r["via"] == "service" and r["ok"] for r in status["verification"]["results"])
            assert status["api_key"] is None and status["kong"] is None
            # Kong stopped mid-flight: one write of the sync reached it.
            partial = kong.entities(upload_id)
            assert sum(map(len, partial.values())) <= 1, partial

            status = await _owed_then_settled(d, admin, upload_id, status, keys)
            assert status["status"] == "DEPLOYED", status
            assert status["verification"]["warnings"] == []
            assert any(r["via"] == "gateway" and r["ok"] for r in status["verification"]["results"])
            entities = _holds_exactly(kong, upload_id, status)
            # Once Kong holds the key it is shown, once, and it opens the API.
            assert len(keys) == 1, keys
            events = await d.events(upload_id)
            assert any("Kong caught up" in e["message"] for e in events)

            # Redeploy with another rate limit: Kong stops before the sync writes anything.
            minute = 77
            assert _per_minute(entities) != minute
            admin.stop_after(0)
            await d.call(
                "POST", f"/deploy/{upload_id}/redeploy", expect=202, json={"rate_limit": {"minute": minute}}
            )
            status = await d.wait(upload_id)
            assert status["status"] == "DEPLOYED_WITH_WARNINGS" and status["revision"] == 2, status
            assert "revision 2" in status["gateway_owed"]
            assert _per_minute(kong.entities(upload_id)) != minute
            status = await _owed_then_settled(d, admin, upload_id, status, keys)
            assert status["status"] == "DEPLOYED", status
            assert _per_minute(_holds_exactly(kong, upload_id, status)) == minute

            # Rollback to revision 1: the app side rolls back, the gateway's sync is owed.
            admin.stop_after(0)
            await d.call("POST", f"/deploy/{upload_id}/rollback", expect=202, json={"revision": 1})
            status = await d.wait(upload_id)
            assert status["status"] == "DEPLOYED_WITH_WARNINGS", status
            assert status["revision"] == 3 and status["serving_revision"] == 1, status
            assert "revision 3" in status["gateway_owed"]
            assert _per_minute(kong.entities(upload_id)) == minute
            # Kong comes back once only to stop again during the settling sync: still owed.
            status = await _owed_then_settled(d, admin, upload_id, status, keys, again=True)
            assert status["status"] == "DEPLOYED", status
            assert _per_minute(_holds_exactly(kong, upload_id, status)) != minute
            assert len(keys) == 1, "the key is shown once, whatever Kong did since"

            # Delete: Kong stops after the first removal.
            admin.stop_after(1)
            await d.call("DELETE", f"/deploy/{upload_id}", expect=202)
            status = await d.wait(upload_id)
            assert status["status"] == "DELETED", status
            assert f"upload:{upload_id}" in status["gateway_owed"]
            assert cluster_objects(namespace, upload_id) == []
            assert any(kong.entities(upload_id).values())
            status = await _owed_then_settled(d, admin, upload_id, status, keys)
            assert status["status"] == "DELETED", status
            assert all(not entities for entities in kong.entities(upload_id).values())
