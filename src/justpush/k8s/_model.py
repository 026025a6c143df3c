"""Typed inputs of the manifest generator and the values the client reports."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

Runtime = Literal["python", "node", "java", "go", "unknown"]
AppSize = Literal["small", "medium", "large"]
HpaApiVersion = Literal["autoscaling/v2", "autoscaling/v2beta2"]
PdbApiVersion = Literal["policy/v1", "policy/v1beta1"]
SecretEncoding = Literal["data", "stringData"]


@dataclass(frozen=True)
class EnvEntry:
    """One environment variable of the app; secret ones go into the Secret, the rest into the ConfigMap."""

    name: str
    value: str = field(repr=False)
    secret: bool = False


@dataclass(frozen=True)
class Resources:
    """Container requests and limits in Kubernetes quantity syntax ("250m", "512Mi")."""

    cpu_request: str
    memory_request: str
    cpu_limit: str
    memory_limit: str


@dataclass(frozen=True)
class Autoscaling:
    min_replicas: int
    max_replicas: int
    cpu_utilization: int = 75


@dataclass(frozen=True)
class AppDeployment:
    """One deployable app: what analysis found plus the user's deployment settings."""

    upload_id: str
    app_name: str
    # Digest-pinned reference preferred ("registry/app@sha256:…").
    image: str
    runtime: Runtime = "unknown"
    framework: str | None = None
    port: int = 8080
    env: tuple[EnvEntry, ...] = ()
    replicas: int = 1
    autoscaling: Autoscaling | None = None
    # None = defaults by runtime and size.
    resources: Resources | None = None
    size: AppSize = "small"
    # The OpenAPI document, read for health endpoints only.
    openapi: dict[str, Any] | None = None
    # Overrides the image's entrypoint when not empty.
    command: tuple[str, ...] = ()
    # The image's working directory, where the app's own files are.
    workdir: str = "/app"
    # Folders (absolute, or relative to `workdir`; "." is `workdir` itself) the app writes to: each gets an
    # emptyDir, so a read-only root filesystem still lets it work (the data lives as long as the pod).
    writable_paths: tuple[str, ...] = ()
    # False turns the read-only root filesystem off, for apps that write anywhere.
    read_only_root: bool = True
    # The image has a `sleep` on its PATH (a shell-less image, e.g. distroless, has not).
    has_sleep: bool = False
    # Run in each pod before the app, on the pod's writable folders (migrations of a SQLite file there).
    init_command: tuple[str, ...] = ()


@dataclass(frozen=True)
class EgressRule:
    """Extra egress destination allowed by the NetworkPolicy: a CIDR and TCP ports (empty = all ports)."""

    cidr: str
    ports: tuple[int, ...] = ()


@dataclass(frozen=True)
class Quota:
    """Namespace-wide ResourceQuota hard limits."""

    requests_cpu: str = "4"
    requests_memory: str = "8Gi"
    limits_cpu: str = "8"
    limits_memory: str = "16Gi"
    pods: int = 50


@dataclass(frozen=True)
class LimitDefaults:
    """LimitRange for containers that declare no resources of their own."""

    default_cpu: str = "500m"
    default_memory: str = "512Mi"
    default_request_cpu: str = "100m"
    default_request_memory: str = "128Mi"
    max_cpu: str = "4"
    max_memory: str = "8Gi"


@dataclass(frozen=True)
class RegistryCredentials:
    """Pull credentials for a private registry; rendered as a dockerconfigjson Secret."""

    server: str
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class ServiceEndpoint:
    name: str
    namespace: str
    cluster_ip: str | None
    port: int


@dataclass(frozen=True)
class ManifestOptions:
    """Everything about the target cluster and policy; API versions come from `K8sClient.discover()`."""

    namespace: str = "justpush-apps"
    create_namespace: bool = True
    hpa_api_version: HpaApiVersion = "autoscaling/v2"
    pdb_api_version: PdbApiVersion = "policy/v1"
    # Namespace-level ResourceQuota and LimitRange; a deployer without RBAC for them turns these off.
    quota: Quota | None = field(default_factory=Quota)
    limit_range: LimitDefaults | None = field(default_factory=LimitDefaults)
    network_policy: bool = True
    gateway_namespace: str = "kong"
    # Further restricts ingress to these gateway pod labels (empty = any pod of the gateway namespace).
    gateway_pod_labels: tuple[tuple[str, str], ...] = ()
    # Gateways outside the cluster reach the app from these CIDRs.
    gateway_cidrs: tuple[str, ...] = ()
    egress: tuple[EgressRule, ...] = ()
    allow_dns_egress: bool = True
    run_as_user: int = 10001
    run_as_group: int = 10001
    fs_group: int = 10001
    termination_grace_period_seconds: int = 30
    secret_encoding: SecretEncoding = "data"
    image_pull_secrets: tuple[str, ...] = ()
    # When set, a `<app>-pull` Secret with these credentials is rendered and used to pull the image.
    registry_credentials: RegistryCredentials | None = None
    # A startup probe (every second, up to 5 minutes) before liveness and readiness take over.
    startup_probe: bool = True
    # preStop delay: a stopping pod keeps serving while its endpoint is removed (0 = none).
    pre_stop_seconds: int = 0
    # The cluster runs the preStop `sleep` action itself (Kubernetes 1.30+); older ones exec the image's.
    native_sleep_action: bool = False
    # The cluster lets a pod set net.ipv4.ip_unprivileged_port_start (a safe sysctl since Kubernetes
    # 1.22): an app on a port below 1024 can bind it as the non-root user; on older ones it cannot.
    unprivileged_port_sysctl: bool = False


@dataclass(frozen=True)
class ClusterInfo:
    """What `discover()` found: the server version and the API versions to render for."""

    server_version: str
    hpa_api_version: HpaApiVersion | None
    pdb_api_version: PdbApiVersion | None
    metrics_api: bool

    @property
    def native_sleep_action(self) -> bool:
        """Kubernetes 1.30 and later run a preStop `sleep` without the image's help."""
        return self._at_least(1, 30, unknown=False)

    @property
    def unprivileged_port_sysctl(self) -> bool:
        """Kubernetes 1.22 and later allow the sysctl that opens ports below 1024 to a non-root user;
        a cluster of unknown version (an export) is taken to be current."""
        return self._at_least(1, 22, unknown=True)

    def _at_least(self, major: int, minor: int, *, unknown: bool) -> bool:
        found = re.match(r"v?(\d+)\.(\d+)", self.server_version)
        if found is None:
            return unknown
        return (int(found.group(1)), int(found.group(2))) >= (major, minor)


@dataclass(frozen=True)
class RolloutProgress:
    deployment: str
    desired: int
    updated: int
    ready: int
    available: int
    # New events since the previous report, "Kind/name: Reason: message".
    events: tuple[str, ...] = ()
    done: bool = False


@dataclass(frozen=True)
class ContainerState:
    name: str
    ready: bool
    restarts: int
    # "running", "waiting" or "terminated"
    state: str
    reason: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class PodInfo:
    name: str
    namespace: str
    phase: str
    ready: bool
    node: str | None
    containers: tuple[ContainerState, ...] = ()
    reason: str | None = None
    message: str | None = None
    # Deleted and shutting down (a replaced or scaled-down pod): not part of what serves.
    terminating: bool = False

    @property
    def restarts(self) -> int:
        return sum(c.restarts for c in self.containers)


@dataclass(frozen=True)
class WorkloadStatus:
    """A deployment as the cluster has it now: replica counts of its Deployment and every pod."""

    deployment: str | None
    desired: int
    ready: int
    updated: int
    available: int
    pods: tuple[PodInfo, ...] = ()


@dataclass(frozen=True)
class ProxiedResponse:
    """An app's answer through the API server's service proxy; `truncated` when the body was cut."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    seconds: float
    truncated: bool = False


@dataclass(frozen=True)
class LogLine:
    pod: str
    line: str


@dataclass(frozen=True)
class PodUsage:
    pod: str
    cpu_nanocores: int
    memory_bytes: int
