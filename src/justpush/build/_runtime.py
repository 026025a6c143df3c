"""Which language version a generated image runs, and the base images for it.

The profile carries the version requirement as the project wrote it (``language_version``, with the
file it came from as evidence): a pin (``.python-version`` 3.12.1, ``.nvmrc`` v20.11.0 or lts/iron,
Pipfile ``python_version``), a range (``requires-python >=3.12``, poetry ``^3.10``, ``engines.node
>=18 <21``) or a minimum (go.mod's ``go 1.22``, the Java release of pom.xml / build.gradle). It is
matched against the versions the configured base images serve (``build.runtimes`` and the
``<key>@<version>`` entries of ``build.baseImages``); a requirement nothing serves is an error that
names the version, where it was read and the setting to change.

The profile's ``runtime_limits`` (exact pins of releases that fail from some line on, see
analysis/runtime_limits.yaml) rule out the lines at or above where they break: without a requirement of
its own the project gets the configured default if the pins allow it, else the newest line they allow;
pins no configured line allows are an error naming the package, its pin, where it was read and what to
change.

A version line (node 20, Python 3.12) serves a range that any of its releases meets: its first and
newest releases and every release the range itself names are tried (``~20.11`` and ``==3.11.4`` are
served by node 20 and Python 3.11, whose images carry the line's newest release).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import nodesemver
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from justpush.analysis import ProjectProfile, RuntimeLimit
from justpush.config import RuntimeVersions
from justpush.errors import GenerationError

VERSION_PLACEHOLDER = "{version}"
# Image keys that follow the language version; others (go-runtime, debian) serve every version.
_VERSIONED_KEYS = {
    "python": ("python", "python-runtime"),
    "node": ("node", "node-runtime"),
    "go": ("go",),
    "java": ("java", "java-runtime", "maven", "gradle"),
}
# Stand-in for "the newest patch / minor release of a line" when matching a range.
_NEWEST = 999999
_PIN = re.compile(r"^v?(\d+(?:\.\d+)*)$")
_NODE_LTS = {
    "argon": "4",
    "boron": "6",
    "carbon": "8",
    "dubnium": "10",
    "erbium": "12",
    "fermium": "14",
    "gallium": "16",
    "hydrogen": "18",
    "iron": "20",
    "jod": "22",
    "krypton": "24",
}


@dataclass(frozen=True)
class RuntimeChoice:
    """The version line a generated image runs, why, and the base images for it."""

    language: str
    version: str
    # The requirement as written, and where ("pyproject.toml:3 requires-python"); None = none found.
    requested: str | None
    source: str | None
    images: Mapping[str, str]
    # Set when no image serves the project's pin and a line its declared range allows stands in: why.
    instead_of_pin: str | None = None

    def describe(self) -> str:
        name = {"python": "Python", "node": "Node.js", "go": "Go", "java": "Java"}[self.language]
        image = self.images.get(self.language, "")
        if self.requested is None:
            why = f"the project names no version: build.runtimes.{self.language}.default"
        else:
            why = f"{self.requested!r} from {self.source}"
        return f"{name} {self.version} ({why}), base image {image}"


def resolve_runtime(
    profile: ProjectProfile, base_images: Mapping[str, str], runtimes: Mapping[str, RuntimeVersions]
) -> RuntimeChoice | None:
    """The runtime for ``profile``; None for a language without versioned images."""
    language = profile.language
    if language not in _VERSIONED_KEYS:
        return None
    configured = runtimes.get(language, RuntimeVersions())
    served = served_versions(language, base_images, configured)
    requested = (profile.language_version or "").strip() or None
    source = _source(profile) if requested else None
    limits = profile.runtime_limits
    instead_of_pin = None
    if requested is None:
        version = configured.default
        if not version:
            raise GenerationError(f"build.runtimes.{language}.default is not set")
        if _blocking(limits, version):
            allowed = [v for v in reversed(served) if not _blocking(limits, v)]
            if not allowed:
                raise _limit_error(language, limits, served or [version])
            version = allowed[0]
    else:
        candidates = _acceptable(language, requested, served)
        if candidates is None:
            raise GenerationError(
                f"{language} version {requested!r} (from {source}) is not a version JustPush can read; "
                "fix it there, or set the profile's language_version"
            )
        pinned: tuple[str, str | None] | None = None
        declared = profile.language_range
        if not candidates and declared and "language_version" not in profile.overridden:
            # A developer's pin nothing serves: a line the project declares it runs on stands in.
            widened = _acceptable(language, declared, served) or []
            if widened:
                pinned = requested, source
                candidates, requested, source = widened, declared, _source(profile, "language_range")
        if not candidates:
            offered = ", ".join(served) or "none"
            nearest = _nearest(language, requested, served, limits)
            if nearest is not None:
                instead = (
                    "; to try one that is served on this deploy only, set the profile's language_version"
                    f" (justpush deploy --set language_version={nearest})"
                )
            elif language == "go":
                instead = "; the go line is a minimum, which an older Go toolchain cannot build"
            else:
                instead = ""
            raise GenerationError(
                f"{language} version {requested!r} (from {source}) cannot be served: the configured base "
                f"images serve {offered}. Add the version to build.runtimes.{language}.versions (with a "
                f'"{VERSION_PLACEHOLDER}" in build.baseImages.{language}) or set build.baseImages.'
                f"{language}@<version>, or change the requirement in the project{instead}",
                details={"language": language, "requested": requested, "source": source, "served": served},
            )
        allowed = [v for v in candidates if not _blocking(limits, v)]
        if not allowed:
            error = _limit_error(language, limits, candidates, requested=f"{requested!r} from {source}")
            other = _nearest(language, requested, [v for v in served if v not in candidates], limits)
            if other is not None and "language_version" in profile.overridden:
                # The user's own choice is ruled out while another served line is not: name it.
                error = GenerationError(
                    f"{error.message} {_NAMES.get(language, language)} {other}, which the base images also"
                    f" serve, has no such limit: justpush deploy --set language_version={other}",
                    details=error.details,
                )
            raise error
        version = allowed[0]
        if pinned is not None:
            instead_of_pin = (
                f"{language} {pinned[0]} (from {pinned[1]}) is not served by the configured base images: "
                f"building with {version}, which {requested!r} ({source}) allows. To run {pinned[0]}, add it "
                f"to build.runtimes.{language}.versions or set build.baseImages.{language}@{pinned[0]}"
            )
    versioned = _VERSIONED_KEYS[language]
    images = {
        key: image_for(base_images, key, language, version) if key in versioned else image
        for key, image in base_images.items()
        if "@" not in key
    }
    return RuntimeChoice(language, version, requested, source, images, instead_of_pin)


_NAMES = {"python": "Python", "node": "Node.js", "go": "Go", "java": "Java"}


def _nearest(
    language: str, requested: str, served: list[str], limits: tuple[RuntimeLimit, ...]
) -> str | None:
    """The served line closest to the one requested that no pinned release rules out (the newer of
    two as close); for Go only lines at or above it, since the go line is a minimum."""
    wanted = _key(requested)[:2]
    allowed = [v for v in served if not _blocking(limits, v)]
    if language == "go":
        allowed = [v for v in allowed if _key(v)[:2] >= wanted]
    if not allowed or not wanted:
        return None

    def distance(version: str) -> tuple[int, int, tuple[int, ...]]:
        key = _key(version)[:2]
        same_major = key[:1] == wanted[:1]
        minor = abs(key[1] - wanted[1]) if same_major and len(key) > 1 and len(wanted) > 1 else 0
        return (0 if same_major else abs(key[0] - wanted[0]) + 1, minor, tuple(-k for k in key))

    return min(allowed, key=distance)


def _blocking(limits: tuple[RuntimeLimit, ...], version: str) -> list[RuntimeLimit]:
    """The limits that rule out the line ``version`` (it is at or above where they break)."""
    return [limit for limit in limits if _key(version)[: len(_key(limit.breaks))] >= _key(limit.breaks)]


def _limit_error(
    language: str, limits: tuple[RuntimeLimit, ...], lines: list[str], *, requested: str | None = None
) -> GenerationError:
    """Every line the project could run is at or above where a pinned release breaks: name the first
    such pin (oldest break first), what fails, and both ways out."""
    name = _NAMES.get(language, language)
    limit = min((lim for v in lines for lim in _blocking(limits, v)), key=lambda lim: _key(lim.breaks))
    where = f"{limit.evidence.file}:{limit.evidence.line}" if limit.evidence.line else limit.evidence.file
    older = f"older than {name} {limit.breaks}"
    ordered = sorted(lines, key=_key)
    offered = ", ".join(ordered)
    scope = f"{requested} allows {offered}" if requested else f"the configured base images serve {offered}"
    return GenerationError(
        f"{limit.package} {limit.version} (pinned in {where}) does not work on {name} {limit.breaks} or "
        f"newer: {limit.why}. {scope[0].upper()}{scope[1:]}. Pin a {limit.package} release that supports "
        f"{name} {ordered[-1]} in {limit.evidence.file}, or serve a {name} line {older}: add it to "
        f'build.runtimes.{language}.versions (with a "{VERSION_PLACEHOLDER}" in build.baseImages.{language}) '
        f"or set build.baseImages.{language}@<version>. Source: {limit.source}",
        details={
            "language": language,
            "package": limit.package,
            "pinned": limit.version,
            "source": where,
            "breaks": limit.breaks,
            "served": ordered,
        },
    )


def served_versions(language: str, base_images: Mapping[str, str], configured: RuntimeVersions) -> list[str]:
    """Every version line the configuration can build ``language`` with, oldest first."""
    found = {key.split("@", 1)[1] for key in base_images if key.startswith(f"{language}@")}
    if VERSION_PLACEHOLDER in base_images.get(language, ""):
        found.update(configured.versions)
    elif configured.default:
        found.add(configured.default)
    return sorted(found, key=_key)


def image_for(base_images: Mapping[str, str], key: str, language: str, version: str) -> str:
    """The image ``key`` names for ``version``: an explicit ``key@version`` entry, else the template."""
    explicit = base_images.get(f"{key}@{version}")
    if explicit:
        return explicit
    template = base_images[key]
    if VERSION_PLACEHOLDER in template:
        return template.replace(VERSION_PLACEHOLDER, version)
    if key == f"{language}-runtime" and base_images.get(f"{language}@{version}"):
        # A fixed runtime image serves the default version; the explicit build image runs this one.
        return base_images[f"{language}@{version}"]
    return template


def _acceptable(language: str, requested: str, served: list[str]) -> list[str] | None:
    """The served lines that satisfy ``requested``, best first; None when it cannot be read."""
    if language == "node":
        return _node(requested, served)
    if language == "python":
        return _python(requested, served)
    minimum = _PIN.match(requested.removeprefix("go"))
    if minimum is None:
        return None
    wanted = _key(minimum.group(1))
    if language == "java" and wanted[:1] == (1,) and len(wanted) > 1:
        wanted = wanted[1:]  # "1.8" is Java 8
    if language == "go":
        # go.mod's `go` line is a minimum and Go keeps old code building: the newest toolchain.
        width = len(wanted[:2])
        return [v for v in reversed(served) if _key(v)[:width] >= wanted[:2]]
    # A Java release is a minimum too, but build tools lag new JDKs (Gradle 7 fails on 21): the
    # closest release at or above it.
    return [v for v in served if _key(v)[:1] >= wanted[:1]]


def _python(requested: str, served: list[str]) -> list[str] | None:
    pin = _PIN.match(requested.removeprefix("python-").removeprefix("python"))
    if pin is not None:
        # A pinned 3.12 or 3.12.1 is served by the 3.12 line.
        line = ".".join(pin.group(1).split(".")[:2])
        return [v for v in served if v == line]
    if "^" in requested or re.search(r"~(?!=)", requested) or "||" in requested:
        # Poetry's constraint syntax is npm's, with commas.
        return _node(requested.replace(",", " "), served, lines=2)
    try:
        specifier = SpecifierSet(requested)
    except InvalidSpecifier:
        return None
    return [
        v
        for v in reversed(served)
        if any(specifier.contains(release, prereleases=False) for release in _releases(v, requested))
    ]


def _node(requested: str, served: list[str], *, lines: int = 1) -> list[str] | None:
    text = requested.strip()
    alias = text.lower()
    if alias in ("node", "stable", "latest", "current", "lts/*", "*"):
        return list(reversed(served))
    if alias.startswith("lts/"):
        major = _NODE_LTS.get(alias.removeprefix("lts/"))
        return None if major is None else [v for v in served if v == major]
    pin = _PIN.match(text)
    if pin is not None:
        line = ".".join(pin.group(1).split(".")[:lines])
        return [v for v in served if v == line]
    try:
        nodesemver.make_range(text, loose=True)
    except ValueError:
        return None
    return [
        v
        for v in reversed(served)
        if any(nodesemver.satisfies(release, text, loose=True) for release in _releases(v, text))
    ]


def _releases(line: str, requirement: str) -> list[str]:
    """Releases of ``line`` to try against a range: its first, its newest, and those the range names."""
    parts = line.split(".")[:3]
    first = ".".join(parts + ["0"] * (3 - len(parts)))
    newest = ".".join(parts + [str(_NEWEST)] * (3 - len(parts)))
    named = []
    for match in re.findall(r"\d+(?:\.\d+){0,2}", requirement):
        numbers = match.split(".")
        if numbers[: len(parts)] == parts:
            named.append(".".join(numbers + ["0"] * (3 - len(numbers))))
    return [first, newest, *named]


def _source(profile: ProjectProfile, field: str = "language_version") -> str:
    evidence = profile.evidence.get(field, ())
    if not evidence:
        return "the profile"
    first = evidence[0]
    where = f"{first.file}:{first.line}" if first.line else first.file
    return f"{where} {first.note}".strip()


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))
