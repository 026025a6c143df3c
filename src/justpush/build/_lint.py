"""Pure Dockerfile lint: reports findings on generated and uploaded Dockerfiles, never rewrites them."""

from __future__ import annotations

import ipaddress
import json
import posixpath
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]

RULE_ROOT_USER = "root-user"
RULE_NO_USER = "no-user"
RULE_UNPINNED_FROM = "unpinned-base-image"
RULE_PIPE_TO_SHELL = "pipe-to-shell"
RULE_ADD_URL = "add-from-url"
RULE_SECRET = "secret-in-env"
RULE_NO_CMD = "no-cmd"
RULE_BUILDKIT_ONLY = "buildkit-only"
RULE_OUTSIDE_CONTEXT = "copy-outside-context"
RULE_PUSHED_IMAGE = "pushed-image"
# Findings that stop the build or the container's start (`breaking_findings`), or that an upload's
# Dockerfile may not do at all (`pushed_image_findings`), not style or hardening.
BREAKING_RULES = frozenset({RULE_NO_CMD, RULE_BUILDKIT_ONLY, RULE_OUTSIDE_CONTEXT, RULE_PUSHED_IMAGE})
# Flags the engine's legacy builder (the one builds use) rejects: they need BuildKit.
_BUILDKIT_FLAGS = {
    "RUN": ("--mount", "--network", "--security"),
    "COPY": ("--link", "--chmod", "--parents", "--exclude"),
    "ADD": ("--link", "--chmod", "--checksum", "--keep-git-dir", "--parents", "--exclude"),
}
_HEREDOC = re.compile(r"^<<-?[\'\"]?[A-Za-z_]")

# Whole name parts only, so AUTHOR or BYPASS_CACHE are not taken for secrets.
_SECRET_NAME = re.compile(
    r"(^|_)(PASSWORD|PASSWD|PASS|PWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?|AUTH)(_|$)",
    re.IGNORECASE,
)
_PIPE_TO_SHELL = re.compile(r"\b(curl|wget)\b[^|;&]*\|\s*(sudo\s+)?(\S*/)?(ba|z|da|k)?sh\b", re.IGNORECASE)
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_ROOT_USERS = {"root", "0"}
# $NAME, ${NAME}, ${NAME:-default}, ${NAME:+alternative}: the builder's word expansion.
_VARIABLE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<op>[-+])(?P<word>[^}]*))?\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)
_DOCKER_HUB = {"docker.io", "index.docker.io", "registry-1.docker.io"}


@dataclass(frozen=True)
class LintFinding:
    rule: str
    line: int
    message: str
    severity: Severity


@dataclass(frozen=True)
class _Instruction:
    line: int
    keyword: str
    arguments: str


def lint_dockerfile(text: str) -> list[LintFinding]:
    """Findings sorted by line, then rule; an empty list means nothing to report."""
    instructions = _parse(text)
    findings: list[LintFinding] = []
    stage_names: set[str] = set()
    final_user: _Instruction | None = None
    final_from: _Instruction | None = None
    for instruction in instructions:
        keyword, args = instruction.keyword, instruction.arguments
        if keyword == "FROM":
            findings.extend(_check_from(instruction, stage_names))
            final_from, final_user = instruction, None
        elif keyword == "USER":
            final_user = instruction
        elif keyword == "RUN" and _PIPE_TO_SHELL.search(args):
            findings.append(
                _finding(
                    instruction.line,
                    RULE_PIPE_TO_SHELL,
                    "warning",
                    "RUN pipes a download into a shell; fetch, verify a checksum, then execute",
                )
            )
        elif keyword == "ADD" and any(_URL.match(word) for word in _words(args) if not word.startswith("--")):
            findings.append(
                _finding(
                    instruction.line,
                    RULE_ADD_URL,
                    "warning",
                    "ADD fetches a URL at build time; download with a checksum check instead",
                )
            )
        elif keyword in ("ENV", "ARG"):
            findings.extend(
                _finding(
                    instruction.line,
                    RULE_SECRET,
                    "error",
                    f"{keyword} {name} looks like a secret; it stays readable in the image history, "
                    "pass it at run time instead",
                )
                for name in _variable_names(keyword, args)
                if _SECRET_NAME.search(name)
            )
    if final_from is not None:
        if final_user is None:
            findings.append(
                _finding(
                    final_from.line,
                    RULE_NO_USER,
                    "error",
                    "the final stage sets no USER, so the container runs as root",
                )
            )
        elif final_user.arguments.split(":")[0].strip() in _ROOT_USERS:
            findings.append(
                _finding(final_user.line, RULE_ROOT_USER, "error", "the final stage runs as root")
            )
    return sorted(findings, key=lambda finding: (finding.line, finding.rule))


def breaking_findings(text: str) -> list[LintFinding]:
    """What stops an upload's own Dockerfile from building (syntax only BuildKit knows, a COPY from
    outside the context) or its container from starting (no CMD / ENTRYPOINT); sorted by line."""
    findings: list[LintFinding] = []
    # Whether each named stage (or the stage it starts from) sets a command, for a FROM of it.
    stages: dict[str, bool] = {}
    stage: str | None = None
    starts = False
    last_from: _Instruction | None = None
    for instruction in _parse(text):
        keyword, args = instruction.keyword, instruction.arguments
        words = _words(args)
        if keyword == "FROM":
            if stage is not None:
                stages[stage] = starts
            plain = [word for word in words if not word.startswith("--")]
            starts = stages.get(plain[0].lower(), False) if plain else False
            stage = plain[2].lower() if len(plain) >= 3 and plain[1].lower() == "as" else None
            last_from = instruction
            continue
        if keyword in ("CMD", "ENTRYPOINT"):
            starts = True
        findings.extend(_buildkit_only(instruction, words))
        if keyword in ("COPY", "ADD"):
            findings.extend(_outside_context(instruction, words))
    if last_from is not None and not starts:
        findings.append(
            _finding(
                last_from.line,
                RULE_NO_CMD,
                "error",
                "sets no CMD or ENTRYPOINT in its final stage, so the container has nothing to start",
            )
        )
    return sorted(findings, key=lambda finding: (finding.line, finding.rule))


def _buildkit_only(instruction: _Instruction, words: list[str]) -> list[LintFinding]:
    flags = _BUILDKIT_FLAGS.get(instruction.keyword, ())
    used = [word.split("=", 1)[0] for word in words if word.split("=", 1)[0] in flags]
    rest = [word for word in words if not word.startswith("--")]
    if rest and instruction.keyword in ("RUN", "COPY", "ADD") and _HEREDOC.match(rest[0]):
        used.append("a here-document (<<)")
    if not used:
        return []
    what = ", ".join(f"{instruction.keyword} {flag}" if flag.startswith("--") else flag for flag in used)
    return [
        _finding(
            instruction.line,
            RULE_BUILDKIT_ONLY,
            "error",
            f"uses {what}, which only BuildKit understands (the build host uses the classic builder)",
        )
    ]


def _outside_context(instruction: _Instruction, words: list[str]) -> list[LintFinding]:
    if any(word.startswith("--from") for word in words):
        return []
    paths = [word for word in words if not word.startswith("--")]
    if instruction.arguments.startswith("["):
        try:
            loaded = json.loads(instruction.arguments)
        except ValueError:
            loaded = None
        paths = [str(item) for item in loaded] if isinstance(loaded, list) else paths
    sources = [path for path in paths[:-1] if not _URL.match(path)]
    outside = [path for path in sources if posixpath.normpath(path).split("/")[0] == ".."]
    if not outside:
        return []
    return [
        _finding(
            instruction.line,
            RULE_OUTSIDE_CONTEXT,
            "error",
            f"copies {', '.join(outside)} from outside the build context (the Dockerfile's folder), "
            "which a build cannot read",
        )
    ]


def pushed_image_findings(text: str, registry: str, repository: str) -> list[LintFinding]:
    """Where an upload's Dockerfile builds on an image under ``repository`` of ``registry`` (a host),
    where JustPush pushes every deployment's image — a FROM (its ARG defaults expanded), a COPY or ADD
    ``--from`` — or ADDs a URL of that registry: the build host would fetch another tenant's image, with
    whatever access the engine has to the registry. Sorted by line."""
    registry = registry.lower()
    pushed = ("docker.io" if registry in _DOCKER_HUB else registry, repository.strip("/").lower())
    findings: list[LintFinding] = []
    variables: dict[str, str] = {}
    stage_names: set[str] = set()
    seen_from = False
    for instruction in _parse(text):
        keyword, words = instruction.keyword, _words(instruction.arguments)
        if keyword == "ARG" and not seen_from:
            # Only the ARGs before the first FROM reach FROM lines; no build-args are passed.
            for word in words:
                name, has_value, value = word.partition("=")
                variables[name] = _expand(value, variables) if has_value else variables.get(name, "")
            continue
        images: list[str] = []
        if keyword == "FROM":
            seen_from = True
            plain = [word for word in words if not word.startswith("--")]
            if plain:
                images.append(_expand(plain[0], variables))
            if len(plain) >= 3 and plain[1].lower() == "as":
                stage_names.add(plain[2].lower())
        elif keyword in ("COPY", "ADD"):
            sources = [word.split("=", 1)[1] for word in words if word.startswith("--from=")]
            images.extend(
                source for source in sources if source.lower() not in stage_names and not source.isdigit()
            )
        if keyword == "ADD":
            urls = [word for word in words if _URL.match(word)]
            if any(_same_registry(_url_host(url), pushed[0]) for url in urls):
                findings.append(_pushed_finding(instruction, "ADDs a URL of the registry"))
        for image in images:
            reference = _image_name(image)
            if reference is None:
                continue
            host, path = reference
            under = not pushed[1] or path == pushed[1] or path.startswith(pushed[1] + "/")
            if under and _same_registry(host, pushed[0]):
                findings.append(_pushed_finding(instruction, f"builds on {image}, an image"))
    return findings


def _pushed_finding(instruction: _Instruction, what: str) -> LintFinding:
    return _finding(
        instruction.line,
        RULE_PUSHED_IMAGE,
        "error",
        f"{instruction.keyword} {what} JustPush pushes deployments to; an upload's Dockerfile may not "
        "read other deployments' images",
    )


def _expand(word: str, variables: Mapping[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("bare")
        current = variables.get(name, "")
        if match.group("op") == "-":
            return current or _expand(match.group("word"), variables)
        if match.group("op") == "+":
            return _expand(match.group("word"), variables) if current else ""
        return current

    return _VARIABLE.sub(value, word)


def _image_name(image: str) -> tuple[str, str] | None:
    """(registry host, repository path) of an image reference, lowercased, Docker Hub's implied; None
    for what is no reference."""
    name = image.split("@", 1)[0].strip().lower()
    if not name or "$" in name:
        return None
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        host, path = first, rest
    else:
        host, path = "docker.io", name if "/" in name else f"library/{name}"
    last = path.rsplit("/", 1)[-1]
    if ":" in last:
        path = path[: len(path) - len(last)] + last.split(":", 1)[0]
    return ("docker.io" if host in _DOCKER_HUB else host), path


def _url_host(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1].lower()


def _same_registry(host: str, registry: str) -> bool:
    """Whether ``host`` may reach ``registry``: the same name, both on loopback (127.0.0.1 is localhost),
    or an address literal, which this cannot tell apart from the registry's own address."""
    if host == registry:
        return True
    name, _, port = host.rpartition(":") if host.count(":") == 1 else (host, "", "")
    registry_name, _, registry_port = (
        registry.rpartition(":") if registry.count(":") == 1 else (registry, "", "")
    )
    if port != registry_port:
        return False
    return _address(name) or (_loopback(name) and _loopback(registry_name))


def _address(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def _loopback(name: str) -> bool:
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


def base_images(text: str) -> list[tuple[str, int]]:
    """The images a Dockerfile's FROM lines pull, with the line of each (first use): no earlier stage,
    no `scratch`, none built from an ARG (its value is only known to the build)."""
    found: dict[str, int] = {}
    stage_names: set[str] = set()
    for instruction in _parse(text):
        if instruction.keyword != "FROM":
            continue
        words = [word for word in _words(instruction.arguments) if not word.startswith("--")]
        if not words:
            continue
        image = words[0]
        if image.lower() not in stage_names and image != "scratch" and "$" not in image:
            found.setdefault(image, instruction.line)
        if len(words) >= 3 and words[1].lower() == "as":
            stage_names.add(words[2].lower())
    return list(found.items())


def _finding(line: int, rule: str, severity: Severity, message: str) -> LintFinding:
    return LintFinding(rule=rule, line=line, message=message, severity=severity)


def _check_from(instruction: _Instruction, stage_names: set[str]) -> list[LintFinding]:
    words = [word for word in _words(instruction.arguments) if not word.startswith("--")]
    if not words:
        return []
    image = words[0]
    if len(words) >= 3 and words[1].lower() == "as":
        stage_names.add(words[2].lower())
    if image.lower() in stage_names or image == "scratch" or "$" in image or "@" in image:
        return []
    last = image.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else None
    if tag is None or tag == "latest":
        what = "has no tag" if tag is None else "uses the 'latest' tag"
        return [
            _finding(
                instruction.line,
                RULE_UNPINNED_FROM,
                "warning",
                f"base image {image} {what}; pin a version (or a digest) for reproducible builds",
            )
        ]
    return []


def _variable_names(keyword: str, args: str) -> list[str]:
    words = _words(args)
    if not words:
        return []
    if keyword == "ENV" and "=" not in words[0]:
        # Legacy `ENV NAME value with spaces` form: one variable.
        return [words[0]]
    return [word.split("=", 1)[0] for word in words if word]


def _words(args: str) -> list[str]:
    try:
        return shlex.split(args, posix=True)
    except ValueError:
        return args.split()


def _parse(text: str) -> list[_Instruction]:
    """Instructions with continuation lines joined; comments and parser directives dropped."""
    instructions: list[_Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not pending):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1])
            continue
        pending.append(stripped)
        joined = " ".join(part.strip() for part in pending if part.strip())
        pending = []
        keyword, _, arguments = joined.partition(" ")
        instructions.append(_Instruction(start, keyword.upper(), arguments.strip()))
    if pending:
        joined = " ".join(part.strip() for part in pending if part.strip())
        keyword, _, arguments = joined.partition(" ")
        instructions.append(_Instruction(start, keyword.upper(), arguments.strip()))
    return instructions
