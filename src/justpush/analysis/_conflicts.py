"""Declared requirements that install a release which fails at import unless one of its dependencies
is kept old (the data table ``dependency_conflicts.yaml``), when the project does not keep it old.

A requirement installs an entry's release when it pins one inside the entry's ``versions``, when it
allows the entry's ``newest`` release and nothing above ``versions`` (pip takes the newest release a
requirement allows) or ``newest`` is the package's final release, or when everything it allows is
inside ``versions``. The project keeps the dependency old when it declares it with an upper bound
inside ``needs`` (``MarkupSafe==1.1.1``, ``markupsafe<2.1``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from justpush.errors import AnalysisError

from ._files import evidence_path
from ._model import DependencyConflict, Evidence, ProjectProfile
from ._runtime_limits import table_packages, table_text

if TYPE_CHECKING:
    from packaging.requirements import Requirement
    from packaging.specifiers import Specifier, SpecifierSet
    from packaging.version import Version

_TABLE = "dependency_conflicts.yaml"


@dataclass(frozen=True)
class _Entry:
    """One row of dependency_conflicts.yaml."""

    package: str
    versions: SpecifierSet
    newest: Version
    final: bool
    needs: Requirement
    why: str
    source: str


@cache
def _table() -> dict[str, tuple[_Entry, ...]]:
    import yaml
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    return {
        language: tuple(
            _Entry(
                str(e["package"]),
                SpecifierSet(str(e["versions"])),
                Version(str(e["newest"])),
                bool(e.get("final", False)),
                Requirement(str(e["needs"])),
                " ".join(str(e["why"]).split()),
                " ".join(str(e["source"]).split()),
            )
            for e in entries
        )
        for language, entries in yaml.safe_load(table_text(_TABLE)).items()
    }


def find_conflicts(
    language: str, requirements: Iterable[tuple[str, str, str, int | None]], app_dir: str
) -> tuple[DependencyConflict, ...]:
    """The conflicts among the declared requirements (normalised name, PEP 508 text, file relative to
    ``app_dir``, line), one per entry, in the table's order."""
    requirements = list(requirements)
    if not any(name in table_packages(_TABLE) for name, _, _, _ in requirements):
        return ()
    from packaging.utils import canonicalize_name

    declared = [(name, text, _parse(text), file, line) for name, text, file, line in requirements]
    found: list[DependencyConflict] = []
    for entry in _table().get(language, ()):
        needed = canonicalize_name(entry.needs.name)
        if any(name == needed and req is not None and _within(req.specifier, entry.needs.specifier)
               for name, _, req, _, _ in declared):  # fmt: skip
            continue
        for name, text, req, file, line in declared:
            # A requirement for some environments only may not be the one installed.
            surely = name == entry.package and req is not None and req.marker is None
            installed = _installs(entry, req) if surely and req is not None else None
            if installed is not None and req is not None:
                found.append(
                    DependencyConflict(
                        package=entry.package,
                        version=installed,
                        requirement=text,
                        needs=str(entry.needs),
                        why=entry.why,
                        source=entry.source,
                        evidence=Evidence(evidence_path(app_dir, file), line, "requirement"),
                    )
                )
                break
    return tuple(found)


def check_conflicts(profile: ProjectProfile) -> None:
    """Raise, naming the first conflict and the line that resolves it, when the profile has one."""
    if not profile.dependency_conflicts:
        return
    c = profile.dependency_conflicts[0]
    where = f"{c.evidence.file}:{c.evidence.line}" if c.evidence.line else c.evidence.file
    installed = (
        f"{c.package} {c.version}" if c.version[:1].isdigit() else f"a {c.package} release {c.version}"
    )
    from packaging.requirements import Requirement

    raise AnalysisError(
        f"{c.requirement!r} ({where}) installs {installed}, which only imports with {c.needs}: {c.why}. "
        f"Nothing in the project keeps {Requirement(c.needs).name} there, so the app cannot start. Add "
        f"{c.needs!r} to {c.evidence.file}, or move to a {c.package} release that does not need it. "
        f"Source: {c.source}",
        details={"package": c.package, "requirement": c.requirement, "needs": c.needs, "source": where},
    )


def _parse(text: str) -> Requirement | None:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


def _installs(entry: _Entry, requirement: Requirement) -> str | None:
    """The release of ``entry`` that ``requirement`` installs ("1.1.4", or the range when it may be any
    inside ``versions``); None when it may install one outside."""
    specifier = requirement.specifier
    exact = [s for s in specifier if s.operator in ("==", "===") and "*" not in s.version]
    if exact:
        version = _version(exact[0].version)
        return str(version) if version is not None and entry.versions.contains(version, True) else None
    if specifier.contains(entry.newest, prereleases=True) and (
        entry.final or _within(specifier, entry.versions)
    ):
        return str(entry.newest)
    unbounded_below = not any(s.operator in (">", ">=", "~=") for s in entry.versions)
    if unbounded_below and _within(specifier, entry.versions):
        return str(specifier)
    return None


def _within(specifier: SpecifierSet, bound: SpecifierSet) -> bool:
    """Whether every release ``specifier`` allows is below ``bound``'s upper bound (and inside it for
    an exact pin)."""
    limit = _upper(bound)
    if limit is None:
        return False
    from packaging.specifiers import SpecifierSet

    mine = [u for s in specifier if (u := _upper(SpecifierSet(str(s)))) is not None]
    return any(u <= limit for u in mine)


def _upper(specifier: SpecifierSet) -> Version | None:
    """The exclusive upper bound of the releases ``specifier`` allows (``<=1.1.4`` and ``==1.1.4`` are
    taken as below 1.1.4.post0), None without one."""
    bounds: list[Version] = []
    for spec in specifier:
        bound = _bound(spec)
        if bound is not None:
            bounds.append(bound)
    return min(bounds) if bounds else None


def _bound(spec: Specifier) -> Version | None:
    from packaging.version import Version

    text = spec.version
    if spec.operator == "<":
        return _version(text)
    if spec.operator in ("<=", "===") or (spec.operator == "==" and "*" not in text):
        version = _version(text)
        return None if version is None else Version(f"{version.base_version}.post0")
    if spec.operator == "==":  # a wildcard: 1.1.* is below 1.2
        return _next(text.removesuffix(".*"), 0)
    if spec.operator == "~=":  # ~=1.1 is below 2, ~=1.1.4 below 1.2
        return _next(text, 1)
    return None


def _next(text: str, drop: int) -> Version | None:
    parts = text.split(".")
    if drop:
        parts = parts[:-drop]
    if not parts or not all(part.isdigit() for part in parts):
        return None
    parts[-1] = str(int(parts[-1]) + 1)
    return _version(".".join(parts))


def _version(text: str) -> Version | None:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text)
    except InvalidVersion:
        return None
