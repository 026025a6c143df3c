"""K8sClient.run_job against httpx2.MockTransport: pinned URLs, streamed log lines, every way a Job ends."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.batch_v1 import Job

from justpush.errors import KubernetesError
from justpush.k8s import AppDeployment, K8sClient, ManifestOptions, render_manifests, render_release_job
from tests.unit.k8s.test_k8s_client import SETTINGS, FakeApi, _list, _status

NAME = "orders-release-1"
JOBS = "/apis/batch/v1/namespaces/orders/jobs"
PODS = "/api/v1/namespaces/orders/pods"
POD = f"{NAME}-x7k2p"


def _job(app: AppDeployment) -> Job:
    (deployment,) = [
        o for o in render_manifests(app, ManifestOptions(namespace="orders")) if isinstance(o, Deployment)
    ]
    return render_release_job(
        deployment,
        ("python", "migrate.py"),
        name=NAME,
        active_deadline_seconds=30,
        ttl_seconds_after_finished=60,
    )


def _job_status(condition: tuple[str, str] | None) -> dict[str, Any]:
    status: dict[str, Any] = {}
    if condition is not None:
        status["conditions"] = [{"type": condition[0], "status": "True", "reason": condition[1]}]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": NAME, "namespace": "orders"},
        "spec": {"activeDeadlineSeconds": 30, "template": {"spec": {"containers": []}}},
        "status": status,
    }


def _pod(state: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": POD, "namespace": "orders", "labels": {"job-name": NAME}},
        "status": {
            "containerStatuses": [
                {
                    "name": "app",
                    "state": state,
                    "ready": False,
                    "restartCount": 0,
                    "image": "i",
                    "imageID": "",
                }
            ]
        },
    }


def _routes(
    job_states: list[tuple[str, str] | None],
    pods: list[dict[str, Any]],
    log: str = "",
    events: list[dict[str, Any]] | None = None,
) -> dict[tuple[str, str], Any]:
    states = iter(job_states)
    last: list[tuple[str, str] | None] = [None]

    def get_job(request: httpx2.Request) -> httpx2.Response:
        last[0] = next(states, last[0])
        return httpx2.Response(200, json=_job_status(last[0]))

    def echo(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json=json.loads(request.content))

    return {
        ("GET", JOBS): _list("Job", [], "batch/v1"),
        ("PATCH", f"{JOBS}/{NAME}"): echo,
        ("GET", f"{JOBS}/{NAME}"): get_job,
        ("DELETE", f"{JOBS}/{NAME}"): httpx2.Response(
            200, json={"kind": "Status", "apiVersion": "v1", "status": "Success"}
        ),
        ("GET", PODS): _list("Pod", pods),
        ("GET", f"{PODS}/{POD}/log"): httpx2.Response(200, text=log),
        ("GET", "/api/v1/namespaces/orders/events"): _list("Event", events or []),
    }


def _client(api: FakeApi) -> K8sClient:
    return K8sClient(SETTINGS, transport=httpx2.MockTransport(api), poll_interval=0.01)


async def test_a_successful_job_streams_its_lines_and_is_deleted(app: AppDeployment) -> None:
    api = FakeApi(
        _routes([None, ("Complete", "")], [_pod({"terminated": {"exitCode": 0}})], "applied 0001\ndone\n")
    )
    lines: list[str] = []
    async with _client(api) as k8s:
        tail = await k8s.run_job(_job(app), timeout=30, on_log=lines.append)
    assert lines == tail == ["applied 0001", "done"]
    (patch,) = [r for r in api.requests if r.method == "PATCH"]
    assert patch.url.params["fieldManager"] == "justpush" and patch.url.params["force"] == "true"
    assert json.loads(patch.content)["spec"]["backoffLimit"] == 0
    (pods,) = {r.url.params["labelSelector"] for r in api.requests if r.url.path == PODS}
    assert pods == f"job-name={NAME}"
    (log,) = [r for r in api.requests if r.url.path.endswith("/log")]
    assert log.url.params["follow"] == "true" and log.url.params["container"] == "app"
    assert [r.url.path for r in api.requests if r.method == "DELETE"] == [f"{JOBS}/{NAME}"]


async def test_a_failed_job_names_its_exit_code_and_last_lines(app: AppDeployment) -> None:
    log = "".join(f"line {n}\n" for n in range(30)) + "column exists\n"
    api = FakeApi(_routes([("Failed", "BackoffLimitExceeded")], [_pod({"terminated": {"exitCode": 3}})], log))
    async with _client(api) as k8s:
        with pytest.raises(KubernetesError) as caught:
            await k8s.run_job(_job(app), timeout=30)
    message = caught.value.message
    assert message.startswith(f"Job {NAME} failed: exit code 3; last log lines:")
    assert message.endswith("column exists") and "line 10\n" not in message and "line 11" in message
    assert caught.value.details["log_tail"][-1] == "column exists"
    assert any(r.method == "DELETE" for r in api.requests)


@pytest.mark.parametrize(
    ("pods", "events", "expected"),
    [
        (
            [_pod({"waiting": {"reason": "CreateContainerConfigError"}})],
            [],
            "its pod cannot start: CreateContainerConfigError",
        ),
        (
            [],
            [
                {
                    "apiVersion": "v1",
                    "kind": "Event",
                    "metadata": {"name": "e1", "namespace": "orders"},
                    "involvedObject": {"kind": "Job", "name": NAME},
                    "reason": "FailedCreate",
                    "message": "pods is forbidden: exceeded quota: justpush-quota",
                }
            ],
            "its pod cannot be created: pods is forbidden: exceeded quota",
        ),
    ],
    ids=["config-error", "quota"],
)
async def test_a_job_whose_pod_cannot_run_fails_at_once(
    app: AppDeployment, pods: list[dict[str, Any]], events: list[dict[str, Any]], expected: str
) -> None:
    api = FakeApi(_routes([None], pods, events=events))
    async with _client(api) as k8s:
        with pytest.raises(KubernetesError, match=expected):
            await k8s.run_job(_job(app), timeout=30)


async def test_a_job_still_running_at_the_timeout_fails(app: AppDeployment) -> None:
    api = FakeApi(_routes([None], [_pod({"waiting": {"reason": "ContainerCreating"}})]))
    async with _client(api) as k8s:
        with pytest.raises(KubernetesError, match="still running after 0s"):
            await k8s.run_job(_job(app), timeout=0.05)


async def test_a_job_left_by_a_crashed_run_is_removed_first(app: AppDeployment) -> None:
    routes = _routes([("Complete", "")], [_pod({"terminated": {"exitCode": 0}})])
    old = _job_status(("Complete", ""))
    old["metadata"] = {"name": "orders-release-0", "namespace": "orders"}
    routes[("GET", JOBS)] = _list("Job", [old], "batch/v1")
    routes[("DELETE", f"{JOBS}/orders-release-0")] = _status(404, "gone", "NotFound")
    api = FakeApi(routes)
    async with _client(api) as k8s:
        await k8s.run_job(_job(app), timeout=30)
    deletes = [r.url.path for r in api.requests if r.method == "DELETE"]
    assert deletes == [f"{JOBS}/orders-release-0", f"{JOBS}/{NAME}"]
    (listing,) = [r for r in api.requests if r.method == "GET" and r.url.path == JOBS]
    assert "justpush.io/upload-id=" in listing.url.params["labelSelector"]
    assert "app.kubernetes.io/component=release" in listing.url.params["labelSelector"]
