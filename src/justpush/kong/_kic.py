"""Kong Ingress Controller resources: one Ingress per route, KongPlugins, KongConsumers, credential Secrets.

KIC assigns its own entity ids, so references use names: ``anonymous`` holds the consumer's username,
and the request-termination plugin that guards OR-authentication is one KongPlugin referenced by the
anonymous KongConsumer and by each Ingress that needs it (KIC turns that into route+consumer plugins).
Service-level settings (timeouts, retries) belong on the Kubernetes Service's ``konghq.com/*``
annotations, which the manifests generator owns; they are not repeated here.
"""

from __future__ import annotations

import re
from typing import Any

from justpush.errors import GenerationError

from ._model import KongConfig, KongPlugin, KongTarget

_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_KIND_ORDER = {"Secret": 0, "KongConsumer": 1, "KongPlugin": 2, "Ingress": 3}
_KIC_API = "configuration.konghq.com/v1"
_CREDENTIAL_LABEL = "konghq.com/credential"


def _k8s_name(name: str) -> str:
    # Kong names use [a-z0-9._~-] with "_" only as the service/operation separator, so "." keeps them unique.
    converted = name.replace("_", ".").replace("~", "-").lower().strip(".-")
    if len(converted) > 253:
        raise GenerationError(f"name {name!r} is too long for a Kubernetes object")
    return converted


def _meta(name: str, namespace: str, labels: dict[str, str], **annotations: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "labels": dict(labels)}
    if annotations:
        meta["annotations"] = dict(sorted(annotations.items()))
    return meta


def _plugin_name(plugin: KongPlugin) -> str:
    return f"{plugin.name}-{plugin.id}"


def to_kic(config: KongConfig, namespace: str, target: KongTarget | None = None) -> list[dict[str, Any]]:
    """KIC objects for one upload, sorted in apply order (Secrets, consumers, plugins, Ingresses).

    ``target`` names the Kubernetes Service the Ingresses point at; without it the Kong service's host
    must be a ``<svc>.<ns>.svc.cluster.local`` name.
    """
    if not _LABEL_VALUE.match(config.upload_id) or len(config.upload_id) > 63:
        raise GenerationError(f"upload id {config.upload_id!r} is not a valid Kubernetes label value")
    labels = {"app.kubernetes.io/managed-by": "justpush", "justpush.io/upload-id": config.upload_id}
    backend_name, backend_port = _backend(config, target)
    consumers = {c.id: c for c in config.consumers}
    objects: list[dict[str, Any]] = []

    secrets_by_consumer: dict[str, list[str]] = {}
    for kind, credentials in (
        (
            "key-auth",
            [(c.consumer_id, {"key": c.key.get_secret_value()}) for c in config.key_auth_credentials],
        ),
        (
            "jwt",
            [
                (
                    c.consumer_id,
                    {"key": c.key, "secret": c.secret.get_secret_value(), "algorithm": c.algorithm},
                )
                for c in config.jwt_credentials
            ],
        ),
        (
            "basic-auth",
            [
                (c.consumer_id, {"username": c.username, "password": c.password.get_secret_value()})
                for c in config.basic_auth_credentials
            ],
        ),
        ("acl", [(c.consumer_id, {"group": c.group}) for c in config.acl_credentials]),
    ):
        for consumer_id, data in credentials:
            name = _k8s_name(f"{consumers[consumer_id].username}-{kind}")
            secrets_by_consumer.setdefault(consumer_id, []).append(name)
            objects.append(
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": _meta(name, namespace, {**labels, _CREDENTIAL_LABEL: kind}),
                    "type": "Opaque",
                    "stringData": data,
                }
            )

    termination = [p for p in config.plugins if p.consumer_id and p.route_id]
    termination_name = f"request-termination-{_k8s_name(config.service.name)}-anonymous"
    for consumer in config.consumers:
        annotations = {"kubernetes.io/ingress.class": "kong"}
        if termination and any(p.consumer_id == consumer.id for p in termination):
            annotations["konghq.com/plugins"] = termination_name
        body: dict[str, Any] = {
            "apiVersion": _KIC_API,
            "kind": "KongConsumer",
            "metadata": _meta(_k8s_name(consumer.username), namespace, labels, **annotations),
            "username": consumer.username,
            "custom_id": consumer.custom_id,
        }
        if consumer.id in secrets_by_consumer:
            body["credentials"] = sorted(secrets_by_consumer[consumer.id])
        objects.append(body)

    def plugin_object(name: str, plugin: KongPlugin) -> dict[str, Any]:
        plugin_config = dict(plugin.config)
        if isinstance(plugin_config.get("anonymous"), str) and plugin_config["anonymous"] in consumers:
            plugin_config["anonymous"] = consumers[plugin_config["anonymous"]].username
        return {
            "apiVersion": _KIC_API,
            "kind": "KongPlugin",
            "metadata": _meta(name, namespace, labels, **{"kubernetes.io/ingress.class": "kong"}),
            "plugin": plugin.name,
            "config": plugin_config,
        }

    service_plugins = {p.name: p for p in config.plugins if p.service_id}
    for plugin in service_plugins.values():
        objects.append(plugin_object(_plugin_name(plugin), plugin))
    if termination:
        objects.append(plugin_object(termination_name, termination[0]))

    for route in config.routes:
        own = {p.name: p for p in config.plugins if p.route_id == route.id and not p.consumer_id}
        for plugin in own.values():
            objects.append(plugin_object(_plugin_name(plugin), plugin))
        attached = {**service_plugins, **own}
        names = sorted(_plugin_name(p) for p in attached.values())
        if any(p.route_id == route.id for p in termination):
            names.append(termination_name)
        annotations = {
            "konghq.com/strip-path": str(route.strip_path).lower(),
            "konghq.com/preserve-host": str(route.preserve_host).lower(),
            "konghq.com/protocols": ",".join(route.protocols),
            "konghq.com/methods": ",".join(route.methods),
            "konghq.com/regex-priority": str(route.regex_priority),
            "konghq.com/https-redirect-status-code": str(route.https_redirect_status_code),
        }
        if names:
            annotations["konghq.com/plugins"] = ",".join(names)
        paths = [
            {
                "path": f"/{path}" if path.startswith("~") else path,
                "pathType": "ImplementationSpecific",
                "backend": {"service": {"name": backend_name, "port": {"number": backend_port}}},
            }
            for path in route.paths
        ]
        objects.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": _meta(_k8s_name(route.name), namespace, labels, **annotations),
                "spec": {"ingressClassName": "kong", "rules": [{"http": {"paths": paths}}]},
            }
        )
    return sorted(objects, key=lambda o: (_KIND_ORDER[o["kind"]], o["metadata"]["name"]))


def _backend(config: KongConfig, target: KongTarget | None) -> tuple[str, int]:
    if target is not None and not target.url:
        return target.service_name or target.name, target.port
    host = config.service.host
    parts = host.split(".")
    if len(parts) == 5 and parts[2:] == ["svc", "cluster", "local"]:
        return parts[0], config.service.port
    raise GenerationError(
        f"KIC output needs a Kubernetes Service as upstream; {host!r} is not "
        "<svc>.<namespace>.svc.cluster.local"
    )
