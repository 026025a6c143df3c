"""The Terraform export describes exactly what JustPush applies, and holds no credential."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest

from justpush.exports import TerraformOptions, render_terraform
from justpush.exports._k8s import RESOURCE_TYPES, from_block, parsed_attributes
from justpush.kong import route_fields, service_fields
from tests.unit.exports.sample import API_KEY, REGISTRY_PASSWORD, SECRET_VALUE


@pytest.fixture
def module(manifests: list[dict[str, Any]], kong_config: Any) -> dict[str, str]:
    options = TerraformOptions(
        "Orders API", "u1", gateway_url="https://api.example.com", path_prefix="/orders-u1"
    )
    return render_terraform(manifests, kong_config, options)


def _resources(text: str) -> dict[tuple[str, str], dict[str, Any]]:
    parsed = hcl2.loads(text)
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in parsed.get("resource", []):
        for kind, named in entry.items():
            for name, body in named.items():
                out[(kind.strip('"'), name.strip('"'))] = body
    return out


def _plain(value: Any) -> Any:
    """Scalars as strings and references as their text: the provider takes some numbers as strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "text"):
        return f"<{value.text}>"
    return json.dumps(value) if not isinstance(value, str) else value


def _expected(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest as the module must describe it: image, namespace and secrets come from elsewhere."""
    expected = json.loads(json.dumps(manifest))
    if expected["kind"] != "Namespace":
        expected["metadata"]["namespace"] = "<kubernetes_namespace_v1.app.metadata[0].name>"
    if expected["kind"] == "Deployment":
        pod = expected["spec"]["template"]["spec"]
        for container in [*pod["containers"], *pod.get("initContainers", [])]:
            container["image"] = "<var.image>"
    if expected["kind"] == "Secret":
        if expected["type"] == "kubernetes.io/dockerconfigjson":
            expected["data"] = {".dockerconfigjson": "<jsonencode>"}
        else:
            expected["data"] = {k: f'<var.secret_env["{k}"]>' for k in expected["data"]}
    return _plain(expected)  # type: ignore[no-any-return]


def test_every_kubernetes_resource_matches_its_manifest(
    manifests: list[dict[str, Any]], module: dict[str, str]
) -> None:
    resources = _resources(module["main.tf"])
    kubernetes = {key: body for key, body in resources.items() if key[0].startswith("kubernetes_")}
    assert len(kubernetes) == len(manifests)
    by_name = {(m["kind"], m["metadata"]["name"]): m for m in manifests}
    for (kind, _), body in kubernetes.items():
        described = _plain(from_block(kind, body))
        manifest = by_name[(described["kind"], described["metadata"]["name"])]
        assert RESOURCE_TYPES[(manifest["apiVersion"], manifest["kind"])] == kind
        if manifest["kind"] == "Secret" and manifest["type"] == "kubernetes.io/dockerconfigjson":
            assert described["data"][".dockerconfigjson"].startswith("<jsonencode(")
            described["data"][".dockerconfigjson"] = "<jsonencode>"
        assert described == _expected(manifest), manifest["kind"]


def test_every_kong_entity_matches(kong_config: Any, module: dict[str, str]) -> None:
    resources = _resources(module["main.tf"])
    (service,) = [b for (k, _), b in resources.items() if k == "kong-gateway_service"]
    assert _plain(from_block_like(service)) == _plain(service_fields(kong_config.service))
    routes = [b for (k, _), b in resources.items() if k == "kong-gateway_route"]
    assert len(routes) == len(kong_config.routes) > 0
    by_id = {r.id: r for r in kong_config.routes}
    for body in routes:
        fields = from_block_like(body)
        assert _plain(fields.pop("service")) == {"id": "<kong-gateway_service.app.id>"}
        assert _plain(fields) == _plain(route_fields(by_id[fields["id"]]))
    plugins = {
        b["id"].strip('"'): (k, b) for (k, _), b in resources.items() if k.startswith("kong-gateway_plugin_")
    }
    assert set(plugins) == {p.id for p in kong_config.plugins}
    for plugin in kong_config.plugins:
        kind, body = plugins[plugin.id]
        assert kind == "kong-gateway_plugin_" + plugin.name.replace("-", "_")
        config = {k: v for k, v in plugin.config.items() if v is not None}
        assert _plain(from_block_like(body)["config"]) == _plain(config)
    (key,) = [b for (k, _), b in resources.items() if k == "kong-gateway_key_auth"]
    assert _plain(from_block_like(key)["key"]) == "<var.api_key>"


def from_block_like(body: dict[str, Any]) -> dict[str, Any]:
    return parsed_attributes(body)


def test_no_credential_is_written(module: dict[str, str]) -> None:
    text = "\n".join(module.values())
    encoded = base64.b64encode(SECRET_VALUE.encode()).decode()
    for secret in (SECRET_VALUE, encoded, REGISTRY_PASSWORD, API_KEY):
        assert secret not in text
    variables = hcl2.loads(module["variables.tf"])["variable"]
    sensitive = {
        name.strip('"') for entry in variables for name, body in entry.items() if body.get("sensitive")
    }
    assert sensitive == {"secret_env", "registry_password", "api_key"}
    for name in sensitive:
        assert f"`{name}` | yes | required" in module["README.md"]


def test_module_files_parse_and_name_their_providers(module: dict[str, str]) -> None:
    versions = hcl2.loads(module["versions.tf"])
    providers = versions["terraform"][0]["required_providers"][0]
    assert set(providers) - {"__is_block__"} == {"kubernetes", "kong-gateway"}
    outputs = hcl2.loads(module["outputs.tf"])["output"]
    gateway = next(
        body for entry in outputs for name, body in entry.items() if name.strip('"') == "gateway_url"
    )
    assert "/orders-u1" in gateway["value"]


def test_terraform_fmt_leaves_the_module_as_it_is(module: dict[str, str], tmp_path: Path) -> None:
    """Generated files read as written by hand: `terraform fmt` (no providers needed) changes nothing."""
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("no terraform binary on PATH (python-hcl2 parsing above still checks the syntax)")
    for name, text in module.items():
        (tmp_path / name).write_text(text)
    result = subprocess.run(
        [terraform, "fmt", "-check", "-diff"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_cli_exports_a_folder(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from justpush.cli import app

    project = tmp_path / "api"
    project.mkdir()
    (project / "requirements.txt").write_text("fastapi\n")
    (project / "main.py").write_text(
        "import os\nfrom fastapi import FastAPI\napp = FastAPI()\nTOKEN = os.environ['API_TOKEN']\n\n"
        '@app.get("/items")\ndef items():\n    return []\n'
    )
    output = tmp_path / "module"
    image = "registry.example/api@sha256:" + "b" * 64
    result = CliRunner().invoke(
        app, ["export", "terraform", str(project), "--image", image, "-o", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in output.iterdir()) == [
        "README.md",
        "main.tf",
        "outputs.tf",
        "variables.tf",
        "versions.tf",
    ]
    resources = _resources((output / "main.tf").read_text())
    assert ("kubernetes_deployment_v1", "app") in resources
    assert any(kind == "kong-gateway_route" for kind, _ in resources)
    assert image in (output / "variables.tf").read_text()


def test_cli_folder_export_needs_an_image(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    from justpush.cli import main

    monkeypatch.setattr(
        sys, "argv", ["justpush", "export", "terraform", str(tmp_path), "-o", str(tmp_path / "m")]
    )
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 8
    assert "--image" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()
