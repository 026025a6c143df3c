"""`K8sClient`: applies rendered manifests and manages a deployment, found by its upload-id label.

Built on `lightkube.AsyncClient` (server-side apply, field manager ``justpush``, forced) plus one raw
HTTP client on the same connection settings for what has no resource model: discovery, pod logs of a
previous container, and the kubelet summary API behind the API server's node proxy.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import inspect
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import replace
from typing import Any, cast

import httpx2
import lightkube
import msgspec
from lightkube import ALL_NS, ApiError, AsyncClient, KubeConfig, SingleConfig, sort_objects
from lightkube.config.client_adapter import AsyncClient as adapter_async_client
from lightkube.config.client_adapter import ConnectionParams
from lightkube.core.resource import NamespacedResource
from lightkube.generic_resource import create_namespaced_resource
from lightkube.resources.apps_v1 import Deployment, ReplicaSet
from lightkube.resources.autoscaling_v2 import HorizontalPodAutoscaler
from lightkube.resources.batch_v1 import Job
from lightkube.resources.core_v1 import (
    ConfigMap,
    Endpoints,
    Event,
    LimitRange,
    Namespace,
    Pod,
    ResourceQuota,
    Secret,
    Service,
)
from lightkube.resources.networking_v1 import NetworkPolicy
from lightkube.resources.policy_v1 import PodDisruptionBudget
from lightkube.types import CascadeType, OnErrorAction, OnErrorResult, PatchType

from justpush.config import KubernetesSettings
from justpush.errors import ConfigError, JustPushError, KubernetesError

from ._deletion import deletion_wait_message
from ._job import JOB_NAME_LABEL
from ._model import (
    AppDeployment,
    ClusterInfo,
    EnvEntry,
    LogLine,
    ManifestOptions,
    PodInfo,
    PodUsage,
    ProxiedResponse,
    RolloutProgress,
    ServiceEndpoint,
    WorkloadStatus,
)
from ._names import MANAGED_BY, MANAGED_BY_LABEL, UPLOAD_LABEL
from ._quantity import cpu_nanocores, memory_bytes
from ._render import (
    CONTAINER_NAME,
    HorizontalPodAutoscalerV2beta2,
    Manifest,
    PodDisruptionBudgetV1beta1,
    render_manifests,
)
from ._rollout import (
    Problem,
    current_replicaset,
    describe_event,
    diagnose,
    pod_info,
    pods_of,
    progress_of,
    relevant_events,
    routed,
    stalled_pods,
)

_log = logging.getLogger(__name__)

PodMetrics = create_namespaced_resource("metrics.k8s.io", "v1beta1", "PodMetrics", "pods")

ProgressCallback = Callable[[RolloutProgress], Awaitable[None] | None]
# Told, in a line a person reads, what a delete waits for each time that changes.
DeleteProgress = Callable[[str], Awaitable[None]]
_NamespacedKind = type[NamespacedResource]
# Kinds shared by every upload in a namespace: only removed with the last upload.
_NAMESPACE_KINDS: tuple[_NamespacedKind, ...] = (ResourceQuota, LimitRange)
_CRASH_LOG_LINES = 20
# A release pod waiting for one of these will not start by itself; the Job fails now, not at its deadline.
_STUCK_REASONS = frozenset(
    {"CreateContainerConfigError", "InvalidImageName", "ImagePullBackOff", "ErrImageNeverPull"}
)
# Longer log lines are cut: an event is a line of text, not a dump.
_MAX_LINE_CHARS = 2000


def _config_from_settings(settings: KubernetesSettings) -> SingleConfig:
    """apiServer + token, else a kubeconfig file, else auto-detection (in-cluster, $KUBECONFIG, ~/.kube)."""
    context = settings.context or None
    if settings.api_server:
        cluster: dict[str, Any] = {"server": settings.api_server}
        if settings.ca_data:
            ca = settings.ca_data.strip()
            # Accept PEM as well as the kubeconfig convention (base64 of the PEM).
            cluster["certificate-authority-data"] = (
                base64.b64encode(ca.encode()).decode() if ca.startswith("-----BEGIN") else ca
            )
        if settings.insecure_skip_tls_verify:
            cluster["insecure-skip-tls-verify"] = True
        user: dict[str, Any] = (
            {"token": settings.token.get_secret_value()} if settings.token.get_secret_value() else {}
        )
        conf = {
            "clusters": [{"name": "justpush", "cluster": cluster}],
            "users": [{"name": "justpush", "user": user}],
            "contexts": [
                {
                    "name": "justpush",
                    "context": {"cluster": "justpush", "user": "justpush", "namespace": settings.namespace},
                }
            ],
            "current-context": "justpush",
        }
        single = KubeConfig.from_dict(conf).get()
    elif settings.kubeconfig:
        single = KubeConfig.from_file(settings.kubeconfig).get(context_name=context)
    else:
        single = KubeConfig.from_env().get(context_name=context)
    if single is None:
        raise ConfigError("no Kubernetes context configured")
    return single


@contextmanager
def _translate(action: str, upload_id: str | None, *, level: int = logging.INFO) -> Iterator[None]:
    """Log the call; turn lightkube/httpx2 failures into KubernetesError, config problems into ConfigError."""
    _log.log(
        level, "kubernetes %s", action, extra={"stage": "deploy", "upload_id": upload_id, "action": action}
    )
    try:
        yield
    except ApiError as exc:
        status = exc.status
        raise KubernetesError(
            f"{action}: {status.message or status.reason or 'request failed'}",
            status=status.code,
            detail=status.reason,
        ) from exc
    except httpx2.HTTPStatusError as exc:
        raise KubernetesError(
            f"{action}: HTTP {exc.response.status_code}",
            status=exc.response.status_code,
            detail=exc.response.text[:500],
        ) from exc
    except httpx2.HTTPError as exc:
        raise KubernetesError(f"{action}: cannot reach the API server: {exc}") from exc
    except msgspec.MsgspecError as exc:
        raise KubernetesError(f"{action}: unexpected response from the API server: {exc}") from exc
    except (lightkube.ConfigError, OSError) as exc:
        raise ConfigError(f"Kubernetes connection settings: {exc}") from exc


def _key(obj: Any) -> tuple[str, str, str, str]:
    meta = obj.metadata
    return (obj.apiVersion or "", obj.kind or "", meta.namespace or "", meta.name or "")


def _upload_of(objects: Sequence[Manifest]) -> str:
    ids = {(o.metadata.labels or {}).get(UPLOAD_LABEL) for o in objects if o.metadata is not None}  # type: ignore[attr-defined]
    if len(ids) != 1 or None in ids:
        raise KubernetesError(
            "a manifest set must belong to exactly one upload (label justpush.io/upload-id)"
        )
    return cast(str, ids.pop())


class K8sClient:
    """One deployment target. Use as ``async with K8sClient(settings) as k8s: ...``."""

    def __init__(
        self,
        settings: KubernetesSettings,
        *,
        config: SingleConfig | KubeConfig | None = None,
        transport: httpx2.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        poll_interval: float = 1.0,
        resync_interval: float = 5.0,
    ) -> None:
        self._settings = settings
        self._poll = poll_interval
        # A rollout is re-read on every watched change, and at least this often without one.
        self._resync = resync_interval
        self._info: ClusterInfo | None = None
        with _translate("connect", None, level=logging.DEBUG):
            single = config.get() if isinstance(config, KubeConfig) else config
            if single is None:
                single = _config_from_settings(settings)
            http_timeout = httpx2.Timeout(timeout)
            self._kube = AsyncClient(
                single,
                namespace=settings.namespace,
                timeout=http_timeout,
                field_manager="justpush",
                transport=transport,
                lazy=False,
            )
            self._http = adapter_async_client(
                # Typed as a sync transport by lightkube; the async adapter hands it to httpx2.AsyncClient.
                single,
                ConnectionParams(timeout=http_timeout, transport=cast(Any, transport), trust_env=True),
            )

    async def aclose(self) -> None:
        await self._kube.close()
        await self._http.aclose()

    async def __aenter__(self) -> K8sClient:
        return self

    async def __aexit__(self, *args: object) -> None:
        await self.aclose()

    def _ns(self, namespace: str | None) -> str:
        return namespace or self._settings.namespace

    async def _get_json(self, path: str, action: str, upload_id: str | None, **params: Any) -> Any:
        with _translate(action, upload_id):
            response = await self._http.get(path, params={k: v for k, v in params.items() if v is not None})
            response.raise_for_status()
            return response.json()

    # -- discovery ---------------------------------------------------------------------------------

    async def discover(self) -> ClusterInfo:
        """Server version and which HPA / PDB API versions to render (newest served)."""
        version, groups = await asyncio.gather(
            self._get_json("/version", "discover version", None),
            self._get_json("/apis", "discover API groups", None),
        )
        served = {v["groupVersion"] for g in groups.get("groups", []) for v in g.get("versions", [])}
        hpa = next((v for v in ("autoscaling/v2", "autoscaling/v2beta2") if v in served), None)
        pdb = next((v for v in ("policy/v1", "policy/v1beta1") if v in served), None)
        self._info = ClusterInfo(
            server_version=str(version.get("gitVersion", "")),
            hpa_api_version=hpa,  # type: ignore[arg-type]
            pdb_api_version=pdb,  # type: ignore[arg-type]
            metrics_api=any(v.startswith("metrics.k8s.io/") for v in served),
        )
        return self._info

    async def _cluster(self) -> ClusterInfo:
        return self._info or await self.discover()

    async def _managed_kinds(self) -> list[_NamespacedKind]:
        """Every namespaced kind `render_manifests` can emit, in the versions this cluster serves."""
        info = await self._cluster()
        kinds: list[_NamespacedKind] = [Deployment, Service, ConfigMap, Secret, NetworkPolicy, Job]
        if info.hpa_api_version == "autoscaling/v2":
            kinds.append(HorizontalPodAutoscaler)
        elif info.hpa_api_version == "autoscaling/v2beta2":
            kinds.append(HorizontalPodAutoscalerV2beta2)
        if info.pdb_api_version == "policy/v1":
            kinds.append(PodDisruptionBudget)
        elif info.pdb_api_version == "policy/v1beta1":
            kinds.append(PodDisruptionBudgetV1beta1)
        return kinds

    # -- apply ---------------------------------------------------------------------------------------

    async def apply(self, objects: Sequence[Manifest]) -> None:
        """Server-side apply in dependency order. A namespace JustPush did not create is left untouched."""
        upload_id = _upload_of(objects)
        for obj in sort_objects(list(objects)):
            if isinstance(obj, Namespace) and not await self._may_manage_namespace(obj, upload_id):
                continue
            kind, name = obj.kind, obj.metadata.name  # type: ignore[attr-defined]
            try:
                with _translate(f"apply {kind}/{name}", upload_id):
                    await self._kube.apply(obj, force=True)  # type: ignore[call-overload]
            except KubernetesError as exc:
                if exc.status == 403 and isinstance(obj, ResourceQuota | LimitRange):
                    raise KubernetesError(
                        f"not allowed to create {kind} in namespace {obj.metadata.namespace} (RBAC); "  # type: ignore[union-attr]
                        "render without namespace policies: ManifestOptions(quota=None, limit_range=None)",
                        status=403,
                        detail=exc.detail,
                    ) from exc
                raise

    async def _may_manage_namespace(self, obj: Namespace, upload_id: str) -> bool:
        name = obj.metadata.name if obj.metadata else None
        assert name is not None
        try:
            with _translate(f"get Namespace/{name}", upload_id):
                existing = await self._kube.get(Namespace, name)
        except KubernetesError as exc:
            if exc.status == 404:
                return True
            raise
        labels = existing.metadata.labels if existing.metadata else None
        if (labels or {}).get(MANAGED_BY_LABEL) == MANAGED_BY:
            return True
        _log.info(
            "namespace %s exists and is not managed by justpush; left as is",
            name,
            extra={"stage": "deploy", "upload_id": upload_id},
        )
        return False

    async def apply_revision(self, objects: Sequence[Manifest]) -> None:
        """Re-apply a stored manifest set (rollback) and delete this upload's objects that are not in it."""
        upload_id = _upload_of(objects)
        await self.apply(objects)
        wanted = {_key(o) for o in objects}
        namespaces = sorted({o.metadata.namespace for o in objects if o.metadata and o.metadata.namespace})  # type: ignore[attr-defined]
        kinds = [*await self._managed_kinds(), *_NAMESPACE_KINDS]
        for namespace in namespaces:
            for kind in kinds:
                for existing in await self._list(kind, namespace, upload_id, missing_ok=True):
                    if _key(existing) not in wanted:
                        await self._delete_one(kind, existing, upload_id)

    async def _list(
        self,
        kind: _NamespacedKind,
        namespace: str,
        upload_id: str | None,
        *,
        missing_ok: bool = False,
        labels: Mapping[str, str] | None = None,
    ) -> list[Any]:
        selector: dict[str, Any] = dict(labels) if labels is not None else {UPLOAD_LABEL: upload_id}
        action = f"list {kind.__name__} in {namespace if namespace != ALL_NS else 'all namespaces'}"
        try:
            with _translate(action, upload_id, level=logging.DEBUG):
                return [o async for o in self._kube.list(kind, namespace=namespace, labels=selector)]
        except KubernetesError as exc:
            # Kinds the cluster does not serve or the deployer may not read cannot hold our objects.
            if missing_ok and exc.status in (403, 404):
                return []
            raise

    async def _delete_one(self, kind: _NamespacedKind, obj: Any, upload_id: str) -> None:
        meta = obj.metadata
        try:
            with _translate(f"delete {kind.__name__}/{meta.name}", upload_id):
                await self._kube.delete(
                    kind, meta.name, namespace=meta.namespace, cascade=CascadeType.BACKGROUND
                )
        except KubernetesError as exc:
            if exc.status != 404:
                raise

    # -- jobs ----------------------------------------------------------------------------------------

    async def run_job(
        self, job: Job, *, timeout: float, on_log: Callable[[str], None] | None = None
    ) -> list[str]:
        """Run ``job`` (one pod, no retries) to its end, passing each log line to ``on_log``; its last lines.

        An earlier Job of the same upload and component (left by a crashed run) is removed first, and the
        Job is deleted when it ends, either way. A failure, a pod that cannot be created or started, or
        ``timeout`` raises KubernetesError naming the exit code or reason and the last log lines.
        """
        meta = job.metadata
        assert meta is not None and meta.name is not None
        name, ns = meta.name, self._ns(meta.namespace)
        labels = meta.labels or {}
        upload_id = labels[UPLOAD_LABEL]
        for old in await self._list(Job, ns, upload_id, missing_ok=True, labels=labels):
            await self._delete_one(Job, old, upload_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        tail: deque[str] = deque(maxlen=_CRASH_LOG_LINES)

        def keep(line: str) -> None:
            line = line.rstrip()[:_MAX_LINE_CHARS]
            tail.append(line)
            if on_log is not None:
                on_log(line)

        await self.apply([job])
        followed = False
        try:
            while True:
                with _translate(f"get Job/{name}", upload_id, level=logging.DEBUG):
                    current = await self._kube.get(Job, name, namespace=ns)
                    pods = [
                        p async for p in self._kube.list(Pod, namespace=ns, labels={JOB_NAME_LABEL: name})
                    ]
                pod = pods[0] if pods else None
                state = _container_state(pod) if pod is not None else None
                if pod is not None and pod.metadata and not followed and state and state[0] != "waiting":
                    followed = True
                    await self._follow(str(pod.metadata.name), ns, upload_id, keep, deadline - loop.time())
                    continue
                finished = _job_finished(current)
                if finished == "Complete":
                    return list(tail)
                reason = None
                if finished is not None:
                    reason = state[1] if state is not None and state[0] == "terminated" else finished
                    if finished == "DeadlineExceeded" and current.spec is not None:
                        reason = f"ran past its deadline of {current.spec.activeDeadlineSeconds}s"
                elif state is not None and state[0] == "waiting" and state[1] in _STUCK_REASONS:
                    reason = f"its pod cannot start: {state[1]}"
                elif pod is None:
                    reason = await self._failed_create(name, ns, upload_id)
                if reason is not None:
                    raise _job_error(name, reason, list(tail))
                if loop.time() >= deadline:
                    raise _job_error(name, f"still running after {timeout:.0f}s", list(tail))
                await asyncio.sleep(self._poll)
        finally:
            with suppress(KubernetesError):
                await self._delete_one(Job, job, upload_id)

    async def _follow(
        self, pod: str, ns: str, upload_id: str, keep: Callable[[str], None], seconds: float
    ) -> None:
        """Pass the pod's log lines to ``keep`` until its container stops (or ``seconds`` pass).

        A log stream that breaks off is not the Job's failure: the Job's status decides.
        """
        try:
            async with asyncio.timeout(max(seconds, 1.0)):
                with _translate(f"follow logs of Pod/{pod}", upload_id):
                    async for line in self._kube.log(
                        pod, namespace=ns, container=CONTAINER_NAME, follow=True, newlines=False
                    ):
                        keep(line)
        except (TimeoutError, KubernetesError):
            return

    async def _failed_create(self, job: str, ns: str, upload_id: str) -> str | None:
        """Why the Job controller cannot create the Job's pod (a quota, a policy), if it said so."""
        with _translate(f"list Event of Job/{job}", upload_id, level=logging.DEBUG):
            events = [
                e async for e in self._kube.list(Event, namespace=ns, fields={"involvedObject.name": job})
            ]
        refused = [e for e in relevant_events(events, {job}) if e.reason == "FailedCreate"]
        return f"its pod cannot be created: {refused[-1].message}" if refused else None

    # -- rollout -------------------------------------------------------------------------------------

    async def wait_rollout(
        self,
        upload_id: str,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        *,
        namespace: str | None = None,
        failure_grace: float = 30.0,
        route_grace: float = 10.0,
    ) -> RolloutProgress:
        """Wait until the upload's Deployment is fully rolled out, reporting ready replicas and events.

        Image pull back-off, crash loops (with the container's last log lines), quota denials and other
        refusals fail at once; errors that may clear up (ErrImagePull, Unschedulable) after
        ``failure_grace`` seconds. Done means routed too: the Service sends traffic to a pod of the new
        revision (waited for up to ``route_grace`` seconds after the Deployment completes).
        """
        ns = self._ns(namespace)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (timeout if timeout is not None else self._settings.rollout_timeout_seconds)
        first_seen: dict[str, float] = {}
        completed_at: float | None = None
        reported: set[str] = set()
        last: RolloutProgress | None = None
        _log.info(
            "kubernetes wait rollout", extra={"stage": "deploy", "upload_id": upload_id, "action": "wait"}
        )
        # Watching the Deployment and its pods wakes the loop the moment one changes (a pod turning
        # ready is seen at once); the lists below stay the one source of what is read.
        changed = asyncio.Event()
        watchers = [
            asyncio.create_task(self._watch_changes(kind, ns, upload_id, changed))
            for kind in (Deployment, Pod, Endpoints)
        ]
        try:
            while True:
                # Cleared before reading: a change while the lists are read wakes the next wait at once.
                changed.clear()
                deployments = await self._list(Deployment, ns, upload_id)
                if not deployments:
                    raise KubernetesError(f"no Deployment of upload {upload_id} in namespace {ns}")
                deployment = deployments[0]
                replicasets = await self._list(ReplicaSet, ns, upload_id)
                pods = await self._list(Pod, ns, upload_id)
                with _translate(f"list Event in {ns}", upload_id, level=logging.DEBUG):
                    events = [e async for e in self._kube.list(Event, namespace=ns)]
                names = {deployment.metadata.name} | {o.metadata.name for o in [*replicasets, *pods]}
                fresh = []
                for event in relevant_events(events, names):
                    # Once per event object: a recurring event (count + 1) is not news.
                    uid = event.metadata.uid or event.metadata.name or ""
                    if uid not in reported:
                        reported.add(uid)
                        fresh.append(describe_event(event))
                progress = progress_of(deployment, tuple(fresh))
                if on_progress is not None and (progress != last or fresh):
                    outcome = on_progress(progress)
                    if inspect.isawaitable(outcome):
                        await outcome
                last = progress
                now = loop.time()
                if progress.done:
                    completed_at = completed_at if completed_at is not None else now
                    if progress.desired == 0 or now - completed_at >= route_grace:
                        return progress
                    current = pods_of(current_replicaset(deployment, replicasets), pods)
                    if routed(current, await self._list(Endpoints, ns, upload_id, missing_ok=True)):
                        return progress
                for problem in diagnose(deployment, replicasets, pods):
                    started = first_seen.setdefault(problem.key, now)
                    if problem.immediate or now - started >= failure_grace:
                        raise await self._rollout_error(problem, ns, upload_id)
                if now >= deadline:
                    raise await self._timeout_error(progress, pods, events, ns, upload_id)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), min(self._resync, deadline - now))
        finally:
            for watcher in watchers:
                watcher.cancel()
            await asyncio.gather(*watchers, return_exceptions=True)

    async def _watch_changes(
        self,
        kind: type[Deployment] | type[Pod] | type[Endpoints],
        namespace: str,
        upload_id: str,
        changed: asyncio.Event,
    ) -> None:
        """Set `changed` on every watch event of the upload's objects of `kind`.

        Only a wake-up: a watch that cannot run (or breaks) leaves the caller re-reading every
        `resync_interval`, and the caller's own reads report what is wrong.
        """
        try:
            async for _ in self._kube.watch(
                kind, namespace=namespace, labels={UPLOAD_LABEL: upload_id}, on_error=_retry_watch
            ):
                changed.set()
        except Exception as exc:
            _log.debug(
                "kubernetes watch of %s ended: %s",
                kind.__name__,
                exc,
                extra={"stage": "deploy", "upload_id": upload_id},
            )

    async def _timeout_error(
        self, progress: RolloutProgress, pods: list[Pod], events: list[Event], namespace: str, upload_id: str
    ) -> KubernetesError:
        """A rollout out of time: counts, each stalled pod's phase and warnings (probe failures), and the
        first stalled pod's last log lines."""
        message = (
            f"rollout of {progress.deployment} did not finish in time: "
            f"{progress.ready}/{progress.desired} ready, {progress.updated} updated"
        )
        stalled = stalled_pods(pods, events)
        if stalled:
            message += "\n" + "\n".join(stalled)
        waiting = [info for info in map(pod_info, pods) if not info.ready and not info.terminating]
        lines: list[str] = []
        if waiting:
            lines = await self._last_log_lines(waiting[0].name, CONTAINER_NAME, namespace, upload_id)
        if lines:
            message += f"\nlast log lines of {waiting[0].name}:\n" + "\n".join(lines)
        return KubernetesError(
            message, detail={"progress": progress}, details={"stalled": stalled, "log_tail": lines}
        )

    async def _rollout_error(self, problem: Problem, namespace: str, upload_id: str) -> KubernetesError:
        message = problem.message
        details: dict[str, Any] = {"reason": problem.kind, "pod": problem.pod}
        if problem.kind == "crash" and problem.pod:
            lines = await self._last_log_lines(
                problem.pod, problem.container or CONTAINER_NAME, namespace, upload_id
            )
            details["log_tail"] = lines
            if lines:
                message += "; last log lines:\n" + "\n".join(lines)
        return KubernetesError(message, detail=problem.kind, details=details)

    async def _last_log_lines(self, pod: str, container: str, namespace: str, upload_id: str) -> list[str]:
        path = f"/api/v1/namespaces/{namespace}/pods/{pod}/log"
        for previous in ("true", None):
            try:
                text = await self._get_text(
                    path, upload_id, container=container, previous=previous, tailLines=_CRASH_LOG_LINES
                )
            except KubernetesError:
                continue
            if text.strip():
                return text.rstrip("\n").splitlines()[-_CRASH_LOG_LINES:]
        return []

    async def _get_text(self, path: str, upload_id: str | None, **params: Any) -> str:
        with _translate(f"get {path}", upload_id):
            response = await self._http.get(path, params={k: v for k, v in params.items() if v is not None})
            response.raise_for_status()
            return response.text

    # -- status and logs -----------------------------------------------------------------------------

    async def service_endpoint(self, upload_id: str, *, namespace: str | None = None) -> ServiceEndpoint:
        """The upload's Service: name, ClusterIP and port."""
        ns = self._ns(namespace)
        services = await self._list(Service, ns, upload_id)
        if not services:
            raise KubernetesError(f"no Service of upload {upload_id} in namespace {ns}", status=404)
        service = services[0]
        spec = service.spec
        port = spec.ports[0].port if spec and spec.ports else 80
        return ServiceEndpoint(service.metadata.name, ns, spec.clusterIP if spec else None, port)

    async def service_get(self, service: str, port: int, path: str, *, namespace: str | None = None) -> int:
        """GET `path` of a Service through the API server's service proxy; the HTTP status it answered.

        Works wherever the API server is reachable, without cluster DNS or a route to ClusterIPs.
        """
        ns = self._ns(namespace)
        url = f"/api/v1/namespaces/{ns}/services/{service}:{port}/proxy{path}"
        with _translate(f"GET {path} via Service/{service}", None):
            response = await self._http.get(url)
        return response.status_code

    async def service_request(
        self,
        service: str,
        port: int,
        method: str,
        path: str,
        *,
        params: Sequence[tuple[str, str]] = (),
        headers: Mapping[str, str] | None = None,
        content: bytes = b"",
        namespace: str | None = None,
        max_body: int = 5 * 1024 * 1024,
        timeout: float = 30.0,
    ) -> ProxiedResponse:
        """Any request to a Service through the API server's service proxy; the body read up to
        `max_body` bytes. `path` is already percent-encoded and free of dot segments (the caller checks)."""
        ns = self._ns(namespace)
        url = f"/api/v1/namespaces/{ns}/services/{service}:{port}/proxy{path}"
        started = time.monotonic()
        chunks: list[bytes] = []
        size, truncated = 0, False
        with _translate(f"{method} {path} via Service/{service}", None):
            async with self._http.stream(
                method,
                url,
                params=list(params),
                headers=dict(headers or {}),
                content=content or None,
                timeout=timeout,
            ) as response:
                async for chunk in response.aiter_bytes():
                    chunks.append(chunk[: max_body - size])
                    size += len(chunks[-1])
                    if size >= max_body:
                        truncated = True
                        break
        return ProxiedResponse(
            status=response.status_code,
            headers=tuple(response.headers.items()),
            body=b"".join(chunks),
            seconds=time.monotonic() - started,
            truncated=truncated,
        )

    async def pod_status(self, upload_id: str, *, namespace: str | None = None) -> list[PodInfo]:
        pods = await self._list(Pod, self._ns(namespace), upload_id)
        return sorted((pod_info(p) for p in pods), key=lambda info: info.name)

    async def workload_status(self, upload_id: str, *, namespace: str | None = None) -> WorkloadStatus:
        """Replica counts and pods read from the cluster now (never a stored copy)."""
        ns = self._ns(namespace)
        deployments, pods = await asyncio.gather(
            self._list(Deployment, ns, upload_id), self.pod_status(upload_id, namespace=ns)
        )
        if not deployments:
            return WorkloadStatus(None, 0, 0, 0, 0, tuple(pods))
        deployment = deployments[0]
        spec, status = deployment.spec, deployment.status
        return WorkloadStatus(
            deployment=deployment.metadata.name,
            desired=(spec.replicas if spec and spec.replicas is not None else 1),
            ready=(status.readyReplicas or 0) if status else 0,
            updated=(status.updatedReplicas or 0) if status else 0,
            available=(status.availableReplicas or 0) if status else 0,
            pods=tuple(pods),
        )

    async def logs(
        self,
        upload_id: str,
        *,
        follow: bool = False,
        tail: int | None = None,
        since: int | None = None,
        timestamps: bool = False,
        namespace: str | None = None,
        discover_every: float = 2.0,
    ) -> AsyncIterator[LogLine]:
        """Log lines of every started pod of the upload (with `timestamps`, each opens with the RFC 3339
        time the container wrote it, as Kubernetes records it).

        With ``follow`` the lines of all pods are interleaved as they come, and pods that start later
        (a scale-up, a rollout, a restarted container) join from their first line, like stern does;
        the stream ends once the upload has no pod left. ``tail``/``since`` apply to the pods running
        when the call starts.
        """
        ns = self._ns(namespace)
        if not follow:
            for pod in [p for p in await self.pod_status(upload_id, namespace=ns) if _started(p)]:
                with _translate(f"logs of Pod/{pod.name}", upload_id):
                    async for line in self._kube.log(
                        pod.name,
                        namespace=ns,
                        container=CONTAINER_NAME,
                        tail_lines=tail,
                        since=since,
                        timestamps=timestamps,
                        newlines=False,
                    ):
                        yield LogLine(pod.name, line)
            return
        queue: asyncio.Queue[LogLine | BaseException | None] = asyncio.Queue(maxsize=1000)
        # One stream per container run: (pod, restart count) → its task.
        pumps: dict[tuple[str, int], asyncio.Task[None]] = {}

        async def pump(name: str, tail_lines: int | None, since_seconds: int | None) -> None:
            try:
                with _translate(f"follow logs of Pod/{name}", upload_id):
                    async for line in self._kube.log(
                        name,
                        namespace=ns,
                        container=CONTAINER_NAME,
                        follow=True,
                        tail_lines=tail_lines,
                        since=since_seconds,
                        timestamps=timestamps,
                        newlines=False,
                    ):
                        await queue.put(LogLine(name, line))
            except JustPushError as exc:
                # A pod that went away (scale-down, rollout) or a container that stopped ends its stream
                # (its next run is discovered); an error about a running container is the caller's.
                pods = await self.pod_status(upload_id, namespace=ns)
                if any(p.name == name and _running(p) for p in pods):
                    await queue.put(exc)

        async def discover() -> None:
            first = True
            try:
                while True:
                    pods = await self.pod_status(upload_id, namespace=ns)
                    for pod in pods:
                        key = (pod.name, pod.restarts)
                        if _started(pod) and key not in pumps:
                            window = (tail, since) if first else (None, None)
                            pumps[key] = asyncio.create_task(pump(pod.name, *window))
                    first = False
                    if not pods and all(task.done() for task in pumps.values()):
                        await queue.put(None)
                        return
                    await asyncio.sleep(discover_every)
            except JustPushError as exc:
                await queue.put(exc)

        watcher = asyncio.create_task(discover())
        try:
            while (item := await queue.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            tasks = [watcher, *pumps.values()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    # -- changes -------------------------------------------------------------------------------------

    async def scale(
        self, upload_id: str, replicas: int, *, max_replicas: int | None = None, namespace: str | None = None
    ) -> None:
        """Set the replica count; with an HPA, its minimum (and its maximum when given or too low)."""
        if replicas < 0:
            raise KubernetesError("replicas must not be negative")
        ns = self._ns(namespace)
        info = await self._cluster()
        hpa_kinds: dict[str, _NamespacedKind] = {
            "autoscaling/v2": HorizontalPodAutoscaler,
            "autoscaling/v2beta2": HorizontalPodAutoscalerV2beta2,
        }
        hpa_kind = hpa_kinds.get(info.hpa_api_version or "")
        hpas = await self._list(hpa_kind, ns, upload_id) if hpa_kind is not None else []
        low, high = replicas, replicas
        if hpas:
            hpa = hpas[0]
            spec = hpa.spec if isinstance(hpa.spec, dict) else hpa.spec.to_dict()
            current_max = int(spec.get("maxReplicas", replicas))
            new_max = max_replicas if max_replicas is not None else max(current_max, replicas)
            low, high = max(replicas, 1), max(new_max, replicas, 1)
            with _translate(f"scale HPA/{hpa.metadata.name}", upload_id):
                await self._kube.patch(
                    hpa_kind,  # type: ignore[arg-type]
                    hpa.metadata.name,
                    {"spec": {"minReplicas": low, "maxReplicas": high}},
                    namespace=ns,
                    patch_type=PatchType.MERGE,
                )
        deployments = await self._list(Deployment, ns, upload_id)
        if not deployments:
            raise KubernetesError(f"no Deployment of upload {upload_id} in namespace {ns}", status=404)
        for deployment in deployments:
            current = deployment.spec.replicas if deployment.spec else None
            # The HPA would move the count into its new range at its next sync; scale takes effect now.
            target = (
                replicas if not hpas or current is None or replicas == 0 else min(max(current, low), high)
            )
            if current == target:
                continue
            with _translate(f"scale Deployment/{deployment.metadata.name}", upload_id):
                await self._kube.patch(
                    Deployment,
                    deployment.metadata.name,
                    {"spec": {"replicas": target}},
                    namespace=ns,
                    patch_type=PatchType.MERGE,
                )

    async def set_env(
        self,
        app: AppDeployment,
        options: ManifestOptions,
        *,
        env: Mapping[str, str] | None = None,
        secrets: Mapping[str, str] | None = None,
        unset: Sequence[str] = (),
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> tuple[AppDeployment, list[Manifest]]:
        """Change environment variables and roll the pods; returns the new app and manifests to store."""
        values = {e.name: e for e in app.env if e.name not in set(unset)}
        values.update({k: EnvEntry(k, v) for k, v in (env or {}).items()})
        values.update({k: EnvEntry(k, v, secret=True) for k, v in (secrets or {}).items()})
        updated = replace(app, env=tuple(sorted(values.values(), key=lambda e: e.name)))
        objects = render_manifests(updated, options)
        await self.apply_revision(objects)
        await self.wait_rollout(app.upload_id, timeout, on_progress, namespace=options.namespace)
        return updated, objects

    # -- delete --------------------------------------------------------------------------------------

    async def delete(
        self,
        upload_id: str,
        *,
        namespace: str | None = None,
        timeout: float = 120.0,
        progress: DeleteProgress | None = None,
    ) -> None:
        """Delete every object of the upload and wait until they and their pods are gone, telling
        `progress` what is still there (pods terminating, objects going, the namespace) as it changes.

        The namespace-wide ResourceQuota/LimitRange, and the namespace itself when JustPush created it,
        go with the last upload in the namespace.
        """
        ns = self._ns(namespace)
        kinds = await self._managed_kinds()
        for kind in kinds:
            for obj in await self._list(kind, ns, upload_id, missing_ok=True):
                await self._delete_one(kind, obj, upload_id)
        await self._wait_gone([*kinds, ReplicaSet, Pod], ns, upload_id, timeout, progress)
        if await self._other_workloads(ns, upload_id):
            _log.info(
                "namespace %s still holds other workloads; namespace policies kept",
                ns,
                extra={"stage": "delete", "upload_id": upload_id},
            )
            return
        managed = {MANAGED_BY_LABEL: MANAGED_BY}
        for kind in _NAMESPACE_KINDS:
            for obj in await self._list(kind, ns, upload_id, missing_ok=True, labels=managed):
                await self._delete_one(kind, obj, upload_id)
        await self._delete_namespace(ns, upload_id, timeout, progress)

    async def _wait_gone(
        self,
        kinds: Sequence[_NamespacedKind],
        ns: str,
        upload_id: str,
        timeout: float,
        progress: DeleteProgress | None,
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        told = ""
        while True:
            left = [
                (k.__name__, o.metadata.name or "")
                for k in kinds
                for o in await self._list(k, ns, upload_id, missing_ok=True)
            ]
            if not left:
                return
            message = deletion_wait_message(left)
            if progress is not None and message != told:
                await progress(message)
                told = message
            if loop.time() >= deadline:
                raise KubernetesError(
                    f"objects of upload {upload_id} still present after {timeout:.0f}s: "
                    + ", ".join(sorted(f"{kind}/{name}" for kind, name in left))
                )
            await asyncio.sleep(self._poll)

    async def _other_workloads(self, ns: str, upload_id: str) -> bool:
        kinds: tuple[_NamespacedKind, ...] = (Deployment, Pod, Service)
        for kind in kinds:
            with _translate(f"list {kind.__name__} in {ns}", upload_id, level=logging.DEBUG):
                objects: list[Any] = [o async for o in self._kube.list(kind, namespace=ns)]
            if any((o.metadata.labels or {}).get(UPLOAD_LABEL) != upload_id for o in objects):
                return True
        return False

    async def _delete_namespace(
        self, ns: str, upload_id: str, timeout: float, progress: DeleteProgress | None
    ) -> None:
        try:
            with _translate(f"get Namespace/{ns}", upload_id):
                existing = await self._kube.get(Namespace, ns)
        except KubernetesError as exc:
            if exc.status in (403, 404):
                return
            raise
        if ((existing.metadata.labels if existing.metadata else None) or {}).get(
            MANAGED_BY_LABEL
        ) != MANAGED_BY:
            return
        try:
            with _translate(f"delete Namespace/{ns}", upload_id):
                await self._kube.delete(Namespace, ns)
        except KubernetesError as exc:
            if exc.status == 404:
                return
            raise
        if progress is not None:
            await progress(f"waiting for namespace {ns} to go (JustPush made it, and it is now empty)")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            try:
                with _translate(f"get Namespace/{ns}", upload_id, level=logging.DEBUG):
                    await self._kube.get(Namespace, ns)
            except KubernetesError as exc:
                if exc.status == 404:
                    return
                raise
            await asyncio.sleep(self._poll)
        raise KubernetesError(f"namespace {ns} still terminating after {timeout:.0f}s")

    # -- usage ---------------------------------------------------------------------------------------

    async def usage(self, upload_id: str, *, namespace: str | None = None) -> list[PodUsage]:
        """CPU and memory per pod: metrics.k8s.io when served, else the kubelet summary API (node proxy)."""
        ns = self._ns(namespace)
        if (await self._cluster()).metrics_api:
            return await self._usage_from_metrics(ns, upload_id)
        pods = await self.pod_status(upload_id, namespace=ns)
        wanted = {p.name for p in pods}
        result: list[PodUsage] = []
        for node in sorted({p.node for p in pods if p.node}):
            summary = await self._get_json(
                f"/api/v1/nodes/{node}/proxy/stats/summary", f"summary of node {node}", upload_id
            )
            for entry in summary.get("pods", []):
                ref = entry.get("podRef", {})
                if ref.get("namespace") == ns and ref.get("name") in wanted:
                    result.append(
                        PodUsage(
                            pod=ref["name"],
                            cpu_nanocores=int((entry.get("cpu") or {}).get("usageNanoCores") or 0),
                            memory_bytes=int((entry.get("memory") or {}).get("workingSetBytes") or 0),
                        )
                    )
        return sorted(result, key=lambda u: u.pod)

    async def _usage_from_metrics(self, ns: str, upload_id: str) -> list[PodUsage]:
        result = []
        for metrics in await self._list(PodMetrics, ns, upload_id):
            containers = metrics.get("containers") or []
            result.append(
                PodUsage(
                    pod=metrics.metadata.name,
                    cpu_nanocores=sum(cpu_nanocores(c["usage"]["cpu"]) for c in containers),
                    memory_bytes=sum(memory_bytes(c["usage"]["memory"]) for c in containers),
                )
            )
        return sorted(result, key=lambda u: u.pod)


def _retry_watch(_error: Exception, count: int) -> OnErrorResult:
    """Reconnect a broken watch after a second, a few times; then stop (the caller re-reads anyway)."""
    if count > 5:
        return OnErrorResult(OnErrorAction.STOP)
    return OnErrorResult(OnErrorAction.RETRY, sleep=1.0)


def _job_finished(job: Job) -> str | None:
    """'Complete' or the reason a Job failed (DeadlineExceeded, BackoffLimitExceeded); None while it runs."""
    for cond in (job.status.conditions or []) if job.status else []:
        if cond.status == "True" and cond.type == "Complete":
            return "Complete"
        if cond.status == "True" and cond.type == "Failed":
            return cond.reason or "Failed"
    return None


def _container_state(pod: Pod) -> tuple[str, str | None] | None:
    """The app container's state: ("running", None), ("terminated", "exit code N") or ("waiting", reason)."""
    statuses = (pod.status.containerStatuses or []) if pod.status else []
    for status in statuses:
        if status.name != CONTAINER_NAME or status.state is None:
            continue
        if status.state.terminated is not None:
            return "terminated", f"exit code {status.state.terminated.exitCode}"
        if status.state.running is not None:
            return "running", None
        if status.state.waiting is not None:
            return "waiting", status.state.waiting.reason
    return None


def _job_error(name: str, reason: str, tail: list[str]) -> KubernetesError:
    message = f"Job {name} failed: {reason}"
    if tail:
        message += "; last log lines:\n" + "\n".join(tail)
    return KubernetesError(message, detail=reason, details={"job": name, "log_tail": tail})


def _running(pod: PodInfo) -> bool:
    return any(c.state == "running" for c in pod.containers)


def _started(pod: PodInfo) -> bool:
    """Only a container that ran has logs; asking for the others is an error."""
    return any(c.state != "waiting" or c.restarts > 0 for c in pod.containers)


__all__ = ["K8sClient", "ProgressCallback"]
