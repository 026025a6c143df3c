"""`render_gitops`: one deployment as a GitOps tree (pure: objects in, file texts out).

    README.md                   what the tree holds and what a person must add (the Secrets)
    manifests/kustomization.yaml
    manifests/<kind>-<name>.yaml one file per object JustPush applies, Secrets excepted
    kong/deck.yaml              the Kong entities as a decK file, credentials as ${{ env "DECK_…" }}
    argocd/application.yaml     or flux/sync.yaml: the controller's object that syncs manifests/

No Secret value is ever written: a Secret is left out (the README says how to create it) or, with
``external_secret_store``, replaced by an ExternalSecret that reads it from that store.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import jinja2
import yaml

from justpush.kong import KongConfig, to_deck

_PULL_SECRET_TYPE = "kubernetes.io/dockerconfigjson"
# decK replaces these when it syncs the file (`deck gateway sync`): the key never sits in Git.
DECK_API_KEY_ENV = "DECK_JUSTPUSH_API_KEY"
DECK_API_KEY = '${{ env "' + DECK_API_KEY_ENV + '" }}'
_UNSAFE = re.compile(r"[^a-z0-9.-]+")

GitopsTool = Literal["argocd", "flux"]


@dataclass(frozen=True)
class GitopsOptions:
    app_name: str
    upload_id: str
    # Where the tree is committed: the controller object points back at it.
    repo_url: str
    branch: str = "main"
    path: str = "justpush"
    tool: GitopsTool = "argocd"
    # A (Cluster)SecretStore of the External Secrets Operator; empty leaves Secrets out.
    external_secret_store: str = ""
    external_secret_store_kind: Literal["SecretStore", "ClusterSecretStore"] = "ClusterSecretStore"
    # Key in that store under which a Secret's values live: "{prefix}{secret name}".
    external_secret_key_prefix: str = "justpush/"
    controller_namespace: str = ""


@dataclass(frozen=True)
class SecretNote:
    """A Secret left out of (or referenced by) the tree: its coordinates and key names, never values."""

    name: str
    namespace: str
    type: str
    keys: tuple[str, ...]


def object_file(manifest: Mapping[str, Any]) -> str:
    """`deployment-orders-u1.yaml`: kind and name, the names a person would choose."""
    kind = str(manifest["kind"]).lower()
    name = _UNSAFE.sub("-", str(manifest["metadata"]["name"]).lower()).strip("-")
    return f"{kind}-{name}.yaml"


def _dump(document: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(document), sort_keys=False, allow_unicode=True, default_flow_style=False)


def _secret_note(manifest: Mapping[str, Any]) -> SecretNote:
    meta = manifest["metadata"]
    keys = sorted({*(manifest.get("data") or {}), *(manifest.get("stringData") or {})})
    return SecretNote(
        name=str(meta["name"]),
        namespace=str(meta.get("namespace", "")),
        type=str(manifest.get("type") or "Opaque"),
        keys=tuple(keys),
    )


def _external_secret(note: SecretNote, labels: Mapping[str, str], options: GitopsOptions) -> dict[str, Any]:
    target: dict[str, Any] = {"name": note.name, "creationPolicy": "Owner"}
    if note.type != "Opaque":
        target["template"] = {"type": note.type}
    return {
        "apiVersion": "external-secrets.io/v1beta1",
        "kind": "ExternalSecret",
        "metadata": {"name": note.name, "namespace": note.namespace, "labels": dict(labels)},
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": {
                "name": options.external_secret_store,
                "kind": options.external_secret_store_kind,
            },
            "target": target,
            "data": [
                {
                    "secretKey": key,
                    "remoteRef": {"key": f"{options.external_secret_key_prefix}{note.name}", "property": key},
                }
                for key in note.keys
            ],
        },
    }


def _controller(options: GitopsOptions, namespace: str, labels: Mapping[str, str]) -> tuple[str, str]:
    """The Argo CD Application or the Flux GitRepository + Kustomization that syncs manifests/."""
    name = f"justpush-{options.upload_id}"
    path = f"{options.path}/manifests" if options.path else "manifests"
    if options.tool == "argocd":
        application = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {
                "name": name,
                "namespace": options.controller_namespace or "argocd",
                "labels": dict(labels),
            },
            "spec": {
                "project": "default",
                "source": {"repoURL": options.repo_url, "targetRevision": options.branch, "path": path},
                "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
                "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
            },
        }
        return "argocd/application.yaml", _dump(application)
    controller_namespace = options.controller_namespace or "flux-system"
    source = {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "GitRepository",
        "metadata": {"name": name, "namespace": controller_namespace, "labels": dict(labels)},
        "spec": {"interval": "1m", "url": options.repo_url, "ref": {"branch": options.branch}},
    }
    kustomization = {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": name, "namespace": controller_namespace, "labels": dict(labels)},
        "spec": {
            "interval": "5m",
            "path": f"./{path}",
            "prune": True,
            "sourceRef": {"kind": "GitRepository", "name": name},
        },
    }
    return "flux/sync.yaml", _dump(source) + "---\n" + _dump(kustomization)


def _deck(kong: KongConfig) -> str:
    document = to_deck(kong)
    for consumer in document.get("consumers", []):
        # Only the key-auth credential can be templated by decK; others would be values in Git.
        consumer.pop("jwt_secrets", None)
        consumer.pop("basicauth_credentials", None)
        for credential in consumer.get("keyauth_credentials", []):
            credential["key"] = DECK_API_KEY
    return _dump(document)


def render_gitops(
    manifests: Sequence[Mapping[str, Any]], kong: KongConfig | None, options: GitopsOptions
) -> dict[str, str]:
    """Path (relative to ``options.path``) -> text of the tree; Secret values never appear in it."""
    files: dict[str, str] = {}
    resources: list[str] = []
    secrets: list[SecretNote] = []
    namespace = ""
    labels: dict[str, str] = {}
    for manifest in manifests:
        meta = manifest["metadata"]
        if manifest["kind"] == "Deployment":
            namespace = str(meta.get("namespace", ""))
            labels = {
                k: v
                for k, v in sorted((meta.get("labels") or {}).items())
                if k in ("app.kubernetes.io/managed-by", "justpush.io/upload-id")
            }
        if manifest["kind"] == "Secret":
            note = _secret_note(manifest)
            secrets.append(note)
            if not options.external_secret_store:
                continue
            content = _external_secret(note, meta.get("labels") or {}, options)
            name = f"externalsecret-{object_file(manifest).removeprefix('secret-')}"
        else:
            content = {k: v for k, v in manifest.items() if k != "status"}
            name = object_file(manifest)
        files[f"manifests/{name}"] = _dump(content)
        resources.append(name)
    files["manifests/kustomization.yaml"] = _dump(
        {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            # Apply order as JustPush applies them (namespace first, workloads last).
            "resources": resources,
        }
    )
    if kong is not None:
        files["kong/deck.yaml"] = _deck(kong)
    controller_file, controller = _controller(options, namespace, labels)
    files[controller_file] = controller
    files["README.md"] = (
        _environment()
        .get_template("README.md.j2")
        .render(
            options=options,
            namespace=namespace,
            secrets=secrets,
            kong=kong is not None,
            deck_env=DECK_API_KEY_ENV,
            controller_file=controller_file,
            resources=resources,
        )
    )
    return dict(sorted(files.items()))


# Made once: each template is compiled once per process.
@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("justpush.exports", "templates/gitops"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
