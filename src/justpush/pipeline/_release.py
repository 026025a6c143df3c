"""A Release is one complete desired state of a deployment — what a revision stores and re-applies.

Revisions keep the rendered manifests with every Secret value blanked; the values travel in the
revision's encrypted `secret_env` (`manifest:<secret>/<key>` entries, beside the user's own secrets as
`option:<NAME>`), so no secret reaches the database in plaintext and a rollback is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import Secret

from justpush import analysis, k8s, kong, registry
from justpush.config import Settings
from justpush.store import Cipher, DeploymentRevision

from ._options import AutoscalingOptions, DeployOptions

# The release option's values that turn the release command off.
_RELEASE_DISABLED = frozenset({"", "none"})
_OPTION = "option:"
_MANIFEST = "manifest:"


@dataclass(frozen=True)
class Release:
    app_name: str
    profile: analysis.ProjectProfile
    spec: dict[str, Any]
    # Digest-pinned image reference.
    image: str
    options: DeployOptions
    upload_id: str
    user_id: int | None = None

    def namespace(self, settings: Settings) -> str:
        return self.options.namespace or settings.kubernetes.namespace

    def release_command(self) -> tuple[str, ...]:
        """The command to run: the user's override (or none), else the one the analysis detected."""
        override = self.options.release
        if override is None:
            return self.profile.release_command
        if override.strip().lower() in _RELEASE_DISABLED:
            return ()
        return analysis.command_from_text(override)

    def release_in_pod(self) -> bool:
        """Whether each pod runs the release command on its own copy before the app starts: the
        database is a file in the pod, as the analysis found or a variable the user set says."""
        given = {**self.options.env, **self.options.secrets}.values()
        return self.profile.release_in_pod or any(analysis.is_database_file_url(v) for v in given)

    def path_prefix(self, settings: Settings) -> str:
        prefix = (
            self.options.path_prefix if self.options.path_prefix is not None else settings.gateway.path_prefix
        )
        return prefix.replace("{upload_id}", self.upload_id).rstrip("/")

    @property
    def consumer_name(self) -> str:
        return f"jp-{self.upload_id}-developer"

    def scaling(self) -> tuple[int, k8s.Autoscaling | None]:
        """Replicas and HPA: the size's range unless the options say otherwise."""
        options = self.options
        chosen: k8s.Autoscaling | bool | None = (
            k8s.Autoscaling(
                options.autoscaling.min_replicas,
                options.autoscaling.max_replicas,
                options.autoscaling.cpu_utilization,
            )
            if isinstance(options.autoscaling, AutoscalingOptions)
            else options.autoscaling
        )
        return k8s.scaling_plan(
            options.size, replicas=options.replicas, max_replicas=options.max_replicas, autoscaling=chosen
        )

    @property
    def replicas(self) -> int:
        return self.scaling()[0]

    def app(self) -> k8s.AppDeployment:
        options = self.options
        replicas, autoscaling = self.scaling()
        resources = k8s.Resources(**options.resources.model_dump()) if options.resources else None
        return k8s.app_from_profile(
            self.profile,
            upload_id=self.upload_id,
            app_name=self.app_name,
            image=self.image,
            openapi=self.spec,
            env=options.env,
            secrets=options.secrets,
            replicas=replicas,
            autoscaling=autoscaling,
            resources=resources,
            size=options.size,
            read_only_root=options.read_only_root,
            init_command=self.release_command() if self.release_in_pod() else (),
        )

    def manifests(self, settings: Settings, cluster: k8s.ClusterInfo) -> list[k8s.Manifest]:
        manifest_options = k8s.ManifestOptions(
            namespace=self.namespace(settings),
            hpa_api_version=cluster.hpa_api_version or "autoscaling/v2",
            pdb_api_version=cluster.pdb_api_version or "policy/v1",
            gateway_namespace=settings.kubernetes.gateway_namespace,
            termination_grace_period_seconds=settings.kubernetes.termination_grace_period_seconds,
            pre_stop_seconds=settings.kubernetes.pre_stop_delay,
            native_sleep_action=cluster.native_sleep_action,
            unprivileged_port_sysctl=cluster.unprivileged_port_sysctl,
            registry_credentials=_pull_credentials(settings),
        )
        return k8s.render_manifests(self.app(), manifest_options)

    def to_record(self) -> dict[str, Any]:
        """Everything but secrets, for the revision's `release` column."""
        return {
            "app_name": self.app_name,
            "profile": analysis.profile_to_dict(self.profile),
            "spec": self.spec,
            "image": self.image,
            "options": self.options.public(),
        }


def _pull_credentials(settings: Settings) -> k8s.RegistryCredentials | None:
    """Pods need credentials to pull from a registry that wants them for pushing too."""
    registry_settings = settings.container_registry
    if not registry_settings.username:
        return None
    return k8s.RegistryCredentials(
        server=registry.registry_host(registry_settings),
        username=registry_settings.username,
        password=registry_settings.password.get_secret_value(),
    )


def _name(obj: Secret | Deployment) -> str:
    return (obj.metadata.name if obj.metadata else None) or ""


def deployment_name(objects: list[k8s.Manifest]) -> str:
    return next(_name(o) for o in objects if isinstance(o, Deployment))


def split_secrets(objects: list[k8s.Manifest]) -> tuple[list[k8s.Manifest], dict[str, str]]:
    """The objects with every Secret value blanked, and those values keyed `manifest:<secret>/<key>`."""
    blanked: list[k8s.Manifest] = []
    values: dict[str, str] = {}
    for obj in objects:
        if isinstance(obj, Secret):
            name = _name(obj)
            for field in ("data", "stringData"):
                for key, value in (getattr(obj, field) or {}).items():
                    values[f"{_MANIFEST}{name}/{field}/{key}"] = value
            obj = Secret(
                metadata=obj.metadata,
                type=obj.type,
                data={k: "" for k in obj.data or {}} or None,
                stringData={k: "" for k in obj.stringData or {}} or None,
            )
        blanked.append(obj)
    return blanked, values


def restore_secrets(objects: list[k8s.Manifest], values: dict[str, str]) -> list[k8s.Manifest]:
    restored: list[k8s.Manifest] = []
    for obj in objects:
        if isinstance(obj, Secret):
            name = _name(obj)

            def field_values(
                field: str, keys: dict[str, str] | None, secret: str = name
            ) -> dict[str, str] | None:
                if not keys:
                    return None
                return {k: values.get(f"{_MANIFEST}{secret}/{field}/{k}", "") for k in keys}

            obj = Secret(
                metadata=obj.metadata or ObjectMeta(),
                type=obj.type,
                data=field_values("data", obj.data),
                stringData=field_values("stringData", obj.stringData),
            )
        restored.append(obj)
    return restored


def revision_payload(release: Release, objects: list[k8s.Manifest]) -> tuple[str, dict[str, str]]:
    """The manifests text to store and the encrypted-at-rest values that go with it."""
    blanked, values = split_secrets(objects)
    values.update({f"{_OPTION}{k}": v for k, v in release.options.secrets.items()})
    return k8s.dump_yaml(blanked), values


def release_from_revision(revision: DeploymentRevision, cipher: Cipher) -> Release:
    from justpush import store  # the store imports nothing from here; a late import keeps layers clear

    record = revision.release or {}
    secrets = store.revision_secret_env(revision, cipher)
    options = DeployOptions.from_stored(
        record.get("options", {}),
        {k.removeprefix(_OPTION): v for k, v in secrets.items() if k.startswith(_OPTION)},
    )
    return Release(
        app_name=record["app_name"],
        profile=analysis.profile_from_dict(record["profile"]),
        spec=record["spec"],
        image=revision.image,
        options=options,
        upload_id=revision.upload_id,
    )


def revision_manifests(revision: DeploymentRevision, cipher: Cipher) -> list[k8s.Manifest]:
    from justpush import store

    secrets = store.revision_secret_env(revision, cipher)
    return restore_secrets(k8s.load_yaml(revision.manifests), secrets)


def kong_inputs(
    settings: Settings, release: Release, deployment_info: dict[str, Any]
) -> tuple[kong.KongTarget, kong.KongOptions]:
    """Where Kong sends traffic and how routes are built; no secrets (developers are added by the caller)."""
    url = None
    if settings.kong.upstream == "cluster-ip" and deployment_info.get("cluster_ip"):
        url = f"http://{deployment_info['cluster_ip']}:{deployment_info['port']}"
    target = kong.KongTarget(
        upload_id=release.upload_id,
        name=f"{release.app_name}-{release.upload_id}",
        service_name=deployment_info["service"],
        namespace=deployment_info["namespace"],
        port=deployment_info["port"],
        url=url,
    )
    overrides: dict[str, Any] = {"path_prefix": release.path_prefix(settings)}
    if release.options.rate_limit is not None:
        overrides["rate_limit"] = kong.RateLimit(**release.options.rate_limit.model_dump())
    return target, kong.KongOptions.from_settings(settings.gateway, **overrides)
