"""Kubernetes deployment: manifests as a pure function, and a client that applies and manages them.

``render_manifests(app, options)`` turns an `AppDeployment` (built from an analysis profile with
``app_from_profile``) and `ManifestOptions` into typed lightkube objects in apply order;
``dump_yaml`` is the edge where they become text. ``K8sClient`` (``client.py``) applies them with
server-side apply (field manager ``justpush``) and finds everything again by the label
``justpush.io/upload-id``.
"""

from ._deletion import deletion_wait_message
from ._health import HealthPaths, find_health_paths
from ._job import release_job_name, render_release_job
from ._model import (
    AppDeployment,
    AppSize,
    Autoscaling,
    ClusterInfo,
    ContainerState,
    EgressRule,
    EnvEntry,
    LimitDefaults,
    LogLine,
    ManifestOptions,
    PodInfo,
    PodUsage,
    ProxiedResponse,
    Quota,
    RegistryCredentials,
    Resources,
    RolloutProgress,
    ServiceEndpoint,
    WorkloadStatus,
)
from ._names import MANAGED_BY_LABEL, UPLOAD_LABEL, base_name
from ._profile import app_from_profile
from ._render import (
    SERVICE_PORT,
    Manifest,
    WritableLayout,
    dump_yaml,
    load_yaml,
    render_manifests,
    with_replicas,
    writable_layout,
)
from ._sizes import REPLICA_RANGES, ReplicaRange, default_resources, fitting_size, scaling_plan
from .client import K8sClient

__all__ = [
    "MANAGED_BY_LABEL",
    "REPLICA_RANGES",
    "SERVICE_PORT",
    "UPLOAD_LABEL",
    "AppDeployment",
    "AppSize",
    "Autoscaling",
    "ClusterInfo",
    "ContainerState",
    "EgressRule",
    "EnvEntry",
    "HealthPaths",
    "K8sClient",
    "LimitDefaults",
    "LogLine",
    "Manifest",
    "ManifestOptions",
    "PodInfo",
    "PodUsage",
    "ProxiedResponse",
    "Quota",
    "RegistryCredentials",
    "ReplicaRange",
    "Resources",
    "RolloutProgress",
    "ServiceEndpoint",
    "WorkloadStatus",
    "WritableLayout",
    "app_from_profile",
    "base_name",
    "default_resources",
    "deletion_wait_message",
    "dump_yaml",
    "find_health_paths",
    "fitting_size",
    "load_yaml",
    "release_job_name",
    "render_manifests",
    "render_release_job",
    "scaling_plan",
    "with_replicas",
    "writable_layout",
]
