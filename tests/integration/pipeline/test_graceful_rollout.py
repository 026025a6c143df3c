"""A rolling update of an app that exits at once on SIGTERM drops no request: each stopping pod keeps
serving through its preStop sleep while kube-proxy removes its endpoint from the Service."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.integration.support import PIPELINE_APPS, Kong, kubectl_json

pytestmark = pytest.mark.integration

APP = PIPELINE_APPS / "python-exits-on-sigterm"
# The gateway's default rate limit (60 a minute) would answer 429 to the calls below.
_UNLIMITED = {"second": 1000, "minute": 100_000, "hour": 1_000_000}


async def _hammer(url: str, stop: asyncio.Event) -> tuple[int, list[str]]:
    """GET `url` back to back until `stop`; how many were sent and what went wrong."""
    sent, failures = 0, []
    async with httpx.AsyncClient(timeout=10) as client:
        while not stop.is_set():
            sent += 1
            try:
                response = await client.get(url)
                if response.status_code != 200:
                    failures.append(f"{response.status_code} {response.text[:80]}")
            except httpx.HTTPError as exc:
                failures.append(f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(0.02)
    return sent, failures


async def test_a_rollout_drops_no_request(
    deployer_factory: Callable[..., Any], kong: Kong, namespace: str
) -> None:
    # A grace period long enough for the default 5 s preStop sleep (the suite's default is 2 s).
    async with deployer_factory(kubernetes={"terminationGracePeriodSeconds": 10}) as d:
        upload_id = await d.upload(APP)
        await d.call(
            "POST",
            f"/deploy/{upload_id}",
            expect=202,
            json={"replicas": 2, "max_replicas": 0, "rate_limit": _UNLIMITED},
        )
        status = await d.wait(upload_id)
        warnings = [e["message"] for e in await d.events(upload_id) if e["kind"] == "warning"]
        assert status["status"] == "DEPLOYED", warnings
        deployment = kubectl_json("get", "deployment", status["kubernetes"]["deployment"], "-n", namespace)
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["lifecycle"] == {"preStop": {"exec": {"command": ["sleep", "5"]}}}

        # Straight to the Service's cluster IP (kube-proxy programs this host too): no gateway retries
        # can hide a refused connection.
        url = f"http://{status['kubernetes']['cluster_ip']}/health"
        async with httpx.AsyncClient(timeout=10) as client:
            assert (await client.get(url)).status_code == 200
        stop = asyncio.Event()
        hammer = asyncio.create_task(_hammer(url, stop))
        await d.call("POST", f"/deploy/{upload_id}/redeploy", expect=202, json={"env": {"WAVE": "2"}})
        redeployed = await d.wait(upload_id)
        # The old pods' preStop sleep and stop outlast the rollout: keep calling until they are gone.
        await asyncio.sleep(12)
        stop.set()
        sent, failures = await hammer
        warnings = [e["message"] for e in await d.events(upload_id) if e["kind"] == "warning"]
        assert redeployed["status"] == "DEPLOYED", warnings
        async with httpx.AsyncClient(timeout=10) as client:
            wave = (await client.get(status["gateway_url"] + "/env/WAVE")).json()["value"]
        assert wave == "2"
        assert sent > 100 and failures == [], f"{len(failures)} of {sent} requests failed: {failures[:5]}"
        await d.call("DELETE", f"/deploy/{upload_id}", expect=202)
        assert (await d.wait(upload_id))["status"] == "DELETED"
