"""Container images: Dockerfile generation and lint (pure) and sandboxed builds (I/O, ``client``).

See SANDBOX.md for what a build and a sandboxed run isolate, and how.
"""

from ._choice import (
    DOCKERFILE_MODES,
    DockerfileChoice,
    DockerfileMode,
    UnavailableImage,
    choose_dockerfile,
    unavailable_images,
)
from ._context import (
    DOCKERFILE_NAME,
    IgnoreMatcher,
    PreparedDockerfile,
    context_archive,
    context_files,
    prepare_dockerfile,
)
from ._dockerfile import (
    DEFAULT_USER_ID,
    DockerfileOptions,
    GeneratedDockerfile,
    TypeCheck,
    choose_runtime,
    context_dir,
    default_environment,
    render_dockerfile,
)
from ._identity import run_digest
from ._lint import (
    BREAKING_RULES,
    RULE_PUSHED_IMAGE,
    LintFinding,
    Severity,
    base_images,
    breaking_findings,
    lint_dockerfile,
)
from ._runtime import RuntimeChoice
from .client import UPLOAD_LABEL, BuiltImage, DockerBuilder, LocalImage, SandboxRun

__all__ = [
    "BREAKING_RULES",
    "DEFAULT_USER_ID",
    "DOCKERFILE_MODES",
    "DOCKERFILE_NAME",
    "RULE_PUSHED_IMAGE",
    "UPLOAD_LABEL",
    "BuiltImage",
    "DockerBuilder",
    "DockerfileChoice",
    "DockerfileMode",
    "DockerfileOptions",
    "GeneratedDockerfile",
    "IgnoreMatcher",
    "LintFinding",
    "LocalImage",
    "PreparedDockerfile",
    "RuntimeChoice",
    "SandboxRun",
    "Severity",
    "TypeCheck",
    "UnavailableImage",
    "base_images",
    "breaking_findings",
    "choose_dockerfile",
    "choose_runtime",
    "context_archive",
    "context_dir",
    "context_files",
    "default_environment",
    "lint_dockerfile",
    "prepare_dockerfile",
    "render_dockerfile",
    "run_digest",
    "unavailable_images",
]
