"""The GitOps tree holds every object JustPush applies, one file each, and never a secret value."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from justpush.errors import UploadError
from justpush.exports import DECK_API_KEY_ENV, GitopsOptions, check_tree_path, render_gitops
from justpush.kong import to_deck
from tests.unit.exports.sample import CREDENTIALS


def _options(**changes: Any) -> GitopsOptions:
    values: dict[str, Any] = {
        "app_name": "Orders API",
        "upload_id": "u1",
        "repo_url": "https://git.example/deploy.git",
        "branch": "prod",
        "path": "apps/u1",
    }
    return GitopsOptions(**{**values, **changes})


def _no_secret_values(files: dict[str, str]) -> None:
    text = "".join(files.values())
    for value in CREDENTIALS:
        assert value not in text
    # Nor their base64 forms in a Secret's data: no Secret object at all.
    for name, text in files.items():
        if name.startswith("manifests/"):
            assert yaml.safe_load(text)["kind"] != "Secret"


def test_one_file_per_object_in_apply_order_and_secrets_left_out(
    manifests: list[dict[str, Any]], kong_config: Any
) -> None:
    files = render_gitops(manifests, kong_config, _options())
    kinds = [m["kind"] for m in manifests]
    assert kinds.count("Secret") == 2 and "Deployment" in kinds and "HorizontalPodAutoscaler" in kinds
    kept = [m for m in manifests if m["kind"] != "Secret"]
    kustomization = yaml.safe_load(files["manifests/kustomization.yaml"])
    assert kustomization["kind"] == "Kustomization"
    assert [f"manifests/{name}" for name in kustomization["resources"]] == [
        f"manifests/{m['kind'].lower()}-{m['metadata']['name']}.yaml" for m in kept
    ]
    for manifest, name in zip(kept, kustomization["resources"], strict=True):
        assert yaml.safe_load(files[f"manifests/{name}"]) == manifest
    assert set(files) == {
        "README.md",
        "manifests/kustomization.yaml",
        "kong/deck.yaml",
        "argocd/application.yaml",
        *(f"manifests/{name}" for name in kustomization["resources"]),
    }
    _no_secret_values(files)
    # The README says which Secrets to create, by name and key.
    secrets = [m for m in manifests if m["kind"] == "Secret"]
    for secret in secrets:
        assert secret["metadata"]["name"] in files["README.md"]
    assert "DB_PASSWORD" in files["README.md"] and "docker-registry" in files["README.md"]


def test_deck_file_is_the_kong_config_with_the_key_from_the_environment(
    manifests: list[dict[str, Any]], kong_config: Any
) -> None:
    deck = yaml.safe_load(render_gitops(manifests, kong_config, _options())["kong/deck.yaml"])
    expected = to_deck(kong_config)
    assert deck["services"] == expected["services"]
    (consumer,) = deck["consumers"]
    assert consumer["username"] == expected["consumers"][0]["username"]
    assert [c["key"] for c in consumer["keyauth_credentials"]] == ['${{ env "' + DECK_API_KEY_ENV + '" }}']
    assert [c["id"] for c in consumer["keyauth_credentials"]] == [
        c["id"] for c in expected["consumers"][0]["keyauth_credentials"]
    ]


def test_argocd_application_syncs_the_manifests_folder(manifests: list[dict[str, Any]]) -> None:
    files = render_gitops(manifests, None, _options())
    assert "kong/deck.yaml" not in files
    application = yaml.safe_load(files["argocd/application.yaml"])
    assert application["kind"] == "Application" and application["metadata"]["namespace"] == "argocd"
    assert application["spec"]["source"] == {
        "repoURL": "https://git.example/deploy.git",
        "targetRevision": "prod",
        "path": "apps/u1/manifests",
    }
    assert application["spec"]["destination"]["namespace"] == "orders"
    assert application["metadata"]["labels"]["justpush.io/upload-id"] == "u1"


def test_flux_gets_a_git_repository_and_a_kustomization(manifests: list[dict[str, Any]]) -> None:
    files = render_gitops(manifests, None, _options(tool="flux", path=""))
    assert "argocd/application.yaml" not in files
    source, kustomization = yaml.safe_load_all(files["flux/sync.yaml"])
    assert source["kind"] == "GitRepository" and source["spec"]["ref"] == {"branch": "prod"}
    assert source["spec"]["url"] == "https://git.example/deploy.git"
    assert kustomization["kind"] == "Kustomization"
    assert kustomization["spec"]["path"] == "./manifests"
    assert kustomization["spec"]["sourceRef"] == {"kind": "GitRepository", "name": source["metadata"]["name"]}


def test_external_secrets_reference_the_store_by_key_names(manifests: list[dict[str, Any]]) -> None:
    files = render_gitops(manifests, None, _options(external_secret_store="vault"))
    external = {
        name: yaml.safe_load(text)
        for name, text in files.items()
        if name.startswith("manifests/externalsecret-")
    }
    assert len(external) == 2
    resources = yaml.safe_load(files["manifests/kustomization.yaml"])["resources"]
    assert {f"manifests/{name}" for name in resources} >= set(external)
    by_name = {doc["metadata"]["name"]: doc for doc in external.values()}
    env_secret = next(
        m for m in manifests if m["kind"] == "Secret" and m.get("type") != "kubernetes.io/dockerconfigjson"
    )
    spec = by_name[env_secret["metadata"]["name"]]["spec"]
    assert spec["secretStoreRef"] == {"name": "vault", "kind": "ClusterSecretStore"}
    assert [(d["secretKey"], d["remoteRef"]["property"]) for d in spec["data"]] == [
        ("DB_PASSWORD", "DB_PASSWORD")
    ]
    pull = next(doc for doc in by_name.values() if doc is not by_name[env_secret["metadata"]["name"]])
    assert pull["spec"]["target"]["template"] == {"type": "kubernetes.io/dockerconfigjson"}
    _no_secret_values(files)


def test_output_is_deterministic(manifests: list[dict[str, Any]], kong_config: Any) -> None:
    assert render_gitops(manifests, kong_config, _options()) == render_gitops(
        manifests, kong_config, _options()
    )


@pytest.mark.parametrize("path", ["../x", "a/../b", ".git", "a/.git/b", "a b", "-x/\x00"])
def test_tree_path_must_be_a_plain_relative_folder(path: str) -> None:
    with pytest.raises(UploadError, match="plain relative folder"):
        check_tree_path(path)


def test_tree_path_is_normalised() -> None:
    assert check_tree_path("/apps//u1/") == "apps/u1"
    assert check_tree_path("") == ""
