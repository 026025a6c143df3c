"""The release Job: the app's release command (migrations) run once with the new image before the rollout.

Rendered from the app's own Deployment, so it runs exactly like the app — the same image, env (the same
ConfigMap/Secret references), securityContext, resources, writable volumes and pull secrets — but with
the release command, no ports or probes, and one attempt (`backoffLimit: 0`) bounded in time.

The Job carries the upload-id label (delete and undo find it by it); its pod carries neither that nor the
app's selector labels, so the app's Service, PDB and NetworkPolicy never select it, it never takes
traffic, and rollout checks and `status` see only the app's pods. The Job's deletion removes its pod.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Sequence

from lightkube.models.batch_v1 import JobSpec
from lightkube.models.core_v1 import PodTemplateSpec
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.batch_v1 import Job

from justpush.errors import GenerationError

from ._names import MANAGED_BY, MANAGED_BY_LABEL, UPLOAD_LABEL, check_label_value
from ._render import CONTAINER_NAME

COMPONENT_LABEL = "app.kubernetes.io/component"
RELEASE_COMPONENT = "release"
# Set on a Job's pods by the Job controller.
JOB_NAME_LABEL = "job-name"
# A Job name must leave room for the pod name suffix the Job controller adds (-xxxxx) within 63.
_NAME_MAX = 52


def release_job_name(deployment: str, run_id: str) -> str:
    """`<deployment>-release-<8 hex>`: one name per run, since a Job's pod template cannot change."""
    digest = hashlib.sha256(run_id.encode()).hexdigest()[:8]
    head = deployment[: _NAME_MAX - len("-release-") - len(digest)].rstrip("-")
    return f"{head}-release-{digest}"


def render_release_job(
    deployment: Deployment,
    command: Sequence[str],
    *,
    name: str,
    active_deadline_seconds: int,
    ttl_seconds_after_finished: int,
) -> Job:
    """The Job running ``command`` (exec form) in a pod like the one of ``deployment`` (rendered)."""
    if not command:
        raise GenerationError("a release Job needs a command")
    meta = deployment.metadata
    spec = deployment.spec
    if meta is None or spec is None or spec.template.spec is None:
        raise GenerationError("a release Job is rendered from a complete Deployment")
    upload_id = (meta.labels or {}).get(UPLOAD_LABEL)
    if upload_id is None:
        raise GenerationError(f"Deployment {meta.name} has no {UPLOAD_LABEL} label")
    labels = {
        COMPONENT_LABEL: RELEASE_COMPONENT,
        MANAGED_BY_LABEL: MANAGED_BY,
        UPLOAD_LABEL: check_label_value(UPLOAD_LABEL, upload_id),
    }
    pod = copy.deepcopy(spec.template.spec)
    (container,) = [c for c in pod.containers if c.name == CONTAINER_NAME]
    container.command = list(command)
    container.args = None
    container.ports = None
    container.livenessProbe = container.readinessProbe = container.startupProbe = None
    container.lifecycle = None
    pod.restartPolicy = "Never"
    annotations = dict((spec.template.metadata.annotations or {}) if spec.template.metadata else {})
    return Job(
        metadata=ObjectMeta(name=name, namespace=meta.namespace, labels=dict(sorted(labels.items()))),
        spec=JobSpec(
            backoffLimit=0,
            activeDeadlineSeconds=active_deadline_seconds,
            ttlSecondsAfterFinished=ttl_seconds_after_finished,
            template=PodTemplateSpec(
                metadata=ObjectMeta(
                    labels={COMPONENT_LABEL: RELEASE_COMPONENT, MANAGED_BY_LABEL: MANAGED_BY},
                    annotations=annotations or None,
                ),
                spec=pod,
            ),
        ),
    )
