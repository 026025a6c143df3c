"""`render_terraform`: one deployment as a Terraform module (pure: objects in, file texts out)."""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2

from justpush.kong import KongConfig

from ._hcl import Block, Raw, expression, render_file
from ._k8s import to_block
from ._kong import kong_blocks, local_name

_LOCAL_NAMES = {
    "Namespace": "app",
    "ConfigMap": "env",
    "ResourceQuota": "quota",
    "LimitRange": "limits",
}
_PULL_SECRET_TYPE = "kubernetes.io/dockerconfigjson"
_DOCKER_CONFIG = (
    "jsonencode({ auths = { (var.registry_server) = { username = var.registry_username, "
    "password = var.registry_password, "
    'auth = base64encode("${var.registry_username}:${var.registry_password}") } } })'
)


@dataclass(frozen=True)
class TerraformOptions:
    app_name: str
    upload_id: str
    # Base URL of the Kong proxy and the app's path under it (the `gateway_url` output).
    gateway_url: str = "https://api.example.com"
    path_prefix: str = ""


@dataclass(frozen=True)
class Variable:
    name: str
    description: str
    type: str = "string"
    sensitive: bool = False
    default: Any = None
    example: str = '"…"'

    @property
    def required(self) -> bool:
        return self.default is None


# Made once: each template is compiled once per process.
@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("justpush.exports", "templates/terraform"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["hcl"] = expression
    return env


def _name(manifest: Mapping[str, Any]) -> str:
    kind = str(manifest["kind"])
    if kind == "Secret":
        return "pull" if manifest.get("type") == _PULL_SECRET_TYPE else "env"
    return _LOCAL_NAMES.get(kind, "app")


def _overrides(manifest: Mapping[str, Any], namespace_ref: Raw | None) -> dict[str, Any]:
    """Attribute values the module takes from variables or other resources instead of literals."""
    overrides: dict[str, Any] = {}
    if namespace_ref is not None and manifest["kind"] != "Namespace":
        overrides["metadata.namespace"] = namespace_ref
    if manifest["kind"] == "Deployment":
        pod = manifest["spec"]["template"]["spec"]
        for field in ("containers", "initContainers"):
            for index, _ in enumerate(pod.get(field) or []):
                overrides[f"spec.template.spec.{field}.{index}.image"] = Raw("var.image")
    if manifest["kind"] == "Secret":
        if manifest.get("type") == _PULL_SECRET_TYPE:
            overrides["data"] = {".dockerconfigjson": Raw(_DOCKER_CONFIG)}
        else:
            names = sorted({**manifest.get("data", {}), **manifest.get("stringData", {})})
            overrides["data"] = {name: Raw(f'var.secret_env["{name}"]') for name in names}
            overrides["stringData"] = None
    return overrides


def _without(manifest: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in manifest.items() if k not in names}


def render_terraform(
    manifests: Sequence[Mapping[str, Any]], kong: KongConfig | None, options: TerraformOptions
) -> dict[str, str]:
    """File name -> text of a module describing the same objects JustPush applies.

    ``manifests`` are the rendered objects as dicts (current API versions); Secret values in them
    are never written: the module reads them from sensitive variables.
    """
    namespace = next((m for m in manifests if m["kind"] == "Namespace"), None)
    namespace_ref = Raw("kubernetes_namespace_v1.app.metadata[0].name") if namespace is not None else None
    blocks: list[Block] = []
    secret_names: list[str] = []
    pull_server: str | None = None
    image = ""
    for manifest in manifests:
        if manifest["kind"] == "Secret":
            if manifest.get("type") == _PULL_SECRET_TYPE:
                pull_server = _pull_server(manifest)
            else:
                secret_names = sorted({**manifest.get("data", {}), **manifest.get("stringData", {})})
        if manifest["kind"] == "Deployment":
            image = str(manifest["spec"]["template"]["spec"]["containers"][0]["image"])
        overrides = _overrides(manifest, namespace_ref)
        content = (
            _without(manifest, "status") if manifest["kind"] != "Secret" else _without(manifest, "stringData")
        )
        blocks.append(to_block(content, _name(manifest), overrides))
    if kong is not None:
        blocks.extend(kong_blocks(kong))

    variables = [
        Variable(
            "image", f"Container image of {options.app_name}, preferably pinned by digest.", default=image
        )
    ]
    if secret_names:
        variables.append(
            Variable(
                "secret_env",
                "Values of the secret environment variables: " + ", ".join(secret_names) + ".",
                type="map(string)",
                sensitive=True,
                example="{ " + ", ".join(f'{n} = "…"' for n in secret_names) + " }",
            )
        )
    if pull_server is not None:
        variables += [
            Variable("registry_server", "Registry the image is pulled from.", default=pull_server),
            Variable("registry_username", "User that pulls the image."),
            Variable("registry_password", "Password (or token) of registry_username.", sensitive=True),
        ]
    if kong is not None:
        variables.append(
            Variable("gateway_url", "Public base URL of the Kong proxy.", default=options.gateway_url)
        )
        if kong.key_auth_credentials:
            variables.append(
                Variable("api_key", "The developer consumer's API key (key-auth).", sensitive=True)
            )
        if kong.jwt_credentials:
            variables.append(
                Variable("jwt_secret", "The developer consumer's JWT signing secret.", sensitive=True)
            )
        if kong.basic_auth_credentials:
            variables.append(
                Variable(
                    "basic_auth_password", "The developer consumer's basic-auth password.", sensitive=True
                )
            )

    service = next(m for m in manifests if m["kind"] == "Service")
    namespace_name = str(service["metadata"]["namespace"])
    env = _environment()
    context = {
        "app_name": options.app_name,
        "upload_id": options.upload_id,
        "module_name": local_name(options.app_name),
        "kong": kong is not None,
        "variables": variables,
        "namespace": namespace_name,
        "service_address": f"{service['metadata']['name']}.{namespace_name}.svc",
        "path_prefix": options.path_prefix,
        "resource_count": len(blocks),
        "kinds": sorted({block.labels[0] for block in blocks}),
    }
    header = f"# {options.app_name} (JustPush upload {options.upload_id}): the objects JustPush applies."
    return {
        "main.tf": render_file(blocks, header),
        "variables.tf": env.get_template("variables.tf.j2").render(context),
        "outputs.tf": env.get_template("outputs.tf.j2").render(context),
        "versions.tf": env.get_template("versions.tf.j2").render(context),
        "README.md": env.get_template("README.md.j2").render(context),
    }


def _pull_server(manifest: Mapping[str, Any]) -> str | None:
    """The registry host of a dockerconfigjson Secret (its one `auths` key), never its credentials."""
    try:
        raw = manifest.get("data", {}).get(".dockerconfigjson", "")
        return str(next(iter(json.loads(base64.b64decode(raw))["auths"])))
    except (ValueError, KeyError, StopIteration, TypeError):
        return None
