"""The build context: which Dockerfile to use and the tar stream sent to the Docker Engine.

The tar is built here rather than by the engine client so that the context is exactly the workspace
minus ``.dockerignore`` matches, with no symlink that leads outside it and no special files.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import posixpath
import re
import stat
import tarfile
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

import jinja2

from justpush.analysis import ProjectProfile
from justpush.errors import GenerationError, UploadError

from ._dockerfile import DockerfileOptions, TypeCheck, context_dir, render_dockerfile
from ._lint import LintFinding, breaking_findings, lint_dockerfile, pushed_image_findings
from ._tsconfig import default_lib_check_tsconfigs, fast_emit_tsconfigs

# The Dockerfile travels under a reserved name so an upload's own files never collide with it.
DOCKERFILE_NAME = ".justpush.Dockerfile"
_SPOOL_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class PreparedDockerfile:
    """The Dockerfile a build uses, where it came from, and its lint findings."""

    dockerfile: str
    dockerignore: str
    origin: Literal["generated", "upload"]
    findings: tuple[LintFinding, ...]
    # Build context relative to the upload root.
    context: str
    # Helper files a generated Dockerfile COPYs, added to the build context (see GeneratedDockerfile).
    files: Mapping[str, str] = dataclasses.field(default_factory=dict)
    # A check the build leaves to run beside the push (see TypeCheck).
    type_check: TypeCheck | None = None


def prepare_dockerfile(
    root: Path,
    profile: ProjectProfile,
    options: DockerfileOptions,
    environment: jinja2.Environment | None = None,
    *,
    own: bool = True,
) -> PreparedDockerfile:
    """The upload's own Dockerfile (as-is) when it has one and ``own`` is set, else a generated one;
    both are linted, the upload's also for what would stop its build or start (`breaking_findings`).

    The upload's Dockerfile (a path from the upload root) builds with its own folder as the context, as
    `docker build <folder>` does: the app's folder, or the upload root for a Dockerfile found there."""
    context = context_dir(profile)
    base = root / context
    if own and profile.dockerfile:
        path = _inside(root, root / profile.dockerfile)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise GenerationError(f"cannot read the upload's Dockerfile {profile.dockerfile!r}") from exc
        context = posixpath.dirname(posixpath.normpath(profile.dockerfile)) or "."
        ignore_path = root / context / ".dockerignore"
        ignore = ignore_path.read_text(encoding="utf-8") if ignore_path.is_file() else ""
        pushed = pushed_image_findings(text, *options.pushed_to) if options.pushed_to else []
        checked = sorted(
            [*lint_dockerfile(text), *breaking_findings(text), *pushed],
            key=lambda finding: (finding.line, finding.rule),
        )
        return PreparedDockerfile(text, ignore, "upload", tuple(checked), context)
    if profile.language == "node" and options.package_scripts is None:
        options = dataclasses.replace(options, package_scripts=package_scripts(base))
    if profile.language == "node" and profile.typescript and not options.default_lib_check_tsconfigs:
        options = dataclasses.replace(options, default_lib_check_tsconfigs=default_lib_check_tsconfigs(base))
    if profile.language == "node" and profile.typescript and not options.fast_emit_tsconfigs:
        options = dataclasses.replace(options, fast_emit_tsconfigs=fast_emit_tsconfigs(base))
    generated = render_dockerfile(profile, options, environment)
    findings = tuple(lint_dockerfile(generated.dockerfile))
    return PreparedDockerfile(
        generated.dockerfile,
        generated.dockerignore,
        "generated",
        findings,
        context,
        generated.files,
        generated.type_check,
    )


def package_scripts(app_root: Path) -> dict[str, str]:
    """The ``scripts`` of ``app_root/package.json`` (string values only); {} without a readable one."""
    try:
        package: Any = json.loads((app_root / "package.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    scripts = package.get("scripts") if isinstance(package, dict) else None
    if not isinstance(scripts, dict):
        return {}
    return {str(name): value for name, value in scripts.items() if isinstance(value, str)}


def _inside(root: Path, path: Path) -> Path:
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise UploadError(f"{path.name} resolves outside the upload")
    return resolved


class IgnoreMatcher:
    """``.dockerignore`` semantics: last matching pattern wins, ``!`` re-includes, a matching
    directory excludes everything below it, ``**`` spans directories."""

    def __init__(self, text: str) -> None:
        self._rules: list[tuple[re.Pattern[str], bool]] = []
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            pattern = posixpath.normpath(line[1:].strip() if negate else line).lstrip("/")
            if pattern in ("", "."):
                continue
            self._rules.append((re.compile(_translate(pattern)), negate))
        self.has_exceptions = any(negate for _, negate in self._rules)

    def excluded(self, path: str) -> bool:
        candidates = _with_parents(path)
        excluded = False
        for regex, negate in self._rules:
            if any(regex.fullmatch(candidate) for candidate in candidates):
                excluded = not negate
        return excluded


def _with_parents(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[: index + 1]) for index in range(len(parts))]


def _translate(pattern: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
            continue
        if pattern.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", index + 1)
            if end < 0:
                out.append(re.escape(char))
            else:
                body = pattern[index + 1 : end]
                if body.startswith(("!", "^")):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                index = end
        elif char == "\\" and index + 1 < len(pattern):
            index += 1
            out.append(re.escape(pattern[index]))
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)


def context_archive(
    root: Path, dockerfile: str, dockerignore: str, files: Mapping[str, str] | None = None
) -> IO[bytes]:
    """A tar of ``root`` without ignored files, plus the Dockerfile and the generated helper
    ``files`` (in place of an upload's file at the same path); rewound, caller closes it.

    Raises UploadError for symlinks that leave ``root`` and for devices, sockets and FIFOs.
    """
    root = root.resolve()
    matcher = IgnoreMatcher(dockerignore)
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 - returned to the caller
    try:
        with tarfile.open(fileobj=spool, mode="w", format=tarfile.PAX_FORMAT) as tar:
            extra = dict(files or {})
            for relative, full in _walk(root, matcher):
                if relative in extra:
                    continue
                info, handle = _entry(root, relative, full)
                if handle is None:
                    tar.addfile(info)
                    continue
                with handle:
                    tar.addfile(info, handle)
            # The daemon drops these two from COPY sources when .dockerignore lists them.
            ignore_text = f"{dockerignore.rstrip()}\n.dockerignore\n{DOCKERFILE_NAME}\n".lstrip()
            extra.update({".dockerignore": ignore_text, DOCKERFILE_NAME: dockerfile})
            for name, text in sorted(extra.items()):
                data = text.encode("utf-8")
                info = tarfile.TarInfo(name)
                info.size, info.mode = len(data), 0o644
                tar.addfile(info, io.BytesIO(data))
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def context_files(root: Path, dockerignore: str) -> Iterator[tuple[str, Path]]:
    """The regular files that ship in the build context, as (relative path, path): the same walk
    ``context_archive`` tars, so the scans in SCANNING see exactly what the build gets."""
    root = root.resolve()
    for relative, full in _walk(root, IgnoreMatcher(dockerignore)):
        if not full.is_symlink() and full.is_file():
            yield relative, full


def _walk(root: Path, matcher: IgnoreMatcher) -> Iterable[tuple[str, Path]]:
    for directory, dirnames, filenames in os.walk(root):
        relative_dir = Path(directory).relative_to(root).as_posix()
        prefix = "" if relative_dir == "." else f"{relative_dir}/"
        kept_dirs = []
        for name in sorted(dirnames):
            relative = prefix + name
            full = Path(directory, name)
            if full.is_symlink():
                # os.walk does not descend into directory links; they are archived as links.
                if not matcher.excluded(relative):
                    yield relative, full
                continue
            if matcher.excluded(relative):
                if not matcher.has_exceptions:
                    continue
            else:
                yield relative, full
            kept_dirs.append(name)
        dirnames[:] = kept_dirs
        for name in sorted(filenames):
            relative = prefix + name
            if relative in (".dockerignore", DOCKERFILE_NAME) or matcher.excluded(relative):
                continue
            yield relative, Path(directory, name)


def _entry(root: Path, relative: str, full: Path) -> tuple[tarfile.TarInfo, IO[bytes] | None]:
    info = tarfile.TarInfo(relative)
    st = full.lstat()
    info.mtime = int(st.st_mtime)
    # Normalised ownership and modes: root-owned and world-readable, so the non-root runtime user
    # can read the app but not change it.
    if stat.S_ISLNK(st.st_mode):
        target = os.readlink(full)
        _check_link(root, relative, target, full)
        info.type, info.linkname, info.mode = tarfile.SYMTYPE, target, 0o777
        return info, None
    if stat.S_ISDIR(st.st_mode):
        info.type, info.mode = tarfile.DIRTYPE, 0o755
        return info, None
    if not stat.S_ISREG(st.st_mode):
        raise UploadError(f"{relative} is not a regular file, directory or symlink")
    info.size = st.st_size
    info.mode = 0o755 if st.st_mode & 0o111 else 0o644
    return info, full.open("rb")


def _check_link(root: Path, relative: str, target: str, full: Path) -> None:
    if posixpath.isabs(target):
        raise UploadError(f"symlink {relative} points to an absolute path")
    lexical = posixpath.normpath(posixpath.join(posixpath.dirname(relative), target))
    if lexical == ".." or lexical.startswith("../"):
        raise UploadError(f"symlink {relative} points outside the build context")
    if not full.resolve().is_relative_to(root):
        raise UploadError(f"symlink {relative} resolves outside the build context")
