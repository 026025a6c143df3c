"""Which Dockerfile a deploy builds with: the upload's own or a generated one (pure).

The mode is the user's choice (`dockerfile: auto | repo | generated`): `repo` insists on the upload's
Dockerfile and fails when it is missing or cannot build; `generated` ignores it; `auto` uses it when
it passes the checks and otherwise falls back to a generated one, saying exactly why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from ._lint import BREAKING_RULES, LintFinding

DockerfileMode = Literal["auto", "repo", "generated"]
DOCKERFILE_MODES: tuple[DockerfileMode, ...] = ("auto", "repo", "generated")


@dataclass(frozen=True)
class UnavailableImage:
    """A base image the build host cannot pull: where the Dockerfile names it and the engine's reason."""

    image: str
    line: int
    reason: str


@dataclass(frozen=True)
class DockerfileChoice:
    """``origin`` None: the mode insists on the upload's Dockerfile and it cannot be used (``error``).
    ``warning``: why ``auto`` fell back to a generated Dockerfile."""

    origin: Literal["upload", "generated"] | None
    warning: str | None = None
    error: str | None = None


def choose_dockerfile(
    mode: DockerfileMode,
    own: str | None,
    findings: Sequence[LintFinding] = (),
    unavailable: Sequence[UnavailableImage] = (),
) -> DockerfileChoice:
    """Decide from the upload's Dockerfile path (``own``, None without one), its lint ``findings`` and
    the base images the build host cannot pull. Only findings that break the build or the start count
    (BREAKING_RULES); hardening findings such as running as root stay warnings."""
    if mode == "generated":
        return DockerfileChoice("generated")
    if own is None:
        if mode == "repo":
            return DockerfileChoice(
                None,
                error="dockerfile=repo, but the upload has no Dockerfile (in the app's folder or at the "
                "top); add one, or choose --dockerfile auto to build with a generated Dockerfile",
            )
        return DockerfileChoice("generated")
    problems = problems_of(own, findings, unavailable)
    if not problems:
        return DockerfileChoice("upload")
    what = f"the upload's Dockerfile {'; it '.join(problems)}"
    if mode == "repo":
        return DockerfileChoice(
            None,
            error=f"{what}. Fix it, or choose --dockerfile auto (or generated) to build with a generated "
            "Dockerfile",
        )
    return DockerfileChoice(
        "generated",
        warning=f"{what}; building with a generated Dockerfile instead — choose --dockerfile repo to insist",
    )


def problems_of(
    own: str, findings: Sequence[LintFinding], unavailable: Sequence[UnavailableImage]
) -> list[str]:
    """Each reason the upload's Dockerfile (at path ``own``) cannot build or start, by line."""
    found: list[tuple[int, str]] = [
        (
            image.line,
            f"uses base image {image.image} the build host cannot pull ({own} line {image.line}: "
            f"{image.reason})",
        )
        for image in unavailable
    ]
    found.extend((f.line, f"{f.message} ({own} line {f.line})") for f in findings if f.rule in BREAKING_RULES)
    return [text for _, text in sorted(found, key=lambda item: item[0])]


def unavailable_images(lines: Mapping[str, int], missing: Mapping[str, str]) -> list[UnavailableImage]:
    """The engine's answer (image -> reason) with each image's Dockerfile line."""
    return [UnavailableImage(image, lines.get(image, 0), reason) for image, reason in missing.items()]
