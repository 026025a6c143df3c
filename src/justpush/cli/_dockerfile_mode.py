"""The `--dockerfile` choice shared by `deploy`, `redeploy`, `dockerfile` and `build`."""

from __future__ import annotations

from enum import StrEnum


class DockerfileMode(StrEnum):
    """build.DockerfileMode, spelled out so that the CLI starts without the build stack."""

    AUTO = "auto"
    REPO = "repo"
    GENERATED = "generated"


DOCKERFILE_HELP = (
    "auto: the project's own Dockerfile when it passes the checks, else a generated one (with a warning "
    "saying why); repo: its own or fail; generated: always JustPush's."
)
