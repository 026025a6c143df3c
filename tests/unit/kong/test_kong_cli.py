"""`justpush render kong` prints decK or KIC YAML for a spec file or a source folder."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from justpush.cli import app

SPEC = """
openapi: 3.0.3
info: {title: Pet Shop, version: "1"}
paths:
  /pets/{id}:
    get: {operationId: getPet}
"""


def test_render_deck_from_spec_file(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text(SPEC)
    result = CliRunner().invoke(
        app, ["render", "kong", str(spec), "--upload-id", "u7", "--service-port", "8080"]
    )
    assert result.exit_code == 0, result.output
    document = yaml.safe_load(result.stdout)
    service = document["services"][0]
    assert document["_format_version"] == "3.0"
    assert (service["name"], service["port"]) == ("pet-shop", 8080)
    # The Service `render manifests` renders for the same upload and name.
    assert service["host"] == "pet-shop-u7.justpush-apps.svc.cluster.local"
    assert service["routes"][0]["paths"] == ["~/pet-shop-u7(?<jp_path>/pets/(?<id>[^#?/]+))$"]
    assert "upload:u7" in service["tags"]


def test_render_kic_with_explicit_host_is_refused_and_k8s_works(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(yaml.safe_load(SPEC)))
    explicit = CliRunner().invoke(
        app, ["render", "kong", str(spec), "--format", "kic", "--service-host", "10.0.0.1"]
    )
    assert explicit.exit_code != 0
    ok = CliRunner().invoke(app, ["render", "kong", str(spec), "--format", "kic", "--namespace", "apps"])
    assert ok.exit_code == 0, ok.output
    kinds = [d["kind"] for d in yaml.safe_load_all(ok.stdout)]
    assert "Ingress" in kinds and "KongPlugin" in kinds


def test_render_from_source_folder(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(
        "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/items/{item_id}')\n"
        "def read(item_id: int):\n    return {}\n"
    )
    (tmp_path / "requirements.txt").write_text("fastapi\nuvicorn\n")
    result = CliRunner().invoke(app, ["render", "kong", str(tmp_path), "--upload-id", "u8"])
    assert result.exit_code == 0, result.output
    routes = yaml.safe_load(result.stdout)["services"][0]["routes"]
    assert any(r["paths"][0].endswith("-u8(?<jp_path>/items/(?<item_id>[^#?/]+))$") for r in routes)
