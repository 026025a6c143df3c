"""Fixtures for the k8s integration tests: the testenv cluster, a throw-away namespace, a busybox app."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from justpush.config import KubernetesSettings
from justpush.k8s import AppDeployment, EnvEntry, ManifestOptions, Resources

# The app: busybox httpd serving a /health file it writes under /tmp (the only writable path),
# announcing GREETING on stdout so tests can see which configuration a pod started with.
HTTPD = (
    'mkdir -p /tmp/www && echo ok > /tmp/www/health && echo "started GREETING=$GREETING" '
    "&& exec httpd -f -v -p 8080 -h /tmp/www"
)
SPEC = {"openapi": "3.1.0", "paths": {"/health": {"get": {}}}}
SMALL = Resources(cpu_request="10m", memory_request="16Mi", cpu_limit="100m", memory_limit="32Mi")


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.skip(f"{name} is not set (testenv Kubernetes is not up)")
    return value


@pytest.fixture
def kubeconfig() -> str:
    return _env("KUBECONFIG")


@pytest.fixture
def limited_kubeconfig() -> str:
    return _env("JUSTPUSH_TEST_KUBECONFIG_LIMITED")


@pytest.fixture
def busybox() -> str:
    images: dict[str, str] = json.loads(_env("JUSTPUSH_TEST_BASE_IMAGES"))
    return images["busybox"]


@pytest.fixture
def kubectl(kubeconfig: str) -> Callable[..., str]:
    binary = _env("JUSTPUSH_TEST_KUBECTL")

    def run(*args: str) -> str:
        result = subprocess.run(
            [binary, f"--kubeconfig={kubeconfig}", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return result.stdout

    return run


@pytest.fixture
def settings(kubeconfig: str, namespace: str) -> KubernetesSettings:
    return KubernetesSettings(kubeconfig=kubeconfig, namespace=namespace, rollout_timeout_seconds=120)


@pytest.fixture
def options(namespace: str) -> ManifestOptions:
    # Testenv runs Kubernetes 1.20: the legacy HPA/PDB API versions; pods stop fast.
    return ManifestOptions(
        namespace=namespace,
        hpa_api_version="autoscaling/v2beta2",
        pdb_api_version="policy/v1beta1",
        termination_grace_period_seconds=1,
    )


@pytest.fixture
def make_app(busybox: str) -> Callable[..., AppDeployment]:
    def build(upload_id: str | None = None, **changes: Any) -> AppDeployment:
        values: dict[str, Any] = {
            "upload_id": upload_id or f"it-{secrets.token_hex(4)}",
            "app_name": "echo",
            "image": busybox,
            "port": 8080,
            "env": (EnvEntry("GREETING", "hello"), EnvEntry("API_TOKEN", "s3cr3t", secret=True)),
            "resources": SMALL,
            "openapi": SPEC,
            "command": ("sh", "-c", HTTPD),
        }
        values.update(changes)
        return AppDeployment(**values)

    return build
