"""`justpush render manifests PATH --image REF`: analyse a folder, print the manifests as YAML."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from justpush.cli import app

IMAGE = "localhost:5000/justpush/items@sha256:" + "ab" * 32


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "items-api"
    root.mkdir()
    (root / "requirements.txt").write_text("fastapi\n")
    (root / "main.py").write_text(
        "import os\n"
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n"
        'TOKEN = os.environ["API_SECRET_KEY"]\n\n\n'
        '@app.get("/healthz")\n'
        "def health():\n"
        '    return {"ok": True}\n\n\n'
        '@app.get("/items/{item_id}")\n'
        "def item(item_id: int):\n"
        '    return {"id": item_id}\n'
    )
    return root


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "app-config.yaml"
    path.write_text("kubernetes:\n  namespace: from-config\n  gatewayNamespace: gw\n")
    return path


def test_render_manifests_prints_every_object(project: Path, config: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["--config", str(config), "render", "manifests", str(project), "--image", IMAGE, "--replicas", "2"],
    )
    assert result.exit_code == 0, result.output
    documents = list(yaml.safe_load_all(result.stdout))
    kinds = [d["kind"] for d in documents]
    assert kinds[0] == "Namespace" and "Deployment" in kinds and "PodDisruptionBudget" in kinds
    deployment = next(d for d in documents if d["kind"] == "Deployment")
    assert deployment["metadata"]["namespace"] == "from-config"
    # The size's HPA owns the count: --replicas is its minimum.
    assert "replicas" not in deployment["spec"]
    hpa = next(d for d in documents if d["kind"] == "HorizontalPodAutoscaler")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 3)
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == IMAGE
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    policy = next(d for d in documents if d["kind"] == "NetworkPolicy")
    assert policy["spec"]["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "gw"
    }
    assert "API_SECRET_KEY" in result.stderr


def test_max_replicas_zero_turns_autoscaling_off(project: Path, config: Path) -> None:
    args = ["--config", str(config), "render", "manifests", str(project), "--image", IMAGE]
    result = CliRunner().invoke(app, [*args, "--replicas", "2", "--max-replicas", "0"])
    assert result.exit_code == 0, result.output
    documents = list(yaml.safe_load_all(result.stdout))
    assert "HorizontalPodAutoscaler" not in [d["kind"] for d in documents]
    assert next(d for d in documents if d["kind"] == "Deployment")["spec"]["replicas"] == 2


def test_namespace_option_and_hpa(project: Path, config: Path) -> None:
    args = ["--config", str(config), "render", "manifests", str(project), "--image", IMAGE]
    result = CliRunner().invoke(
        app, [*args, "--namespace", "demo", "--max-replicas", "4", "--legacy-apis", "--upload-id", "u-7"]
    )
    assert result.exit_code == 0, result.output
    documents = list(yaml.safe_load_all(result.stdout))
    hpa = next(d for d in documents if d["kind"] == "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2beta2" and hpa["metadata"]["namespace"] == "demo"
    assert hpa["spec"]["maxReplicas"] == 4
    assert all(d["metadata"]["labels"]["justpush.io/upload-id"] == "u-7" for d in documents)


def test_missing_folder_fails(tmp_path: Path, config: Path) -> None:
    result = CliRunner().invoke(
        app, ["--config", str(config), "render", "manifests", str(tmp_path / "nope"), "--image", IMAGE]
    )
    assert result.exit_code != 0
