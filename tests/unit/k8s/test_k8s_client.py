"""K8sClient against httpx2.MockTransport: pinned URLs, apply parameters, error translation, diagnosis."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx2
import pytest
from pydantic import SecretStr

from justpush.config import KubernetesSettings
from justpush.errors import ConfigError, KubernetesError
from justpush.k8s import K8sClient, ManifestOptions, render_manifests

API = "https://k8s.test"
SETTINGS = KubernetesSettings(
    api_server=API, token=SecretStr("t0ken"), namespace="orders", insecure_skip_tls_verify=True
)
Handler = Callable[[httpx2.Request], httpx2.Response]


def _status(code: int, message: str, reason: str = "") -> httpx2.Response:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    return httpx2.Response(code, json=body)


def _list(kind: str, items: list[dict[str, Any]], api_version: str = "v1") -> httpx2.Response:
    return httpx2.Response(
        200, json={"kind": f"{kind}List", "apiVersion": api_version, "metadata": {}, "items": items}
    )


class FakeApi:
    """Routes by (method, path); records every request."""

    def __init__(self, routes: dict[tuple[str, str], Handler | httpx2.Response]) -> None:
        self.routes = routes
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        route = self.routes.get((request.method, request.url.path))
        if route is None:
            return _status(404, f"no route {request.method} {request.url.path}", "NotFound")
        return route(request) if callable(route) else route


def _client(api: FakeApi, settings: KubernetesSettings = SETTINGS) -> K8sClient:
    return K8sClient(settings, transport=httpx2.MockTransport(api), poll_interval=0.01, resync_interval=0.01)


DISCOVERY_120 = {
    ("GET", "/version"): httpx2.Response(200, json={"gitVersion": "v1.20.2"}),
    ("GET", "/apis"): httpx2.Response(
        200,
        json={
            "groups": [
                {
                    "name": "autoscaling",
                    "versions": [{"groupVersion": "autoscaling/v1"}, {"groupVersion": "autoscaling/v2beta2"}],
                },
                {"name": "policy", "versions": [{"groupVersion": "policy/v1beta1"}]},
            ]
        },
    ),
}


async def test_discover_picks_the_newest_served_versions() -> None:
    api = FakeApi(dict(DISCOVERY_120))
    async with _client(api) as k8s:
        info = await k8s.discover()
    assert (info.server_version, info.hpa_api_version, info.pdb_api_version) == (
        "v1.20.2",
        "autoscaling/v2beta2",
        "policy/v1beta1",
    )
    assert not info.metrics_api
    assert api.requests[0].headers["Authorization"] == "Bearer t0ken"
    assert str(api.requests[0].url) == f"{API}/version"


async def test_apply_uses_server_side_apply_with_force_in_order(app: Any) -> None:
    objects = render_manifests(app, ManifestOptions(namespace="orders"))

    def echo(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json=json.loads(request.content))

    routes: dict[tuple[str, str], Any] = {
        ("GET", "/api/v1/namespaces/orders"): _status(404, "not found", "NotFound")
    }
    for path in (
        "/api/v1/namespaces/orders",
        "/api/v1/namespaces/orders/secrets/orders-api-3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b-secret",
        "/api/v1/namespaces/orders/configmaps/orders-api-3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b-env",
        "/api/v1/namespaces/orders/resourcequotas/justpush-quota",
        "/api/v1/namespaces/orders/limitranges/justpush-limits",
        "/api/v1/namespaces/orders/services/orders-api-3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
        "/apis/apps/v1/namespaces/orders/deployments/orders-api-3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
        "/apis/networking.k8s.io/v1/namespaces/orders/networkpolicies/orders-api-3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
    ):
        routes[("PATCH", path)] = echo
    api = FakeApi(routes)
    async with _client(api) as k8s:
        await k8s.apply(objects)
    patches = [r for r in api.requests if r.method == "PATCH"]
    assert [r.url.path.split("/")[-2] for r in patches] == [
        "namespaces",
        "secrets",
        "configmaps",
        "resourcequotas",
        "limitranges",
        "services",
        "deployments",
        "networkpolicies",
    ]
    for request in patches:
        assert request.url.params["fieldManager"] == "justpush"
        assert request.url.params["force"] == "true"
        assert request.headers["Content-Type"] == "application/apply-patch+yaml"


async def test_a_foreign_namespace_is_not_taken_over(app: Any) -> None:
    objects = [o for o in render_manifests(app, ManifestOptions(namespace="orders")) if o.kind == "Namespace"]
    api = FakeApi(
        {
            ("GET", "/api/v1/namespaces/orders"): httpx2.Response(
                200,
                json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "orders", "labels": {}}},
            )
        }
    )
    async with _client(api) as k8s:
        await k8s.apply(objects)
    assert [r.method for r in api.requests] == ["GET"]


async def test_quota_forbidden_by_rbac_explains_the_option(app: Any) -> None:
    objects = [
        o for o in render_manifests(app, ManifestOptions(namespace="orders")) if o.kind == "ResourceQuota"
    ]
    api = FakeApi(
        {
            ("PATCH", "/api/v1/namespaces/orders/resourcequotas/justpush-quota"): _status(
                403, 'resourcequotas "justpush-quota" is forbidden: User cannot patch', "Forbidden"
            )
        }
    )
    async with _client(api) as k8s:
        with pytest.raises(KubernetesError, match=r"quota=None") as caught:
            await k8s.apply(objects)
    assert caught.value.status == 403
    assert caught.value.service == "kubernetes"


async def test_unreachable_api_server_is_a_kubernetes_error() -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused", request=request)

    async with K8sClient(SETTINGS, transport=httpx2.MockTransport(refuse)) as k8s:
        with pytest.raises(KubernetesError, match="cannot reach the API server") as caught:
            await k8s.discover()
    assert isinstance(caught.value.__cause__, httpx2.ConnectError)


def test_missing_kubeconfig_is_a_config_error(tmp_path: Any) -> None:
    with pytest.raises(ConfigError):
        K8sClient(KubernetesSettings(kubeconfig=str(tmp_path / "absent")))


def test_kubeconfig_context_is_honoured(tmp_path: Any) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(
        json.dumps(
            {
                "clusters": [
                    {"name": "a", "cluster": {"server": "https://a.test"}},
                    {"name": "b", "cluster": {"server": "https://b.test"}},
                ],
                "users": [{"name": "u", "user": {"token": "x"}}],
                "contexts": [
                    {"name": "ca", "context": {"cluster": "a", "user": "u"}},
                    {"name": "cb", "context": {"cluster": "b", "user": "u"}},
                ],
                "current-context": "ca",
            }
        )
    )
    api = FakeApi({("GET", "/version"): httpx2.Response(200, json={"gitVersion": "v1.30.0"})})
    client = K8sClient(
        KubernetesSettings(kubeconfig=str(path), context="cb"), transport=httpx2.MockTransport(api)
    )
    assert client._kube.config.cluster.server == "https://b.test"


POD_PATH = "/api/v1/namespaces/orders/pods"
DEPLOY_PATH = "/apis/apps/v1/namespaces/orders/deployments"
RS_PATH = "/apis/apps/v1/namespaces/orders/replicasets"
EVENTS_PATH = "/api/v1/namespaces/orders/events"


def _rollout_routes(pod_state: dict[str, Any], extra: dict[Any, Any] | None = None) -> dict[Any, Any]:
    deployment = {
        "metadata": {
            "name": "web",
            "uid": "u",
            "generation": 1,
            "annotations": {"deployment.kubernetes.io/revision": "1"},
        },
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"a": "b"}},
            "template": {"spec": {"containers": []}},
        },
        "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "unavailableReplicas": 1},
    }
    rs = {
        "metadata": {
            "name": "web-1",
            "labels": {"pod-template-hash": "h1"},
            "annotations": {"deployment.kubernetes.io/revision": "1"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "u"}],
        },
        "spec": {"selector": {"matchLabels": {"a": "b"}}},
    }
    pod = {
        "metadata": {"name": "web-1-abc", "labels": {"pod-template-hash": "h1"}},
        "spec": {"containers": [{"name": "app"}], "nodeName": "node1"},
        "status": {
            "phase": "Running",
            "containerStatuses": [
                {
                    "name": "app",
                    "image": "r/app:1",
                    "imageID": "",
                    "ready": False,
                    "restartCount": 4,
                    "state": pod_state,
                    "lastState": {"terminated": {"exitCode": 1}},
                }
            ],
        },
    }
    event = {
        "metadata": {"name": "ev1", "uid": "e1"},
        "involvedObject": {"kind": "Pod", "name": "web-1-abc"},
        "reason": "BackOff",
        "message": "Back-off restarting failed container",
        "count": 1,
    }
    routes = {
        ("GET", DEPLOY_PATH): _list("Deployment", [deployment], "apps/v1"),
        ("GET", RS_PATH): _list("ReplicaSet", [rs], "apps/v1"),
        ("GET", POD_PATH): _list("Pod", [pod]),
        ("GET", EVENTS_PATH): _list("Event", [event]),
    }
    routes.update(extra or {})
    return routes


async def test_crash_loop_fails_the_rollout_with_the_last_log_lines() -> None:
    logs = httpx2.Response(200, text="starting\nKeyError: 'DATABASE_URL'\n")
    api = FakeApi(
        _rollout_routes(
            {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off"}},
            {("GET", f"{POD_PATH}/web-1-abc/log"): logs},
        )
    )
    seen: list[Any] = []
    async with _client(api) as k8s:
        with pytest.raises(KubernetesError, match="CrashLoopBackOff") as caught:
            await k8s.wait_rollout("u1", timeout=5, on_progress=seen.append)
    assert "KeyError: 'DATABASE_URL'" in caught.value.message
    assert caught.value.details["log_tail"] == ["starting", "KeyError: 'DATABASE_URL'"]
    log_request = next(r for r in api.requests if r.url.path.endswith("/log"))
    assert log_request.url.params["previous"] == "true" and log_request.url.params["container"] == "app"
    assert seen and seen[0].events == ("Pod/web-1-abc: BackOff: Back-off restarting failed container",)
    list_request = next(r for r in api.requests if r.url.path == POD_PATH)
    assert list_request.url.params["labelSelector"] == "justpush.io/upload-id=u1"


async def test_image_pull_backoff_fails_fast() -> None:
    api = FakeApi(_rollout_routes({"waiting": {"reason": "ImagePullBackOff", "message": "not found"}}))
    async with _client(api) as k8s:
        with pytest.raises(KubernetesError, match=r"image r/app:1 cannot be pulled \(ImagePullBackOff\)"):
            await k8s.wait_rollout("u1", timeout=5)


async def test_rollout_times_out_with_counts_pods_and_their_last_lines() -> None:
    logs = httpx2.Response(200, text="listening on 0.0.0.0:9999\n")
    api = FakeApi(_rollout_routes({"running": {}}, {("GET", f"{POD_PATH}/web-1-abc/log"): logs}))
    async with _client(api) as k8s:
        with pytest.raises(KubernetesError, match="did not finish in time: 0/1 ready") as caught:
            await k8s.wait_rollout("u1", timeout=0.05)
    lines = caught.value.message.splitlines()
    assert lines[1].startswith("pod web-1-abc: ") and "not ready" in lines[1]
    assert lines[-2:] == ["last log lines of web-1-abc:", "listening on 0.0.0.0:9999"]
    assert caught.value.details["log_tail"] == ["listening on 0.0.0.0:9999"]


async def test_a_watched_change_ends_the_wait_without_waiting_for_the_resync() -> None:
    routes = _rollout_routes({"running": {}})
    deployment = routes[("GET", DEPLOY_PATH)]
    ready = json.loads(deployment.content)
    ready["items"][0]["status"].update({"readyReplicas": 1, "availableReplicas": 1, "unavailableReplicas": 0})
    lists, watches = 0, 0

    def deployments(request: httpx2.Request) -> httpx2.Response:
        nonlocal lists, watches
        if request.url.params.get("watch") == "true":
            watches += 1
            if watches > 1:
                return _status(500, "watch closed")
            # The pod turned ready: one watch event (the loop reads the lists again to see it).
            line = json.dumps({"type": "MODIFIED", "object": ready["items"][0]}) + "\n"
            return httpx2.Response(200, text=line)
        lists += 1
        return deployment if lists == 1 else httpx2.Response(200, json=ready)

    routes[("GET", DEPLOY_PATH)] = deployments
    api = FakeApi(routes)
    client = K8sClient(SETTINGS, transport=httpx2.MockTransport(api), poll_interval=0.01, resync_interval=60)
    async with client as k8s:
        progress = await asyncio.wait_for(k8s.wait_rollout("u1", timeout=120), 10)
    assert progress.done and lists == 2
    watch = next(r for r in api.requests if r.url.params.get("watch") == "true")
    assert watch.url.params["labelSelector"] == "justpush.io/upload-id=u1"


@pytest.mark.parametrize(("current", "deployment_patch"), [(2, {"spec": {"replicas": 6}}), (6, None)])
async def test_scale_patches_the_hpa_and_moves_the_deployment_into_its_range(
    current: int, deployment_patch: dict[str, Any] | None
) -> None:
    hpa = {
        "metadata": {"name": "web", "namespace": "orders"},
        "spec": {"minReplicas": 2, "maxReplicas": 4, "scaleTargetRef": {"kind": "Deployment", "name": "web"}},
    }
    deployment = {
        "metadata": {"name": "web", "namespace": "orders"},
        "spec": {"replicas": current, "selector": {}, "template": {}},
    }
    path = "/apis/autoscaling/v2beta2/namespaces/orders/horizontalpodautoscalers"

    def patched(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            200, json={**hpa, "apiVersion": "autoscaling/v2beta2", "kind": "HorizontalPodAutoscaler"}
        )

    def deployment_patched(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json={**deployment, "apiVersion": "apps/v1", "kind": "Deployment"})

    api = FakeApi(
        {
            **DISCOVERY_120,
            ("GET", path): _list("HorizontalPodAutoscaler", [hpa], "autoscaling/v2beta2"),
            ("PATCH", f"{path}/web"): patched,
            ("GET", DEPLOY_PATH): _list("Deployment", [deployment], "apps/v1"),
            ("PATCH", f"{DEPLOY_PATH}/web"): deployment_patched,
        }
    )
    async with _client(api) as k8s:
        await k8s.scale("u1", 6)
    patches = [r for r in api.requests if r.method == "PATCH"]
    assert patches[0].headers["Content-Type"] == "application/merge-patch+json"
    assert json.loads(patches[0].content) == {"spec": {"minReplicas": 6, "maxReplicas": 6}}
    assert [json.loads(p.content) for p in patches[1:]] == ([deployment_patch] if deployment_patch else [])


async def test_scale_patches_the_deployment_without_hpa() -> None:
    deployment = {
        "metadata": {"name": "web", "namespace": "orders"},
        "spec": {"replicas": 1, "selector": {}, "template": {}},
    }

    def patched(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json={**deployment, "apiVersion": "apps/v1", "kind": "Deployment"})

    api = FakeApi(
        {
            **DISCOVERY_120,
            ("GET", "/apis/autoscaling/v2beta2/namespaces/orders/horizontalpodautoscalers"): _list(
                "HorizontalPodAutoscaler", [], "autoscaling/v2beta2"
            ),
            ("GET", DEPLOY_PATH): _list("Deployment", [deployment], "apps/v1"),
            ("PATCH", f"{DEPLOY_PATH}/web"): patched,
        }
    )
    async with _client(api) as k8s:
        await k8s.scale("u1", 3)
    assert json.loads(api.requests[-1].content) == {"spec": {"replicas": 3}}


async def test_usage_from_the_kubelet_summary() -> None:
    pods = _rollout_routes({"running": {}})[("GET", POD_PATH)]
    summary = {
        "pods": [
            {
                "podRef": {"name": "web-1-abc", "namespace": "orders"},
                "cpu": {"usageNanoCores": 1500},
                "memory": {"workingSetBytes": 4096},
            },
            {
                "podRef": {"name": "other", "namespace": "orders"},
                "cpu": {"usageNanoCores": 9},
                "memory": {"workingSetBytes": 9},
            },
        ]
    }
    api = FakeApi(
        {
            **DISCOVERY_120,
            ("GET", POD_PATH): pods,
            ("GET", "/api/v1/nodes/node1/proxy/stats/summary"): httpx2.Response(200, json=summary),
        }
    )
    async with _client(api) as k8s:
        usage = await k8s.usage("u1")
    assert [(u.pod, u.cpu_nanocores, u.memory_bytes) for u in usage] == [("web-1-abc", 1500, 4096)]


async def test_logs_of_all_started_pods() -> None:
    routes = _rollout_routes({"running": {}})
    pod_list = json.loads(routes[("GET", POD_PATH)].content)
    second = json.loads(json.dumps(pod_list["items"][0]))
    second["metadata"]["name"] = "web-1-def"
    pending = json.loads(json.dumps(pod_list["items"][0]))
    pending["metadata"]["name"] = "web-1-zzz"
    pending["status"]["containerStatuses"][0].update(
        state={"waiting": {"reason": "ContainerCreating"}}, restartCount=0
    )
    api = FakeApi(
        {
            ("GET", POD_PATH): _list("Pod", [pending, second, pod_list["items"][0]]),
            ("GET", f"{POD_PATH}/web-1-abc/log"): httpx2.Response(200, text="a1\na2\n"),
            ("GET", f"{POD_PATH}/web-1-def/log"): httpx2.Response(200, text="d1\n"),
        }
    )
    async with _client(api) as k8s:
        lines = [(line.pod, line.line) async for line in k8s.logs("u1", tail=10)]
    assert lines == [("web-1-abc", "a1"), ("web-1-abc", "a2"), ("web-1-def", "d1")]
    log_request = next(r for r in api.requests if r.url.path.endswith("/log"))
    assert log_request.url.params["tailLines"] == "10"


async def test_apply_revision_prunes_objects_no_longer_in_the_set(app: Any) -> None:
    objects = [
        o
        for o in render_manifests(
            replace(app, env=()), ManifestOptions(namespace="orders", create_namespace=False)
        )
        if o.kind in ("Service", "Deployment")
    ]
    name = "orders-api-3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"

    def echo(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json=json.loads(request.content))

    stale_cm = {"metadata": {"name": f"{name}-env", "namespace": "orders"}, "data": {}}
    routes: dict[Any, Any] = {
        **DISCOVERY_120,
        ("PATCH", f"/api/v1/namespaces/orders/services/{name}"): echo,
        ("PATCH", f"{DEPLOY_PATH}/{name}"): echo,
        ("GET", "/api/v1/namespaces/orders/configmaps"): _list("ConfigMap", [stale_cm]),
        ("DELETE", f"/api/v1/namespaces/orders/configmaps/{name}-env"): httpx2.Response(200, json={}),
    }
    for path in (
        "/api/v1/namespaces/orders/services",
        DEPLOY_PATH,
        "/api/v1/namespaces/orders/secrets",
        "/apis/networking.k8s.io/v1/namespaces/orders/networkpolicies",
        "/apis/autoscaling/v2beta2/namespaces/orders/horizontalpodautoscalers",
        "/apis/policy/v1beta1/namespaces/orders/poddisruptionbudgets",
        "/api/v1/namespaces/orders/resourcequotas",
        "/api/v1/namespaces/orders/limitranges",
    ):
        kind_items = {
            "/api/v1/namespaces/orders/services": [{"metadata": {"name": name, "namespace": "orders"}}],
            DEPLOY_PATH: [
                {"metadata": {"name": name, "namespace": "orders"}, "spec": {"selector": {}, "template": {}}}
            ],
        }.get(path, [])
        routes[("GET", path)] = _list("X", kind_items)
    api = FakeApi(routes)
    async with _client(api) as k8s:
        await k8s.apply_revision(objects)
    deletes = [r.url.path for r in api.requests if r.method == "DELETE"]
    assert deletes == [f"/api/v1/namespaces/orders/configmaps/{name}-env"]


async def test_an_unexpected_response_body_is_a_kubernetes_error() -> None:
    api = FakeApi(
        {("GET", POD_PATH): _list("Pod", [{"metadata": {"name": "p"}, "spec": {"containers": "nope"}}])}
    )
    async with _client(api) as k8s:
        with pytest.raises(KubernetesError, match="unexpected response"):
            await k8s.pod_status("u1")


async def test_apply_refuses_a_mixed_manifest_set(app: Any) -> None:
    one = render_manifests(app, ManifestOptions(namespace="orders"))
    other = render_manifests(replace(app, upload_id="other"), ManifestOptions(namespace="orders"))
    async with _client(FakeApi({})) as k8s:
        with pytest.raises(KubernetesError, match="exactly one upload"):
            await k8s.apply([*one, *other])


async def test_usage_comes_from_metrics_k8s_io_when_the_cluster_serves_it() -> None:
    discovery = dict(DISCOVERY_120)
    discovery[("GET", "/apis")] = httpx2.Response(
        200,
        json={
            "groups": [{"name": "metrics.k8s.io", "versions": [{"groupVersion": "metrics.k8s.io/v1beta1"}]}]
        },
    )

    def pod_metrics(name: str, cpu: str, memory: str) -> dict[str, Any]:
        return {
            "apiVersion": "metrics.k8s.io/v1beta1",
            "kind": "PodMetrics",
            "metadata": {"name": name, "namespace": "orders", "labels": {"justpush.io/upload-id": "u1"}},
            "timestamp": "2026-11-26T08:00:00Z",
            "window": "30s",
            "containers": [{"name": "app", "usage": {"cpu": cpu, "memory": memory}}],
        }

    api = FakeApi(
        {
            **discovery,
            ("GET", "/apis/metrics.k8s.io/v1beta1/namespaces/orders/pods"): _list(
                "PodMetrics",
                [pod_metrics("web-b", "250m", "64Mi"), pod_metrics("web-a", "1500000n", "1Gi")],
                "metrics.k8s.io/v1beta1",
            ),
        }
    )
    async with _client(api) as k8s:
        assert (await k8s.discover()).metrics_api
        usage = await k8s.usage("u1")
    assert [(u.pod, u.cpu_nanocores, u.memory_bytes) for u in usage] == [
        ("web-a", 1_500_000, 1024**3),
        ("web-b", 250_000_000, 64 * 1024**2),
    ]
    listed = api.requests[-1]
    assert listed.url.params["labelSelector"] == "justpush.io/upload-id=u1"
