"""Defaults real apps need: an HPA per size, writable paths on a read-only root, heaps sized to limits."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from lightkube import codecs

from justpush.k8s import REPLICA_RANGES, Autoscaling, default_resources, fitting_size, scaling_plan
from justpush.k8s._quantity import memory_bytes
from justpush.k8s._rollout import diagnose


@pytest.mark.parametrize("size", ["small", "medium", "large"])
def test_every_size_gets_its_hpa_by_default(size: Any) -> None:
    replicas, hpa = scaling_plan(size)
    preset = REPLICA_RANGES[size]
    assert hpa == Autoscaling(preset.min_replicas, preset.max_replicas, preset.cpu_utilization)
    assert replicas == preset.min_replicas
    assert 1 <= preset.min_replicas < preset.max_replicas


def test_replicas_and_max_replicas_override_the_preset() -> None:
    assert scaling_plan("small", replicas=2) == (2, Autoscaling(2, REPLICA_RANGES["small"].max_replicas, 70))
    assert scaling_plan("small", replicas=5) == (5, Autoscaling(5, 5, 70))
    assert scaling_plan("small", max_replicas=8) == (1, Autoscaling(1, 8, 70))
    explicit = Autoscaling(2, 9, 50)
    assert scaling_plan("large", autoscaling=explicit) == (2, explicit)


def test_autoscaling_turned_off() -> None:
    assert scaling_plan("medium", autoscaling=False) == (REPLICA_RANGES["medium"].min_replicas, None)
    assert scaling_plan("small", replicas=3, max_replicas=0) == (3, None)
    assert scaling_plan("small", replicas=0) == (0, None)


def _pod_spec(objects: list[dict[str, Any]]) -> dict[str, Any]:
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    return deployment["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def test_home_and_tmp_are_writable_volumes(app: Any, options: Any, render: Any) -> None:
    pod = _pod_spec(render(app, options))
    container = pod["containers"][0]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert mounts == {"/tmp": "tmp", "/home/justpush": "home"}
    assert {v["name"] for v in pod["volumes"] if "emptyDir" in v} == {"tmp", "home"}
    assert {"name": "HOME", "value": "/home/justpush"} in container["env"]


def test_a_home_set_by_the_user_wins(app: Any, options: Any, render: Any) -> None:
    from justpush.k8s import EnvEntry

    mine = replace(app, env=(*app.env, EnvEntry("HOME", "/data")))
    env = _pod_spec(render(mine, options))["containers"][0]["env"]
    (home,) = [e for e in env if e["name"] == "HOME"]
    assert "value" not in home and home["valueFrom"]["configMapKeyRef"]["key"] == "HOME"


def test_writable_subfolder_gets_an_empty_dir(app: Any, options: Any, render: Any) -> None:
    pod = _pod_spec(render(replace(app, writable_paths=("media", "data/")), options))
    mounts = {m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    assert {"/app/media", "/app/data"} <= mounts
    assert "initContainers" not in pod


def test_writable_app_folder_is_seeded_from_the_image(app: Any, options: Any, render: Any) -> None:
    pod = _pod_spec(render(replace(app, writable_paths=(".",)), options))
    (seed,) = pod["initContainers"]
    assert seed["image"] == app.image
    assert seed["command"] == ["cp", "-R", "/app/.", "/seed/"]
    volume = next(m["name"] for m in pod["containers"][0]["volumeMounts"] if m["mountPath"] == "/app")
    assert seed["volumeMounts"] == [{"name": volume, "mountPath": "/seed"}]
    assert seed["securityContext"]["runAsNonRoot"] is True


def test_a_release_in_each_pod_runs_after_the_seed_on_the_apps_volumes(
    app: Any, options: Any, render: Any
) -> None:
    migrate = ("python", "manage.py", "migrate", "--noinput")
    pod = _pod_spec(render(replace(app, writable_paths=(".",), init_command=migrate), options))
    seed, release = pod["initContainers"]
    container = pod["containers"][0]
    assert (seed["name"], release["name"]) == ("seed-writable-0", "release")
    assert release["command"] == list(migrate) and release["image"] == app.image
    assert release["env"] == container["env"] and release["volumeMounts"] == container["volumeMounts"]
    assert release["securityContext"] == container["securityContext"]
    assert release["resources"] == container["resources"]


def test_read_only_root_can_be_turned_off(app: Any, options: Any, render: Any) -> None:
    pod = _pod_spec(render(replace(app, read_only_root=False), options))
    assert pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is False


@pytest.mark.parametrize(
    ("runtime", "size", "name", "value"),
    [
        ("node", "small", "NODE_OPTIONS", "--max-old-space-size=384"),
        ("node", "large", "NODE_OPTIONS", "--max-old-space-size=1536"),
        ("java", "small", "JAVA_TOOL_OPTIONS", "-XX:MaxRAMPercentage=75.0"),
        ("go", "medium", "GOMEMLIMIT", "384MiB"),
    ],
)
def test_heaps_are_sized_to_the_memory_limit(
    app: Any, options: Any, render: Any, runtime: Any, size: Any, name: str, value: str
) -> None:
    env = _pod_spec(render(replace(app, runtime=runtime, size=size), options))["containers"][0]["env"]
    assert {"name": name, "value": value} in env
    limit = memory_bytes(default_resources(runtime, size).memory_limit)
    if runtime == "node":
        assert int(value.rpartition("=")[2]) * 1024 * 1024 < limit


def test_python_gets_no_heap_setting(app: Any, options: Any, render: Any) -> None:
    names = {e["name"] for e in _pod_spec(render(app, options))["containers"][0]["env"]}
    assert not names & {"NODE_OPTIONS", "JAVA_TOOL_OPTIONS", "GOMEMLIMIT"}


def test_fitting_size() -> None:
    assert fitting_size("node", memory_bytes("100Mi")) == "small"
    assert fitting_size("node", memory_bytes("512Mi")) == "medium"
    assert fitting_size("node", memory_bytes("1500Mi")) == "large"
    assert fitting_size("node", memory_bytes("4Gi")) is None


def test_oom_kill_names_the_limit_and_the_preset_that_fits(app: Any, options: Any, render: Any) -> None:
    node_app = replace(app, runtime="node")
    objects = render(node_app, options)
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    deployment["metadata"].update(
        uid="d-uid", generation=1, annotations={"deployment.kubernetes.io/revision": "1"}
    )
    deployment["status"] = {"observedGeneration": 1, "replicas": 1}
    rs = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": "rs-1",
            "namespace": "orders",
            "labels": {"pod-template-hash": "h1"},
            "annotations": {"deployment.kubernetes.io/revision": "1"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "d", "uid": "d-uid"}],
        },
        "spec": {"selector": {"matchLabels": {}}},
    }
    template = deployment["spec"]["template"]
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "orders-1",
            "namespace": "orders",
            "labels": {**template["metadata"]["labels"], "pod-template-hash": "h1"},
            "annotations": template["metadata"]["annotations"],
        },
        "spec": template["spec"],
        "status": {
            "phase": "Running",
            "containerStatuses": [
                {
                    "name": "app",
                    "image": app.image,
                    "imageID": "",
                    "ready": False,
                    "restartCount": 3,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}},
                }
            ],
        },
    }
    (problem,) = diagnose(codecs.from_dict(deployment), [codecs.from_dict(rs)], [codecs.from_dict(pod)])
    assert problem.kind == "crash"
    assert "OOMKilled" in problem.message and "limit of 512Mi" in problem.message
    assert "size medium (1024Mi)" in problem.message


def _lifecycle(objects: list[dict[str, Any]]) -> Any:
    return _pod_spec(objects)["containers"][0].get("lifecycle")


def test_pre_stop_sleep_keeps_a_stopping_pod_serving(app: Any, options: Any, render: Any) -> None:
    with_sleep = replace(app, has_sleep=True)
    assert _lifecycle(render(with_sleep, options)) is None  # not asked for
    older = replace(options, pre_stop_seconds=5)
    assert _lifecycle(render(with_sleep, older)) == {"preStop": {"exec": {"command": ["sleep", "5"]}}}
    newer = replace(older, native_sleep_action=True)
    distroless = replace(app, has_sleep=False)
    assert _lifecycle(render(distroless, newer)) == {"preStop": {"sleep": {"seconds": 5}}}
    # No sleep in the image and an older cluster: nothing that would fail the pod's stop.
    assert _lifecycle(render(distroless, older)) is None


@pytest.mark.parametrize(
    ("version", "native"), [("v1.20.2", False), ("v1.29.9+k3s1", False), ("v1.30.0", True), ("v1.31.1", True)]
)
def test_native_sleep_action_from_the_server_version(version: str, native: bool) -> None:
    from justpush.k8s import ClusterInfo

    info = ClusterInfo(server_version=version, hpa_api_version=None, pdb_api_version=None, metrics_api=False)
    assert info.native_sleep_action is native


@pytest.mark.parametrize(
    ("version", "allowed"),
    [("v1.20.2", False), ("v1.21.14", False), ("v1.22.0", True), ("v1.31.1", True), ("", True)],
)
def test_the_unprivileged_port_sysctl_from_the_server_version(version: str, allowed: bool) -> None:
    from justpush.k8s import ClusterInfo

    info = ClusterInfo(server_version=version, hpa_api_version=None, pdb_api_version=None, metrics_api=False)
    assert info.unprivileged_port_sysctl is allowed


def test_a_port_below_1024_is_opened_to_the_non_root_user_where_the_cluster_allows_it(
    app: Any, options: Any, render: Any
) -> None:
    from justpush.errors import GenerationError

    on_80 = replace(app, port=80)
    newer = replace(options, unprivileged_port_sysctl=True)
    context = _pod_spec(render(on_80, newer))["securityContext"]
    assert context["sysctls"] == [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "80"}]
    assert context["runAsNonRoot"] is True
    # Ports from 1024 up need nothing, on any cluster.
    assert "sysctls" not in _pod_spec(render(replace(app, port=1024), options))["securityContext"]
    # An older cluster would leave the app failing to bind: the manifests are refused, saying why.
    with pytest.raises(GenerationError, match=r"listens on port 80, below 1024.*Kubernetes 1\.22"):
        render(on_80, options)
