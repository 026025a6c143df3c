"""Reading rollout state: progress counts, the current ReplicaSet, and why pods are not coming up (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, cast, get_args

from lightkube.models.core_v1 import ContainerStatus
from lightkube.resources.apps_v1 import Deployment, ReplicaSet
from lightkube.resources.core_v1 import Endpoints, Event, Pod

from ._model import ContainerState, PodInfo, RolloutProgress, Runtime
from ._quantity import memory_bytes
from ._render import RUNTIME_ANNOTATION, SIZE_ANNOTATION
from ._sizes import default_resources, fitting_size

RUNTIMES = frozenset(get_args(Runtime))

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
TEMPLATE_HASH_LABEL = "pod-template-hash"

ProblemKind = Literal["image", "crash", "unschedulable", "quota", "forbidden", "config", "deadline", "failed"]

# Waiting reasons that are final as soon as they appear, and those that may clear up on their own.
_IMMEDIATE = {
    "ImagePullBackOff": "image",
    "InvalidImageName": "image",
    "ErrImageNeverPull": "image",
    "CrashLoopBackOff": "crash",
}
_TRANSIENT = {
    "ErrImagePull": "image",
    "CreateContainerConfigError": "config",
    "CreateContainerError": "config",
    "RunContainerError": "config",
}


@dataclass(frozen=True)
class Problem:
    """Why a rollout is stuck. `immediate` problems fail at once, the others after a grace period."""

    key: str
    kind: ProblemKind
    message: str
    immediate: bool
    pod: str | None = None
    container: str | None = None


def progress_of(deployment: Deployment, events: tuple[str, ...] = ()) -> RolloutProgress:
    spec_replicas = (
        deployment.spec.replicas if deployment.spec and deployment.spec.replicas is not None else 1
    )
    status = deployment.status
    return RolloutProgress(
        deployment=deployment.metadata.name or "" if deployment.metadata else "",
        desired=spec_replicas,
        updated=(status.updatedReplicas or 0) if status else 0,
        ready=(status.readyReplicas or 0) if status else 0,
        available=(status.availableReplicas or 0) if status else 0,
        events=events,
        done=rollout_complete(deployment),
    )


def rollout_complete(deployment: Deployment) -> bool:
    """The same test as `kubectl rollout status`."""
    meta, spec, status = deployment.metadata, deployment.spec, deployment.status
    if meta is None or spec is None or status is None:
        return False
    if (status.observedGeneration or 0) < (meta.generation or 0):
        return False
    desired = spec.replicas if spec.replicas is not None else 1
    updated = status.updatedReplicas or 0
    if updated < desired:
        return False
    if (status.replicas or 0) > updated:
        return False
    return (status.availableReplicas or 0) >= updated


def current_replicaset(deployment: Deployment, replicasets: Iterable[ReplicaSet]) -> ReplicaSet | None:
    """The ReplicaSet of the deployment's newest revision, if the controller created it yet."""
    meta = deployment.metadata
    if meta is None:
        return None
    revision = (meta.annotations or {}).get(REVISION_ANNOTATION)
    for rs in replicasets:
        rs_meta = rs.metadata
        if rs_meta is None:
            continue
        owned = any(ref.uid == meta.uid for ref in rs_meta.ownerReferences or [])
        if (
            owned
            and revision is not None
            and (rs_meta.annotations or {}).get(REVISION_ANNOTATION) == revision
        ):
            return rs
    return None


def routed(current: Iterable[Pod], endpoints: Iterable[Endpoints]) -> bool:
    """Whether the Service already sends traffic to a pod of the current revision: a pod turns ready a
    moment before the endpoints controller adds it, and until then a request finds no endpoint or an
    old pod. Without an Endpoints object (no Service, or one the cluster does not label) there is
    nothing to wait for."""
    endpoints = list(endpoints)
    if not endpoints:
        return True
    names = {p.metadata.name for p in current if p.metadata is not None}
    return any(
        address.targetRef is not None and address.targetRef.name in names
        for item in endpoints
        for subset in item.subsets or []
        for address in subset.addresses or []
    )


def pods_of(replicaset: ReplicaSet | None, pods: Iterable[Pod]) -> list[Pod]:
    """Live pods of the current revision (all live pods while the ReplicaSet is unknown)."""
    live = [p for p in pods if p.metadata is not None and p.metadata.deletionTimestamp is None]
    if replicaset is None or replicaset.metadata is None:
        return live
    wanted = (replicaset.metadata.labels or {}).get(TEMPLATE_HASH_LABEL)
    return [p for p in live if (p.metadata.labels or {}).get(TEMPLATE_HASH_LABEL) == wanted]  # type: ignore[union-attr]


def _out_of_memory(pod: Pod, container: str) -> str:
    """What an OOM kill means for this app: the limit it hit and the size preset that would fit."""
    spec = next((c for c in (pod.spec.containers if pod.spec else []) if c.name == container), None)
    limit = ((spec.resources.limits or {}) if spec and spec.resources else {}).get("memory")
    if limit is None:
        return "it ran out of memory (OOMKilled)"
    annotations = (pod.metadata.annotations or {}) if pod.metadata else {}
    runtime = annotations.get(RUNTIME_ANNOTATION, "unknown")
    size = annotations.get(SIZE_ANNOTATION)
    advice = "set a higher resources.memory_limit"
    if runtime in RUNTIMES:
        bigger = fitting_size(cast(Runtime, runtime), memory_bytes(limit))
        if bigger is not None and bigger != size:
            limit_of_bigger = default_resources(cast(Runtime, runtime), bigger).memory_limit
            advice = f"deploy with size {bigger} ({limit_of_bigger}) or {advice}"
    return f"it ran out of memory (OOMKilled) at its limit of {limit}; {advice}"


def _container_problems(pod: Pod, statuses: Sequence[ContainerStatus]) -> list[Problem]:
    pod_name = pod.metadata.name or "" if pod.metadata else ""
    problems: list[Problem] = []
    for cs in statuses:
        waiting = cs.state.waiting if cs.state else None
        if waiting is None or waiting.reason is None:
            continue
        reason = waiting.reason
        detail = waiting.message or ""
        if reason in _IMMEDIATE or reason in _TRANSIENT:
            kind: ProblemKind = _IMMEDIATE.get(reason) or _TRANSIENT[reason]  # type: ignore[assignment]
            if kind == "image":
                message = f"image {cs.image} cannot be pulled ({reason}) in pod {pod_name}: {detail}".rstrip(
                    ": "
                )
            elif kind == "crash":
                last = cs.lastState.terminated if cs.lastState else None
                exit_info = f", last exit code {last.exitCode}" if last is not None else ""
                if last is not None and last.reason:
                    exit_info += f" ({last.reason})"
                message = (
                    f"container {cs.name} of pod {pod_name} keeps crashing "
                    f"(CrashLoopBackOff, {cs.restartCount} restarts{exit_info})"
                )
                if last is not None and last.reason == "OOMKilled":
                    message += ": " + _out_of_memory(pod, cs.name)
            else:
                message = f"container {cs.name} of pod {pod_name} cannot start ({reason}): {detail}".rstrip(
                    ": "
                )
            problems.append(
                Problem(
                    key=f"{pod_name}/{cs.name}/{reason}",
                    kind=kind,
                    message=message,
                    immediate=reason in _IMMEDIATE,
                    pod=pod_name,
                    container=cs.name,
                )
            )
    return problems


def _pod_problems(pod: Pod) -> list[Problem]:
    name = pod.metadata.name or "" if pod.metadata else ""
    status = pod.status
    if status is None:
        return []
    problems = _container_problems(
        pod, [*(status.initContainerStatuses or []), *(status.containerStatuses or [])]
    )
    for cond in status.conditions or []:
        if cond.type == "PodScheduled" and cond.status == "False" and cond.reason == "Unschedulable":
            problems.append(
                Problem(
                    key=f"{name}/unschedulable",
                    kind="unschedulable",
                    message=f"pod {name} cannot be scheduled: {cond.message or 'no node fits'}",
                    immediate=False,
                    pod=name,
                )
            )
    if status.phase == "Failed":
        problems.append(
            Problem(
                key=f"{name}/failed",
                kind="failed",
                message=f"pod {name} failed: {status.reason or ''} {status.message or ''}".strip(),
                immediate=True,
                pod=name,
            )
        )
    return problems


def _creation_problem(source: str, message: str) -> Problem:
    if "exceeded quota" in message:
        return Problem(
            key=f"{source}/quota",
            kind="quota",
            message=f"the namespace ResourceQuota does not allow the pods of {source}: {message}",
            immediate=True,
        )
    if "forbidden" in message.lower():
        return Problem(
            key=f"{source}/forbidden",
            kind="forbidden",
            message=f"the cluster refuses to create the pods of {source}: {message}",
            immediate=True,
        )
    return Problem(
        key=f"{source}/create",
        kind="failed",
        message=f"pods of {source} cannot be created: {message}",
        immediate=False,
    )


def diagnose(
    deployment: Deployment,
    replicasets: Sequence[ReplicaSet],
    pods: Sequence[Pod],
) -> list[Problem]:
    """Everything that keeps the current revision from becoming ready, most decisive first.

    Creation failures are read from the ReplicaSet's ReplicaFailure condition, which the controller
    clears once pods can be created, rather than from events, which outlive the problem.
    """
    problems: list[Problem] = []
    for cond in (deployment.status.conditions or []) if deployment.status else []:
        if cond.type == "Progressing" and cond.reason == "ProgressDeadlineExceeded":
            problems.append(
                Problem(
                    key="deadline",
                    kind="deadline",
                    message=cond.message or "progress deadline exceeded",
                    immediate=True,
                )
            )
    rs = current_replicaset(deployment, replicasets)
    rs_name = rs.metadata.name if rs is not None and rs.metadata is not None else None
    if rs is not None and rs.status is not None:
        for rs_cond in rs.status.conditions or []:
            if rs_cond.type == "ReplicaFailure" and rs_cond.status == "True":
                problems.append(
                    _creation_problem(f"ReplicaSet/{rs_name}", rs_cond.message or rs_cond.reason or "")
                )
    for pod in sorted(pods_of(rs, pods), key=lambda p: p.metadata.name or "" if p.metadata else ""):
        problems.extend(_pod_problems(pod))
    order = ["quota", "forbidden", "image", "crash", "config", "unschedulable", "failed", "deadline"]
    unique = {p.key: p for p in problems}
    return sorted(unique.values(), key=lambda p: (order.index(p.kind), p.key))


def _event_time(event: Event) -> datetime:
    for value in (event.lastTimestamp, event.eventTime, event.firstTimestamp):
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
    created = event.metadata.creationTimestamp if event.metadata else None
    return created if isinstance(created, datetime) else datetime.min.replace(tzinfo=UTC)


def relevant_events(events: Iterable[Event], names: set[str]) -> list[Event]:
    """Events about the given object names (deployment, its ReplicaSets and pods), oldest first."""
    chosen = [e for e in events if e.involvedObject.name in names]
    return sorted(chosen, key=lambda e: (_event_time(e), e.metadata.name or "" if e.metadata else ""))


def describe_event(event: Event) -> str:
    ref = event.involvedObject
    return f"{ref.kind}/{ref.name}: {event.reason or ''}: {event.message or ''}".rstrip(": ")


def pod_info(pod: Pod) -> PodInfo:
    meta, spec, status = pod.metadata, pod.spec, pod.status
    containers: list[ContainerState] = []
    for cs in (status.containerStatuses or []) if status else []:
        state, reason, message = "waiting", None, None
        if cs.state and cs.state.running is not None:
            state = "running"
        elif cs.state and cs.state.terminated is not None:
            state, reason, message = "terminated", cs.state.terminated.reason, cs.state.terminated.message
        elif cs.state and cs.state.waiting is not None:
            reason, message = cs.state.waiting.reason, cs.state.waiting.message
        containers.append(
            ContainerState(
                name=cs.name,
                ready=cs.ready,
                restarts=cs.restartCount,
                state=state,
                reason=reason,
                message=message,
            )
        )
    ready = (
        any(c.type == "Ready" and c.status == "True" for c in (status.conditions or [])) if status else False
    )
    return PodInfo(
        name=meta.name or "" if meta else "",
        namespace=meta.namespace or "" if meta else "",
        phase=status.phase or "Unknown" if status else "Unknown",
        ready=ready,
        node=spec.nodeName if spec else None,
        containers=tuple(sorted(containers, key=lambda c: c.name)),
        reason=status.reason if status else None,
        message=status.message if status else None,
        terminating=bool(meta and meta.deletionTimestamp),
    )


def stalled_pods(pods: Iterable[Pod], events: Iterable[Event], limit: int = 3) -> list[str]:
    """Why a rollout ran out of time, pod by pod (at most ``limit``): the phase, each container that
    is not ready, and the pod's latest warning events (a failing probe says what it got)."""
    warnings: dict[str, list[Event]] = {}
    for event in events:
        if event.type == "Warning" and event.involvedObject.kind == "Pod":
            warnings.setdefault(event.involvedObject.name or "", []).append(event)
    infos = [pod_info(pod) for pod in pods]
    lines: list[str] = []
    for info in [i for i in infos if not i.ready and not i.terminating][:limit]:
        waiting = "; ".join(
            f"{c.name} {c.state}{f' ({c.reason})' if c.reason else ''}, {c.restarts} restart(s)"
            for c in info.containers
            if not c.ready
        )
        phase = info.phase or "Pending"
        lines.append(f"pod {info.name}: {phase}, not ready: {waiting or 'no container yet'}")
        for event in sorted(warnings.get(info.name, []), key=_event_time)[-3:]:
            times = f" (x{event.count})" if event.count and event.count > 1 else ""
            lines.append(f"  {event.reason or 'Warning'}: {(event.message or '').strip()}{times}")
    return lines
