"""`render_manifests`: an app and the cluster options in, typed lightkube objects out (no I/O)."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import posixpath
import re
from dataclasses import dataclass
from typing import Any, cast

import yaml
from lightkube import codecs, sort_objects
from lightkube.core.dictmixin import DictMixin
from lightkube.core.resource import Resource
from lightkube.generic_resource import create_namespaced_resource
from lightkube.models.apps_v1 import DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment
from lightkube.models.autoscaling_v2 import (
    CrossVersionObjectReference,
    HorizontalPodAutoscalerSpec,
    MetricSpec,
    MetricTarget,
    ResourceMetricSource,
)
from lightkube.models.core_v1 import (
    Capabilities,
    ConfigMapKeySelector,
    Container,
    ContainerPort,
    EmptyDirVolumeSource,
    EnvVar,
    EnvVarSource,
    ExecAction,
    HTTPGetAction,
    Lifecycle,
    LifecycleHandler,
    LimitRangeItem,
    LimitRangeSpec,
    LocalObjectReference,
    PodSecurityContext,
    PodSpec,
    PodTemplateSpec,
    Probe,
    ResourceQuotaSpec,
    ResourceRequirements,
    SeccompProfile,
    SecretKeySelector,
    SecurityContext,
    ServicePort,
    ServiceSpec,
    SleepAction,
    Sysctl,
    TCPSocketAction,
    Volume,
    VolumeMount,
)
from lightkube.models.meta_v1 import LabelSelector, ObjectMeta
from lightkube.models.networking_v1 import (
    IPBlock,
    NetworkPolicyEgressRule,
    NetworkPolicyIngressRule,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    NetworkPolicySpec,
)
from lightkube.models.policy_v1 import PodDisruptionBudgetSpec
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.autoscaling_v2 import HorizontalPodAutoscaler
from lightkube.resources.core_v1 import ConfigMap, LimitRange, Namespace, ResourceQuota, Secret, Service
from lightkube.resources.networking_v1 import NetworkPolicy
from lightkube.resources.policy_v1 import PodDisruptionBudget

from justpush.errors import GenerationError

from ._health import HealthPaths, find_health_paths
from ._model import AppDeployment, EnvEntry, ManifestOptions, RegistryCredentials
from ._names import (
    INSTANCE_LABEL,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    NAME_LABEL,
    UPLOAD_LABEL,
    VERSION_LABEL,
    base_name,
    check_label_value,
    slug,
    version_label,
)
from ._quantity import memory_bytes
from ._sizes import default_resources

Manifest = Resource
"""Any lightkube resource object (typed model or generic resource) rendered by this package."""

# lightkube-models only ships the API versions current Kubernetes serves; older clusters (discovered at
# run time) get these as generic resources with the same spec layout.
HorizontalPodAutoscalerV2beta2 = create_namespaced_resource(
    "autoscaling", "v2beta2", "HorizontalPodAutoscaler", "horizontalpodautoscalers"
)
PodDisruptionBudgetV1beta1 = create_namespaced_resource(
    "policy", "v1beta1", "PodDisruptionBudget", "poddisruptionbudgets"
)

CONFIG_HASH_ANNOTATION = "justpush.io/config-hash"
CONTAINER_NAME = "app"
SERVICE_PORT = 80
QUOTA_NAME = "justpush-quota"
LIMIT_RANGE_NAME = "justpush-limits"

_ENV_NAME = re.compile(r"^[-._a-zA-Z0-9]+$")
# Linux lets only root bind a port below this one, unless net.ipv4.ip_unprivileged_port_start says otherwise.
UNPRIVILEGED_PORTS = 1024
RUNTIME_ANNOTATION = "justpush.io/runtime"
SIZE_ANNOTATION = "justpush.io/size"
# A writable HOME on the read-only root: tools create ~/.cache, ~/.npm, ~/.pm2 there.
HOME_DIR = "/home/justpush"
# Share of the memory limit a runtime may plan its heap for; the rest is stacks, buffers, native memory.
HEAP_SHARE = 0.75


@dataclass(frozen=True)
class _Names:
    base: str
    config_map: str
    secret: str
    pull_secret: str
    labels: dict[str, str]
    selector: dict[str, str]


def _names(app: AppDeployment) -> _Names:
    base = base_name(app.upload_id, app.app_name)
    selector = {
        INSTANCE_LABEL: base,
        NAME_LABEL: check_label_value(NAME_LABEL, (slug(app.app_name) or "app")[:63].strip("-")),
        UPLOAD_LABEL: check_label_value(UPLOAD_LABEL, app.upload_id),
    }
    labels = {
        **selector,
        MANAGED_BY_LABEL: MANAGED_BY,
        VERSION_LABEL: check_label_value(VERSION_LABEL, version_label(app.image)),
    }
    return _Names(
        base=base,
        config_map=f"{base}-env",
        secret=f"{base}-secret",
        pull_secret=f"{base}-pull",
        labels=dict(sorted(labels.items())),
        selector=dict(sorted(selector.items())),
    )


def _meta(name: str, namespace: str | None, labels: dict[str, str]) -> ObjectMeta:
    return ObjectMeta(name=name, namespace=namespace, labels=dict(labels))


def _split_env(env: tuple[EnvEntry, ...]) -> tuple[dict[str, str], dict[str, str]]:
    plain: dict[str, str] = {}
    secret: dict[str, str] = {}
    for entry in env:
        if not _ENV_NAME.match(entry.name):
            raise GenerationError(f"environment variable name {entry.name!r} is not a valid ConfigMap key")
        if entry.name in plain or entry.name in secret:
            raise GenerationError(f"environment variable {entry.name!r} is given twice")
        (secret if entry.secret else plain)[entry.name] = entry.value
    return dict(sorted(plain.items())), dict(sorted(secret.items()))


def _config_hash(plain: dict[str, str], secret: dict[str, str]) -> str:
    """Changes whenever an env value changes, so the pod template changes and pods roll."""
    payload = json.dumps({"env": plain, "secret": secret}, sort_keys=True).encode()
    return hashlib.sha256(payload).hexdigest()[:16]


def _env_vars(names: _Names, plain: dict[str, str], secret: dict[str, str]) -> list[EnvVar]:
    refs = [
        EnvVar(
            name=key,
            valueFrom=EnvVarSource(configMapKeyRef=ConfigMapKeySelector(name=names.config_map, key=key)),
        )
        for key in plain
    ] + [
        EnvVar(name=key, valueFrom=EnvVarSource(secretKeyRef=SecretKeySelector(name=names.secret, key=key)))
        for key in secret
    ]
    return sorted(refs, key=lambda var: var.name)


def _handler_probe(
    path: str | None, *, period: int, timeout: int, failures: int, initial_delay: int | None = None
) -> Probe:
    return Probe(
        httpGet=HTTPGetAction(path=path, port="http") if path is not None else None,
        tcpSocket=TCPSocketAction(port="http") if path is None else None,
        initialDelaySeconds=initial_delay,
        periodSeconds=period,
        timeoutSeconds=timeout,
        failureThreshold=failures,
    )


def _probes(health: HealthPaths, startup: bool) -> tuple[Probe, Probe, Probe | None]:
    """Readiness reacts fast; liveness is slower and more tolerant so a busy app is not killed.

    The startup probe asks every second, so a started app is seen within about a second (kubelets from
    1.21 on probe readiness the moment it succeeds; older ones at readiness's next 2 s tick), and it
    holds liveness off for up to 5 minutes, however slowly the app starts.
    """
    shared = health.liveness == health.readiness
    readiness = _handler_probe(health.readiness, period=2, timeout=2, failures=3)
    liveness = _handler_probe(
        health.liveness,
        initial_delay=None if startup else 10,
        period=20 if shared else 10,
        timeout=3,
        failures=6 if shared else 3,
    )
    startup_probe = _handler_probe(health.liveness, period=1, timeout=1, failures=300) if startup else None
    return liveness, readiness, startup_probe


def _effective_max_replicas(app: AppDeployment) -> int:
    """How many pods may run at once: a PodDisruptionBudget is due whenever that is more than one."""
    return app.autoscaling.max_replicas if app.autoscaling else app.replicas


def _port_sysctls(app: AppDeployment, options: ManifestOptions) -> list[Sysctl] | None:
    """For a port below 1024: the pod's non-root user may bind ports from that one up (the kernel's
    default is 1024; Docker opens them all, so an image that binds port 80 there fails here)."""
    if app.port >= UNPRIVILEGED_PORTS:
        return None
    return [Sysctl(name="net.ipv4.ip_unprivileged_port_start", value=str(app.port))]


def _validate(app: AppDeployment, options: ManifestOptions) -> None:
    if not 1 <= app.port <= 65535:
        raise GenerationError(f"port {app.port} is out of range")
    if app.port < UNPRIVILEGED_PORTS and not options.unprivileged_port_sysctl:
        raise GenerationError(
            f"the app listens on port {app.port}, below 1024: its non-root user can bind that only where "
            "the pod may set net.ipv4.ip_unprivileged_port_start (Kubernetes 1.22 and later), and this "
            "cluster is older; make the app listen on port 1024 or above and deploy with that port"
        )
    if app.replicas < 0:
        raise GenerationError("replicas must not be negative")
    if app.autoscaling and not 1 <= app.autoscaling.min_replicas <= app.autoscaling.max_replicas:
        raise GenerationError("autoscaling needs 1 <= minReplicas <= maxReplicas")
    if app.autoscaling and not 1 <= app.autoscaling.cpu_utilization <= 100:
        raise GenerationError("autoscaling CPU target must be a percentage")
    if options.run_as_user == 0 or options.run_as_group == 0:
        raise GenerationError("the restricted Pod Security Standard forbids running as root")
    if slug(options.namespace) != options.namespace or len(options.namespace) > 63:
        raise GenerationError(f"namespace {options.namespace!r} is not a DNS-1123 label")


@dataclass(frozen=True)
class WritableLayout:
    """What a container of the app may write to, for runs outside Kubernetes (the sandboxed start check)."""

    # Folders that get an empty, writable filesystem of their own.
    empty_dirs: tuple[str, ...]
    # Folders that get a writable copy of what the image holds there (the pod's seeded emptyDir).
    seeded_dirs: tuple[str, ...]
    writable_root: bool
    environment: dict[str, str]


def writable_layout(app: AppDeployment) -> WritableLayout:
    workdir = posixpath.normpath(app.workdir)
    paths = sorted({posixpath.normpath(posixpath.join(workdir, p)) for p in app.writable_paths})
    user_env = {entry.name for entry in app.env}
    return WritableLayout(
        empty_dirs=tuple(["/tmp", HOME_DIR, *(p for p in paths if p != workdir)]),
        seeded_dirs=(workdir,) if workdir in paths else (),
        writable_root=not app.read_only_root,
        environment={} if "HOME" in user_env else {"HOME": HOME_DIR},
    )


def _writable_mounts(app: AppDeployment) -> tuple[list[VolumeMount], list[Volume], list[Container]]:
    """emptyDirs for /tmp, HOME and the folders the app writes to; the app's own folder is seeded.

    An emptyDir over the working directory would hide the app's files, so an init container copies
    them in first (with the image's own `cp`).
    """
    mounts = [VolumeMount(name="tmp", mountPath="/tmp"), VolumeMount(name="home", mountPath=HOME_DIR)]
    volumes = [
        Volume(name="tmp", emptyDir=EmptyDirVolumeSource()),
        Volume(name="home", emptyDir=EmptyDirVolumeSource()),
    ]
    init: list[Container] = []
    workdir = posixpath.normpath(app.workdir)
    paths = sorted({posixpath.normpath(posixpath.join(workdir, p)) for p in app.writable_paths})
    for index, path in enumerate(paths):
        if path in ("/", "/tmp", HOME_DIR) or not path.startswith("/"):
            raise GenerationError(f"writable path {path!r} cannot get a volume of its own")
        name = f"writable-{index}"
        mounts.append(VolumeMount(name=name, mountPath=path))
        volumes.append(Volume(name=name, emptyDir=EmptyDirVolumeSource()))
        if path == workdir:
            init.append(
                Container(
                    name=f"seed-{name}",
                    image=app.image,
                    command=["cp", "-R", f"{path}/.", "/seed/"],
                    securityContext=_container_security(app),
                    volumeMounts=[VolumeMount(name=name, mountPath="/seed")],
                )
            )
    return mounts, volumes, init


def _pre_stop(app: AppDeployment, options: ManifestOptions) -> Lifecycle | None:
    """Keep serving a few seconds after the pod is marked for deletion: endpoints, kube-proxy and the
    gateway stop sending to it meanwhile, so an app that exits at once on SIGTERM drops no request."""
    seconds = options.pre_stop_seconds
    if seconds <= 0:
        return None
    if options.native_sleep_action:
        return Lifecycle(preStop=LifecycleHandler(sleep=SleepAction(seconds=seconds)))
    if app.has_sleep:
        return Lifecycle(preStop=LifecycleHandler(exec=ExecAction(command=["sleep", str(seconds)])))
    return None


def _container_security(app: AppDeployment) -> SecurityContext:
    return SecurityContext(
        allowPrivilegeEscalation=False,
        capabilities=Capabilities(drop=["ALL"]),
        readOnlyRootFilesystem=app.read_only_root,
        runAsNonRoot=True,
    )


def _runtime_env(app: AppDeployment, memory_limit: str, user_env: set[str]) -> list[EnvVar]:
    """HOME on its volume, and heaps sized to the container's memory limit, unless the user set them."""
    heap_mib = int(memory_bytes(memory_limit) * HEAP_SHARE) // (1024 * 1024)
    wanted = {"HOME": HOME_DIR}
    if app.runtime == "node":
        wanted["NODE_OPTIONS"] = f"--max-old-space-size={heap_mib}"
    elif app.runtime == "java":
        wanted["JAVA_TOOL_OPTIONS"] = f"-XX:MaxRAMPercentage={HEAP_SHARE * 100:.1f}"
    elif app.runtime == "go":
        wanted["GOMEMLIMIT"] = f"{heap_mib}MiB"
    return [EnvVar(name=k, value=v) for k, v in wanted.items() if k not in user_env]


def _deployment(
    app: AppDeployment, options: ManifestOptions, names: _Names, plain: dict[str, str], secret: dict[str, str]
) -> Deployment:
    liveness, readiness, startup_probe = _probes(find_health_paths(app.openapi), options.startup_probe)
    res = app.resources or default_resources(app.runtime, app.size)
    mounts, volumes, init = _writable_mounts(app)
    env = _env_vars(names, plain, secret) + _runtime_env(app, res.memory_limit, {*plain, *secret})
    container = Container(
        name=CONTAINER_NAME,
        image=app.image,
        command=list(app.command) or None,
        ports=[ContainerPort(name="http", containerPort=app.port, protocol="TCP")],
        env=sorted(env, key=lambda var: var.name),
        resources=ResourceRequirements(
            requests={"cpu": res.cpu_request, "memory": res.memory_request},
            limits={"cpu": res.cpu_limit, "memory": res.memory_limit},
        ),
        livenessProbe=liveness,
        readinessProbe=readiness,
        startupProbe=startup_probe,
        securityContext=_container_security(app),
        volumeMounts=mounts,
    )
    container.lifecycle = _pre_stop(app, options)
    if app.init_command:
        # After the seeds: it works on the pod's copy of the app's folder, with the app's environment.
        init.append(
            Container(
                name="release",
                image=app.image,
                command=list(app.init_command),
                env=container.env,
                securityContext=_container_security(app),
                volumeMounts=mounts,
            )
        )
    for seed in init:
        seed.resources = container.resources
    pod = PodSpec(
        initContainers=init or None,
        containers=[container],
        automountServiceAccountToken=False,
        terminationGracePeriodSeconds=options.termination_grace_period_seconds,
        imagePullSecrets=[LocalObjectReference(name=n) for n in _pull_secret_names(options, names)] or None,
        securityContext=PodSecurityContext(
            runAsNonRoot=True,
            runAsUser=options.run_as_user,
            runAsGroup=options.run_as_group,
            fsGroup=options.fs_group,
            seccompProfile=SeccompProfile(type="RuntimeDefault"),
            sysctls=_port_sysctls(app, options),
        ),
        volumes=volumes,
    )
    annotations = {
        CONFIG_HASH_ANNOTATION: _config_hash(plain, secret),
        RUNTIME_ANNOTATION: app.runtime,
        SIZE_ANNOTATION: app.size,
    }
    return Deployment(
        metadata=_meta(names.base, options.namespace, names.labels),
        spec=DeploymentSpec(
            # The HPA owns the replica count when there is one.
            replicas=None if app.autoscaling else app.replicas,
            revisionHistoryLimit=5,
            selector=LabelSelector(matchLabels=dict(names.selector)),
            strategy=DeploymentStrategy(
                type="RollingUpdate",
                rollingUpdate=RollingUpdateDeployment(maxUnavailable=0, maxSurge=1),
            ),
            template=PodTemplateSpec(
                metadata=ObjectMeta(labels=dict(names.labels), annotations=annotations),
                spec=pod,
            ),
        ),
    )


def _hpa(app: AppDeployment, options: ManifestOptions, names: _Names) -> Manifest:
    assert app.autoscaling is not None
    hpa = HorizontalPodAutoscaler(
        metadata=_meta(names.base, options.namespace, names.labels),
        spec=HorizontalPodAutoscalerSpec(
            scaleTargetRef=CrossVersionObjectReference(
                apiVersion="apps/v1", kind="Deployment", name=names.base
            ),
            minReplicas=app.autoscaling.min_replicas,
            maxReplicas=app.autoscaling.max_replicas,
            metrics=[
                MetricSpec(
                    type="Resource",
                    resource=ResourceMetricSource(
                        name="cpu",
                        target=MetricTarget(
                            type="Utilization", averageUtilization=app.autoscaling.cpu_utilization
                        ),
                    ),
                )
            ],
        ),
    )
    if options.hpa_api_version == "autoscaling/v2":
        return hpa
    return cast(Manifest, HorizontalPodAutoscalerV2beta2.from_dict(_as_version(hpa, options.hpa_api_version)))


def _pdb(options: ManifestOptions, names: _Names) -> Manifest:
    pdb = PodDisruptionBudget(
        metadata=_meta(names.base, options.namespace, names.labels),
        spec=PodDisruptionBudgetSpec(
            maxUnavailable=1, selector=LabelSelector(matchLabels=dict(names.selector))
        ),
    )
    if options.pdb_api_version == "policy/v1":
        return pdb
    return cast(Manifest, PodDisruptionBudgetV1beta1.from_dict(_as_version(pdb, options.pdb_api_version)))


def _as_version(obj: HorizontalPodAutoscaler | PodDisruptionBudget, api_version: str) -> dict[str, Any]:
    data = obj.to_dict()
    data["apiVersion"] = api_version
    data["kind"] = type(obj).__name__
    return data


def _network_policy(app: AppDeployment, options: ManifestOptions, names: _Names) -> NetworkPolicy:
    gateway_pods = (
        LabelSelector(matchLabels=dict(sorted(options.gateway_pod_labels)))
        if options.gateway_pod_labels
        else None
    )
    sources = [
        NetworkPolicyPeer(
            namespaceSelector=LabelSelector(
                matchLabels={"kubernetes.io/metadata.name": options.gateway_namespace}
            ),
            podSelector=gateway_pods,
        )
    ] + [NetworkPolicyPeer(ipBlock=IPBlock(cidr=cidr)) for cidr in sorted(options.gateway_cidrs)]
    egress: list[NetworkPolicyEgressRule] = []
    if options.allow_dns_egress:
        egress.append(
            NetworkPolicyEgressRule(
                ports=[NetworkPolicyPort(port=53, protocol="UDP"), NetworkPolicyPort(port=53, protocol="TCP")]
            )
        )
    for rule in sorted(options.egress, key=lambda r: (r.cidr, r.ports)):
        egress.append(
            NetworkPolicyEgressRule(
                to=[NetworkPolicyPeer(ipBlock=IPBlock(cidr=rule.cidr))],
                ports=[NetworkPolicyPort(port=p, protocol="TCP") for p in sorted(rule.ports)] or None,
            )
        )
    return NetworkPolicy(
        metadata=_meta(names.base, options.namespace, names.labels),
        spec=NetworkPolicySpec(
            podSelector=LabelSelector(matchLabels=dict(names.selector)),
            policyTypes=["Egress", "Ingress"],
            ingress=[
                NetworkPolicyIngressRule(
                    from_=sources, ports=[NetworkPolicyPort(port=app.port, protocol="TCP")]
                )
            ],
            egress=egress,
        ),
    )


def _namespace_objects(options: ManifestOptions, names: _Names) -> list[Manifest]:
    objects: list[Manifest] = []
    if options.create_namespace:
        pss = {f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("audit", "enforce", "warn")}
        objects.append(
            Namespace(metadata=_meta(options.namespace, None, dict(sorted({**names.labels, **pss}.items()))))
        )
    if options.quota is not None:
        q = options.quota
        objects.append(
            ResourceQuota(
                metadata=_meta(QUOTA_NAME, options.namespace, names.labels),
                spec=ResourceQuotaSpec(
                    hard={
                        "limits.cpu": q.limits_cpu,
                        "limits.memory": q.limits_memory,
                        "pods": str(q.pods),
                        "requests.cpu": q.requests_cpu,
                        "requests.memory": q.requests_memory,
                    }
                ),
            )
        )
    if options.limit_range is not None:
        lr = options.limit_range
        objects.append(
            LimitRange(
                metadata=_meta(LIMIT_RANGE_NAME, options.namespace, names.labels),
                spec=LimitRangeSpec(
                    limits=[
                        LimitRangeItem(
                            type="Container",
                            default={"cpu": lr.default_cpu, "memory": lr.default_memory},
                            defaultRequest={
                                "cpu": lr.default_request_cpu,
                                "memory": lr.default_request_memory,
                            },
                            max={"cpu": lr.max_cpu, "memory": lr.max_memory},
                        )
                    ]
                ),
            )
        )
    return objects


def render_manifests(app: AppDeployment, options: ManifestOptions) -> list[Manifest]:
    """Every object of one deployment, in apply order (`lightkube.sort_objects`)."""
    _validate(app, options)
    names = _names(app)
    plain, secret = _split_env(app.env)
    objects = _namespace_objects(options, names)
    if plain:
        objects.append(
            ConfigMap(metadata=_meta(names.config_map, options.namespace, names.labels), data=plain)
        )
    if secret:
        objects.append(_secret(names, options, secret))
    if options.registry_credentials is not None:
        objects.append(_pull_secret(names, options, options.registry_credentials))
    objects.append(
        Service(
            metadata=_meta(names.base, options.namespace, names.labels),
            spec=ServiceSpec(
                type="ClusterIP",
                selector=dict(names.selector),
                ports=[ServicePort(name="http", port=SERVICE_PORT, targetPort="http", protocol="TCP")],
            ),
        )
    )
    objects.append(_deployment(app, options, names, plain, secret))
    if app.autoscaling is not None:
        objects.append(_hpa(app, options, names))
    if _effective_max_replicas(app) > 1:
        objects.append(_pdb(options, names))
    if options.network_policy:
        objects.append(_network_policy(app, options, names))
    return sort_objects(objects)


def _pull_secret_names(options: ManifestOptions, names: _Names) -> list[str]:
    wanted = set(options.image_pull_secrets)
    if options.registry_credentials is not None:
        wanted.add(names.pull_secret)
    return sorted(wanted)


def _pull_secret(names: _Names, options: ManifestOptions, credentials: RegistryCredentials) -> Secret:
    auth = base64.b64encode(f"{credentials.username}:{credentials.password}".encode()).decode()
    config = {
        "auths": {
            credentials.server: {
                "username": credentials.username,
                "password": credentials.password,
                "auth": auth,
            }
        }
    }
    encoded = base64.b64encode(json.dumps(config, sort_keys=True).encode()).decode()
    return Secret(
        metadata=_meta(names.pull_secret, options.namespace, names.labels),
        type="kubernetes.io/dockerconfigjson",
        data={".dockerconfigjson": encoded},
    )


def _secret(names: _Names, options: ManifestOptions, values: dict[str, str]) -> Secret:
    meta = _meta(names.secret, options.namespace, names.labels)
    if options.secret_encoding == "stringData":
        return Secret(metadata=meta, type="Opaque", stringData=values)
    encoded = {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}
    return Secret(metadata=meta, type="Opaque", data=encoded)


# lightkube's codecs use PyYAML's pure-Python safe dumper and loader: 5-7x slower on a deploy's objects,
# with the same text. libyaml's are used where PyYAML was built with it.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def dump_yaml(objects: list[Manifest]) -> str:
    """Multi-document YAML of rendered objects (the edge where objects become text)."""
    documents = [cast(DictMixin, o).to_dict() for o in objects]
    return yaml.dump_all(documents, Dumper=_DUMPER, indent=2)


def load_yaml(text: str) -> list[Manifest]:
    """Objects back from `dump_yaml` output, e.g. a stored revision to re-apply."""
    return [
        cast(Manifest, codecs.from_dict(document))
        for document in yaml.load_all(text, Loader=_LOADER)
        if document is not None
    ]


def with_replicas(objects: list[Manifest], replicas: int) -> list[Manifest]:
    """Copies of `objects` that run `replicas` pods: the Deployment's count or, with an HPA (the Deployment
    then leaves its count to it), the HPA's minimum. A rollback keeps the count scaled to since."""
    if replicas < 0:
        raise GenerationError("replicas must not be negative")
    result: list[Manifest] = []
    for obj in objects:
        kind = getattr(obj, "kind", None) or type(obj).__name__
        if kind == "Deployment" and obj.spec is not None and obj.spec.replicas is not None:  # type: ignore[attr-defined]
            obj = copy.deepcopy(obj)
            obj.spec.replicas = replicas  # type: ignore[attr-defined]
        elif kind == "HorizontalPodAutoscaler" and obj.spec is not None:  # type: ignore[attr-defined]
            obj = copy.deepcopy(obj)
            low = max(replicas, 1)
            spec = obj.spec  # type: ignore[attr-defined]
            if isinstance(spec, dict):
                spec["minReplicas"] = low
                spec["maxReplicas"] = max(int(spec.get("maxReplicas", low)), low)
            else:
                spec.minReplicas = low
                spec.maxReplicas = max(spec.maxReplicas or low, low)
        result.append(obj)
    return result
