"""A stored revision as a Terraform module: the objects and Kong entities that revision applied."""

from __future__ import annotations

from pydantic import SecretStr

from justpush import exports, k8s, kong
from justpush.config import Settings
from justpush.store import Cipher, DeploymentRevision

from ._release import release_from_revision

# What the module is written for: current API versions, whatever the cluster JustPush used serves.
_CURRENT_APIS = k8s.ClusterInfo(
    server_version="", hpa_api_version="autoscaling/v2", pdb_api_version="policy/v1", metrics_api=False
)


def terraform_files(revision: DeploymentRevision, cipher: Cipher, settings: Settings) -> dict[str, str]:
    """File name -> text; secret values stay in the revision, the module reads them from variables."""
    release = release_from_revision(revision, cipher)
    manifests = [obj.to_dict() for obj in release.manifests(settings, _CURRENT_APIS)]  # type: ignore[attr-defined]
    kong_config = None
    path_prefix = release.path_prefix(settings)
    stored = revision.kong_config or {}
    if stored.get("target") and stored.get("options"):
        target = kong.KongTarget.model_validate(stored["target"])
        options = kong.KongOptions.model_validate(stored["options"])
        # The key itself is a module variable; this placeholder only makes the credential entity.
        developer = kong.Developer(username=release.consumer_name, api_key=SecretStr("variable"))
        kong_config = kong.openapi_to_kong(
            release.spec, target, options.model_copy(update={"developers": (developer,)})
        )
        path_prefix = kong.gateway_prefix(target, options)
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
