"""Pinned releases that fail on newer runtime lines, from the data table ``runtime_limits.yaml``.

Only exact pins count (``Django==1.10.5``, a lockfile's resolved ``sqlite3 4.0.9``): a range lets the
installer pick a release that works, so it never limits the runtime.

The tables are parsed (and packaging imported) only for a project naming a package they know: their
package names are read from the text first, which keeps the analysis of a small app light.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ._files import evidence_path
from ._model import Evidence, RuntimeLimit

# The data table of pinned releases and the runtime lines they fail on (a file of this package).
RUNTIME_LIMITS = "runtime_limits.yaml"
_PACKAGE_LINE = re.compile(r"^\s*-\s*package:\s*\"?([\w.-]+)", re.MULTILINE)


@cache
def table_text(name: str) -> str:
    """The text of the data table ``name`` (a file of this package)."""
    return resources.files("justpush.analysis").joinpath(name).read_text("utf-8")


@cache
def table_packages(name: str) -> frozenset[str]:
    """The package names of the data table ``name``, read without parsing it."""
    return frozenset(_PACKAGE_LINE.findall(table_text(name)))


@dataclass(frozen=True)
class _Entry:
    """One row of runtime_limits.yaml."""

    package: str
    versions: str
    breaks: str
    why: str
    source: str


@cache
def _table() -> dict[str, tuple[_Entry, ...]]:
    import yaml  # lazily, as the table: most projects pin nothing it could know

    raw = yaml.safe_load(table_text(RUNTIME_LIMITS))
    return {
        language: tuple(
            _Entry(
                str(e["package"]),
                str(e["versions"]),
                str(e["breaks"]),
                " ".join(str(e["why"]).split()),
                " ".join(str(e["source"]).split()),
            )
            for e in entries
        )
        for language, entries in raw.items()
    }


def find_runtime_limits(
    language: str, pins: Iterable[tuple[str, str, str, int | None]], app_dir: str
) -> tuple[RuntimeLimit, ...]:
    """The limits the exact pins (normalised name, version, file relative to ``app_dir``, line) put on
    ``language``'s runtime, one per pinned package (the first pin read wins), sorted by package."""
    pins = [pin for pin in pins if pin[0] in table_packages(RUNTIME_LIMITS)]
    if not pins:
        return ()
    entries = _table().get(language, ())
    known = {entry.package for entry in entries}
    found: dict[str, RuntimeLimit] = {}
    for name, version, file, line in pins:
        if name not in known or name in found:
            continue
        # A lockfile's version is what gets installed; a manifest's exact pin says the same.
        note = "locked" if file.endswith((".lock", "-lock.json", "shrinkwrap.json")) else "exact pin"
        evidence = Evidence(evidence_path(app_dir, file), line, note)
        for entry in entries:
            if entry.package == name and _covers(language, entry.versions, version):
                found[name] = RuntimeLimit(name, version, entry.breaks, entry.why, entry.source, evidence)
                break
    return tuple(found[name] for name in sorted(found))


def _covers(language: str, versions: str, version: str) -> bool:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    if language == "node":
        import nodesemver  # lazily: it sets up logging, which a small app's analysis does without

        try:
            return bool(nodesemver.satisfies(version, versions, loose=True))
        except ValueError:
            return False
    try:
        return SpecifierSet(versions).contains(Version(version), prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        return False
