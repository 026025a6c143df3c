"""The release Job: rendered from the app Deployment, valid for the API server, never taken for the app."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import kubernetes_validate
import pytest
from lightkube.resources.apps_v1 import Deployment

from justpush.errors import GenerationError
from justpush.k8s import (
    AppDeployment,
    ManifestOptions,
    dump_yaml,
    load_yaml,
    release_job_name,
    render_manifests,
    render_release_job,
)

UPLOAD_LABEL = "justpush.io/upload-id"


def _deployment(app: AppDeployment, options: ManifestOptions) -> Deployment:
    (deployment,) = [o for o in render_manifests(app, options) if isinstance(o, Deployment)]
    return deployment


def _job(app: AppDeployment, options: ManifestOptions, command: tuple[str, ...]) -> dict[str, Any]:
    deployment = _deployment(app, options)
    assert deployment.metadata is not None and deployment.metadata.name is not None
    job = render_release_job(
        deployment,
        command,
        name=release_job_name(deployment.metadata.name, "job-1"),
        active_deadline_seconds=600,
        ttl_seconds_after_finished=3600,
    )
    data: dict[str, Any] = job.to_dict()
    return data


@pytest.mark.parametrize("writable", [(), ("uploads",)])
def test_the_release_job_runs_like_the_app_with_its_command(
    app: AppDeployment, options: ManifestOptions, writable: tuple[str, ...]
) -> None:
    app = replace(app, writable_paths=writable)
    deployment = _deployment(app, options).to_dict()
    job = _job(app, options, ("python", "manage.py", "migrate", "--noinput"))
    kubernetes_validate.validate(job, kubernetes_validate.latest_version(), strict=True)

    assert (job["apiVersion"], job["kind"]) == ("batch/v1", "Job")
    spec = job["spec"]
    assert (spec["backoffLimit"], spec["activeDeadlineSeconds"], spec["ttlSecondsAfterFinished"]) == (
        0,
        600,
        3600,
    )
    assert job["metadata"]["namespace"] == "orders"
    assert job["metadata"]["labels"][UPLOAD_LABEL] == app.upload_id
    assert len(job["metadata"]["name"]) <= 52

    pod, app_pod = spec["template"]["spec"], deployment["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    (container,), (app_container,) = pod["containers"], app_pod["containers"]
    assert container["command"] == ["python", "manage.py", "migrate", "--noinput"]
    for key in ("ports", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle"):
        assert key not in container
    # The same image, env (ConfigMap/Secret references), limits and security as the app.
    for key in ("image", "env", "resources", "securityContext", "volumeMounts"):
        assert container.get(key) == app_container.get(key), key
    for key in (
        "securityContext",
        "volumes",
        "initContainers",
        "imagePullSecrets",
        "automountServiceAccountToken",
    ):
        assert pod.get(key) == app_pod.get(key), key
    assert any("secretKeyRef" in (e.get("valueFrom") or {}) for e in container["env"])


def test_the_release_pod_is_never_selected_as_the_app(app: AppDeployment, options: ManifestOptions) -> None:
    selector = _deployment(app, options).to_dict()["spec"]["selector"]["matchLabels"]
    pod_labels = _job(app, options, ("true",))["spec"]["template"]["metadata"]["labels"]
    assert not set(selector.items()) <= set(pod_labels.items())
    assert UPLOAD_LABEL not in pod_labels


def test_release_job_names_are_per_run_and_fit(app: AppDeployment) -> None:
    long = "a" * 55
    assert release_job_name(long, "run-1") != release_job_name(long, "run-2")
    assert release_job_name(long, "run-1") == release_job_name(long, "run-1")
    assert len(release_job_name(long, "run-1")) <= 52


def test_the_job_round_trips_through_yaml(app: AppDeployment, options: ManifestOptions) -> None:
    deployment = _deployment(app, options)
    job = render_release_job(
        deployment,
        ("alembic", "upgrade", "head"),
        name="x-release-1",
        active_deadline_seconds=60,
        ttl_seconds_after_finished=60,
    )
    (loaded,) = load_yaml(dump_yaml([job]))
    assert loaded.to_dict() == job.to_dict()  # type: ignore[attr-defined]


def test_an_empty_command_is_refused(app: AppDeployment, options: ManifestOptions) -> None:
    with pytest.raises(GenerationError, match="needs a command"):
        render_release_job(
            _deployment(app, options), (), name="x", active_deadline_seconds=60, ttl_seconds_after_finished=60
        )
