"""The DeploymentManager: durable jobs that join scan, build, push, Kubernetes and Kong.

    submit_job()  →  deployment_jobs row (queued) + status PENDING        (caller's transaction)
    PipelineWorker  claims it → flows.deploy | redeploy | rollback | delete → events + transitions
                    and queues a `gateway` job (flows.settle_gateway) for what Kong owes (`_owed`)
    EventBroker     wakes SSE readers; the events table is the source of truth

Statuses and their allowed transitions live in `_status`; `transition()` is the only way a status
changes. See `flows` for what each failure undoes.
"""

from ._events import EventBroker, transition
from ._export import gitops_files, gitops_message, terraform_files
from ._gitops import GitopsTarget, gitops_target, publish_revision
from ._options import (
    AutoscalingOptions,
    DeployOptions,
    RateLimitOptions,
    RedeployOptions,
    ResourceOptions,
    RollbackOptions,
    ScaleOptions,
)
from ._services import Services, open_services
from ._smoke import SmokeResult, smoke_paths
from ._status import SERVING, TERMINAL, DeploymentStatus, check_transition
from ._worker import CANCELLABLE_KINDS, PipelineWorker, ServicesFactory, job_conflict, submit_job

__all__ = [
    "CANCELLABLE_KINDS",
    "SERVING",
    "TERMINAL",
    "AutoscalingOptions",
    "DeployOptions",
    "DeploymentStatus",
    "EventBroker",
    "GitopsTarget",
    "PipelineWorker",
    "RateLimitOptions",
    "RedeployOptions",
    "ResourceOptions",
    "RollbackOptions",
    "ScaleOptions",
    "Services",
    "ServicesFactory",
    "SmokeResult",
    "check_transition",
    "gitops_files",
    "gitops_message",
    "gitops_target",
    "job_conflict",
    "open_services",
    "publish_revision",
    "smoke_paths",
    "submit_job",
    "terraform_files",
    "transition",
]
