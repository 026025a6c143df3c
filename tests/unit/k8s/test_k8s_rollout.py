"""Rollout state reading: completion, the current ReplicaSet, and diagnosis of stuck pods."""

from __future__ import annotations

from typing import Any

import pytest
from lightkube import codecs

from justpush.errors import GenerationError
from justpush.k8s._quantity import cpu_nanocores, memory_bytes
from justpush.k8s._rollout import (
    current_replicaset,
    diagnose,
    pod_info,
    progress_of,
    rollout_complete,
    routed,
    stalled_pods,
)

UID = "d-uid"


def _deployment(replicas: int | None = 2, generation: int = 3, observed: int = 3, **status: Any) -> Any:
    spec: dict[str, Any] = {"selector": {"matchLabels": {"a": "b"}}, "template": {"spec": {"containers": []}}}
    if replicas is not None:
        spec["replicas"] = replicas
    return codecs.from_dict(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "web",
                "uid": UID,
                "generation": generation,
                "annotations": {"deployment.kubernetes.io/revision": "2"},
            },
            "spec": spec,
            "status": {"observedGeneration": observed, **status},
        }
    )


def _replicaset(name: str, revision: str, template_hash: str, conditions: list[Any] | None = None) -> Any:
    return codecs.from_dict(
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": name,
                "labels": {"pod-template-hash": template_hash},
                "annotations": {"deployment.kubernetes.io/revision": revision},
                "ownerReferences": [
                    {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": UID}
                ],
            },
            "spec": {"selector": {"matchLabels": {"a": "b"}}},
            "status": {"replicas": 0, "conditions": conditions or []},
        }
    )


def _pod(name: str, template_hash: str, waiting: str | None = None, **extra: Any) -> Any:
    state: dict[str, Any] = (
        {"waiting": {"reason": waiting, "message": "details"}} if waiting else {"running": {}}
    )
    status: dict[str, Any] = {
        "phase": "Pending" if waiting else "Running",
        "containerStatuses": [
            {
                "name": "app",
                "image": "r/app:1",
                "imageID": "",
                "ready": waiting is None,
                "restartCount": extra.pop("restarts", 0),
                "state": state,
                **extra.pop("container", {}),
            }
        ],
        **extra,
    }
    return codecs.from_dict(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "labels": {"pod-template-hash": template_hash}},
            "spec": {"containers": [{"name": "app"}], "nodeName": "node1"},
            "status": status,
        }
    )


def test_complete_only_when_all_updated_replicas_are_available() -> None:
    assert rollout_complete(_deployment(updatedReplicas=2, replicas=2, availableReplicas=2, readyReplicas=2))
    assert not rollout_complete(_deployment(updatedReplicas=1, replicas=2, availableReplicas=2))
    assert not rollout_complete(_deployment(updatedReplicas=2, replicas=3, availableReplicas=2))
    assert not rollout_complete(_deployment(updatedReplicas=2, replicas=2, availableReplicas=1))
    assert not rollout_complete(_deployment(generation=4, updatedReplicas=2, replicas=2, availableReplicas=2))
    assert rollout_complete(_deployment(replicas=0))


def test_progress_counts() -> None:
    progress = progress_of(_deployment(updatedReplicas=2, readyReplicas=1, availableReplicas=1), ("e",))
    assert (progress.desired, progress.updated, progress.ready, progress.available) == (2, 2, 1, 1)
    assert progress.events == ("e",) and not progress.done and progress.deployment == "web"


def test_current_replicaset_is_the_newest_revision() -> None:
    old, new = _replicaset("web-old", "1", "old"), _replicaset("web-new", "2", "new")
    found = current_replicaset(_deployment(), [old, new])
    assert found is not None and found.metadata.name == "web-new"
    assert current_replicaset(_deployment(), [old]) is None


def test_image_pull_backoff_is_immediate_and_names_the_image() -> None:
    rs = _replicaset("web-new", "2", "new")
    problems = diagnose(_deployment(), [rs], [_pod("web-new-1", "new", "ImagePullBackOff")])
    assert [(p.kind, p.immediate) for p in problems] == [("image", True)]
    assert "r/app:1" in problems[0].message and "ImagePullBackOff" in problems[0].message


def test_err_image_pull_waits_for_the_grace_period() -> None:
    rs = _replicaset("web-new", "2", "new")
    problems = diagnose(_deployment(), [rs], [_pod("web-new-1", "new", "ErrImagePull")])
    assert [(p.kind, p.immediate) for p in problems] == [("image", False)]


def test_old_revision_pods_are_ignored() -> None:
    rs = _replicaset("web-new", "2", "new")
    problems = diagnose(_deployment(), [rs], [_pod("web-old-1", "old", "CrashLoopBackOff")])
    assert problems == []


def test_crash_loop_reports_restarts_and_exit_code() -> None:
    pod = _pod(
        "web-new-1",
        "new",
        "CrashLoopBackOff",
        restarts=3,
        container={"lastState": {"terminated": {"exitCode": 3, "reason": "Error"}}},
    )
    (problem,) = diagnose(_deployment(), [_replicaset("web-new", "2", "new")], [pod])
    assert problem.kind == "crash" and problem.immediate and problem.pod == "web-new-1"
    assert "3 restarts" in problem.message and "exit code 3 (Error)" in problem.message


def test_quota_denial_from_the_replicaset_condition() -> None:
    condition = {
        "type": "ReplicaFailure",
        "status": "True",
        "reason": "FailedCreate",
        "message": 'pods "web-new-x" is forbidden: exceeded quota: q, requested: requests.memory=128Mi',
    }
    (problem,) = diagnose(_deployment(), [_replicaset("web-new", "2", "new", [condition])], [])
    assert problem.kind == "quota" and problem.immediate and "exceeded quota" in problem.message


def test_unschedulable_and_deadline() -> None:
    pod = _pod(
        "web-new-1",
        "new",
        None,
        phase="Pending",
        conditions=[
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/1 nodes"}
        ],
    )
    deployment = _deployment(
        conditions=[
            {
                "type": "Progressing",
                "status": "False",
                "reason": "ProgressDeadlineExceeded",
                "message": "late",
            }
        ]
    )
    problems = diagnose(deployment, [_replicaset("web-new", "2", "new")], [pod])
    assert [(p.kind, p.immediate) for p in problems] == [("unschedulable", False), ("deadline", True)]


def test_pod_info() -> None:
    info = pod_info(_pod("web-new-1", "new", "ImagePullBackOff"))
    assert info.name == "web-new-1" and info.node == "node1" and not info.ready
    assert info.containers[0].state == "waiting" and info.containers[0].reason == "ImagePullBackOff"
    assert not info.terminating and info.restarts == 0


def test_a_pod_being_deleted_is_terminating() -> None:
    pod = _pod("web-old-1", "old", restarts=3)
    pod.metadata.deletionTimestamp = "2026-01-01T00:00:00Z"
    info = pod_info(pod)
    assert info.terminating and info.restarts == 3


@pytest.mark.parametrize(
    ("quantity", "nanos"),
    [("250m", 250_000_000), ("2", 2_000_000_000), ("12345n", 12345), ("1500u", 1_500_000)],
)
def test_cpu_quantities(quantity: str, nanos: int) -> None:
    assert cpu_nanocores(quantity) == nanos


@pytest.mark.parametrize(
    ("quantity", "size"), [("128Mi", 134_217_728), ("1G", 1_000_000_000), ("2048Ki", 2_097_152), ("77", 77)]
)
def test_memory_quantities(quantity: str, size: int) -> None:
    assert memory_bytes(quantity) == size


def test_bad_quantities() -> None:
    with pytest.raises(GenerationError):
        cpu_nanocores("lots")
    with pytest.raises(GenerationError):
        memory_bytes("12 MB")


def _event(pod: str, reason: str, message: str, count: int, kind: str = "Warning") -> Any:
    return codecs.from_dict(
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{pod}.{reason}.{count}"},
            "involvedObject": {"kind": "Pod", "name": pod},
            "reason": reason,
            "message": message,
            "type": kind,
            "count": count,
            "lastTimestamp": f"2026-01-01T00:00:{count:02d}Z",
        }
    )


def test_a_stalled_rollout_names_each_waiting_pod_and_its_probe_failures() -> None:
    unready = _pod("web-a", "h2", container={"ready": False}, restarts=2)
    ready = _pod("web-b", "h2", conditions=[{"type": "Ready", "status": "True"}])
    events = [
        _event("web-a", "Scheduled", "assigned to node1", 1, kind="Normal"),
        _event("web-a", "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 404", 7),
        _event("web-b", "Unhealthy", "Readiness probe failed: connection refused", 1),
    ]
    assert stalled_pods([unready, ready], events) == [
        "pod web-a: Running, not ready: app running, 2 restart(s)",
        "  Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 404 (x7)",
    ]
    pending = _pod("web-c", "h2", waiting="ContainerCreating")
    assert stalled_pods([pending], []) == [
        "pod web-c: Pending, not ready: app waiting (ContainerCreating), 0 restart(s)"
    ]


def _endpoints(*pods: str, not_ready: tuple[str, ...] = ()) -> Any:
    def address(pod: str) -> dict[str, Any]:
        return {"ip": "10.0.0.1", "targetRef": {"kind": "Pod", "name": pod}}

    subset: dict[str, Any] = {"ports": [{"port": 8000}]}
    if pods:
        subset["addresses"] = [address(p) for p in pods]
    if not_ready:
        subset["notReadyAddresses"] = [address(p) for p in not_ready]
    return codecs.from_dict(
        {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "app"}, "subsets": [subset]}
    )


def test_routed_once_the_service_sends_traffic_to_a_new_pod() -> None:
    new = [_pod("app-new-1", "new")]
    # Ready pod, but the endpoints controller has not added it yet: only the old pod is routed.
    assert not routed(new, [_endpoints("app-old-1")])
    assert not routed(new, [_endpoints(not_ready=("app-new-1",))])
    assert not routed(
        new, [codecs.from_dict({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "app"}})]
    )
    assert routed(new, [_endpoints("app-old-1", "app-new-1")])
    # No Endpoints object to read: nothing to wait for.
    assert routed(new, [])
