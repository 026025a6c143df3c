"""Typed results of analysis: the ProjectProfile and the language-neutral API model extractors fill."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

Language = Literal["python", "node", "java", "go", "unknown"]
HttpMethod = Literal["get", "put", "post", "delete", "options", "head", "patch", "trace"]
ParamLocation = Literal["path", "query", "header", "cookie"]


@dataclass(frozen=True)
class Evidence:
    """Where a conclusion came from: a file relative to the upload root, a 1-based line, a short note."""

    file: str
    line: int | None = None
    note: str = ""


@dataclass(frozen=True)
class EnvVar:
    """An environment variable the app reads, what is known of its value, and where it is read."""

    name: str
    default: str | None = None
    secret: bool = False
    # Required when the code reads it without a default.
    required: bool = False
    evidence: tuple[Evidence, ...] = ()
    # From a `.env.example`-style file: its value as a hint (never deployed; None for a secret) and the
    # comment above it.
    example: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class BackingService:
    """A database, cache or broker the app talks to: the driver that says so and the variables the code
    reads to find it (`satisfied` when one of them already has a value a pod can use)."""

    kind: str
    dependency: str
    evidence: Evidence
    variables: tuple[str, ...] = ()
    satisfied: bool = False
    # Where the code writes out an address no pod can reach, when no variable configures the service.
    written_at: Evidence | None = None


@dataclass(frozen=True)
class RuntimeLimit:
    """A pinned dependency whose release fails from a runtime line on (analysis/runtime_limits.yaml):
    the image must run an older line (``breaks``: "3.10", "18")."""

    package: str
    version: str
    breaks: str
    why: str
    source: str
    evidence: Evidence


@dataclass(frozen=True)
class DependencyConflict:
    """A declared requirement that installs a release failing at import unless a dependency stays old
    (analysis/dependency_conflicts.yaml), which the project does not keep old."""

    package: str
    # The release installed ("1.1.4"), or the requirement's range when any release inside it fails.
    version: str
    requirement: str
    # The dependency and the releases it must stay within ("markupsafe<2.1").
    needs: str
    why: str
    source: str
    evidence: Evidence


@dataclass(frozen=True)
class ProjectProfile:
    """Everything later stages (Dockerfile, manifests, Kong) need to know about the uploaded project."""

    language: Language
    app_dir: str = "."
    language_version: str | None = None
    # What the project declares it runs on (requires-python, engines.node) when language_version is a
    # developer's pin (.python-version, .nvmrc): a served line within it may stand in for the pin.
    language_range: str | None = None
    framework: str | None = None
    package_manager: str | None = None
    # The version the project asks of its package manager, when the image must install it itself
    # (pnpm without corepack): package.json's `packageManager`, else the major its lockfile format needs.
    package_manager_version: str | None = None
    lockfile: str | None = None
    # Manifests and lockfiles relative to app_dir, copied before the source for layer caching.
    dependency_files: tuple[str, ...] = ()
    entrypoint: str | None = None
    # Exec form, run from the app directory inside the image.
    start_command: tuple[str, ...] = ()
    build_command: tuple[str, ...] = ()
    # Exec form, run once per deploy in a Job with the new image before the rollout (migrations).
    release_command: tuple[str, ...] = ()
    # The release command runs in each pod before the app instead: its database is a file in the pod.
    release_in_pod: bool = False
    port: int = 8080
    typescript: bool = False
    dockerfile: str | None = None
    openapi_files: tuple[str, ...] = ()
    env_vars: tuple[EnvVar, ...] = ()
    # field name -> evidence for that field's value
    evidence: dict[str, tuple[Evidence, ...]] = field(default_factory=dict)
    # Fields the user overrode (their values are not re-derived).
    overridden: tuple[str, ...] = ()
    # Project name from the manifest (package.json name, pyproject name, artifactId, go module), if any.
    name: str | None = None
    # The app's own version from the manifest (package.json / pyproject version), the spec's info.version.
    version: str | None = None
    # Folders the app writes to, relative to app_dir ("." = app_dir itself): SQLite files, uploads, media.
    writable_paths: tuple[str, ...] = ()
    # Folders of the upload holding a manifest ("." = the root): where the API could be; app_dir is one.
    app_dir_candidates: tuple[str, ...] = ()
    # Dependencies that compile native code at install: against system libraries (psycopg2, mysqlclient),
    # or a Node addon built by node-gyp when no prebuilt binary fits (bcrypt, sqlite3).
    native_dependencies: tuple[str, ...] = ()
    # Packages the build's output requires at run time that only the development dependencies install
    # (Babel's transform-runtime helpers): the image then keeps every dependency.
    runtime_dev_dependencies: tuple[str, ...] = ()
    # Requirements (pip specifiers) of the server the start command runs when the project does not
    # declare it (a Django app started with gunicorn without gunicorn in requirements.txt).
    server_packages: tuple[str, ...] = ()
    # Databases, caches and brokers the app needs (a driver among its dependencies).
    backing_services: tuple[BackingService, ...] = ()
    # Exact pins of releases that fail on newer runtime lines: the runtime chosen must be older.
    runtime_limits: tuple[RuntimeLimit, ...] = ()
    # Requirements that install a release failing at import: SCANNING stops naming the line to add.
    dependency_conflicts: tuple[DependencyConflict, ...] = ()


@dataclass(frozen=True)
class Parameter:
    """A parameter of an operation (path, query, header or cookie) and its JSON schema."""

    name: str
    location: ParamLocation
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    required: bool = False
    description: str | None = None


@dataclass(frozen=True)
class Operation:
    """One endpoint as the code declares it: method, path, parameters, bodies and security."""

    method: HttpMethod
    # OpenAPI-style path template: "/users/{id}".
    path: str
    operation_id: str | None = None
    summary: str | None = None
    tags: tuple[str, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    request_body: dict[str, Any] | None = None  # a JSON schema (may be a $ref)
    request_content_type: str = "application/json"
    # status code (str) -> JSON schema or None for no body
    responses: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    # OpenAPI security requirement list; None = inherit the document default, [] = public.
    security: list[dict[str, list[str]]] | None = None
    deprecated: bool = False
    # Parts that could not be resolved statically ("path", "body", ...) -> reason.
    unresolved: dict[str, str] = field(default_factory=dict)
    evidence: Evidence | None = None


@dataclass
class ExtractedApi:
    """What one language extractor found; assembled into an OpenAPI document by the spec builder."""

    operations: list[Operation] = field(default_factory=list)
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    security_schemes: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Document-level security requirement (applies where an operation says None).
    default_security: list[dict[str, list[str]]] | None = None
    title: str | None = None
    version: str | None = None
    servers: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def with_parameters_of(kept: Operation, other: Operation) -> Operation:
    """The first of two handlers of one method and path (Spring's `@GetMapping(params = "x")` picks one
    by the query): the query and header parameters of both, each optional unless both require it."""
    ours = {(p.name, p.location) for p in kept.parameters}
    theirs = {(p.name, p.location): p for p in other.parameters}

    def shared(param: Parameter) -> Parameter:
        twin = theirs.get((param.name, param.location))
        if param.location == "path" or not param.required or (twin is not None and twin.required):
            return param
        return replace(param, required=False)

    parameters = [shared(p) for p in kept.parameters]
    parameters += [
        replace(p, required=False) for key, p in theirs.items() if key not in ours and p.location != "path"
    ]
    return replace(kept, parameters=tuple(parameters))
