"""Typed settings: one pydantic model per `app-config.yaml` section (keys are camelCase in YAML)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic.alias_generators import to_camel


class Section(BaseModel):
    """Base of every section: camelCase keys in YAML, snake_case in Python, unknown keys refused."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


class ServerSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    data_dir: Path = Path("data")
    # In-process worker runs pipelines in the API process; "none" leaves jobs to an external worker.
    worker: str = Field("in-process", pattern="^(in-process|none)$")
    # A running job whose heartbeat is older than this is taken over and recovered by another worker.
    worker_stale_seconds: float = Field(120.0, ge=2)
    log_level: str = Field("INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")
    # "console" for people, "json" (one object per line) for log collectors.
    log_format: str = Field("console", pattern="^(console|json)$")


class DatabaseSettings(Section):
    # Empty means a SQLite file inside server.dataDir.
    url: str = ""


class RegistrySettings(Section):
    """`containerRegistry`: where built images are pushed."""

    url: str = ""
    username: str = ""
    password: SecretStr = SecretStr("")
    # generic (any OCI v2), dockerhub, gcr (GCR/Artifact Registry), ecr
    provider: str = Field("generic", pattern="^(generic|dockerhub|gcr|ecr)$")
    # Repository path under the registry, e.g. "team/apps"; the image name is <repository>/<app>.
    repository: str = "justpush"
    # Plain HTTP to the registry's API. Unset: only for localhost and 127.0.0.0/8, as Docker treats them.
    insecure: bool | None = None
    aws_region: str = ""


class KubernetesSettings(Section):
    api_server: str = ""
    token: SecretStr = SecretStr("")
    namespace: str = "justpush-apps"
    # Namespaces a deployment may ask for besides `namespace`, each by exact name: a user can never
    # deploy into a namespace the operator did not list (kube-system, another team's).
    allowed_namespaces: tuple[str, ...] = ()
    kubeconfig: str = ""
    context: str = ""
    ca_data: str = ""
    insecure_skip_tls_verify: bool = False
    # Namespace (or pod label) of the gateway, for NetworkPolicy ingress rules.
    gateway_namespace: str = "kong"
    rollout_timeout_seconds: int = Field(300, ge=5)
    # A release command (migrations) is stopped after this long and the deploy fails (the Job's deadline).
    release_timeout_seconds: int = Field(600, ge=10, le=86400)
    # How long a pod may take to stop after SIGTERM (also how long a delete may wait for it).
    termination_grace_period_seconds: int = Field(30, ge=0, le=3600)
    # A stopping pod keeps serving this long (preStop sleep) while its endpoint is removed everywhere,
    # so a rollout drops no request even when the app exits at once on SIGTERM; capped below the grace.
    pre_stop_seconds: int = Field(5, ge=0, le=300)

    @property
    def pre_stop_delay(self) -> int:
        """The preStop sleep, leaving the app at least half the grace period to stop on its own."""
        return min(self.pre_stop_seconds, self.termination_grace_period_seconds // 2)

    def namespace_allowed(self, namespace: str) -> bool:
        return namespace == self.namespace or namespace in self.allowed_namespaces


class KongSettings(Section):
    admin_url: str = ""
    admin_token: SecretStr = SecretStr("")
    gateway_url: str = ""
    workspace: str = ""
    timeout_seconds: float = Field(10.0, gt=0)
    # Admin API requests in flight (decK's default parallelism is 10). More is slower: httpcore's pool
    # scans every connection on each request (bench/kong_sync.py: 16 -> 4.2x, 10 -> 6.4x over serial).
    concurrency: int = Field(10, ge=1, le=128)
    # Entities per list request when reading state (Kong allows at most 1000).
    page_size: int = Field(1000, ge=1, le=1000)
    # How Kong reaches an app: "service-dns" (<svc>.<ns>.svc.cluster.local, Kong inside the cluster)
    # or "cluster-ip" (the Service's ClusterIP, for a gateway outside the cluster's DNS).
    upstream: str = Field("service-dns", pattern="^(service-dns|cluster-ip)$")


class DeploymentSettings(Section):
    enabled: bool = False
    # How long the smoke test keeps retrying "not routed yet" answers (502/503/504, and 404 through the
    # gateway) before it reports them: a fresh Service and a fresh gateway route take seconds to work.
    smoke_settle_seconds: float = Field(30.0, ge=0, le=600)


class SandboxSettings(Section):
    # Container runtime for steps that run user code (e.g. "runsc" for gVisor); empty = engine default.
    runtime: str = ""
    cpus: float = Field(2.0, gt=0)
    memory_mb: int = Field(2048, ge=64)
    pids_limit: int = Field(512, ge=16)
    timeout_seconds: int = Field(900, ge=10)


def _default_base_images() -> dict[str, str]:
    # "{version}" is replaced by the runtime version chosen for the project (see `runtimes`); a
    # "<key>@<version>" entry (e.g. "python@3.13") names the image for one version explicitly.
    return {
        "python": "python:{version}-slim",
        "python-runtime": "python:{version}-slim",
        "node": "node:{version}-slim",
        "node-runtime": "node:{version}-slim",
        "go": "golang:{version}",
        "go-runtime": "gcr.io/distroless/static-debian12:nonroot",
        "java": "eclipse-temurin:{version}-jdk",
        "java-runtime": "eclipse-temurin:{version}-jre",
        "debian": "debian:bookworm-slim",
        # Build-tool images for Java projects that ship no mvnw/gradlew wrapper.
        "maven": "maven:3.9-eclipse-temurin-{version}",
        "gradle": "gradle:8-jdk{version}",
    }


class RuntimeVersions(Section):
    """`build.runtimes.<language>`: the versions a "{version}" base image is served for, and the one a
    project that names no version gets (also the version a base image without "{version}" serves)."""

    default: str = ""
    versions: tuple[str, ...] = ()


def _default_runtimes() -> dict[str, RuntimeVersions]:
    return {
        "python": RuntimeVersions(default="3.11", versions=("3.9", "3.10", "3.11", "3.12", "3.13", "3.14")),
        "node": RuntimeVersions(default="18", versions=("18", "20", "22", "24")),
        "go": RuntimeVersions(default="1.23", versions=("1.22", "1.23", "1.24", "1.25")),
        "java": RuntimeVersions(default="17", versions=("11", "17", "21", "25")),
    }


class BuildSettings(Section):
    docker_host: str = ""
    base_images: dict[str, str] = Field(default_factory=_default_base_images)
    runtimes: dict[str, RuntimeVersions] = Field(default_factory=_default_runtimes)
    sandbox: SandboxSettings = SandboxSettings()

    @model_validator(mode="after")
    def _fill_base_images(self) -> BuildSettings:
        # A partial `baseImages` map overrides only the names it gives; a language's runtimes entry
        # only the fields it gives.
        merged = {**_default_base_images(), **self.base_images}
        object.__setattr__(self, "base_images", merged)
        runtimes = _default_runtimes()
        for language, given in self.runtimes.items():
            known = runtimes.get(language, RuntimeVersions())
            runtimes[language] = RuntimeVersions(
                default=given.default or known.default, versions=given.versions or known.versions
            )
        object.__setattr__(self, "runtimes", runtimes)
        return self


class UploadSettings(Section):
    max_bytes: int = Field(200 * 1024 * 1024, ge=1)
    max_files: int = Field(20_000, ge=1)
    max_compression_ratio: float = Field(100.0, gt=1)
    git_timeout_seconds: int = Field(120, ge=1)
    # Only these URL schemes are cloned; file:// and ssh are refused unless listed (tests list "file").
    git_schemes: tuple[str, ...] = ("https",)
    # git_url may reach only public addresses; internal git servers are listed here, by host name or
    # as an IP network ("10.1.0.0/16", "127.0.0.1/32").
    git_allowed_hosts: tuple[str, ...] = ()
    # The compression-ratio check starts above this many decompressed bytes: small, very compressible
    # text trees are normal and the byte limit alone already bounds them.
    ratio_check_min_bytes: int = Field(1024 * 1024, ge=0)


class GitopsSettings(Section):
    """Where `justpush export gitops` and, with `enabled`, every deployment commits the upload's tree."""

    # Commit after every deploy, redeploy and rollback (a failed commit is a warning, not a failure).
    enabled: bool = False
    repo_url: str = ""
    branch: str = "main"
    # Folder in the repository; `{upload_id}` is replaced.
    path: str = "justpush/{upload_id}"
    tool: Literal["argocd", "flux"] = "argocd"
    # HTTPS: the token (or password) of `username`; SSH: a private key file. Used only for repo_url.
    username: str = "git"
    token: SecretStr = SecretStr("")
    ssh_key_file: str = ""
    # Without it, an SSH host key is trusted on first use.
    known_hosts_file: str = ""
    schemes: tuple[str, ...] = ("https", "ssh")
    # Like uploads.gitAllowedHosts: internal git servers, by name or IP network.
    allowed_hosts: tuple[str, ...] = ()
    # For a whole export: fetch, commit and push.
    timeout_seconds: int = Field(60, ge=1, le=3600)
    author_name: str = "JustPush"
    author_email: str = "justpush@localhost"
    # External Secrets Operator store to reference Secrets from; empty leaves Secrets out of the tree.
    external_secret_store: str = ""
    external_secret_store_kind: Literal["SecretStore", "ClusterSecretStore"] = "ClusterSecretStore"
    external_secret_key_prefix: str = "justpush/"
    controller_namespace: str = ""


class RateLimitSettings(Section):
    second: int | None = None
    minute: int | None = 60
    hour: int | None = 1000
    policy: str = Field("local", pattern="^(local|cluster|redis)$")


class CorsSettings(Section):
    enabled: bool = True
    origins: tuple[str, ...] = ("*",)
    methods: tuple[str, ...] = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
    headers: tuple[str, ...] = ("Content-Type", "Authorization", "apikey")
    credentials: bool = False
    max_age: int = 3600


class GatewaySettings(Section):
    rate_limit: RateLimitSettings = RateLimitSettings()
    cors: CorsSettings = CorsSettings()
    # Optional path prefix for every route of a deployment, e.g. "/apps/{upload_id}".
    path_prefix: str = ""
    strip_path: bool = True
    preserve_host: bool = False
    protocols: tuple[str, ...] = ("http", "https")
    connect_timeout_ms: int = 60_000
    read_timeout_ms: int = 60_000
    write_timeout_ms: int = 60_000
    retries: int = 5
    # Plugins an uploaded spec may ask for with `x-kong-plugin-<name>`; any other is dropped with a
    # warning (pre-function would run the spec author's code in the gateway, http-log ship its traffic).
    allowed_plugins: tuple[str, ...] = (
        "cors",
        "rate-limiting",
        "request-size-limiting",
        "request-transformer",
        "response-transformer",
    )


class SecuritySettings(Section):
    # Fernet key (urlsafe base64, 32 bytes) for secrets at rest; empty = generated into dataDir.
    encryption_key: SecretStr = SecretStr("")
    # Private keys and provider tokens committed to an upload would ship in its image: SCANNING warns
    # about them, stops the deployment (block), or does not look (off).
    secret_scan: Literal["warn", "block", "off"] = "warn"
    # Install hooks that fetch and run code, reverse shells, miner markers, exec of decoded blobs, a
    # Dockerfile asking for privileges: a high-severity finding stops the deployment in SCANNING
    # (block), is only reported (warn), or nothing is scanned (off).
    malicious_scan: Literal["block", "warn", "off"] = "block"


class AnalysisSettings(Section):
    """Bounds on the work one analysis may cause; what was cut is reported in its warnings."""

    # Source files (and a repository spec) larger than this are skipped.
    max_file_bytes: int = Field(1_000_000, ge=1)
    # Operations kept in the generated spec; the rest are dropped.
    max_routes: int = Field(2000, ge=1)
    # Encoded size of the spec (generated, repository or merged) as JSON.
    max_spec_bytes: int = Field(5 * 1024 * 1024, ge=1024)
    # Wall time of one analysis; past it the analysis fails and stops at its next check.
    timeout_seconds: float = Field(120.0, gt=0)


class ApiSettings(Section):
    """Bounds on what one request or user may hold on the server."""

    # Request bodies of every route but POST /uploads (which has uploads.maxBytes).
    max_body_bytes: int = Field(1024 * 1024, ge=1024)
    # Open event and log streams per user; more are refused with 429.
    max_streams_per_user: int = Field(8, ge=1)
    # How often an open stream re-checks its token and its upload (it closes when either is gone).
    stream_recheck_seconds: float = Field(10.0, gt=0, le=30)


class Settings(Section):
    server: ServerSettings = ServerSettings()
    database: DatabaseSettings = DatabaseSettings()
    container_registry: RegistrySettings = RegistrySettings()
    kubernetes: KubernetesSettings = KubernetesSettings()
    kong: KongSettings = KongSettings()
    deployment: DeploymentSettings = DeploymentSettings()
    build: BuildSettings = BuildSettings()
    uploads: UploadSettings = UploadSettings()
    gateway: GatewaySettings = GatewaySettings()
    security: SecuritySettings = SecuritySettings()
    analysis: AnalysisSettings = AnalysisSettings()
    api: ApiSettings = ApiSettings()
    gitops: GitopsSettings = GitopsSettings()

    @property
    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.server.data_dir / 'justpush.db').as_posix()}"
