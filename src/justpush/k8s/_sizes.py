"""What a size preset gives an app: requests and limits by runtime, a replica range and a CPU target."""

from __future__ import annotations

import re
from dataclasses import dataclass

from justpush.errors import GenerationError

from ._model import AppSize, Autoscaling, Resources, Runtime
from ._quantity import memory_bytes

_DEFAULT_RESOURCES: dict[Runtime, Resources] = {
    # The JVM reserves heap and metaspace up front and starts slowly: more memory, more CPU.
    "java": Resources(cpu_request="250m", memory_request="512Mi", cpu_limit="1000m", memory_limit="1024Mi"),
    "node": Resources(cpu_request="100m", memory_request="128Mi", cpu_limit="500m", memory_limit="512Mi"),
    "python": Resources(cpu_request="100m", memory_request="128Mi", cpu_limit="500m", memory_limit="512Mi"),
    "go": Resources(cpu_request="50m", memory_request="64Mi", cpu_limit="500m", memory_limit="256Mi"),
    "unknown": Resources(cpu_request="100m", memory_request="128Mi", cpu_limit="500m", memory_limit="512Mi"),
}
SIZES: tuple[AppSize, ...] = ("small", "medium", "large")
_SIZE_FACTOR: dict[AppSize, int] = {"small": 1, "medium": 2, "large": 4}
_QUANTITY = re.compile(r"^(\d+)(m|Mi|Gi)?$")


@dataclass(frozen=True)
class ReplicaRange:
    """The HPA a size gets by default: from `min_replicas` to `max_replicas` pods at `cpu_utilization` %."""

    min_replicas: int
    max_replicas: int
    cpu_utilization: int = 70


REPLICA_RANGES: dict[AppSize, ReplicaRange] = {
    "small": ReplicaRange(1, 3),
    "medium": ReplicaRange(2, 5),
    "large": ReplicaRange(3, 10),
}


def default_resources(runtime: Runtime, size: AppSize = "small") -> Resources:
    """Requests/limits by runtime, multiplied for medium (x2) and large (x4) apps."""
    factor = _SIZE_FACTOR[size]
    base = _DEFAULT_RESOURCES[runtime]
    return Resources(
        cpu_request=_scale(base.cpu_request, factor),
        memory_request=_scale(base.memory_request, factor),
        cpu_limit=_scale(base.cpu_limit, factor),
        memory_limit=_scale(base.memory_limit, factor),
    )


def _scale(quantity: str, factor: int) -> str:
    match = _QUANTITY.match(quantity)
    if match is None:
        raise GenerationError(f"cannot scale quantity {quantity!r}")
    return f"{int(match.group(1)) * factor}{match.group(2) or ''}"


def scaling_plan(
    size: AppSize,
    *,
    replicas: int | None = None,
    max_replicas: int | None = None,
    autoscaling: Autoscaling | bool | None = None,
) -> tuple[int, Autoscaling | None]:
    """The replica count and the HPA of a deployment.

    Every deployment gets the size's HPA unless it is turned off (``autoscaling=False``,
    ``max_replicas=0``) or the app is scaled to zero; ``replicas`` sets the HPA's minimum and
    ``max_replicas`` its maximum. An explicit `Autoscaling` is taken as it is.
    """
    if isinstance(autoscaling, Autoscaling):
        return autoscaling.min_replicas, autoscaling
    preset = REPLICA_RANGES[size]
    wanted = preset.min_replicas if replicas is None else replicas
    if autoscaling is False or max_replicas == 0 or wanted == 0:
        return wanted, None
    upper = max(preset.max_replicas if max_replicas is None else max_replicas, wanted)
    return wanted, Autoscaling(wanted, upper, preset.cpu_utilization)


def fitting_size(runtime: Runtime, memory_bytes_needed: int) -> AppSize | None:
    """The smallest size whose memory limit is above what the app needed, if any is."""
    for size in SIZES:
        if memory_bytes(default_resources(runtime, size).memory_limit) > memory_bytes_needed:
            return size
    return None
