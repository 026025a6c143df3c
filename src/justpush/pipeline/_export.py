"""A stored revision as a Terraform module or a GitOps tree: the objects and Kong entities it applied."""

from __future__ import annotations

from pydantic import SecretStr

from justpush import exports, k8s, kong
from justpush.config import GitopsSettings, Settings
from justpush.store import Cipher, DeploymentRevision

from ._release import Release, release_from_revision

# What the module is written for: current API versions, whatever the cluster JustPush used serves.
_CURRENT_APIS = k8s.ClusterInfo(
    server_version="", hpa_api_version="autoscaling/v2", pdb_api_version="policy/v1", metrics_api=False
)


def _kong_config(revision: DeploymentRevision, release: Release, api_key: str) -> kong.KongConfig | None:
    """The revision's Kong entities, the developer's key replaced by `api_key` (a placeholder)."""
    stored = revision.kong_config or {}
    if not (stored.get("target") and stored.get("options")):
        return None
    target = kong.KongTarget.model_validate(stored["target"])
    options = kong.KongOptions.model_validate(stored["options"])
    developer = kong.Developer(username=release.consumer_name, api_key=SecretStr(api_key))
    return kong.openapi_to_kong(release.spec, target, options.model_copy(update={"developers": (developer,)}))


def terraform_files(revision: DeploymentRevision, cipher: Cipher, settings: Settings) -> dict[str, str]:
    """File name -> text; secret values stay in the revision, the module reads them from variables."""
    release = release_from_revision(revision, cipher)
    manifests = [obj.to_dict() for obj in release.manifests(settings, _CURRENT_APIS)]  # type: ignore[attr-defined]
    path_prefix = release.path_prefix(settings)
    # The key itself is a module variable; this placeholder only makes the credential entity.
    kong_config = _kong_config(revision, release, "variable")
    if kong_config is not None:
        stored = revision.kong_config or {}
        target = kong.KongTarget.model_validate(stored["target"])
        path_prefix = kong.gateway_prefix(target, kong.KongOptions.model_validate(stored["options"]))
    return exports.render_terraform(
        manifests,
        kong_config,
        exports.TerraformOptions(
            app_name=release.app_name,
            upload_id=release.upload_id,
            gateway_url=settings.kong.gateway_url or "https://api.example.com",
            path_prefix=path_prefix,
        ),
    )


def gitops_files(
    revision: DeploymentRevision,
    cipher: Cipher,
    gitops: GitopsSettings,
    *,
    repo_url: str,
    branch: str,
    path: str,
    tool: exports.GitopsTool,
) -> dict[str, str]:
    """Path (under `path`) -> text: the manifests the revision applied, exactly as stored (their Secret
    values are blank there), its decK file and the Argo CD / Flux object."""
    release = release_from_revision(revision, cipher)
    manifests = [obj.to_dict() for obj in k8s.load_yaml(revision.manifests)]  # type: ignore[attr-defined]
    return exports.render_gitops(
        manifests,
        _kong_config(revision, release, exports.DECK_API_KEY),
        exports.GitopsOptions(
            app_name=release.app_name,
            upload_id=release.upload_id,
            repo_url=repo_url,
            branch=branch,
            path=path,
            tool=tool,
            external_secret_store=gitops.external_secret_store,
            external_secret_store_kind=gitops.external_secret_store_kind,
            external_secret_key_prefix=gitops.external_secret_key_prefix,
            controller_namespace=gitops.controller_namespace,
        ),
    )


def gitops_message(revision: DeploymentRevision) -> str:
    """The commit message: the upload and revision, so `git log` reads as the deployment history."""
    app_name = (revision.release or {}).get("app_name", "app")
    return (
        f"justpush: {app_name} upload {revision.upload_id} revision {revision.revision}\n\n"
        f"Image: {revision.image}\n"
    )
