"""Kubernetes objects as hashicorp/kubernetes resources (`kubernetes_deployment_v1`, …).

The provider spells the API's fields in snake_case, turns objects into nested blocks and lists of
objects into repeated blocks named in the singular, keeps free-form maps (labels, data, limits) as
map attributes, and takes a few numbers as strings. `to_block` applies those rules; `from_block`
reverses them, which is how tests hold the export to the manifests JustPush applies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ._hcl import Block, Raw

RESOURCE_TYPES = {
    ("v1", "Namespace"): "kubernetes_namespace_v1",
    ("v1", "ConfigMap"): "kubernetes_config_map_v1",
    ("v1", "Secret"): "kubernetes_secret_v1",
    ("v1", "Service"): "kubernetes_service_v1",
    ("v1", "ResourceQuota"): "kubernetes_resource_quota_v1",
    ("v1", "LimitRange"): "kubernetes_limit_range_v1",
    ("apps/v1", "Deployment"): "kubernetes_deployment_v1",
    ("autoscaling/v2", "HorizontalPodAutoscaler"): "kubernetes_horizontal_pod_autoscaler_v2",
    ("policy/v1", "PodDisruptionBudget"): "kubernetes_pod_disruption_budget_v1",
    ("networking.k8s.io/v1", "NetworkPolicy"): "kubernetes_network_policy_v1",
}
# Free-form maps: attributes, not blocks.
MAP_FIELDS = frozenset(
    {
        "labels",
        "annotations",
        "data",
        "match_labels",
        "limits",
        "requests",
        "hard",
        "default",
        "default_request",
        "max",
        "min",
        "node_selector",
    }
)
# List fields whose repeated blocks take the singular name.
SINGULAR = {
    "containers": "container",
    "init_containers": "init_container",
    "ports": "port",
    "volume_mounts": "volume_mount",
    "volumes": "volume",
    "metrics": "metric",
    "limits": "limit",
    "match_expressions": "match_expressions",
}
# Fields the provider types as strings although the API has numbers.
STRING_FIELDS = frozenset(
    {
        "run_as_user",
        "run_as_group",
        "fs_group",
        "max_unavailable",
        "max_surge",
        "min_available",
        "target_port",
        "port@tcp_socket",
        "port@http_get",
    }
)
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def snake(name: str) -> str:
    return _CAMEL.sub("_", name).lower()


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def resource_type(manifest: Mapping[str, Any]) -> str:
    key = (str(manifest["apiVersion"]), str(manifest["kind"]))
    if key not in RESOURCE_TYPES:
        raise ValueError(f"no Terraform resource type for {key[1]} {key[0]}")
    return RESOURCE_TYPES[key]


def _context_key(name: str, context: str) -> str:
    return f"{name}@{context}"


def _is_map(name: str, value: Mapping[str, Any]) -> bool:
    # A Service's selector is a plain map; a Deployment's is a LabelSelector (a block).
    plain_selector = name == "selector" and all(isinstance(v, str) for v in value.values())
    return name in MAP_FIELDS or plain_selector


def _singular(name: str, context: str) -> str:
    return SINGULAR.get(_context_key(name, context)) or SINGULAR.get(name) or name


def _scalar(name: str, context: str, value: Any) -> Any:
    stringly = name in STRING_FIELDS or _context_key(name, context) in STRING_FIELDS
    if stringly and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def body(
    data: Mapping[str, Any], context: str, overrides: Mapping[str, Any] | None = None
) -> tuple[tuple[tuple[str, Any], ...], tuple[Block, ...]]:
    """Attributes and nested blocks of one API object (``overrides`` replace attribute values by path)."""
    overrides = overrides or {}
    attributes: list[tuple[str, Any]] = []
    blocks: list[Block] = []
    for raw_name, value in data.items():
        name = snake(raw_name.rstrip("_"))
        if raw_name in overrides:
            attributes.append((name, overrides[raw_name]))
        elif value is None:
            continue
        elif isinstance(value, Mapping) and _is_map(name, value):
            attributes.append((name, {str(k): _scalar(name, context, v) for k, v in value.items()}))
        elif isinstance(value, Mapping):
            nested = {k[len(raw_name) + 1 :]: v for k, v in overrides.items() if k.startswith(raw_name + ".")}
            inner_attributes, inner_blocks = body(value, name, nested)
            blocks.append(Block(name, (), inner_attributes, inner_blocks))
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            block_name = _singular(name, context)
            for index, item in enumerate(value):
                prefix = f"{raw_name}.{index}."
                nested = {k[len(prefix) :]: v for k, v in overrides.items() if k.startswith(prefix)}
                inner_attributes, inner_blocks = body(item, block_name, nested)
                blocks.append(Block(block_name, (), inner_attributes, inner_blocks))
        elif isinstance(value, list):
            attributes.append((name, [_scalar(name, context, v) for v in value]))
        else:
            attributes.append((name, _scalar(name, context, value)))
    return tuple(attributes), tuple(blocks)


def to_block(manifest: Mapping[str, Any], name: str, overrides: Mapping[str, Any] | None = None) -> Block:
    """One manifest as a `resource` block (apiVersion, kind and status are the resource type's)."""
    kind = resource_type(manifest)
    # metadata first, as a person writes it; apiVersion and kind are the resource type's.
    content = {"metadata": manifest.get("metadata", {})}
    content.update(
        (k, v) for k, v in manifest.items() if k not in ("apiVersion", "kind", "status", "metadata")
    )
    context = snake(str(manifest["kind"]))
    attributes, blocks = body(content, context, overrides)
    return Block("resource", (kind, name), attributes, blocks)


def from_block(kind: str, content: Mapping[str, Any]) -> dict[str, Any]:
    """The API object a parsed resource describes (python-hcl2's shape), for comparing with a manifest."""
    api_version, api_kind = next(k for k, v in RESOURCE_TYPES.items() if v == kind)
    return {"apiVersion": api_version, "kind": api_kind, **_from_body(content, snake(api_kind))}


def _from_body(content: Mapping[str, Any], context: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    plural = {v: k for k, v in SINGULAR.items()}
    for name, value in content.items():
        if name.startswith("__"):
            continue
        if (
            isinstance(value, list)
            and value
            and all(isinstance(v, Mapping) and v.get("__is_block__") for v in value)
        ):
            api_name = camel(plural.get(name, name))
            items = [_from_body(v, name) for v in value]
            is_list = name in plural or name in (
                "env",
                "ingress",
                "egress",
                "from",
                "to",
                "image_pull_secrets",
            )
            out[api_name] = items if is_list else items[0]
        else:
            out[camel(name)] = _unquote(value)
    return out


def parsed_attributes(content: Mapping[str, Any]) -> dict[str, Any]:
    """A parsed resource's attributes as values (strings unquoted, references as `Raw`), names kept."""
    return {name: _unquote(value) for name, value in content.items() if not name.startswith("__")}


def _key(name: str) -> str:
    return name[1:-1] if len(name) >= 2 and name[0] == name[-1] == '"' else name


def _unquote(value: Any) -> Any:
    if isinstance(value, str):
        if len(value) >= 2 and value[0] == value[-1] == '"':
            return value[1:-1].replace('\\"', '"').replace("$${", "${").replace("%%{", "%{")
        return Raw(value.removeprefix("${").removesuffix("}"))
    if isinstance(value, Mapping):
        return {_key(str(k)): _unquote(v) for k, v in value.items() if not str(k).startswith("__")}
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    return value
