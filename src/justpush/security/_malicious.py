"""Malicious patterns in what ships in the build context: install hooks that fetch and run code,
reverse shells, miners, exec of decoded blobs, and a Dockerfile that asks for privileges.

The rules are data (``malicious_rules.yaml``), regular expressions kept tight enough that a finding
is worth stopping a deployment for. Maintained scanners were weighed: GuardDog (malicious package
heuristics) runs on Semgrep, whose start-up alone costs seconds of the 2-3 s pipeline overhead budget
and which does not look at Dockerfiles; YARA would only swap the regex engine for a native one.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
import time
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

from ._textfiles import Files, text_files

Severity = Literal["high", "medium"]
# The Dockerfile the build uses is scanned under this name, wherever the upload keeps it.
DOCKERFILE = "Dockerfile"
_CONTINUATION = re.compile(r"\\[ \t]*\n")
# Longer lines are matched on their start only (minified or generated text, not hand-written code).
MAX_LINE = 4000


@dataclass(frozen=True)
class MaliciousFinding:
    path: str
    line: int
    rule: str
    severity: Severity
    description: str

    def message(self) -> str:
        return f"{self.path}:{self.line}: {self.description} [{self.rule}, {self.severity}]"


@dataclass(frozen=True)
class _Rule:
    id: str
    severity: Severity
    description: str
    files: tuple[str, ...]
    # One pattern: a line matches. Several: each must match somewhere in the file.
    patterns: tuple[re.Pattern[str], ...]

    def applies_to(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, glob) for glob in self.files)

    def find(self, lines: list[tuple[int, str]]) -> int | None:
        """The line of the finding, or None."""
        found = None
        for pattern in self.patterns:
            found = next((number for number, text in lines if pattern.search(text, 0, MAX_LINE)), None)
            if found is None:
                return None
        return found


def _rule(raw: dict[str, Any]) -> _Rule:
    patterns = [raw["pattern"]] if "pattern" in raw else list(raw["all"])
    return _Rule(
        id=str(raw["id"]),
        severity=raw["severity"],
        description=str(raw["description"]),
        files=tuple(str(glob) for glob in raw["files"]),
        patterns=tuple(re.compile(p, re.MULTILINE) for p in patterns),
    )


@cache
def rules() -> tuple[_Rule, ...]:
    text = resources.files("justpush.security").joinpath("malicious_rules.yaml").read_text("utf-8")
    return tuple(_rule(raw) for raw in yaml.safe_load(text))


def _lines(text: str, *, dockerfile: bool) -> list[tuple[int, str]]:
    """Numbered lines; a Dockerfile's continued instructions are joined (numbered by their first line)."""
    if not dockerfile:
        return list(enumerate(text.splitlines(), start=1))
    joined: list[tuple[int, str]] = []
    start, parts = 1, list[str]()
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        if not parts:
            start = number
        parts.append(line)
        if not _CONTINUATION.search(line):
            joined.append((start, _CONTINUATION.sub(" ", "".join(parts)).rstrip("\n")))
            parts = []
    if parts:
        joined.append((start, _CONTINUATION.sub(" ", "".join(parts)).rstrip("\n")))
    return joined


def _scan_text(relative: str, text: str, *, name: str) -> list[MaliciousFinding]:
    applicable = [rule for rule in rules() if rule.applies_to(name)]
    if not applicable:
        return []
    lines = _lines(text, dockerfile=name == DOCKERFILE)
    findings = []
    for rule in applicable:
        line = rule.find(lines)
        if line is not None:
            findings.append(MaliciousFinding(relative, line, rule.id, rule.severity, rule.description))
    return findings


def scan_malicious(
    files: Files,
    *,
    dockerfile: tuple[str, str] | None = None,
    max_file_bytes: int = 1024 * 1024,
    max_findings: int = 50,
    max_seconds: float = 60.0,
) -> list[MaliciousFinding]:
    """Findings in ``files`` (the build context's, from ``build.context_files``) and in the upload's own
    ``dockerfile`` (its path and text), high severity first. A scan that runs out of ``max_seconds``
    fails closed: a high-severity ``scan-incomplete`` finding names the first file it did not finish."""
    findings: list[MaliciousFinding] = []
    deadline = time.monotonic() + max_seconds
    if dockerfile is not None:
        findings += _scan_text(dockerfile[0], dockerfile[1], name=DOCKERFILE)
    for relative, text in text_files(files, max_file_bytes=max_file_bytes):
        if time.monotonic() > deadline:
            findings.append(
                MaliciousFinding(
                    relative,
                    1,
                    "scan-incomplete",
                    "high",
                    f"the scan did not finish within {max_seconds:g} s",
                )
            )
            break
        findings += _scan_text(relative, text, name=posixpath.basename(relative))
        if len(findings) >= max_findings:
            break
    order = {"high": 0, "medium": 1}
    return sorted(findings[:max_findings], key=lambda f: (order[f.severity], f.path, f.line, f.rule))
