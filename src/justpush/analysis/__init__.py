"""Project detection and OpenAPI extraction, statically (no user code is run).

``analyze(root, options)`` detects the project (``detection``), lets the language package
(``python``, ``node``, ``java``, ``go``: a front-end, a value resolver and one module per framework)
find routes, schemas, security, env vars and the port,
builds an OpenAPI 3.1 document (``_spec``) and decides about a spec already in the repository.

Contract for language packages — ``justpush.analysis.<lang>`` exposes::

    def extract(root: Path, profile: ProjectProfile) -> ExtractedApi
    def scan_env(root: Path, profile: ProjectProfile) -> list[EnvVar]
    def find_port(root: Path, profile: ProjectProfile) -> tuple[int, Evidence] | None

- ``root`` is the app directory (upload root joined with ``profile.app_dir``); read files only with
  ``_files.iter_sources(root, suffixes, warnings)``, whose ``SourceFile.path`` is relative to ``root``.
- Every ``Evidence.file`` is relative to the UPLOAD root: use ``_files.evidence_path(profile.app_dir, path)``
  (it prefixes ``profile.app_dir`` unless that is ".").
- Never raise on broken input: append a warning ("<file>: <what>") to ``ExtractedApi.warnings`` and go
  on. The dispatcher still guards every call (RecursionError, any Exception -> a warning).
- Paths are OpenAPI templates ("/users/{id}"), always starting with "/", prefixes already joined.
  Path params: ``Parameter(name, "path", schema, required=True)``.
- Schemas: put named ones in ``ExtractedApi.schemas[name]`` and refer to them as
  ``{"$ref": "#/components/schemas/<name>"}``; JSON Schema 2020-12 (OpenAPI 3.1): nullable is
  ``{"type": ["string", "null"]}`` / ``anyOf`` with ``{"type": "null"}``. A type that cannot be
  resolved becomes ``{"x-justpush-unresolved": "<reason>"}``; an operation part that cannot be
  resolved goes in ``Operation.unresolved[part] = reason`` (part: "path", "body", "response", ...).
- Security: ``ExtractedApi.security_schemes[name]`` holds OpenAPI securitySchemes objects;
  ``Operation.security`` is a requirement list (``[{"ApiKeyAuth": []}]``), ``[]`` = explicitly public,
  ``None`` = the document default.
- Env vars: build them with ``_env.make_env_var(name, default, required, evidence)`` (it classes
  secrets by name) and merge duplicates with ``_env.merge_env_vars``; sorting is done by the caller.
- Framework ids (``ProjectProfile.framework``): python ``fastapi``, ``flask``, ``django``; node
  ``express``, ``fastify``, ``nestjs``, ``koa``; java ``spring-boot``, ``jdk-httpserver``; go
  ``net-http``, ``gin``, ``echo``, ``chi``, ``fiber``, ``gorilla-mux``.
"""

from ._analyze import AnalysisOptions, AnalysisResult, analyze, profile_from_dict, profile_to_dict
from ._conflicts import check_conflicts
from ._env import DEVELOPMENT_SECRET, is_secret_name, required_reason
from ._model import (
    BackingService,
    DependencyConflict,
    EnvVar,
    Evidence,
    ExtractedApi,
    Operation,
    Parameter,
    ProjectProfile,
    RuntimeLimit,
)
from ._release import command_from_text
from ._services import check_services
from ._spec import SpecOptions, build_spec, validation_error
from ._writable import database_file_folder, is_database_file_url
from .detection import apply_overrides, detect, resolve_root

__all__ = [
    "DEVELOPMENT_SECRET",
    "AnalysisOptions",
    "AnalysisResult",
    "BackingService",
    "DependencyConflict",
    "EnvVar",
    "Evidence",
    "ExtractedApi",
    "Operation",
    "Parameter",
    "ProjectProfile",
    "RuntimeLimit",
    "SpecOptions",
    "analyze",
    "apply_overrides",
    "build_spec",
    "check_conflicts",
    "check_services",
    "command_from_text",
    "database_file_folder",
    "detect",
    "is_database_file_url",
    "is_secret_name",
    "profile_from_dict",
    "profile_to_dict",
    "required_reason",
    "resolve_root",
    "validation_error",
]
