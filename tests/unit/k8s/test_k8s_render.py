"""render_manifests: schema validity, Pod Security "restricted", labels, names, probes, resources, env."""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from typing import Any

import kubernetes_validate
import pytest
import yaml
from lightkube import codecs

from justpush.errors import GenerationError
from justpush.k8s import (
    AppDeployment,
    Autoscaling,
    EgressRule,
    EnvEntry,
    ManifestOptions,
    Resources,
    default_resources,
    dump_yaml,
    load_yaml,
    render_manifests,
    with_replicas,
)

UPLOAD_LABEL = "justpush.io/upload-id"
DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# The last schema set that still has autoscaling/v2beta2; policy/v1beta1 is checked against policy/v1's
# schema, whose spec layout it shares.
LEGACY_SCHEMA_VERSION = "1.25.0"


def _validate(obj: dict[str, Any]) -> None:
    version = kubernetes_validate.latest_version()
    if obj["apiVersion"] == "autoscaling/v2beta2":
        version = LEGACY_SCHEMA_VERSION
    if obj["apiVersion"] == "policy/v1beta1":
        obj = {**obj, "apiVersion": "policy/v1"}
    kubernetes_validate.validate(obj, version, strict=True)


def _all_variants(
    app: AppDeployment, scaled_app: AppDeployment
) -> list[tuple[AppDeployment, ManifestOptions]]:
    legacy = ManifestOptions(
        namespace="orders", hpa_api_version="autoscaling/v2beta2", pdb_api_version="policy/v1beta1"
    )
    return [
        (app, ManifestOptions(namespace="orders")),
        (scaled_app, ManifestOptions(namespace="orders")),
        (scaled_app, legacy),
        (replace(app, replicas=3, openapi=None), replace(legacy, secret_encoding="stringData")),
        (
            replace(app, runtime="go"),
            ManifestOptions(
                namespace="orders",
                egress=(EgressRule("10.0.0.0/8", (5432, 443)),),
                gateway_pod_labels=(("app", "kong"),),
                gateway_cidrs=("192.168.0.0/16",),
                image_pull_secrets=("regcred",),
            ),
        ),
    ]


def test_every_object_validates_strictly_against_the_newest_schema(
    app: Any, scaled_app: Any, render: Any
) -> None:
    kinds: set[str] = set()
    for variant_app, variant_options in _all_variants(app, scaled_app):
        for obj in render(variant_app, variant_options):
            _validate(obj)
            kinds.add(f"{obj['apiVersion']}/{obj['kind']}")
    assert kinds == {
        "v1/Namespace",
        "v1/ResourceQuota",
        "v1/LimitRange",
        "v1/ConfigMap",
        "v1/Secret",
        "v1/Service",
        "apps/v1/Deployment",
        "autoscaling/v2/HorizontalPodAutoscaler",
        "autoscaling/v2beta2/HorizontalPodAutoscaler",
        "policy/v1/PodDisruptionBudget",
        "policy/v1beta1/PodDisruptionBudget",
        "networking.k8s.io/v1/NetworkPolicy",
    }


def test_strict_validation_catches_an_unknown_field(app: Any, options: Any, render: Any, kind: Any) -> None:
    # Guards the test above: strict mode must reject what the API server would reject.
    deployment = kind(render(app, options), "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContxt"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(deployment)


_PSS_VOLUME_TYPES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}


def _restricted_violations(pod: dict[str, Any]) -> list[str]:
    """The Pod Security Standards "restricted" profile (baseline + restricted rules) as documented."""
    problems = []
    psc = pod.get("securityContext", {})
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(flag):
            problems.append(flag)
    for volume in pod.get("volumes", []):
        types = set(volume) - {"name"}
        if not types <= _PSS_VOLUME_TYPES:
            problems.append(f"volume type {types}")
    if psc.get("runAsUser") == 0:
        problems.append("pod runAsUser 0")
    if psc.get("sysctls"):
        problems.append("sysctls")
    pod_seccomp = psc.get("seccompProfile", {}).get("type")
    for container in pod.get("initContainers", []) + pod["containers"]:
        sc = container.get("securityContext", {})
        name = container["name"]
        if sc.get("privileged"):
            problems.append(f"{name}: privileged")
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{name}: allowPrivilegeEscalation must be false")
        caps = sc.get("capabilities", {})
        if "ALL" not in caps.get("drop", []):
            problems.append(f"{name}: must drop ALL capabilities")
        if set(caps.get("add", [])) - {"NET_BIND_SERVICE"}:
            problems.append(f"{name}: adds capabilities")
        if not (
            sc.get("runAsNonRoot") is True or (psc.get("runAsNonRoot") is True and "runAsNonRoot" not in sc)
        ):
            problems.append(f"{name}: runAsNonRoot")
        if sc.get("runAsUser") == 0:
            problems.append(f"{name}: runAsUser 0")
        seccomp = sc.get("seccompProfile", {}).get("type", pod_seccomp)
        if seccomp not in ("RuntimeDefault", "Localhost"):
            problems.append(f"{name}: seccompProfile")
        if any(port.get("hostPort") for port in container.get("ports", [])):
            problems.append(f"{name}: hostPort")
        if sc.get("procMount", "Default") != "Default":
            problems.append(f"{name}: procMount")
    return problems


def test_pod_template_meets_pod_security_restricted(
    app: Any, scaled_app: Any, render: Any, kind: Any
) -> None:
    for variant_app, variant_options in _all_variants(app, scaled_app):
        pod = kind(render(variant_app, variant_options), "Deployment")["spec"]["template"]["spec"]
        assert _restricted_violations(pod) == []
        container = pod["containers"][0]
        assert pod["automountServiceAccountToken"] is False
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
        assert {"name": "tmp", "emptyDir": {}} in pod["volumes"]
        assert (
            isinstance(pod["securityContext"]["runAsUser"], int) and pod["securityContext"]["runAsUser"] > 0
        )


def test_restricted_checker_flags_a_privileged_pod() -> None:
    pod = {"containers": [{"name": "c", "securityContext": {"privileged": True}}], "hostNetwork": True}
    assert "hostNetwork" in _restricted_violations(pod)
    assert "c: privileged" in _restricted_violations(pod)


def test_namespace_is_labelled_for_restricted_pod_security(
    app: Any, options: Any, render: Any, kind: Any
) -> None:
    labels = kind(render(app, options), "Namespace")["metadata"]["labels"]
    for mode in ("enforce", "warn", "audit"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"


def test_ownership_labels_on_every_object_and_the_pod_template(
    app: Any, scaled_app: Any, render: Any, kind: Any
) -> None:
    for variant_app, variant_options in _all_variants(app, scaled_app):
        objects = render(variant_app, variant_options)
        templates = [kind(objects, "Deployment")["spec"]["template"]]
        for obj in objects + templates:
            labels = obj["metadata"]["labels"]
            assert labels[UPLOAD_LABEL] == app.upload_id
            assert labels["app.kubernetes.io/managed-by"] == "justpush"
            assert labels["app.kubernetes.io/name"] == "orders-api"
            assert labels["app.kubernetes.io/instance"]
            assert labels["app.kubernetes.io/version"] == "0123456789ab"


def test_names_are_dns_labels_and_stable(app: Any, options: Any, render: Any) -> None:
    long_app = replace(app, app_name="A Very Long Application Name " * 4, upload_id="x" * 60)
    for variant in (app, long_app):
        first = render(variant, options)
        assert first == render(variant, options)
        for obj in first:
            name = obj["metadata"]["name"]
            assert len(name) <= 63 and DNS1123.match(name), name
    other = render(replace(long_app, upload_id="y" * 60), options)
    assert {o["metadata"]["name"] for o in other if o["kind"] == "Deployment"} != {
        o["metadata"]["name"] for o in render(long_app, options) if o["kind"] == "Deployment"
    }


def test_name_starting_with_a_digit_gets_a_letter_prefix(
    app: Any, options: Any, render: Any, kind: Any
) -> None:
    service = kind(render(replace(app, app_name="9lives"), options), "Service")
    assert service["metadata"]["name"][0].isalpha()


def test_apply_order_puts_namespace_first_and_deployment_after_its_config(
    scaled_app: Any, options: Any, render: Any
) -> None:
    order = [o["kind"] for o in render(scaled_app, options)]
    assert order[0] == "Namespace"
    for dependency in ("Secret", "ConfigMap", "ResourceQuota", "LimitRange", "Service"):
        assert order.index(dependency) < order.index("Deployment")


def test_rolling_update_and_replicas(app: Any, options: Any, render: Any, kind: Any) -> None:
    deployment = kind(render(replace(app, replicas=2), options), "Deployment")
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
    }


def test_hpa_owns_replicas(scaled_app: Any, options: Any, render: Any, kind: Any) -> None:
    objects = render(scaled_app, options)
    assert "replicas" not in kind(objects, "Deployment")["spec"]
    hpa = kind(objects, "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["minReplicas"] == 2 and hpa["spec"]["maxReplicas"] == 6
    assert hpa["spec"]["scaleTargetRef"]["name"] == kind(objects, "Deployment")["metadata"]["name"]
    target = hpa["spec"]["metrics"][0]["resource"]
    assert target == {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 75}}


def test_legacy_api_versions_chosen_by_the_caller(scaled_app: Any, render: Any, kind: Any) -> None:
    options = ManifestOptions(
        namespace="orders", hpa_api_version="autoscaling/v2beta2", pdb_api_version="policy/v1beta1"
    )
    objects = render(scaled_app, options)
    assert kind(objects, "HorizontalPodAutoscaler")["apiVersion"] == "autoscaling/v2beta2"
    assert kind(objects, "PodDisruptionBudget")["apiVersion"] == "policy/v1beta1"


def test_pdb_whenever_more_than_one_pod_may_run(app: Any, options: Any, render: Any, kind: Any) -> None:
    assert not [o for o in render(app, options) if o["kind"] == "PodDisruptionBudget"]
    pdb = kind(render(replace(app, replicas=2), options), "PodDisruptionBudget")
    assert pdb["spec"]["maxUnavailable"] == 1
    with_hpa_from_one = replace(app, autoscaling=Autoscaling(min_replicas=1, max_replicas=4))
    assert kind(render(with_hpa_from_one, options), "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1
    pinned_hpa = replace(app, autoscaling=Autoscaling(min_replicas=1, max_replicas=1))
    assert not [o for o in render(pinned_hpa, options) if o["kind"] == "PodDisruptionBudget"]


def test_service_is_cluster_ip_onto_the_named_port(app: Any, options: Any, render: Any, kind: Any) -> None:
    objects = render(app, options)
    service = kind(objects, "Service")
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]
    container = kind(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    assert service["spec"]["selector"] == kind(objects, "Deployment")["spec"]["selector"]["matchLabels"]


def test_env_split_into_configmap_and_secret_sorted(app: Any, options: Any, render: Any, kind: Any) -> None:
    objects = render(app, options)
    config_map = kind(objects, "ConfigMap")
    secret = kind(objects, "Secret")
    assert config_map["data"] == {"API_BASE": "/v1", "LOG_LEVEL": "info"}
    assert secret["data"] == {"DATABASE_PASSWORD": base64.b64encode(b"hunter2").decode()}
    env = kind(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]["env"]
    assert [e["name"] for e in env] == ["API_BASE", "DATABASE_PASSWORD", "HOME", "LOG_LEVEL"]
    assert env[1]["valueFrom"] == {
        "secretKeyRef": {"name": secret["metadata"]["name"], "key": "DATABASE_PASSWORD"}
    }
    assert env[0]["valueFrom"] == {
        "configMapKeyRef": {"name": config_map["metadata"]["name"], "key": "API_BASE"}
    }


def test_secret_as_string_data(app: Any, render: Any, kind: Any) -> None:
    secret = kind(render(app, ManifestOptions(namespace="orders", secret_encoding="stringData")), "Secret")
    assert secret["stringData"] == {"DATABASE_PASSWORD": "hunter2"} and "data" not in secret


def test_secret_values_stay_out_of_reprs() -> None:
    assert "hunter2" not in repr(EnvEntry("DATABASE_PASSWORD", "hunter2", secret=True))


def test_no_configmap_or_secret_without_env(app: Any, options: Any, render: Any) -> None:
    kinds = {o["kind"] for o in render(replace(app, env=()), options)}
    assert "ConfigMap" not in kinds and "Secret" not in kinds


def test_env_order_does_not_matter_but_values_roll_the_pods(
    app: Any, options: Any, render: Any, kind: Any
) -> None:
    def pod_annotations(variant: AppDeployment) -> dict[str, str]:
        return kind(render(variant, options), "Deployment")["spec"]["template"]["metadata"]["annotations"]

    reordered = replace(app, env=tuple(reversed(app.env)))
    assert render(reordered, options) == render(app, options)
    changed = replace(
        app, env=(*app.env[:1], EnvEntry("DATABASE_PASSWORD", "changed", secret=True), app.env[2])
    )
    assert pod_annotations(changed) != pod_annotations(app)


@pytest.mark.parametrize(
    "bad_env",
    [
        (EnvEntry("A", "1"), EnvEntry("A", "2", secret=True)),
        (EnvEntry("BAD NAME", "1"),),
    ],
)
def test_bad_env_is_rejected(app: Any, options: Any, bad_env: tuple[EnvEntry, ...]) -> None:
    with pytest.raises(GenerationError):
        render_manifests(replace(app, env=bad_env), options)


def test_probes_use_distinct_health_paths_when_the_api_has_them(
    app: Any, options: Any, render: Any, kind: Any
) -> None:
    spec = {"paths": {"/livez": {"get": {}}, "/readyz": {"get": {}}, "/health": {"get": {}}}}
    container = kind(render(replace(app, openapi=spec), options), "Deployment")["spec"]["template"]["spec"][
        "containers"
    ][0]
    assert container["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}


def test_one_health_path_serves_both_probes_with_different_timings(
    app: Any, options: Any, render: Any, kind: Any
) -> None:
    container = kind(render(app, options), "Deployment")["spec"]["template"]["spec"]["containers"][0]
    liveness, readiness = container["livenessProbe"], container["readinessProbe"]
    assert liveness["httpGet"]["path"] == readiness["httpGet"]["path"] == "/health"
    assert liveness != readiness
    assert (
        liveness["failureThreshold"] * liveness["periodSeconds"]
        > readiness["failureThreshold"] * readiness["periodSeconds"]
    )


def test_a_started_app_is_seen_within_a_second_without_an_aggressive_liveness(
    app: Any, options: Any, render: Any, kind: Any
) -> None:
    container = kind(render(app, options), "Deployment")["spec"]["template"]["spec"]["containers"][0]
    startup, liveness = container["startupProbe"], container["livenessProbe"]
    assert startup["httpGet"] == liveness["httpGet"]
    assert startup["periodSeconds"] == 1
    # However slowly the app starts, liveness only takes over once it answered (up to 5 minutes).
    assert startup["failureThreshold"] * startup["periodSeconds"] >= 300
    assert "initialDelaySeconds" not in liveness
    assert liveness["periodSeconds"] >= 10 and liveness["failureThreshold"] * liveness["periodSeconds"] >= 30
    assert container["readinessProbe"]["periodSeconds"] <= 2


def test_the_startup_probe_can_be_left_out(app: Any, options: Any, render: Any, kind: Any) -> None:
    container = kind(render(app, replace(options, startup_probe=False)), "Deployment")["spec"]["template"][
        "spec"
    ]["containers"][0]
    assert "startupProbe" not in container
    assert container["livenessProbe"]["initialDelaySeconds"] == 10


def test_tcp_probes_without_a_health_endpoint(app: Any, options: Any, render: Any, kind: Any) -> None:
    container = kind(
        render(replace(app, openapi={"paths": {"/orders": {"get": {}}}}), options), "Deployment"
    )["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["tcpSocket"] == {"port": "http"}
    assert container["readinessProbe"]["tcpSocket"] == {"port": "http"}
    assert container["livenessProbe"] != container["readinessProbe"]


def test_jvm_gets_more_memory(scaled_app: Any, options: Any, render: Any, kind: Any) -> None:
    container = kind(render(scaled_app, options), "Deployment")["spec"]["template"]["spec"]["containers"][0]
    startup = container["startupProbe"]
    assert startup["httpGet"]["path"] == "/health"
    assert startup["failureThreshold"] * startup["periodSeconds"] >= 120
    assert "initialDelaySeconds" not in container["livenessProbe"]
    assert container["resources"]["limits"]["memory"] == "1024Mi"
    python = default_resources("python")
    assert container["resources"]["requests"]["memory"] != python.memory_request


def test_resources_default_by_runtime_and_size_and_can_be_overridden(
    app: Any, options: Any, render: Any, kind: Any
) -> None:
    def resources(variant: AppDeployment) -> dict[str, Any]:
        return kind(render(variant, options), "Deployment")["spec"]["template"]["spec"]["containers"][0][
            "resources"
        ]

    assert resources(app) == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "500m", "memory": "512Mi"},
    }
    assert resources(replace(app, size="large"))["limits"] == {"cpu": "2000m", "memory": "2048Mi"}
    custom = Resources(cpu_request="1", memory_request="1Gi", cpu_limit="2", memory_limit="2Gi")
    assert resources(replace(app, resources=custom)) == {
        "requests": {"cpu": "1", "memory": "1Gi"},
        "limits": {"cpu": "2", "memory": "2Gi"},
    }


def test_termination_grace_and_command(app: Any, render: Any, kind: Any) -> None:
    options = ManifestOptions(namespace="orders", termination_grace_period_seconds=2)
    pod = kind(render(replace(app, command=("sh", "-c", "exec app")), options), "Deployment")["spec"][
        "template"
    ]["spec"]
    assert pod["terminationGracePeriodSeconds"] == 2
    assert pod["containers"][0]["command"] == ["sh", "-c", "exec app"]


def test_network_policy_admits_only_the_gateway_and_allows_dns(app: Any, render: Any, kind: Any) -> None:
    options = ManifestOptions(
        namespace="orders",
        gateway_namespace="kong",
        gateway_pod_labels=(("app.kubernetes.io/name", "kong"),),
        egress=(EgressRule("10.1.0.0/16", (5432,)),),
    )
    objects = render(app, options)
    policy = kind(objects, "NetworkPolicy")["spec"]
    assert policy["policyTypes"] == ["Egress", "Ingress"]
    assert policy["podSelector"] == kind(objects, "Deployment")["spec"]["selector"]
    assert policy["ingress"] == [
        {
            "from": [
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kong"}},
                    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "kong"}},
                }
            ],
            "ports": [{"port": 8000, "protocol": "TCP"}],
        }
    ]
    assert {"port": 53, "protocol": "UDP"} in policy["egress"][0]["ports"]
    assert policy["egress"][1] == {
        "to": [{"ipBlock": {"cidr": "10.1.0.0/16"}}],
        "ports": [{"port": 5432, "protocol": "TCP"}],
    }


def test_namespace_policies_and_namespace_can_be_left_out(app: Any, render: Any) -> None:
    options = ManifestOptions(
        namespace="orders", create_namespace=False, quota=None, limit_range=None, network_policy=False
    )
    kinds = {o["kind"] for o in render(app, options)}
    assert kinds == {"ConfigMap", "Secret", "Service", "Deployment"}


def test_quota_and_limit_range(app: Any, options: Any, render: Any, kind: Any) -> None:
    objects = render(app, options)
    assert kind(objects, "ResourceQuota")["spec"]["hard"]["requests.memory"] == "8Gi"
    limits = kind(objects, "LimitRange")["spec"]["limits"][0]
    assert limits["type"] == "Container" and limits["max"] == {"cpu": "4", "memory": "8Gi"}
    assert all(o["metadata"]["namespace"] == "orders" for o in objects if o["kind"] != "Namespace")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"port": 0}, "port"),
        ({"replicas": -1}, "replicas"),
        ({"autoscaling": Autoscaling(min_replicas=5, max_replicas=2)}, "minReplicas"),
        ({"upload_id": "not a label!"}, "label"),
    ],
)
def test_invalid_apps_are_rejected(app: Any, options: Any, change: dict[str, Any], message: str) -> None:
    with pytest.raises(GenerationError, match=message):
        render_manifests(replace(app, **change), options)


def test_root_user_and_bad_namespace_are_rejected(app: Any) -> None:
    with pytest.raises(GenerationError, match="root"):
        render_manifests(app, ManifestOptions(run_as_user=0))
    with pytest.raises(GenerationError, match="namespace"):
        render_manifests(app, ManifestOptions(namespace="Not_Valid"))


def test_yaml_round_trip(scaled_app: Any) -> None:
    options = ManifestOptions(
        namespace="orders", hpa_api_version="autoscaling/v2beta2", pdb_api_version="policy/v1beta1"
    )
    objects = render_manifests(scaled_app, options)
    text = dump_yaml(objects)
    documents = list(yaml.safe_load_all(text))
    assert [d["kind"] for d in documents] == [o.kind for o in objects]
    assert [o.to_dict() for o in load_yaml(text)] == documents  # type: ignore[attr-defined]
    # libyaml writes and reads the very text lightkube's own codecs do: stored revisions stay comparable.
    assert text == codecs.dump_all_yaml(objects)
    assert load_yaml(text) == codecs.load_all_yaml(text)


@pytest.mark.parametrize("hpa_api_version", ["autoscaling/v2", "autoscaling/v2beta2"])
def test_with_replicas_keeps_a_scaled_count_on_stored_objects(
    app: Any, scaled_app: Any, kind: Any, hpa_api_version: str
) -> None:
    """A stored revision (text) re-applied at a different count: the Deployment's, or the HPA's minimum."""
    options = ManifestOptions(namespace="orders", hpa_api_version=hpa_api_version)
    plain = load_yaml(dump_yaml(render_manifests(app, options)))
    as_dicts = [o.to_dict() for o in with_replicas(plain, 3)]  # type: ignore[attr-defined]
    assert kind(as_dicts, "Deployment")["spec"]["replicas"] == 3
    assert plain[[o.kind for o in plain].index("Deployment")].spec.replicas == app.replicas  # type: ignore[attr-defined]

    scaled = load_yaml(dump_yaml(render_manifests(scaled_app, options)))
    as_dicts = [o.to_dict() for o in with_replicas(scaled, 7)]  # type: ignore[attr-defined]
    assert "replicas" not in kind(as_dicts, "Deployment")["spec"]
    hpa = kind(as_dicts, "HorizontalPodAutoscaler")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (7, 7)
    _validate(hpa)
    lowered = kind([o.to_dict() for o in with_replicas(scaled, 0)], "HorizontalPodAutoscaler")  # type: ignore[attr-defined]
    assert (lowered["spec"]["minReplicas"], lowered["spec"]["maxReplicas"]) == (1, 6)
    with pytest.raises(GenerationError):
        with_replicas(scaled, -1)
