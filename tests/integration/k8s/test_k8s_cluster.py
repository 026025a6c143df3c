"""K8sClient against the real testenv cluster (Kubernetes 1.20, one node, busybox from the local registry)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from lightkube import AsyncClient, KubeConfig
from lightkube.resources.core_v1 import Namespace, ResourceQuota
from pydantic import SecretStr

from justpush.config import KubernetesSettings
from justpush.errors import KubernetesError
from justpush.k8s import (
    UPLOAD_LABEL,
    AppDeployment,
    Autoscaling,
    K8sClient,
    LogLine,
    ManifestOptions,
    Quota,
    RolloutProgress,
    render_manifests,
)

pytestmark = pytest.mark.integration

# Every namespaced kind render_manifests emits, plus what the Deployment creates.
KINDS = (
    "deployments,replicasets,pods,services,configmaps,secrets,networkpolicies,resourcequotas,limitranges,"
    "horizontalpodautoscalers.autoscaling,poddisruptionbudgets.policy"
)
# Failures must surface well before the 120 s rollout timeout.
FAILURE_BOUND = 90.0


def _leftovers(kubectl: Callable[..., str], upload_id: str) -> list[str]:
    return kubectl(
        "get", KINDS, "--all-namespaces", "-l", f"{UPLOAD_LABEL}={upload_id}", "-o", "name"
    ).split()


async def _lines(k8s: K8sClient, upload_id: str) -> list[LogLine]:
    return [line async for line in k8s.logs(upload_id)]


async def _usage_numbers(k8s: K8sClient, upload_id: str) -> list[Any]:
    # The kubelet publishes a new pod's stats after its first housekeeping pass (~10-15 s).
    deadline = time.monotonic() + 60
    while True:
        usage = await k8s.usage(upload_id)
        if (usage and all(u.memory_bytes > 0 for u in usage)) or time.monotonic() > deadline:
            return usage
        await asyncio.sleep(2)


async def test_lifecycle_deploy_logs_scale_env_rollback_delete(
    settings: KubernetesSettings,
    options: ManifestOptions,
    make_app: Callable[..., AppDeployment],
    kubectl: Callable[..., str],
    namespace: str,
) -> None:
    app = make_app()
    progress: list[RolloutProgress] = []
    async with K8sClient(settings) as k8s:
        info = await k8s.discover()
        assert info.server_version.startswith("v1.20")
        options = replace(options, hpa_api_version=info.hpa_api_version, pdb_api_version=info.pdb_api_version)
        first = render_manifests(app, options)
        await k8s.apply(first)
        done = await k8s.wait_rollout(app.upload_id, on_progress=progress.append)
        assert done.done and done.ready == 1
        assert progress[-1].done and any(p.events for p in progress)

        # Pod Security labels and our namespace ownership are on the live namespace.
        labels = kubectl("get", "namespace", namespace, "-o", "jsonpath={.metadata.labels}")
        assert '"pod-security.kubernetes.io/enforce":"restricted"' in labels

        pods = await k8s.pod_status(app.upload_id)
        assert [p.ready for p in pods] == [True]
        assert pods[0].containers[0].state == "running" and pods[0].node

        lines = await _lines(k8s, app.upload_id)
        assert LogLine(pods[0].name, "started GREETING=hello") in lines
        followed = k8s.logs(app.upload_id, follow=True, tail=5)
        first_line = await asyncio.wait_for(followed.__anext__(), timeout=20)
        await followed.aclose()
        assert first_line.pod == pods[0].name and first_line.line in {line.line for line in lines}

        usage = await _usage_numbers(k8s, app.upload_id)
        assert [u.pod for u in usage] == [pods[0].name]
        assert usage[0].memory_bytes > 0 and usage[0].cpu_nanocores >= 0

        # A follower started before the scale-up hears the new pods from their first line.
        heard: dict[str, set[str]] = {}

        async def follow() -> None:
            async for line in k8s.logs(app.upload_id, follow=True, discover_every=0.5):
                heard.setdefault(line.pod, set()).add(line.line)

        follower = asyncio.create_task(follow())
        await k8s.scale(app.upload_id, 3)
        scaled = await k8s.wait_rollout(app.upload_id)
        scaled_pods = await k8s.pod_status(app.upload_id)
        assert scaled.ready == 3 and len(scaled_pods) == 3
        deadline = time.monotonic() + 30
        while len(heard) < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        follower.cancel()
        assert set(heard) == {p.name for p in scaled_pods}
        assert all("started GREETING=hello" in lines for lines in heard.values()), heard
        await k8s.scale(app.upload_id, 1)
        await k8s.wait_rollout(app.upload_id)
        assert await _settled_pod_count(k8s, app.upload_id, 1)

        before = {p.name for p in await k8s.pod_status(app.upload_id)}
        changed_app, changed = await k8s.set_env(app, options, env={"GREETING": "hola"})
        assert await _settled_pod_count(k8s, app.upload_id, 1)
        after = await k8s.pod_status(app.upload_id)
        assert {p.name for p in after}.isdisjoint(before)
        assert all(line.line != "started GREETING=hello" for line in await _lines(k8s, app.upload_id))
        assert {line.line for line in await _lines(k8s, app.upload_id)} >= {"started GREETING=hola"}
        assert dict((e.name, e.value) for e in changed_app.env)["GREETING"] == "hola"

        # Roll back: re-apply the first revision; a ConfigMap-free revision in between is pruned.
        no_env = render_manifests(replace(app, env=()), options)
        await k8s.apply_revision(no_env)
        await k8s.wait_rollout(app.upload_id)
        assert not [n for n in _leftovers(kubectl, app.upload_id) if n.startswith(("configmap/", "secret/"))]
        await k8s.apply_revision(first)
        await k8s.wait_rollout(app.upload_id)
        assert await _settled_pod_count(k8s, app.upload_id, 1)
        assert "started GREETING=hello" in {line.line for line in await _lines(k8s, app.upload_id)}
        assert changed != first

        await k8s.delete(app.upload_id, timeout=90)
    assert _leftovers(kubectl, app.upload_id) == []
    assert namespace not in kubectl("get", "namespaces", "-o", "name")


async def _settled_pod_count(k8s: K8sClient, upload_id: str, count: int) -> bool:
    """Old pods terminate after the rollout reports done; wait for them to go (a pod's preStop pause and
    its grace period come first, and a loaded node is slow to reap it)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if len(await k8s.pod_status(upload_id)) == count:
            return True
        await asyncio.sleep(1)
    return False


async def test_missing_image_is_reported_as_image_pull_error(
    settings: KubernetesSettings,
    options: ManifestOptions,
    make_app: Callable[..., AppDeployment],
    busybox: str,
) -> None:
    registry = busybox.split("/", 1)[0]
    app = make_app(image=f"{registry}/justpush/does-not-exist:missing")
    async with K8sClient(settings) as k8s:
        await k8s.apply(render_manifests(app, options))
        started = time.monotonic()
        with pytest.raises(
            KubernetesError, match=r"cannot be pulled \((ImagePullBackOff|ErrImagePull)\)"
        ) as caught:
            await k8s.wait_rollout(app.upload_id, failure_grace=20)
        assert time.monotonic() - started < FAILURE_BOUND
        assert "does-not-exist:missing" in caught.value.message
        assert caught.value.details["reason"] == "image"
        await k8s.delete(app.upload_id)


async def test_crashing_app_is_reported_with_its_last_log_lines(
    settings: KubernetesSettings, options: ManifestOptions, make_app: Callable[..., AppDeployment]
) -> None:
    crash = 'echo "booting"; echo "fatal: DATABASE_URL is not set" >&2; exit 3'
    app = make_app(command=("sh", "-c", crash))
    async with K8sClient(settings) as k8s:
        await k8s.apply(render_manifests(app, options))
        started = time.monotonic()
        with pytest.raises(KubernetesError, match="CrashLoopBackOff") as caught:
            await k8s.wait_rollout(app.upload_id)
        assert time.monotonic() - started < FAILURE_BOUND
        assert "fatal: DATABASE_URL is not set" in caught.value.message
        assert "last exit code 3" in caught.value.message
        # stdout and stderr are captured apart, so their relative order in the log is not guaranteed.
        assert sorted(caught.value.details["log_tail"][-2:]) == ["booting", "fatal: DATABASE_URL is not set"]
        await k8s.delete(app.upload_id)


async def test_quota_that_forbids_the_pods_is_a_clear_error(
    settings: KubernetesSettings, options: ManifestOptions, make_app: Callable[..., AppDeployment]
) -> None:
    tight = replace(options, quota=Quota(requests_memory="8Mi", limits_memory="8Mi"))
    app = make_app()
    objects = render_manifests(app, tight)
    async with K8sClient(settings) as k8s:
        # The quota exists (and its controller has counted usage) before the app, as in a real namespace;
        # applied together, the ReplicaSet can win the race against the quota controller.
        await k8s.apply([o for o in objects if isinstance(o, Namespace | ResourceQuota)])
        lister = AsyncClient(KubeConfig.from_file(settings.kubeconfig), lazy=False)
        try:
            for _ in range(60):
                quotas = [q async for q in lister.list(ResourceQuota, namespace=tight.namespace)]
                if quotas and quotas[0].status and quotas[0].status.hard:
                    break
                await asyncio.sleep(0.5)
        finally:
            await lister.close()
        await k8s.apply(objects)
        started = time.monotonic()
        with pytest.raises(KubernetesError, match="ResourceQuota does not allow") as caught:
            await k8s.wait_rollout(app.upload_id)
        assert time.monotonic() - started < FAILURE_BOUND
        assert "exceeded quota" in caught.value.message
        await k8s.delete(app.upload_id)


async def test_limited_service_account_can_apply_and_delete(
    limited_kubeconfig: str,
    namespace: str,
    options: ManifestOptions,
    make_app: Callable[..., AppDeployment],
    kubectl: Callable[..., str],
) -> None:
    settings = KubernetesSettings(kubeconfig=limited_kubeconfig, namespace=namespace)
    app = make_app(replicas=2)
    async with K8sClient(settings) as k8s:
        objects = render_manifests(app, options)
        assert {"ResourceQuota", "LimitRange", "PodDisruptionBudget", "Namespace"} <= {
            o.kind for o in objects
        }
        await k8s.apply(objects)
        assert (await k8s.wait_rollout(app.upload_id)).ready == 2
        await k8s.delete(app.upload_id)
    assert _leftovers(kubectl, app.upload_id) == []


async def test_api_server_and_token_settings_connect(kubeconfig: str) -> None:
    data = yaml.safe_load(Path(kubeconfig).read_text())
    context = next(c for c in data["contexts"] if c["name"] == data["current-context"])["context"]
    cluster = next(c for c in data["clusters"] if c["name"] == context["cluster"])["cluster"]
    user = next(u for u in data["users"] if u["name"] == context["user"])["user"]
    settings = KubernetesSettings(
        api_server=cluster["server"], token=user["token"], ca_data=cluster["certificate-authority-data"]
    )
    async with K8sClient(settings) as k8s:
        assert (await k8s.discover()).server_version.startswith("v1.")
    wrong = settings.model_copy(update={"token": SecretStr("not-a-token")})
    async with K8sClient(wrong) as k8s:
        with pytest.raises(KubernetesError) as caught:
            await k8s.discover()
    assert caught.value.status == 401


async def test_hpa_owned_replicas_scale_through_the_hpa(
    settings: KubernetesSettings,
    options: ManifestOptions,
    make_app: Callable[..., AppDeployment],
    kubectl: Callable[..., str],
    namespace: str,
) -> None:
    app = make_app(autoscaling=Autoscaling(min_replicas=1, max_replicas=2))
    async with K8sClient(settings) as k8s:
        await k8s.apply(render_manifests(app, options))
        await k8s.wait_rollout(app.upload_id)
        await k8s.scale(app.upload_id, 2, max_replicas=4)
        hpa = kubectl(
            "get",
            "hpa.v2beta2.autoscaling",
            "-n",
            namespace,
            "-o",
            "jsonpath={.items[0].spec.minReplicas}/{.items[0].spec.maxReplicas}",
        )
        assert hpa == "2/4"
        await k8s.delete(app.upload_id)
    assert _leftovers(kubectl, app.upload_id) == []
